"""The asset catalog route: every asset as a table row, filtered, sorted and paged on the
server so that the UI's catalog shows its first rows at once even with 10,000 assets.

A row is what the asset list says of an asset (group, kinds, owners, tags, location, status,
staleness, latest materialization, check summary) plus the health of its partitions
(materialized, failed, in progress, missing). The rows are kept up to date with every asset's
status by server/assets/status.py (incrementally, from the events added since); filtering,
sorting and paging work on those plain dicts.
Imports this package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from headwater.server.assets.checks import parse_buckets
from headwater.server.assets.status import statuses_of
from headwater.server.state import ApiError, check_limit, split_list, state_of

router = APIRouter(prefix="/api", tags=["assets"])

STATUSES = ("materialized", "stale", "failed", "in_progress", "never")


def _latest_time(row: dict[str, Any]) -> float | None:
    return row["latest"]["timestamp"] if row["latest"] else None


def _partitions(field: str) -> Callable[[dict[str, Any]], int | None]:
    return lambda row: row["partitions"][field] if row["partitions"] else None


def _checks(row: dict[str, Any]) -> tuple[int, int, int] | None:
    s = row["check_summary"]
    return None if s is None else (s["failed"], s["warn"], s["total"])


# Sort name -> the row's value; rows whose value is None (never materialized, not
# partitioned, no checks) come last in either order.
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "key": lambda row: row["key"],
    "group": lambda row: (row["group"] or "", row["key"]),
    "status": lambda row: STATUSES.index(row["status"]),
    "last_materialized": _latest_time,
    "partitions_materialized": _partitions("materialized"),
    "partitions_failed": _partitions("failed"),
    "partitions_missing": _partitions("missing"),
    "checks": _checks,
}


def _tag_filter(text: str) -> tuple[str, str | None]:
    name, sep, value = text.partition("=")
    if not name:
        raise ApiError(400, f"tag={text!r} is not a tag filter: write key=value, or key for "
                            "any value.")
    return name, value if sep else None


def _matcher(q: str | None, group: list[str], kind: list[str], owner: list[str],
             tags: list[tuple[str, str | None]], location: list[str], status: list[str],
             stale: bool | None, checks: set[str] | None
             ) -> Callable[[dict[str, Any]], bool]:
    needle = (q or "").strip().lower()

    def keep(row: dict[str, Any]) -> bool:
        if needle and needle not in row["key"].lower():
            return False
        if group and (row["group"] or "default") not in group:
            return False
        if kind and not any(k in row["kinds"] for k in kind):
            return False
        if owner and not any(o in row["owners"] for o in owner):
            return False
        for name, value in tags:
            if name not in row["tags"] or (value is not None and row["tags"][name] != value):
                return False
        if location and row["location"] not in location:
            return False
        if status and row["status"] not in status:
            return False
        if stale is not None and (row["stale_status"] == "STALE") != stale:
            return False
        summary = row["check_summary"]
        return checks is None or (summary is not None and any(summary[b] for b in checks))

    return keep


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise ApiError(400, f"cursor={cursor!r} is not a cursor of the catalog: pass the "
                            "`cursor` of the previous page, or none for the first page.")
    return int(cursor)


def _sorted(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    value = SORTS[sort]
    present = [r for r in rows if value(r) is not None]
    absent = [r for r in rows if value(r) is None]
    # Stable sorts: ties keep the key order the rows are built in.
    return sorted(present, key=value, reverse=descending) + absent


@router.get("/catalog", summary="The asset catalog: assets filtered, sorted and paged")
def catalog(
    request: Request,
    q: str | None = Query(None, description="Part of the asset key (case-insensitive)."),
    group: str | None = Query(None, description="Groups, comma-separated."),
    kind: str | None = Query(None, description="Kinds, comma-separated (any of them)."),
    owner: str | None = Query(None, description="Owners, comma-separated (any of them)."),
    tag: list[str] = Query([], description="key=value (or key): every one must match."),
    location: str | None = Query(None, description="Code locations, comma-separated."),
    status: str | None = Query(None, description="materialized, stale, failed, in_progress, "
                                                 "never; comma-separated."),
    stale: bool | None = Query(None, description="Only stale (true) or not stale (false)."),
    checks: str | None = Query(None, description="Assets with a check in one of these results "
                                                 "(failed, warn, passed, in_progress, not_run)."),
    sort: str = Query("key", description=f"One of {', '.join(SORTS)}."),
    order: str = Query("asc", description="asc or desc."),
    limit: int | None = None,
    cursor: str | None = None,
) -> Any:
    state = state_of(request)
    if sort not in SORTS:
        raise ApiError(400, f"sort={sort!r} is not a catalog column: use one of "
                            f"{', '.join(SORTS)}.")
    if order not in ("asc", "desc"):
        raise ApiError(400, f"order={order!r}: use asc or desc.")
    statuses = split_list(status)
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise ApiError(400, f"status={unknown[0]!r} is not an asset status: use "
                            f"{', '.join(STATUSES)}.")
    limit = check_limit(limit)
    start = _offset(cursor)
    keep = _matcher(q, split_list(group), split_list(kind), split_list(owner),
                    [_tag_filter(t) for t in tag], split_list(location), statuses, stale,
                    parse_buckets(checks))
    view = statuses_of(state)
    rows = [r for r in view.rows if keep(r)]
    if sort != "key" or order == "desc":
        rows = _sorted(rows, sort, order == "desc")
    items = rows[start:start + limit]
    has_more = start + limit < len(rows)
    # Encoded directly: FastAPI's generic encoder is slow on large lists of dicts.
    return JSONResponse({"items": items, "total": len(rows), "all": len(view.rows),
                         "facets": view.facets, "has_more": has_more,
                         "cursor": str(start + limit) if has_more else None})
