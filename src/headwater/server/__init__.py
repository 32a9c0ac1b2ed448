"""headwater.server: the webserver (FastAPI app, JSON API, Server-Sent Events, built UI).

`create_app(instance, locations, read_only=False, token=None)` in server/app.py builds the
app; `serve(...)` in server/serve.py runs it on uvicorn. Needs the `ui` extra
(fastapi, uvicorn, sse-starlette); nothing here is imported by `import headwater`.
"""

from headwater.server.app import create_app

__all__ = ["create_app"]
