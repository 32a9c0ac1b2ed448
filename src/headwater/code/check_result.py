"""How asset check executions read as results: the buckets the webserver, the UI and the CLI
show for a check's latest execution.

    passed       the evaluation passed
    warn         it failed with severity WARN
    failed       it failed with severity ERROR, or the step evaluating it failed
    in_progress  a run that will evaluate it is going
    not_run      never evaluated, or skipped by its run

Records are check storage's `AssetCheckExecutionRecord`s (status IN_PROGRESS, SUCCEEDED,
FAILED, SKIPPED or EXECUTION_FAILED); only their fields are read. Imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

BUCKETS = ("passed", "warn", "failed", "in_progress", "not_run")
# Worst first: one badge for several checks shows the worst of their results.
WORST_FIRST = ("failed", "warn", "in_progress", "passed", "not_run")


def _value(item: Any) -> str | None:
    return None if item is None else str(getattr(item, "value", item))


def result_of(status: Any, severity: Any = None) -> str:
    """The bucket of an execution status ("FAILED", ...) and severity ("WARN", "ERROR")."""
    status = _value(status)
    if status == "SUCCEEDED":
        return "passed"
    if status == "FAILED":
        return "warn" if _value(severity) == "WARN" else "failed"
    if status == "EXECUTION_FAILED":
        return "failed"
    if status == "IN_PROGRESS":
        return "in_progress"
    return "not_run"


def bucket(record: Any) -> str:
    """The bucket of a check's latest execution record (None: never executed)."""
    if record is None:
        return "not_run"
    return result_of(record.status, record.severity)


def count(results: Iterable[str]) -> dict[str, int]:
    """{bucket: n, ..., "total": n} for some checks' results."""
    counts = {**dict.fromkeys(BUCKETS, 0), "total": 0}
    for result in results:
        counts[result] += 1
        counts["total"] += 1
    return counts


def describe(counts: dict[str, int]) -> str:
    """'3 checks: 1 failed, 2 passed' (the non-zero buckets, worst first)."""
    parts = [f"{counts[b]} {b.replace('_', ' ')}" for b in WORST_FIRST if counts.get(b)]
    total = counts.get("total", 0)
    return f"{total} check{'' if total == 1 else 's'}" + (f": {', '.join(parts)}" if parts else "")


_PLANNED = "ASSET_CHECK_EVALUATION_PLANNED"
_EVALUATION = "ASSET_CHECK_EVALUATION"


def run_check_results(entries: Iterable[Any], run: Any) -> list[dict[str, Any]]:
    """The checks a run planned and what each evaluated to, from the run's event log entries:
    [{"key", "asset_key", "name", "step_key", "partition", "status", "result", "evaluation",
    "timestamp"}], sorted by key and partition. A check still planned when the run has ended
    was SKIPPED (or EXECUTION_FAILED, if the run failed), as check storage records it."""
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    for entry in entries:
        event = entry.headwater_event
        kind = _value(getattr(event, "event_type", None)) if event is not None else None
        if kind not in (_PLANNED, _EVALUATION) or event.payload is None:
            continue
        payload = event.payload
        key = f"{payload.asset_key.to_user_string()}:{payload.check_name}"
        partition = getattr(payload, "partition", None) or event.partition
        item = found.setdefault((key, partition), {
            "key": key, "asset_key": payload.asset_key.to_user_string(),
            "name": payload.check_name, "step_key": entry.step_key, "partition": partition,
            "status": "IN_PROGRESS", "evaluation": None, "timestamp": entry.timestamp})
        if kind == _EVALUATION:
            item.update(status="SUCCEEDED" if payload.passed else "FAILED", evaluation=payload,
                        timestamp=entry.timestamp, step_key=entry.step_key or item["step_key"])
    for item in found.values():
        if item["status"] == "IN_PROGRESS" and run.is_finished:
            item["status"] = "EXECUTION_FAILED" if run.is_failure else "SKIPPED"
        evaluation = item["evaluation"]
        item["result"] = result_of(item["status"], evaluation.severity if evaluation else None)
    return sorted(found.values(), key=lambda c: (c["key"], c["partition"] or ""))
