"""headwater.server: the webserver (FastAPI app, JSON API, Server-Sent Events, built UI).

`create_app(instance, locations, read_only=False, token=None, allowed_hosts=..., ...)` in
server/app.py builds the app; `serve(...)` in server/serve.py runs it on uvicorn. What it
refuses before any route runs (foreign Host, writes a web form could send, huge bodies) and
the headers it always sends live in server/guard.py; /api/docs in server/api_docs.py. Needs the `ui` extra
(fastapi, uvicorn, sse-starlette); nothing here is imported by `import headwater`.
The routes live in one module per subject (run.py, job.py, automation.py, backfill.py, ...;
the asset routes in the `assets` subpackage: the asset pages, catalog, checks, events,
automation, and every asset's status kept up to date from the event log); what they share is
in state.py (server state, errors, parsing), wire.py (JSON shapes) and workspace.py (the code
locations).
"""

from headwater.server.app import create_app

__all__ = ["create_app"]
