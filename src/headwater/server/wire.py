"""How the API writes headwater's records as JSON: runs, log events, metadata, ticks.

Plain functions from storage records to dicts; the shapes are the API contract documented in
docs/webserver-api.md, so change them only by adding fields. Metadata values are written as
`{"type": ..., "value": ...}`. Imports `code.run` (a run's check selection), `definitions`,
`execution.event` and `storage` records.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from headwater.code.run import run_check_selection
from headwater.definitions.metadata.codec import metadata_to_jsonable
from headwater.definitions.metadata.value import normalize_metadata
from headwater.execution.event import HeadwaterEvent, SerializableError
from headwater.storage.record import EventLogRecord, RunRecord

# The field holding the value of each metadata kind that has a single one.
_VALUE_FIELD = {"text": "text", "json": "data", "md": "md_str", "url": "url", "path": "fspath",
                "notebook": "fspath", "headwater_run": "run_id", "pool": "pool",
                "table_schema": "schema", "column_lineage": "deps_by_column"}


def typed_metadata(metadata: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Metadata as {label: {"type": kind, "value": ...}} (tables: value = {records, schema})."""
    if not metadata:
        return {}
    try:
        encoded = metadata_to_jsonable(normalize_metadata(dict(metadata), allow_invalid=True))
    except Exception:  # metadata the codec cannot encode is shown as text, not a 500
        return {str(k): {"type": "text", "value": repr(v)} for k, v in metadata.items()}
    return {label: typed_value(item) for label, item in encoded.items()}


def typed_value(item: Mapping[str, Any]) -> dict[str, Any]:
    """One encoded metadata value ({"type": kind, ...fields}) as {"type", "value"}."""
    kind = item.get("type")
    fields = {k: v for k, v in item.items() if k != "type"}
    if "value" in fields and len(fields) == 1:
        value = fields["value"]
    elif kind in _VALUE_FIELD:
        value = fields.get(_VALUE_FIELD[kind])
    elif kind == "asset":
        value = "/".join(fields.get("asset_key") or [])
    elif kind == "null":
        value = None
    else:
        value = fields
    return {"type": kind, "value": _finite(value)}


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def iso(value: datetime | float | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return datetime.fromtimestamp(value).astimezone().isoformat()


def timestamp(value: datetime | float | None) -> float | None:
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)


def run_json(record: RunRecord) -> dict[str, Any]:
    run = record.headwater_run
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": run.status.value,
        "tags": dict(run.tags),
        "run_config": dict(run.run_config),
        "asset_selection": sorted(k.to_user_string() for k in run.asset_selection)
        if run.asset_selection is not None else None,
        "asset_check_selection": _check_selection(run),
        "step_keys_to_execute": list(run.step_keys_to_execute)
        if run.step_keys_to_execute is not None else None,
        "partition_key": run.partition_key,
        "parent_run_id": run.get_parent_run_id(),
        "root_run_id": run.get_root_run_id(),
        "create_timestamp": timestamp(record.create_timestamp),
        "update_timestamp": timestamp(record.update_timestamp),
        "start_time": record.start_time,
        "end_time": record.end_time,
    }


def _check_selection(run: Any) -> list[str] | None:
    """The checks a run was launched to evaluate, as "a/b:check" strings (None: the checks of
    its assets)."""
    keys = run_check_selection(run)
    return None if keys is None else sorted(k.to_user_string() for k in keys)


def error_json(error: SerializableError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"message": error.message, "cls_name": error.cls_name, "stack": list(error.stack),
            "cause": error_json(error.cause)}


def event_json(record: EventLogRecord) -> dict[str, Any]:
    """One log record: an engine event or a `context.log` message."""
    entry = record.event_log_entry
    event: HeadwaterEvent | None = entry.headwater_event
    level = entry.level if isinstance(entry.level, str) else logging.getLevelName(entry.level)
    out: dict[str, Any] = {
        "id": record.storage_id,
        "run_id": entry.run_id,
        "timestamp": entry.timestamp,
        "type": event.event_type.name if event is not None else "LOG",
        "level": level,
        "step_key": entry.step_key,
        "asset_key": event.asset_key.to_user_string() if event and event.asset_key else None,
        "partition": record.partition_key,
        "message": entry.message,
        "error": error_json(entry.error_info),
        "metadata": {},
        "data": {},
    }
    if event is not None and event.payload is not None:
        out["metadata"] = typed_metadata(_payload_metadata(event.payload))
        out["data"] = _payload_data(event.payload)
        error = getattr(event.payload, "error", None)
        if out["error"] is None and isinstance(error, SerializableError):
            out["error"] = error_json(error)
    return out


def _payload_metadata(payload: Any) -> Mapping[str, Any] | None:
    inner = (getattr(payload, "materialization", None)
             or getattr(payload, "asset_observation", None))
    if inner is not None:
        return getattr(inner, "metadata", None)
    metadata = getattr(payload, "metadata", None)
    if metadata is None:
        metadata = getattr(payload, "user_failure_metadata", None)
    return metadata if isinstance(metadata, Mapping) else None


def _payload_data(payload: Any) -> dict[str, Any]:
    """The payload's simple fields (names, durations, attempts), for display."""
    if not dataclasses.is_dataclass(payload) or isinstance(payload, type):
        return {}
    data: dict[str, Any] = {}
    for f in dataclasses.fields(payload):
        value = getattr(payload, f.name)
        if isinstance(value, (str, int, bool)) or value is None:
            data[f.name] = value
        elif isinstance(value, float):
            data[f.name] = _finite(value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            data[f.name] = list(value)
    return data


def materialization_json(record: EventLogRecord) -> dict[str, Any]:
    """An asset's materialization: when, which run and partition, its metadata and tags."""
    materialization = record.asset_materialization
    return {
        "id": record.storage_id,
        "run_id": record.run_id,
        "timestamp": record.timestamp,
        "partition": record.partition_key,
        "description": getattr(materialization, "description", None),
        "tags": dict(getattr(materialization, "tags", None) or {}),
        "metadata": typed_metadata(getattr(materialization, "metadata", None)),
    }
