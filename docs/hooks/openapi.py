"""MkDocs hook: the webserver's API reference page, written from its OpenAPI document.

At every build it creates the FastAPI app (`headwater.server.app.create_app`, with no instance
and no code location: only its routes are needed), takes `app.openapi()` and writes
`reference/webserver-openapi.md`: one section per tag, one entry per route with its
parameters, request body and responses, then the request schemas. The page is generated, never
committed, so it cannot drift from the routes. Needs FastAPI (the `ui` extra).
"""

from __future__ import annotations

import os
import sys
from typing import Any

PAGE = "reference/webserver-openapi.md"
_METHODS = ("get", "post", "put", "patch", "delete")
_WEBSERVER_PACKAGES = {"fastapi", "starlette", "sse_starlette", "uvicorn", "pydantic"}


def on_files(files: Any, config: Any) -> Any:
    """Add the generated page to the site's files (before the nav is built from them)."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=render(openapi_document(config))))
    return files


def openapi_document(config: Any) -> dict[str, Any]:
    """The OpenAPI document of this checkout's webserver (its src/ goes first on sys.path)."""
    src = os.path.join(os.path.dirname(config["config_file_path"]), "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    try:
        from headwater.server.app import create_app
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in _WEBSERVER_PACKAGES:
            raise
        raise SystemExit(
            f"docs/hooks/openapi.py: the webserver API page needs the webserver's packages "
            f"({exc.name} is missing); install them with pip install 'headwater[ui]'.") from exc
    app = create_app(None, [], start=False, launcher=None)
    document: dict[str, Any] = app.openapi()
    return document


def render(document: dict[str, Any]) -> str:
    """The Markdown page of an OpenAPI document."""
    info = document.get("info", {})
    lines = [
        "# Webserver API (OpenAPI)",
        "",
        "Generated at build time from the webserver's OpenAPI document (version "
        f"{_cell(str(info.get('version', '')))}), which a running webserver also serves at "
        "`/api/openapi.json`. The [webserver API guide](../webserver-api.md) explains how the "
        "routes are meant to be used: authentication, errors, paging and the event stream.",
        "",
    ]
    if info.get("description"):
        lines += [_text(info["description"]), ""]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, operation))
    for tag, operations in by_tag.items():
        lines += [f"## {tag.capitalize()}", ""]
        for method, path, operation in operations:
            lines += _operation(method, path, operation)
    schemas = document.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Schemas", ""]
        for name, schema in schemas.items():
            lines += _schema(name, schema)
    return "\n".join(lines) + "\n"


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if operation.get("summary"):
        lines += [_text(operation["summary"]) + ".", ""]
    if operation.get("description"):
        lines += [_text(operation["description"]), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in parameters:
            lines.append(f"| `{p['name']}` | {p.get('in', '')} | {_type(p.get('schema', {}))} | "
                         f"{'yes' if p.get('required') else 'no'} | "
                         f"{_cell(p.get('description') or p.get('schema', {}).get('description', ''))} |")
        lines.append("")
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            lines += [f"Request body ({media}): {_type(content.get('schema', {}))}.", ""]
    responses = operation.get("responses", {})
    if responses:
        lines += ["| response | description | body |", "|---|---|---|"]
        for code, response in responses.items():
            bodies = [_type(c.get("schema", {})) for c in response.get("content", {}).values()]
            lines.append(f"| {code} | {_cell(response.get('description', ''))} | "
                         f"{' or '.join(bodies) or 'none'} |")
        lines.append("")
    return lines


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [_text(schema["description"]), ""]
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", ()))
        lines += ["| field | type | required | description |", "|---|---|---|---|"]
        for field, prop in properties.items():
            lines.append(f"| `{field}` | {_type(prop)} | {'yes' if field in required else 'no'}"
                         f" | {_cell(prop.get('description', ''))} |")
        lines.append("")
    return lines


def _type(schema: dict[str, Any]) -> str:
    """A schema as a short phrase; a reference links to its entry under Schemas."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return " or ".join(_type(s) for s in schema[combinator])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    return f"`{kind}`" if kind else "any"


def _text(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _text(" ".join(str(text).split())).replace("|", "\\|")
