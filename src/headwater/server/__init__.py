"""headwater.server: the webserver (FastAPI app, JSON API, Server-Sent Events, built UI).

`create_app(instance, locations, read_only=False, token=None, allowed_hosts=..., ...)` in
server/app.py builds the app; `serve(...)` in server/serve.py runs it on uvicorn. What it
refuses before any route runs (foreign Host, writes a web form could send, huge bodies) and
the headers it always sends live in server/guard.py; /api/docs in server/api_docs.py. Needs the `ui` extra
(fastapi, uvicorn, sse-starlette); nothing here is imported by `import headwater`.
"""

from headwater.server.app import create_app

__all__ = ["create_app"]
