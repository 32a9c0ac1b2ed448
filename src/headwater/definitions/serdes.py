"""`serialize_value` / `deserialize_value`: metadata values and keys as JSON strings.

Metadata values use the exact codec of `metadata.py`; other records (AssetKey, table
records, columns, schemas) and Dagster-style `{"__class__": ...}` documents -- including
the legacy `...MetadataEntryData` class names -- are read field by field. Imports
`errors` and `definitions` only.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

from headwater.definitions.key import AssetJobKey, AssetKey
from headwater.definitions.metadata import codec, table
from headwater.definitions.metadata import value as md
from headwater.errors import HeadwaterInvariantViolationError

_RECORDS: dict[str, type] = {
    cls.__name__: cls
    for cls in (AssetKey, AssetJobKey, table.TableColumnConstraints, table.TableConstraints, table.TableColumn,
                table.TableSchema, table.TableRecord, table.TableColumnDep,
                table.TableColumnLineage)
}


def _partition_classes() -> dict[str, type]:
    """Partitions definitions and mappings: rebuilt from their `__serdes_state__` kwargs."""
    from headwater.definitions.partitions import base as partitions
    from headwater.definitions.partitions import mapping as partition_mapping
    from headwater.definitions.partitions import multi as multi_partitions
    from headwater.definitions.partitions import multi_mapping as multi_partition_mapping
    from headwater.definitions.partitions import periodic as periodic_partitions
    from headwater.definitions.partitions import time_window as time_window_partitions
    found: dict[str, type] = {}
    for module in (partitions, time_window_partitions, periodic_partitions, multi_partitions,
                   partition_mapping, multi_partition_mapping):
        for value in vars(module).values():
            if isinstance(value, type) and hasattr(value, "__serdes_state__"):
                found.setdefault(value.__name__, value)
    return found


def _metadata_class(name: str) -> type | None:
    name = name.replace("MetadataEntryData", "MetadataValue")
    cls = getattr(md, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, md.MetadataValue) else None


def _pack(value: Any) -> Any:
    state = getattr(value, "__serdes_state__", None)
    if state is not None and not isinstance(value, type):
        name = getattr(value, "__serdes_name__", type(value).__name__)
        return {"__class__": name, **{k: _pack(v) for k, v in state().items()}}
    if isinstance(value, md.MetadataValue):
        return {"__class__": type(value).__name__, "__metadata__": codec.value_to_json(value)}
    if isinstance(value, AssetKey):
        return {"__class__": "AssetKey", "path": list(value.path)}
    if isinstance(value, enum.Enum):
        return _pack(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__class__": type(value).__name__,
                **{f.name: _pack(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_pack(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _pack(v) for k, v in value.items()}
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    if not isinstance(value, dict):
        return value
    name = value.get("__class__")
    if name is None:
        return {k: _unpack(v) for k, v in value.items()}
    if "__metadata__" in value:
        return codec.value_from_json(value["__metadata__"])
    fields = {k: v for k, v in value.items() if k != "__class__"}
    if name == "AssetKey":
        return AssetKey(fields["path"])
    cls = _metadata_class(name) or _RECORDS.get(name) or _partition_classes().get(name)
    if cls is None:
        raise HeadwaterInvariantViolationError(
            f"Cannot deserialize a {name!r}: deserialize_value reads metadata values, AssetKey "
            "and table records only."
        )
    if cls is md.JsonMetadataValue:
        return cls(fields.get("data"))  # JSON data stays plain data, nested classes included
    return cls(**{k: _unpack(v) for k, v in fields.items()})


def serialize_value(value: Any) -> str:
    """Encode a metadata value, AssetKey, partitions definition or table record as a JSON string.

    Use it to store such values outside headwater (a cursor, a file) and read them back with
    `deserialize_value`. Keys are sorted, so equal values give equal strings.

    Args:
        value: the value to encode.

    Example:
        ```python
        from headwater import AssetKey, deserialize_value, serialize_value

        text = serialize_value(AssetKey(["sales", "orders"]))
        assert deserialize_value(text, AssetKey) == AssetKey(["sales", "orders"])
        ```
    """
    return json.dumps(_pack(value), sort_keys=True)


def deserialize_value(text: str, as_type: Any = None) -> Any:
    """Decode what `serialize_value` produced; check it is an instance of `as_type` if given.

    A value of another type than `as_type` raises HeadwaterInvariantViolationError naming
    both types.

    Args:
        text: the JSON string from `serialize_value`.
        as_type: a class (or tuple of classes) the value must be an instance of.

    Example:
        ```python
        from headwater import (MetadataValue, StaticPartitionsDefinition, deserialize_value,
                               serialize_value)

        url = deserialize_value(serialize_value(MetadataValue.url("https://example.com")))
        assert url.value == "https://example.com"
        regions = deserialize_value(serialize_value(StaticPartitionsDefinition(["eu", "us"])))
        assert regions.get_partition_keys() == ["eu", "us"]
        ```
    """
    value = _unpack(json.loads(text))
    if as_type is not None and not isinstance(value, as_type):
        names = (as_type if isinstance(as_type, tuple) else (as_type,))
        raise HeadwaterInvariantViolationError(
            f"Deserialized a {type(value).__name__}, expected "
            f"{' or '.join(t.__name__ for t in names)}."
        )
    return value
