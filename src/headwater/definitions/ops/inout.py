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
    """How an op takes an input: its type, description, default value and metadata.

    Use it in `@op(ins={"name": In(...)})` where the parameter's annotation is not enough. A value
    that is not a type where a type belongs (`In("int")`) raises at once.

    Args:
        headwater_type: the input's type; the parameter's annotation by default.
        description: shown in the UI; the docstring's `Args:` entry by default.
        default_value: the value used when nothing is connected to the input.
        metadata: metadata of the input, for input managers.
        asset_key: the asset the input loads, for an op that reads an asset.
        asset_partitions: Dagster's argument for the partitions of that asset it reads; headwater
            keeps it on the `In` but does not use it to choose what is loaded.
        input_manager_key: the input manager that loads it, instead of the upstream IO manager.

    Example:
        ```python
        from headwater import In, job, op

        @op(ins={"rows": In(list, description="raw rows", default_value=[])})
        def count(rows) -> int:
            return len(rows)

        @job
        def counting():
            count()

        assert counting.execute_in_process().output_for_node("count") == 0
        ```
    """

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
    """How an op produces an output: its type, description, whether it is required, its IO manager.

    Use `@op(out=Out(...))` for one output, `@op(out={"a": Out(), "b": Out()})` for several
    (the op then returns a tuple, or yields `Output(value, "a")`).

    Args:
        headwater_type: the output's type; the return annotation by default.
        description: shown in the UI.
        is_required: whether the op must produce it; an optional output may be skipped, and the
            ops downstream of it are then skipped too.
        io_manager_key: the IO manager that stores it; `"io_manager"` by default.
        metadata: metadata of the output, for IO managers.
        code_version: the version of the logic producing it, for data versions.

    Example:
        ```python
        from headwater import Out, job, op

        @op(out={"evens": Out(list), "odds": Out(list, is_required=False)})
        def split():
            return [2, 4], [1]

        @op
        def total(values: list) -> int:
            return sum(values)

        @job
        def splitting():
            evens, _ = split()
            total(evens)

        assert splitting.execute_in_process().output_for_node("total") == 6
        ```
    """

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
    """An output that yields any number of `DynamicOutput`s, to fan out the ops downstream.

    In the graph body, `.map(fn)` on the output runs the ops called in `fn` once per element,
    and `.collect()` gathers their results into one list input.

    Args:
        headwater_type: the type of each element.
        description: shown in the UI.
        is_required: whether the output is required; yielding no elements counts as producing
            it, and the ops mapped over it then run zero times.
        io_manager_key: the IO manager that stores each element.
        metadata: metadata of the output.
        code_version: the version of the logic producing it.

    Example:
        ```python
        from headwater import DynamicOut, DynamicOutput, job, op

        @op(out=DynamicOut(str))
        def files():
            for name in ["a.csv", "b.csv"]:
                yield DynamicOutput(name, mapping_key=name.replace(".", "_"))

        @op
        def rows(name: str) -> int:
            return len(name)

        @op
        def total(counts: list[int]) -> int:
            return sum(counts)

        @job
        def per_file():
            total(files().map(rows).collect())

        assert per_file.execute_in_process().output_for_node("total") == 10
        ```
    """

    __slots__ = ()
    is_dynamic = True


@dataclass(frozen=True, slots=True)
class InputDefinition:
    """A resolved input of an op: its name and type, and how a value may arrive.

    `@op` builds one per input from the signature and `ins`; read them as
    `op_def.input_defs`. Users rarely build them.

    Args:
        name: the input's name.
        headwater_type: its resolved type.
        description: shown in the UI.
        default_value: the value used when nothing is connected.
        metadata: metadata of the input.
        asset_key: the asset it loads, if any.
        input_manager_key: the input manager that loads it, if any.

    Example:
        ```python
        from headwater import In, op

        @op(ins={"limit": In(int, default_value=10)})
        def head(limit):
            return limit

        [limit] = head.input_defs
        assert limit.name == "limit" and limit.default_value == 10
        ```
    """

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
    """A resolved output of an op: its name, type, IO manager and whether it is required.

    `@op` builds one per output from `out` and the return annotation; read them as
    `op_def.output_defs`. Users rarely build them.

    Args:
        name: the output's name; `"result"` by default.
        headwater_type: its resolved type.
        description: shown in the UI.
        is_required: whether the op must produce it.
        io_manager_key: the IO manager that stores it.
        metadata: metadata of the output.
        is_dynamic: whether it is a `DynamicOut`.
        code_version: the version of the logic producing it.

    Example:
        ```python
        from headwater import op

        @op
        def answer() -> int:
            return 42

        [output] = answer.output_defs
        assert output.name == "result" and output.io_manager_key == "io_manager"
        ```
    """

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
