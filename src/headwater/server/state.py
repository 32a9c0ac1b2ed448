"""What every route of the API shares: the server state, its errors, paging and parsing.

`ServerState` holds the instance, the workspace of code locations, the run launcher (see
server/launch.py) and the security settings. `ApiError` is how a route refuses a request: it
becomes `{"detail": message}` with its status code (app.py installs the handler). Parsing
helpers turn user input (asset keys, limits, cursors, times) into values or 4xx errors, never
500s. Imports `definitions`, `storage` and this package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.server.workspace import Workspace

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# An asset key path element: what AssetKey.from_user_string accepts between slashes.
_KEY_PART = re.compile(r"^[^\x00-\x1f]+$")


class ApiError(Exception):
    """A refused request: an HTTP status and a message that says what to do instead."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass
class ServerState:
    """The objects the routes use, set on `app.state.headwater` by `create_app`."""

    instance: Any
    workspace: Workspace
    launcher: Any
    read_only: bool = False
    token: str | None = None


def state_of(request: Any) -> ServerState:
    return request.app.state.headwater


def query_with_dynamic(state: ServerState, location: str, name: str,
                       params: dict[str, Any]) -> dict[str, Any]:
    """Ask a code server (`partition_keys`, `partition_counts`, ...), passing the dynamic
    partition keys it says it needs from the instance."""
    reply: dict[str, Any] = state.workspace.query(location, name, params)
    if reply.get("missing_dynamic"):
        dynamic = {n: state.instance.get_dynamic_partitions(n) for n in reply["missing_dynamic"]}
        reply = state.workspace.query(location, name, {**params, "dynamic": dynamic})
    return reply


def page(items: list[Any], has_more: bool, cursor: str | None) -> dict[str, Any]:
    """The list envelope every paginated endpoint returns."""
    return {"items": items, "cursor": cursor, "has_more": has_more}


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise ApiError(400, f"limit={limit} is out of range: pass 1 to {MAX_LIMIT}.")
    return limit


def int_cursor(cursor: str | None) -> int | None:
    """A cursor that is a storage id (events, materializations)."""
    if cursor is None or cursor == "":
        return None
    try:
        value = int(cursor)
    except ValueError:
        raise ApiError(400, f"cursor={cursor!r} is not a cursor of this list: pass the "
                            "`cursor` of the previous page, or none for the first page.") from None
    if value < 0 or value > 2**62:
        raise ApiError(400, f"cursor={cursor!r} is out of range: pass the `cursor` of the "
                            "previous page.")
    return value


def parse_asset_key(text: str) -> AssetKey:
    """An asset key from its URL form "a/b" (URL-decoded); 400 when it cannot be one."""
    parts = text.split("/")
    if not text or any(not p or not _KEY_PART.match(p) for p in parts):
        raise ApiError(400, f"{text!r} is not an asset key: write it as its path joined by "
                            "'/', e.g. 'raw/orders', with no empty parts.")
    return AssetKey(parts)


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time or a Unix timestamp (naive ISO times are UTC)."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        try:
            return datetime.fromtimestamp(number, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ApiError(400, f"{name}={value!r} is out of range for a Unix timestamp.") from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{name}={value!r} is not a time: pass ISO 8601 "
                            "(2024-05-01T12:00:00Z) or a Unix timestamp.") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def split_list(value: str | None) -> list[str]:
    """A comma-separated query parameter as a list (empty items dropped)."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]
