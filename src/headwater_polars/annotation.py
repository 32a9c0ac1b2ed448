"""What an annotation asks of a polars IO manager: `FrameRequest` says whether the value is
eager (`pl.DataFrame`) or lazy (`pl.LazyFrame`), whether it may be missing (`Optional`), and
whether an input wants several partitions as a dict (`DataFramePartitions`,
`dict[str, pl.LazyFrame]`, `Mapping[...]`). `frame_request(context, manager)` reads it from
the context's `headwater_type` and names the input and the fix when the annotation is not one
of these. Imports polars only.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from dataclasses import dataclass
from typing import Any

import polars as pl

_NO_ANNOTATION = (Any, None, type(None))
_DICT_ORIGINS = (dict, collections.abc.Mapping, typing.Mapping, typing.Dict)  # noqa: UP006


@dataclass(frozen=True, slots=True)
class FrameRequest:
    """An annotation, read: `lazy` frames or eager ones, `optional`, `partitions` as a dict
    (and whether each partition in that dict is itself optional)."""

    lazy: bool = False
    optional: bool = False
    partitions: bool = False
    optional_partition: bool = False


def _optional_inner(annotation: Any) -> Any | None:
    """X for `Optional[X]` / `X | None`, else None."""
    origin = typing.get_origin(annotation)
    if origin not in (typing.Union, types.UnionType):
        return None
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and len(args) < len(typing.get_args(annotation)):
        return args[0]
    return None


def _frame_kind(annotation: Any) -> bool | None:
    """True for a lazy frame type, False for an eager one (or no annotation), None otherwise."""
    if annotation in _NO_ANNOTATION:
        return False
    if isinstance(annotation, type):
        if issubclass(annotation, pl.LazyFrame):
            return True
        if issubclass(annotation, pl.DataFrame):
            return False
    return None


def read_annotation(annotation: Any) -> FrameRequest | None:
    """The FrameRequest an annotation makes, or None when it is not a polars frame type."""
    inner = _optional_inner(annotation)
    if inner is not None:
        request = read_annotation(inner)
        if request is None or request.partitions:
            return None
        return FrameRequest(lazy=request.lazy, optional=True)
    if typing.get_origin(annotation) in _DICT_ORIGINS:
        args = typing.get_args(annotation)
        value = args[1] if len(args) == 2 else Any
        item = read_annotation(value)
        if item is None or item.partitions:
            return None
        return FrameRequest(lazy=item.lazy, partitions=True, optional_partition=item.optional)
    lazy = _frame_kind(annotation)
    return None if lazy is None else FrameRequest(lazy=lazy)


def typing_type_of(context: Any) -> Any:
    headwater_type = getattr(context, "headwater_type", None)
    return getattr(headwater_type, "typing_type", Any) if headwater_type is not None else Any


def frame_request(context: Any, manager: str) -> FrameRequest:
    """The FrameRequest of an input context; a clear error for any other annotation."""
    annotation = typing_type_of(context)
    request = read_annotation(annotation)
    if request is not None:
        return request
    raise TypeError(
        f"{manager} cannot serve {describe(context)} annotated as {_show(annotation)}: it "
        "reads and writes polars frames. Annotate it as pl.DataFrame or pl.LazyFrame, "
        "Optional[...] of either (None when the stored value is missing), or "
        "DataFramePartitions / LazyFramePartitions (dict[str, pl.DataFrame] / "
        "dict[str, pl.LazyFrame]) to read several partitions at once."
    )


def describe(context: Any) -> str:
    """'input 'x' of asset 'y'' / 'output 'result' of asset 'y'' for messages."""
    kind = "input" if hasattr(context, "upstream_output") else "output"
    name = getattr(context, "name", None) or "result"
    if kind == "input":
        consumer = getattr(getattr(context, "op_def", None), "name", None)
        where = f" of '{consumer}'" if consumer else ""
        if getattr(context, "has_asset_key", False):
            return f"input '{name}'{where} (asset '{context.asset_key.to_user_string()}')"
        return f"input '{name}'{where}"
    if getattr(context, "has_asset_key", False):
        return f"asset '{context.asset_key.to_user_string()}'"
    step = getattr(context, "step_key", None)
    return f"{kind} '{name}'" + (f" of step '{step}'" if step else "")


def _show(annotation: Any) -> str:
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}".removeprefix("builtins.")
    return str(annotation).replace("typing.", "")
