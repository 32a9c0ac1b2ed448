"""Backfills: a set of partitions of a job (or of some assets), launched by the daemon as one
run per partition through the run coordinator (so the run queue's limits apply), or as one
run over the whole range when every asset's `BackfillPolicy.single_run()` says so.

A backfill is a stored record (storage/state.py `BackfillRecord`) whose body lists its
partitions and the run launched for each. Each run is created with the key
"<partition>" under the origin "backfill:<id>" (`add_run_for_run_key`), so a daemon restarted
mid-way carries on where it stopped and never launches a partition twice.
Statuses: REQUESTED (launching) -> COMPLETED_SUCCESS | COMPLETED_FAILED once every run ended;
CANCELING -> CANCELED. Canceling stops the backfill's queued runs at once and asks its running
ones to stop; the daemon launches nothing more and ends the backfill CANCELED once every run
has finished. A partition's progress is that of its newest run (`partition_progress`).
Imports `code`, `storage`, `daemon`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from headwater.daemon.instigation import launch_requests
from headwater.daemon.launcher import cancel_run
from headwater.definitions.tags import (
    BACKFILL_ID_TAG,
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    SYSTEM_TAG_PREFIX,
    oversized_tag,
)
from headwater.errors import HeadwaterError, HeadwaterInvalidInvocationError
from headwater.storage.record import HeadwaterRunStatus, RunsFilter
from headwater.storage.state import BackfillRecord, TickRecord

REQUESTED, CANCELING, CANCELED = "REQUESTED", "CANCELING", "CANCELED"
COMPLETED_SUCCESS, COMPLETED_FAILED = "COMPLETED_SUCCESS", "COMPLETED_FAILED"
STATUSES = (REQUESTED, CANCELING, CANCELED, COMPLETED_SUCCESS, COMPLETED_FAILED)
FINISHED = (CANCELED, COMPLETED_SUCCESS, COMPLETED_FAILED)
# A partition's progress, from the status of its newest run.
PARTITION_STATUSES = ("not_launched", "queued", "in_progress", "succeeded", "failed", "canceled")
_PARTITION_STATUS = {
    HeadwaterRunStatus.QUEUED: "queued", HeadwaterRunStatus.NOT_STARTED: "queued",
    HeadwaterRunStatus.MANAGED: "queued", HeadwaterRunStatus.STARTING: "in_progress",
    HeadwaterRunStatus.STARTED: "in_progress", HeadwaterRunStatus.SUSPENDED: "in_progress",
    HeadwaterRunStatus.CANCELING: "in_progress", HeadwaterRunStatus.SUCCESS: "succeeded",
    HeadwaterRunStatus.FAILURE: "failed", HeadwaterRunStatus.CANCELED: "canceled"}
MAX_LAUNCH_PER_ITERATION = 100


def create_backfill(instance: Any, origin_tag: str, plan: dict[str, Any], *,
                    job_name: str | None, asset_selection: Sequence[str] | None,
                    tags: dict[str, str] | None = None, backfill_id: str | None = None,
                    asset_check_keys: Sequence[str] | None = None,
                    requested_by: str | None = None) -> BackfillRecord:
    """Store a backfill for the daemon to launch (`plan` comes from the code server's
    `plan_backfill`). With a `backfill_id` (the automation daemon derives one from its tick)
    a backfill already stored under it is returned, not stored twice. `asset_check_keys`:
    the checks each run evaluates (default: those of the selected assets). `requested_by`
    says where the request came from ("webserver", "cli"), for the UI."""
    problem = oversized_tag({k: v for k, v in (tags or {}).items() if not k.startswith(SYSTEM_TAG_PREFIX)})
    if problem is not None:  # each of its runs would carry the tag: refused before any is made
        raise HeadwaterInvalidInvocationError(f"Backfill of {job_name or 'assets'}: {problem}")
    if backfill_id is not None:
        existing = instance.storage.get_backfill(backfill_id)
        if existing is not None:
            return existing
    backfill_id = backfill_id or uuid.uuid4().hex[:8]
    record = BackfillRecord(backfill_id, REQUESTED, time.time(), {
        "job_name": job_name, "asset_selection": list(asset_selection or []) or None,
        "asset_check_keys": list(asset_check_keys) if asset_check_keys is not None else None,
        "partition_keys": list(plan["partition_keys"]), "single_run": bool(plan["single_run"]),
        "max_partitions_per_run": plan.get("max_partitions_per_run"),
        "origin": origin_tag, "tags": dict(tags or {}), "run_ids": {},
        "requested_by": requested_by})
    instance.storage.add_backfill(record)
    return record


def cancel_backfill(instance: Any, backfill_id: str) -> BackfillRecord:
    """Mark the backfill CANCELING and stop its runs (queued ones at once); a finished
    backfill is returned unchanged. The daemon ends it CANCELED once its runs have finished."""
    record = instance.storage.get_backfill(backfill_id)
    if record is None:
        raise KeyError(f"No backfill {backfill_id!r}: see `headwater backfill list`.")
    if record.status in (REQUESTED,):
        record = replace(record, status=CANCELING)
        instance.storage.update_backfill(record)
    if record.status == CANCELING:
        _stop_runs(instance, record)
    return record


def backfill_runs(instance: Any, backfill_id: str) -> list[Any]:
    return instance.get_runs(RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))


def run_backfills(instance: Any) -> list[str]:
    """One daemon iteration: launch what is due, finish or cancel backfills; ids touched."""
    touched = []
    for record in instance.storage.get_backfills(status=REQUESTED) + \
            instance.storage.get_backfills(status=CANCELING):
        touched.append(record.backfill_id)
        if record.status == CANCELING:
            _cancel(instance, record)
        else:
            _advance(instance, record)
    return touched


def _requests(record: BackfillRecord) -> list[dict[str, Any]]:
    body = record.body
    keys = list(body["partition_keys"])
    tags: dict[str, str] = {**(body.get("tags") or {}), BACKFILL_ID_TAG: record.backfill_id}
    base = {"job_name": body.get("job_name") or "__ASSET_JOB", "run_config": {},
            "asset_selection": body.get("asset_selection"), "tags": tags,
            "asset_check_keys": body.get("asset_check_keys")}
    size = len(keys) if body.get("single_run") else int(body.get("max_partitions_per_run") or 1)
    if size <= 1:
        return [{**base, "run_key": key, "partition_key": key} for key in keys]
    chunks = [keys[i:i + size] for i in range(0, len(keys), size)]
    return [{**base, "run_key": f"{c[0]}...{c[-1]}",
             "tags": {**tags, RANGE_START_TAG: c[0], RANGE_END_TAG: c[-1]}} for c in chunks]


def _advance(instance: Any, record: BackfillRecord) -> None:
    launched = dict(record.body.get("run_ids") or {})
    todo = [r for r in _requests(record) if r["run_key"] not in launched]
    oid = f"backfill:{record.backfill_id}"
    fake_tick = TickRecord(oid, record.backfill_id, "BACKFILL", "STARTED", record.timestamp)
    for request in todo[:MAX_LAUNCH_PER_ITERATION]:
        result = launch_requests(instance, oid, fake_tick, record.body["origin"],
                                 (BACKFILL_ID_TAG, record.backfill_id), [request])
        for run_id in result["run_ids"]:
            launched[request["run_key"]] = run_id
        # Read the status again before writing: a cancel may have landed during the launch,
        # and writing the record read before it would undo the cancel.
        current = instance.storage.get_backfill(record.backfill_id) or record
        record = replace(current, body={**dict(current.body), "run_ids": launched})
        instance.storage.update_backfill(record)  # progress survives a crash
        if record.status != REQUESTED:
            return
    if len(launched) < len(_requests(record)):
        return
    runs = backfill_runs(instance, record.backfill_id)
    if all(r.is_finished for r in runs):
        failed = any(r.status is not HeadwaterRunStatus.SUCCESS for r in runs)
        instance.storage.update_backfill(replace(
            record, status=COMPLETED_FAILED if failed else COMPLETED_SUCCESS,
            body={**dict(record.body), "end_timestamp": time.time()}))


def _stop_runs(instance: Any, record: BackfillRecord) -> None:
    for run in backfill_runs(instance, record.backfill_id):
        if not run.is_finished and run.status is not HeadwaterRunStatus.CANCELING:
            try:
                cancel_run(instance, run.run_id,
                           f"Cancel requested by canceling backfill {record.backfill_id}.")
            except HeadwaterError:  # it finished meanwhile: nothing to stop
                pass


def _cancel(instance: Any, record: BackfillRecord) -> None:
    _stop_runs(instance, record)
    if all(r.is_finished for r in backfill_runs(instance, record.backfill_id)):
        instance.storage.update_backfill(replace(
            record, status=CANCELED, body={**dict(record.body), "end_timestamp": time.time()}))


def backfill_status(instance: Any, record: BackfillRecord) -> dict[str, Any]:
    """A summary for `backfill show`: counts of runs by status, partitions not launched yet."""
    counts: dict[str, int] = {}
    for run in backfill_runs(instance, record.backfill_id):
        counts[run.status.value] = counts.get(run.status.value, 0) + 1
    requested = len(_requests(record))
    return {"backfill_id": record.backfill_id, "status": record.status,
            "job_name": record.body.get("job_name"),
            "asset_selection": record.body.get("asset_selection"),
            "partitions": len(record.body["partition_keys"]),
            "single_run": record.body.get("single_run"), "runs_by_status": counts,
            "not_launched": requested - len(record.body.get("run_ids") or {}),
            "created": record.timestamp}


def partition_progress(record: BackfillRecord,
                       runs: Sequence[Any]) -> dict[str, tuple[str, list[str]]]:
    """{partition: (status, run ids newest first)} in the backfill's order, from `runs` (the
    backfill's runs, newest first, as `backfill_runs` returns them). A partition takes the
    status of its newest run (a retry counts), one of PARTITION_STATUSES; a run over a range
    covers each partition of it."""
    keys = list(record.body.get("partition_keys") or ())
    index = {key: i for i, key in enumerate(keys)}
    statuses: dict[str, str] = {}
    run_ids: dict[str, list[str]] = {key: [] for key in keys}
    for run in runs:
        for key in _covered(run.tags, keys, index):
            statuses.setdefault(key, _PARTITION_STATUS.get(run.status, "in_progress"))
            run_ids[key].append(run.run_id)
    return {key: (statuses.get(key, "not_launched"), run_ids[key]) for key in keys}


def _covered(tags: Any, keys: list[str], index: dict[str, int]) -> list[str]:
    key = tags.get(PARTITION_TAG)
    if key is not None:
        return [key] if key in index else []
    start, end = index.get(tags.get(RANGE_START_TAG, "")), index.get(tags.get(RANGE_END_TAG, ""))
    if start is None or end is None:
        return []
    return keys[min(start, end):max(start, end) + 1]
