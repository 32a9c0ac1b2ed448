"""Metadata: `normalize_metadata`, and the import path of every `MetadataValue` kind.

`normalize_metadata` turns the raw dicts users write (`@asset(metadata={...})`,
`MaterializeResult(metadata=...)`) into `MetadataValue`s, with a hint naming the constructor
when a value has no automatic kind. `MetadataValue` and its kinds are defined in `kind.py` and
re-exported here, the path the rest of headwater imports them by.

Imports only the stdlib, `headwater.errors`, `headwater.definitions.key`, `kind.py` and
`table.py`. Nothing heavy: pandas and friends never appear here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.kind import (
    AssetMetadataValue,
    BoolMetadataValue,
    FloatMetadataValue,
    HeadwaterAssetMetadataValue,
    HeadwaterJobMetadataValue,
    HeadwaterRunMetadataValue,
    IntMetadataValue,
    JobMetadataValue,
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
    TableColumnLineage,
    TableRecord,
    TableSchema,
    type_name,
)
from headwater.errors import HeadwaterInvalidMetadata, register_metadata_normalizer

__all__ = [
    "AssetMetadataValue",
    "BoolMetadataValue",
    "FloatMetadataValue",
    "HeadwaterAssetMetadataValue",
    "HeadwaterJobMetadataValue",
    "HeadwaterRunMetadataValue",
    "IntMetadataValue",
    "JobMetadataValue",
    "JsonMetadataValue",
    "MarkdownMetadataValue",
    "MetadataValue",
    "NotebookMetadataValue",
    "NullMetadataValue",
    "PathMetadataValue",
    "PoolMetadataValue",
    "PythonArtifactMetadataValue",
    "RawMetadataValue",
    "TableColumnLineageMetadataValue",
    "TableMetadataValue",
    "TableSchemaMetadataValue",
    "TextMetadataValue",
    "TimestampMetadataValue",
    "UrlMetadataValue",
    "normalize_metadata",
]


RawMetadataValue = Any
"""What users may put in a metadata dict before normalisation."""


# --------------------------------------------------------------------------- normalisation

# Hints for values that cannot be coerced: which constructor to reach for.
_HINTS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (datetime, "MetadataValue.timestamp(value) (the datetime must be timezone-aware)"),
    ((tuple, set, frozenset), "MetadataValue.json(list(value))"),
    (TableRecord, "MetadataValue.table([record, ...])"),
    (TableColumn, "MetadataValue.table_schema(TableSchema([column, ...]))"),
    (bytes, "MetadataValue.text(value.decode())"),
)


def _hint_for(value: object) -> str:
    for types, hint in _HINTS:
        if isinstance(value, types):
            return hint
    if callable(value):
        return "MetadataValue.python_artifact(value)"
    return "MetadataValue.text(str(value))"


def _coerce(value: Any) -> MetadataValue | None:
    """The MetadataValue for a raw value, or None when it has no automatic kind."""
    if isinstance(value, MetadataValue):
        return value
    if isinstance(value, str):
        return TextMetadataValue(value)
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return BoolMetadataValue(value)
    if isinstance(value, int):
        return IntMetadataValue(value)
    if isinstance(value, float):
        return FloatMetadataValue(value)
    if isinstance(value, (dict, list)):
        return JsonMetadataValue(value)
    if value is None:
        return NullMetadataValue()
    if isinstance(value, os.PathLike):
        return PathMetadataValue(os.fspath(value))
    if isinstance(value, TableSchema):
        return TableSchemaMetadataValue(value)
    if isinstance(value, TableColumnLineage):
        return TableColumnLineageMetadataValue(value)
    if isinstance(value, AssetKey):
        return HeadwaterAssetMetadataValue(value)
    return None


def normalize_metadata(
    metadata: Mapping[str, Any] | None,
    allow_invalid: bool = False,
    *,
    owner: str | None = None,
) -> dict[str, MetadataValue]:
    """Coerce a user's metadata dict into MetadataValues.

    str -> text, bool -> bool, int -> int, float -> float, dict/list -> json,
    None -> null, os.PathLike -> path, TableSchema -> table_schema,
    TableColumnLineage -> column_lineage, AssetKey -> asset. Anything else raises
    HeadwaterInvalidMetadata, unless ``allow_invalid``: then it becomes the text
    "[typename] (unserializable)" (used when snapshotting definitions, which must
    never fail). ``owner`` (e.g. "asset 'orders'") is named in error messages.
    """
    if not metadata:
        return {}
    where = f" of {owner}" if owner else ""
    out: dict[str, MetadataValue] = {}
    for key, raw in metadata.items():
        if not isinstance(key, str):
            if not allow_invalid:
                raise HeadwaterInvalidMetadata(
                    f"Metadata keys{where} must be strings, got {key!r} ({type_name(key)}). "
                    f"Use str({key!r}) as the key."
                )
            key = str(key)
        try:
            coerced = _coerce(raw)
        except HeadwaterInvalidMetadata as exc:
            if allow_invalid:
                coerced = None
            else:
                raise HeadwaterInvalidMetadata(
                    f'Metadata value for key "{key}"{where} could not be stored: {exc}'
                ) from exc
        if coerced is None:
            if allow_invalid:
                coerced = TextMetadataValue(f"[{type_name(raw)}] (unserializable)")
            else:
                raise HeadwaterInvalidMetadata(
                    f'Metadata value for key "{key}"{where} has type {type_name(raw)}, '
                    f"which headwater cannot store as metadata. Wrap it explicitly, "
                    f"e.g. {_hint_for(raw)}."
                )
        out[key] = coerced
    return out


# Failure(metadata=...) and HeadwaterTypeCheckDidNotPass(metadata=...) read their metadata
# through this (errors.py imports nothing of headwater); never raising, as an error's
# metadata is read while another error is being reported.
register_metadata_normalizer(lambda metadata: normalize_metadata(metadata, allow_invalid=True))
