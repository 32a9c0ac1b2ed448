"""The web application: `create_app(instance, locations)` builds the FastAPI app serving the
JSON API under /api, Server-Sent Events, and the built UI (server/static) at every other path.

Security is two middlewares in front of everything: server/guard.py's `Guard` (outermost:
Host allow-list, JSON-or-`X-Headwater-Request` on every mutation, body cap, security headers),
then the token and read-only checks here: with a token, every request must carry
`Authorization: Bearer <token>`, or `?token=` (for EventSource and the first page load; it is
then kept in an HttpOnly cookie so the page's own requests carry it); in read-only mode every
mutation answers 403. CORS is closed unless `cors_origins` names the origins to open it to.
Errors are `{"detail": message}` with a 4xx status: malformed input never reaches a 500; a
storage fault (PostgreSQL unreachable, a full disk) answers 503 with its one-line message and
logs one line per outage.
Imports `code`, `storage` and this package; FastAPI only here and in the route modules.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

import headwater
from headwater.code.client import (
    CodeServerClient,
    CodeServerError,
    CodeServerTimeoutError,
    code_server_timeouts,
)
from headwater.code.location import CodeLocationOrigin
from headwater.code.remote import RemoteOrigin
from headwater.daemon.run_launcher import run_launcher_of
from headwater.errors import HeadwaterError, HeadwaterStorageError
from headwater.server import (
    automation,
    backfill,
    compute_log,
    job,
    launch,
    location,
    run,
    timeline,
)
from headwater.server.api_docs import install_api_docs
from headwater.server.assets import automation as asset_automation
from headwater.server.assets import catalog
from headwater.server.assets import checks as check
from headwater.server.assets import events as asset_event
from headwater.server.assets import routes as asset
from headwater.server.assets import status as asset_status
from headwater.server.guard import (
    DEFAULT_MAX_REQUEST_BYTES,
    LOOPBACK_HOSTS,
    MUTATING,
    REQUEST_HEADER,
    Guard,
)
from headwater.server.state import ApiError, ServerState, state_of
from headwater.server.workspace import LocationUnavailable, Workspace

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")
TOKEN_COOKIE = "headwater_token"
# POSTs that change nothing (they only check input) stay open in read-only mode.
_READ_ONLY_POSTS = ("/validate",)
STORAGE_LOG_EVERY = 60.0  # seconds without a storage fault that end an outage (for the log)
log = logging.getLogger("headwater.webserver")


def _warm_up_run_launcher(instance: Any) -> None:
    """Let the run launcher get ready for the runs this webserver will launch (the default
    one starts its fork server); a misconfigured launcher is reported when a run is launched."""
    try:
        run_launcher_of(instance).warm_up()
    except HeadwaterError:
        pass


def create_app(instance: Any, locations: Workspace | Iterable[CodeLocationOrigin | RemoteOrigin
                                                                 | CodeServerClient],
               read_only: bool = False, token: str | None = None,
               launcher: Any = "auto", start: bool = True,
               allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
               cors_origins: Sequence[str] = ()) -> FastAPI:
    """The webserver's app over `instance` and the code `locations` (origins, clients, or a
    Workspace). `launcher="auto"` launches runs in run-worker subprocesses (launch.RunLauncher).
    It answers only to the `allowed_hosts` names ("*": any), refuses bodies over
    `max_request_bytes`, and grants CORS only to `cors_origins`."""
    workspace = locations if isinstance(locations, Workspace) else Workspace(
        locations, **code_server_timeouts(instance, request=60.0, startup=60.0))
    if launcher == "auto":
        launcher = launch.RunLauncher()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # Every asset's status is built while the server starts taking requests: the first
        # request waits for this build instead of paying for its own.
        warming = asset_status.warm(app.state.headwater) if start and instance is not None else None
        if start and instance is not None and launcher is not None and not read_only:
            _warm_up_run_launcher(instance)
        yield
        if warming is not None:
            warming.join(30)
        workspace.shutdown()

    app = FastAPI(title="headwater", version=headwater.__version__, lifespan=lifespan,
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
                  description="The API of headwater's webserver: assets, runs, jobs, "
                              "schedules, sensors, code locations. See docs/webserver-api.md.")
    app.state.headwater = ServerState(instance=instance, workspace=workspace, launcher=launcher,
                                      read_only=read_only, token=token or None)
    if instance is not None:
        workspace.attach(instance)
    if start:
        workspace.start()
    _install_security(app)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=sorted(MUTATING | {"GET"}),
                           allow_headers=["Authorization", "Content-Type", REQUEST_HEADER])
    # added last, so outermost: a refused request reaches nothing else
    app.add_middleware(Guard, allowed_hosts=allowed_hosts, max_request_bytes=max_request_bytes)
    _install_errors(app)
    app.include_router(_meta_router())
    install_api_docs(app)
    # Checks and automation first: their paths (/assets/KEY/checks, /assets/KEY/automation)
    # are inside the asset routes' /assets/KEY.
    for module in (location, check, asset_automation, asset_event, asset, backfill, catalog,
                   run, compute_log, job, automation, timeline):
        app.include_router(module.router)
    _install_static(app)
    return app


def _meta_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["deployment"])

    @router.get("/health", summary="Whether the webserver is up, and how it is configured")
    async def health(request: Request) -> dict[str, Any]:
        state = state_of(request)
        # What the UI may offer: in read-only mode the server refuses every change, so
        # neither launching nor any other write is possible whatever the launcher.
        can_write = not state.read_only
        return {"status": "ok", "version": headwater.__version__, "read_only": state.read_only,
                "auth": state.token is not None, "can_write": can_write,
                "can_launch": can_write and state.launcher is not None}

    return router


# --- security -------------------------------------------------------------------------
def _install_security(app: FastAPI) -> None:
    app.add_middleware(_Access, state_of_app=lambda: app.state.headwater)


class _Access:
    """The token and read-only checks, as a plain ASGI middleware (Starlette's
    `BaseHTTPMiddleware` runs every request, SSE streams included, through an extra task and
    memory stream: a cost each request pays under load)."""

    def __init__(self, app: Any, state_of_app: Callable[[], ServerState]) -> None:
        self.app = app
        self.state_of_app = state_of_app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state_of_app()
        request = Request(scope)
        from_query = False
        if state.token is not None:
            given, from_query = _given_token(request)
            if given is None or not hmac.compare_digest(given.encode(), state.token.encode()):
                refusal = JSONResponse(
                    {"detail": "This webserver needs its access token: send "
                     "'Authorization: Bearer <token>' (or ?token=<token> for "
                     "EventSource and the first page load)."},
                    status_code=401, headers={"WWW-Authenticate": 'Bearer realm="headwater"'})
                await refusal(scope, receive, send)
                return
        if (state.read_only and request.method in MUTATING
                and not request.url.path.endswith(_READ_ONLY_POSTS)):
            refusal = JSONResponse({"detail": f"This webserver is read-only (started with "
                                    f"--read-only): {request.method} {request.url.path} would "
                                    "change something. Restart it without --read-only to do "
                                    "this."}, status_code=403)
            await refusal(scope, receive, send)
            return
        if not from_query or state.token is None:
            await self.app(scope, receive, send)
            return
        cookie = Response()
        cookie.set_cookie(TOKEN_COOKIE, state.token, httponly=True, samesite="strict")
        set_cookie = [(k, v) for k, v in cookie.raw_headers if k == b"set-cookie"]

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *set_cookie]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _given_token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    if "token" in request.query_params:
        return request.query_params["token"], True
    return request.cookies.get(TOKEN_COOKIE), False


# --- errors ---------------------------------------------------------------------------
def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                    for e in exc.errors()]
        return JSONResponse({"detail": "Invalid request: " + "; ".join(problems),
                             "errors": [{"path": ".".join(str(p) for p in e.get("loc", ())),
                                         "message": str(e.get("msg"))} for e in exc.errors()]},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(LocationUnavailable)
    async def location_unavailable(_request: Request, exc: LocationUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": exc.error}, status_code=409)

    @app.exception_handler(CodeServerError)
    async def code_server_error(_request: Request, exc: CodeServerError) -> JSONResponse:
        # a code server that did not answer in time is a gateway timeout (504; it has been
        # restarted, so a retry may succeed), one that failed otherwise a bad gateway (502)
        return JSONResponse({"detail": f"The code server failed: {exc}", "error": exc.error},
                            status_code=504 if isinstance(exc, CodeServerTimeoutError) else 502)

    last_logged = [0.0]  # one log line per storage outage, not one per request

    @app.exception_handler(HeadwaterStorageError)
    async def storage_error(_request: Request, exc: HeadwaterStorageError) -> JSONResponse:
        now = time.monotonic()
        if now - last_logged[0] > STORAGE_LOG_EVERY:
            log.warning("storage unavailable (answering 503 until it is back): %s", exc)
        last_logged[0] = now
        return JSONResponse({"detail": str(exc), "storage_fault": exc.kind}, status_code=503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(HeadwaterError)
    async def headwater_error(_request: Request, exc: HeadwaterError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)


# --- the UI -----------------------------------------------------------------------------
def _install_static(app: FastAPI) -> None:
    root = os.path.realpath(STATIC_DIR)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def unknown_api(rest: str) -> None:
        raise ApiError(404, f"No API endpoint /api/{rest}; the endpoints are listed at "
                            "/api/openapi.json and in docs/webserver-api.md.")

    @app.get("/{path:path}", include_in_schema=False)
    def static(path: str) -> Response:
        index = os.path.join(root, "index.html")
        if "\x00" in path:
            raise ApiError(404, "No page has a NUL character in its path.")
        candidate = os.path.realpath(os.path.join(root, path))
        if path and candidate.startswith(root + os.sep) and os.path.isfile(candidate):
            return FileResponse(candidate)
        if os.path.isfile(index):
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return JSONResponse({"detail": "The web UI is not built into this installation "
                             "(server/static/index.html is missing): run `make ui`, or use "
                             "the API under /api."}, status_code=404)
