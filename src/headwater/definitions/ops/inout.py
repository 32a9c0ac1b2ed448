"""How an op declares its inputs and outputs: `In`, `Out`, `DynamicOut`, and the resolved
`InputDefinition` and `OutputDefinition` that `@op` builds from them and from the signature.

A leaf of this layer: `op.py`, `graph.py` and the asset decorators import it, never the
reverse. Imports `metadata`'s types and `output`'s sentinels only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.metadata.types import HeadwaterType
from headwater.definitions.ops.output import DEFAULT_OUTPUT, NO_VALUE


def _check_type_argument(headwater_type: Any) -> None:
    """A value passed where a type belongs (`Out("foo")`, `Out({...})`) fails where it is written."""
    if headwater_type is not NO_VALUE:
        resolve_headwater_type(headwater_type)


class In:
    """How an op takes an input: type, description, default, metadata, asset key."""

    __slots__ = (
        "headwater_type", "description", "default_value", "metadata", "asset_key",
        "asset_partitions", "input_manager_key",
    )

    def __init__(
        self,
        headwater_type: Any = NO_VALUE,
        description: str | None = None,
        default_value: Any = NO_VALUE,
        metadata: Mapping[str, Any] | None = None,
        asset_key: Any = None,
        asset_partitions: Any = None,
        input_manager_key: str | None = None,
    ):
        _check_type_argument(headwater_type)
        self.headwater_type = headwater_type
        self.description = description
        self.default_value = default_value
        self.metadata = dict(metadata or {})
        self.asset_key = asset_key
        self.asset_partitions = asset_partitions
        self.input_manager_key = input_manager_key

    def __repr__(self) -> str:
        return f"In(headwater_type={self.headwater_type!r})"

    def __eq__(self, other: object) -> bool:
        """Equal when every field is; `int` and the Int type it resolves to are equal."""
        return type(other) is type(self) and _spec_fields(self) == _spec_fields(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


class Out:
    """How an op produces an output: type, description, requiredness, IO manager."""

    __slots__ = ("headwater_type", "description", "is_required", "io_manager_key", "metadata",
                 "code_version")
    is_dynamic = False

    def __init__(
        self,
        headwater_type: Any = NO_VALUE,
        description: str | None = None,
        is_required: bool = True,
        io_manager_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        code_version: str | None = None,
    ):
        _check_type_argument(headwater_type)
        self.headwater_type = headwater_type
        self.description = description
        self.is_required = is_required
        self.io_manager_key = io_manager_key
        self.metadata = dict(metadata or {})
        self.code_version = code_version

    def __repr__(self) -> str:
        return f"{type(self).__name__}(headwater_type={self.headwater_type!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _spec_fields(self) == _spec_fields(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


def _spec_fields(spec: Any) -> tuple[Any, ...]:
    """An In's or Out's fields for comparison, its type resolved."""
    htype = spec.headwater_type
    return (htype if htype is NO_VALUE else resolve_headwater_type(htype),
            *(getattr(spec, name) or "io_manager" if name == "io_manager_key"  # no key: default
              else getattr(spec, name)
              for name in type(spec).__slots__ or Out.__slots__ if name != "headwater_type"))


class DynamicOut(Out):
    """An output that yields any number of DynamicOutput values, fanned out with .map()."""

    __slots__ = ()
    is_dynamic = True


@dataclass(frozen=True, slots=True)
class InputDefinition:
    """A resolved input of an op: name, type and how a value may arrive."""

    name: str
    headwater_type: HeadwaterType
    description: str | None = None
    default_value: Any = NO_VALUE
    metadata: Mapping[str, Any] = field(default_factory=dict)
    asset_key: Any = None
    input_manager_key: str | None = None

    @property
    def has_default_value(self) -> bool:
        return self.default_value is not NO_VALUE

    @property
    def is_nothing(self) -> bool:
        return self.headwater_type.is_nothing


@dataclass(frozen=True, slots=True)
class OutputDefinition:
    """A resolved output of an op."""

    name: str = DEFAULT_OUTPUT
    headwater_type: HeadwaterType = field(default_factory=lambda: resolve_headwater_type(Any))
    description: str | None = None
    is_required: bool = True
    io_manager_key: str = "io_manager"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    is_dynamic: bool = False
    code_version: str | None = None

    @property
    def is_nothing(self) -> bool:
        return self.headwater_type.is_nothing


__all__ = ["In", "Out", "DynamicOut", "InputDefinition", "OutputDefinition"]
