"""The JSON codec of metadata: `metadata_to_jsonable` and `metadata_from_jsonable`, the
form in which the event log, snapshots and the web API store metadata values.

Every MetadataValue kind maps to a dict keyed by `type`; decoding is exact (a value
read back equals the one written, NaN and infinities included). Imports `kind.py`,
`code_reference.py` and `table.py` of this room, `key`, `errors` and the stdlib.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.code_reference import (
    CodeReferencesMetadataValue,
    LocalFileCodeReference,
    UrlCodeReference,
)
from headwater.definitions.metadata.kind import (
    BoolMetadataValue,
    FloatMetadataValue,
    HeadwaterAssetMetadataValue,
    HeadwaterJobMetadataValue,
    HeadwaterRunMetadataValue,
    IntMetadataValue,
    JsonMetadataValue,
    MarkdownMetadataValue,
    MetadataValue,
    NotebookMetadataValue,
    NullMetadataValue,
    PathMetadataValue,
    PoolMetadataValue,
    PythonArtifactMetadataValue,
    TableColumnLineageMetadataValue,
    TableMetadataValue,
    TableSchemaMetadataValue,
    TextMetadataValue,
    TimestampMetadataValue,
    UrlMetadataValue,
)
from headwater.definitions.metadata.table import (
    TableColumn,
    TableColumnConstraints,
    TableColumnDep,
    TableColumnLineage,
    TableConstraints,
    TableRecord,
    TableSchema,
    type_name,
)
from headwater.errors import HeadwaterInvalidMetadata

__all__ = ["metadata_from_jsonable", "metadata_to_jsonable", "value_from_json", "value_to_json"]


def _float_to_json(v: float | None) -> Any:
    if v is not None and not math.isfinite(v):
        return repr(v)  # 'nan', 'inf', '-inf': strict JSON has no such numbers
    return v


def _float_from_json(v: Any) -> float | None:
    return float(v) if isinstance(v, str) else v


def _schema_to_json(schema: TableSchema) -> dict[str, Any]:
    return {
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "description": c.description,
                "constraints": {
                    "nullable": c.constraints.nullable,
                    "unique": c.constraints.unique,
                    "other": list(c.constraints.other),
                },
                "tags": dict(c.tags),
            }
            for c in schema.columns
        ],
        "constraints": {"other": list(schema.constraints.other)},
    }


def _schema_from_json(d: Mapping[str, Any]) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(
                name=c["name"],
                type=c["type"],
                description=c["description"],
                constraints=TableColumnConstraints(**c["constraints"]),
                tags=c["tags"],
            )
            for c in d["columns"]
        ],
        constraints=TableConstraints(d["constraints"]["other"]),
    )


def _lineage_to_json(lineage: TableColumnLineage) -> dict[str, Any]:
    return {
        col: [{"asset_key": list(d.asset_key.path), "column_name": d.column_name} for d in deps]
        for col, deps in lineage.deps_by_column.items()
    }


def _lineage_from_json(d: Mapping[str, Any]) -> TableColumnLineage:
    return TableColumnLineage(
        {
            col: [TableColumnDep(AssetKey(x["asset_key"]), x["column_name"]) for x in deps]
            for col, deps in d.items()
        }
    )


def _record_to_json(r: TableRecord) -> dict[str, Any]:
    return {k: _float_to_json(v) if isinstance(v, float) else v for k, v in r.data.items()}


def value_to_json(v: MetadataValue) -> dict[str, Any]:
    if isinstance(v, TextMetadataValue):
        return {"type": "text", "text": v.text}
    if isinstance(v, BoolMetadataValue):
        return {"type": "bool", "value": v.value}
    if isinstance(v, IntMetadataValue):
        return {"type": "int", "value": v.value}
    if isinstance(v, FloatMetadataValue):
        return {"type": "float", "value": _float_to_json(v.value)}
    if isinstance(v, TimestampMetadataValue):
        return {"type": "timestamp", "value": _float_to_json(v.value)}
    if isinstance(v, JsonMetadataValue):
        return {"type": "json", "data": v.data}
    if isinstance(v, MarkdownMetadataValue):
        return {"type": "md", "md_str": v.md_str}
    if isinstance(v, UrlMetadataValue):
        return {"type": "url", "url": v.url}
    if isinstance(v, PathMetadataValue):
        return {"type": "path", "fspath": v.fspath}
    if isinstance(v, NotebookMetadataValue):
        return {"type": "notebook", "fspath": v.fspath}
    if isinstance(v, PythonArtifactMetadataValue):
        return {"type": "python_artifact", "module": v.module, "name": v.name}
    if isinstance(v, TableMetadataValue):
        return {
            "type": "table",
            "records": [_record_to_json(r) for r in v.records],
            "schema": _schema_to_json(v.schema or TableSchema([])),
        }
    if isinstance(v, TableSchemaMetadataValue):
        return {"type": "table_schema", "schema": _schema_to_json(v.schema)}
    if isinstance(v, TableColumnLineageMetadataValue):
        return {"type": "column_lineage", "deps_by_column": _lineage_to_json(v.column_lineage)}
    if isinstance(v, HeadwaterAssetMetadataValue):
        return {"type": "asset", "asset_key": list(v.asset_key.path)}
    if isinstance(v, HeadwaterJobMetadataValue):
        return {
            "type": "job",
            "job_name": v.job_name,
            "location_name": v.location_name,
            "repository_name": v.repository_name,
        }
    if isinstance(v, HeadwaterRunMetadataValue):
        return {"type": "headwater_run", "run_id": v.run_id}
    if isinstance(v, PoolMetadataValue):
        return {"type": "pool", "pool": v.pool}
    if isinstance(v, NullMetadataValue):
        return {"type": "null"}
    if isinstance(v, CodeReferencesMetadataValue):
        return {"type": "code_references", "code_references": [
            {"kind": "local", "file_path": r.file_path, "line_number": r.line_number,
             "label": r.label} if isinstance(r, LocalFileCodeReference) else
            {"kind": "url", "url": r.url, "label": r.label} for r in v.code_references]}
    raise HeadwaterInvalidMetadata(
        f"Cannot encode {v!r} ({type_name(v)}): it is not a known MetadataValue kind. "
        "Pass metadata through normalize_metadata first."
    )


def value_from_json(d: Mapping[str, Any]) -> MetadataValue:
    kind = d.get("type")
    if kind == "text":
        return TextMetadataValue(d["text"])
    if kind == "bool":
        return BoolMetadataValue(d["value"])
    if kind == "int":
        return IntMetadataValue(d["value"])
    if kind == "float":
        return FloatMetadataValue(_float_from_json(d["value"]))
    if kind == "timestamp":
        return TimestampMetadataValue(_float_from_json(d["value"]))  # type: ignore[arg-type]
    if kind == "json":
        return JsonMetadataValue(d["data"])
    if kind == "md":
        return MarkdownMetadataValue(d["md_str"])
    if kind == "url":
        return UrlMetadataValue(d["url"])
    if kind == "path":
        return PathMetadataValue(d["fspath"])
    if kind == "notebook":
        return NotebookMetadataValue(d["fspath"])
    if kind == "python_artifact":
        return PythonArtifactMetadataValue(d["module"], d["name"])
    if kind == "table":
        schema = _schema_from_json(d["schema"])
        floats = {c.name for c in schema.columns if c.type == "float"}
        records = [
            TableRecord({k: _float_from_json(v) if k in floats else v for k, v in r.items()})
            for r in d["records"]
        ]
        return TableMetadataValue(records, schema)
    if kind == "table_schema":
        return TableSchemaMetadataValue(_schema_from_json(d["schema"]))
    if kind == "column_lineage":
        return TableColumnLineageMetadataValue(_lineage_from_json(d["deps_by_column"]))
    if kind == "asset":
        return HeadwaterAssetMetadataValue(AssetKey(d["asset_key"]))
    if kind == "job":
        return HeadwaterJobMetadataValue(d["job_name"], d["location_name"], d["repository_name"])
    if kind == "headwater_run":
        return HeadwaterRunMetadataValue(d["run_id"])
    if kind == "pool":
        return PoolMetadataValue(d["pool"])
    if kind == "null":
        return NullMetadataValue()
    if kind == "code_references":
        return CodeReferencesMetadataValue([
            LocalFileCodeReference(r["file_path"], r.get("line_number"), r.get("label"))
            if r.get("kind") == "local" else UrlCodeReference(r["url"], r.get("label"))
            for r in d["code_references"]])
    raise HeadwaterInvalidMetadata(
        f"Cannot decode metadata {dict(d)!r}: unknown type tag {kind!r}. It was probably "
        "written by a newer headwater; upgrade to read it."
    )


def metadata_to_jsonable(metadata: Mapping[str, MetadataValue]) -> dict[str, dict[str, Any]]:
    """Encode normalised metadata as plain JSON data, one {"type": ...} dict per key."""
    return {k: value_to_json(v) for k, v in metadata.items()}


def metadata_from_jsonable(data: Mapping[str, Mapping[str, Any]]) -> dict[str, MetadataValue]:
    """Decode what `metadata_to_jsonable` produced, exactly."""
    return {k: value_from_json(v) for k, v in data.items()}
