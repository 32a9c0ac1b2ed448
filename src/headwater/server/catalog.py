"""The asset catalog route: every asset as a table row, filtered, sorted and paged on the
server so that the UI's catalog shows its first rows at once even with 10,000 assets.

A row is what the asset list says of an asset (group, kinds, owners, tags, location, status,
staleness, latest materialization, check summary) plus the health of its partitions
(materialized, failed, in progress, missing). Building the rows costs the status queries of
`asset.asset_statuses` and one partition-status query per partitioned asset, so the rows are
kept with the workspace's index (a code location loaded or reloaded starts afresh) and rebuilt
only when the storage's asset change stamp moves (any event but a log line, a run added,
deleted or moved, a wipe: `Storage.asset_change_stamp`), so a run streaming log lines does
not rebuild them for every request. Filtering, sorting and paging then work on plain dicts.
Imports `definitions`, `storage` and this package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from headwater.definitions.key import AssetKey
from headwater.server.asset import current_statuses, memoized, partition_counts, storage_stamp
from headwater.server.check import check_summaries, parse_buckets
from headwater.server.state import ApiError, ServerState, check_limit, split_list, state_of
from headwater.storage.base import EventQuery

router = APIRouter(prefix="/api", tags=["assets"])

STATUSES = ("materialized", "stale", "failed", "in_progress", "never")
FACETS = ("group", "kind", "owner", "tag", "location", "status")


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


class _Rows:
    """The catalog rows of one workspace index, with their facet counts."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.facets = _facets(rows)


def _stamp(state: ServerState) -> Hashable:
    """What the rows depend on besides the definitions: the storage's asset change stamp
    (log lines do not change it); for a storage that cannot tell, the newest event, the
    newest run and the number of runs (a deleted run can change a status)."""
    stamp = storage_stamp(state)
    if stamp is not None:
        return stamp
    newest_event = state.instance.storage.get_event_records(EventQuery(), limit=1,
                                                             ascending=False)
    newest_run = state.instance.get_run_records(limit=1)
    return (newest_event[0].storage_id if newest_event else None,
            newest_run[0].headwater_run.run_id if newest_run else None,
            state.instance.get_runs_count())


def catalog_rows(state: ServerState) -> _Rows:
    """The current rows (rebuilt when stale; one builder at a time). They are kept with the
    workspace index, so a reloaded code location starts afresh."""
    rows: _Rows = memoized(state, "catalog", lambda s: _Rows(_build_rows(s)), _stamp(state))
    return rows


def _build_rows(state: ServerState) -> list[dict[str, Any]]:
    statuses = current_statuses(state)
    counts = partition_counts(state)
    summaries = check_summaries(state)
    rows = []
    for key, (location, asset) in state.workspace.index.assets.items():
        partitions = None
        if asset.get("partitions") is not None:
            partitions = _partition_health(state, key, asset["partitions"]["type"],
                                           counts.get(key))
        status = statuses[key]
        rows.append({
            "key": key,
            "group": asset["group"],
            "kinds": asset["kinds"],
            "owners": asset["owners"],
            "tags": asset.get("tags") or {},
            "description": asset["description"],
            "is_executable": asset["is_executable"],
            "location": location,
            "status": status["status"],
            "stale_status": status["stale_status"],
            "latest": status["latest"],
            "partitions": partitions,
            "check_summary": summaries.get(key),
        })
    rows.sort(key=lambda row: row["key"])
    return rows


def _partition_health(state: ServerState, key: str, kind: str,
                      count: int | None) -> dict[str, Any]:
    found = Counter(s.value for s in state.instance.storage.get_partition_statuses(
        AssetKey.from_user_string(key)).values())
    materialized, failed = found["MATERIALIZED"], found["FAILED"]
    in_progress = found["IN_PROGRESS"]
    missing = None if count is None else max(count - materialized - failed - in_progress, 0)
    return {"kind": kind, "count": count, "materialized": materialized, "failed": failed,
            "in_progress": in_progress, "missing": missing}


def _facets(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    facets: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for row in rows:
        facets["group"][row["group"] or "default"] += 1
        facets["kind"].update(row["kinds"])
        facets["owner"].update(row["owners"])
        facets["tag"].update(f"{k}={v}" for k, v in row["tags"].items())
        facets["location"][row["location"]] += 1
        facets["status"][row["status"]] += 1
    return {name: dict(sorted(c.items())) for name, c in facets.items()}


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
    cache = catalog_rows(state)
    rows = [r for r in cache.rows if keep(r)]
    if sort != "key" or order == "desc":
        rows = _sorted(rows, sort, order == "desc")
    items = rows[start:start + limit]
    has_more = start + limit < len(rows)
    # Encoded directly: FastAPI's generic encoder is slow on large lists of dicts.
    return JSONResponse({"items": items, "total": len(rows), "all": len(cache.rows),
                         "facets": cache.facets, "has_more": has_more,
                         "cursor": str(start + limit) if has_more else None})
