"""The interactive API page at /api/docs, served entirely by the webserver (no CDN).

Swagger UI's files come from the `swagger-ui-bundle` PyPI package when it is installed
(`/api/docs/assets/<file>` serves them, `/api/docs/init.js` starts it: no inline script, so
the Content-Security-Policy holds). Without the package the page says how to get it and links
the OpenAPI description, which is always at /api/openapi.json. Imports FastAPI only.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from headwater.server.guard import REQUEST_HEADER
from headwater.server.state import ApiError

OPENAPI_URL = "/api/openapi.json"

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>headwater API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>
"""

_MISSING = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>headwater API</title></head>
<body>
<h1>headwater API</h1>
<p>The interactive API page needs Swagger UI's files, from the <code>swagger-ui-bundle</code>
package, which is not installed: <code>pip install swagger-ui-bundle</code> and restart the
webserver. It serves them itself; nothing is loaded from another site.</p>
<p>The API's OpenAPI description is at <a href="/api/openapi.json">/api/openapi.json</a>;
docs/webserver-api.md explains every route.</p>
</body></html>
"""

# Starts Swagger UI on the OpenAPI description; its "Try it out" requests carry the header
# the webserver asks of every mutating request.
_INIT = f"""window.ui = SwaggerUIBundle({{
  url: "{OPENAPI_URL}",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  requestInterceptor: (request) => {{ request.headers["{REQUEST_HEADER}"] = "1"; return request; }},
}});
"""


def swagger_ui_directory() -> str | None:
    """Where the installed swagger-ui-bundle keeps Swagger UI's files (None: not installed)."""
    try:
        from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-not-found]
    except ImportError:
        return None
    return os.path.realpath(str(swagger_ui_path))


def install_api_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_PAGE if swagger_ui_directory() is not None else _MISSING)

    @app.get("/api/docs/init.js", include_in_schema=False)
    def init() -> Response:
        return Response(_INIT, media_type="text/javascript")

    @app.get("/api/docs/assets/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        root = swagger_ui_directory()
        if root is None:
            raise ApiError(404, "Swagger UI's files are not installed: pip install "
                                "swagger-ui-bundle (the API description is at "
                                f"{OPENAPI_URL}).")
        path = "" if "\x00" in name else os.path.realpath(os.path.join(root, name))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            raise ApiError(404, f"Swagger UI has no file {name!r}.")
        return FileResponse(path)
