"""Composition: what happens when ops and graphs are called inside a @graph or @job body.

Inside a body, calling a node records an invocation and returns handles to its outputs;
outside, it runs the node directly (see `_runtime`). This module owns the node base
class, the frame stack and the handles. Imports only `errors` and `output`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError


@dataclass(slots=True)
class Invocation:
    """One node placed in a graph, under a unique name, with its input bindings."""

    node_def: Any
    name: str
    bindings: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    hook_defs: frozenset[Any] = frozenset()
    retry_policy: Any = None


@dataclass(frozen=True, slots=True)
class OutputHandle:
    """The output `output_name` of the node invoked as `node_name`.

    `mapped` is true inside a `.map()` body: each downstream node runs once per element.
    """

    node_name: str
    output_name: str
    is_dynamic: bool = False
    mapped: bool = False

    def map(self, fn: Callable[[OutputHandle], Any]) -> Any:
        if not self.is_dynamic:
            raise HeadwaterInvalidDefinitionError(
                f"output '{self.output_name}' of '{self.node_name}' is not dynamic: "
                ".map() needs an output declared with DynamicOut()."
            )
        result = fn(OutputHandle(self.node_name, self.output_name, is_dynamic=False, mapped=True))
        return result

    def collect(self) -> CollectHandle:
        if not (self.is_dynamic or self.mapped):
            raise HeadwaterInvalidDefinitionError(
                f"output '{self.output_name}' of '{self.node_name}' is not dynamic: "
                ".collect() needs a DynamicOut output or the result of .map()."
            )
        return CollectHandle(self)

    def __iter__(self) -> Any:
        raise HeadwaterInvariantViolationError(
            f"Attempted to iterate over the output of '{self.node_name}', which has a single "
            "output. Declare several outputs with out={...} to unpack them."
        )

    def alias(self, name: str) -> Any:
        raise HeadwaterInvariantViolationError(
            "alias() is called on the op definition, before invoking it: my_op.alias('name')(...)"
        )


@dataclass(frozen=True, slots=True)
class CollectHandle:
    """All elements of a dynamic output, gathered into a list for one downstream node."""

    handle: OutputHandle


@dataclass(frozen=True, slots=True)
class GraphInputHandle:
    """An input of the graph whose body is being composed."""

    graph_name: str
    input_name: str


@dataclass(slots=True)
class Frame:
    """The state of one graph body being composed."""

    graph_name: str
    invocations: dict[str, Invocation] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def unique_name(self, base: str, explicit: bool) -> str:
        if explicit:
            if base in self.invocations:
                raise HeadwaterInvalidDefinitionError(
                    f"In graph '{self.graph_name}', the alias '{base}' is used twice. "
                    "Give each invocation a distinct alias."
                )
            return base
        count = self.counts.get(base, 0) + 1
        name = base if count == 1 else f"{base}_{count}"
        while name in self.invocations:
            count += 1
            name = f"{base}_{count}"
        self.counts[base] = count
        return name


_FRAMES: list[Frame] = []


def current_frame() -> Frame | None:
    return _FRAMES[-1] if _FRAMES else None


def compose(graph_name: str, body: Callable[..., Any], inputs: Sequence[str]) -> tuple[Frame, Any]:
    """Run a graph body with handles for its inputs; return the frame and what it returned."""
    frame = Frame(graph_name)
    _FRAMES.append(frame)
    try:
        returned = body(*(GraphInputHandle(graph_name, n) for n in inputs))
    finally:
        _FRAMES.pop()
    return frame, returned


class NodeDefinition:
    """What ops and graphs share: a name, tags, and being callable in compositions."""

    node_kind = "node"

    def __init__(self, name: str, description: str | None, tags: Mapping[str, Any]):
        self.name = name
        self.description = description
        self.tags = dict(tags)

    # The subclass sets input_dict and output_dict (ordered by declaration).
    input_dict: dict[str, Any]
    output_dict: dict[str, Any]

    @property
    def input_defs(self) -> list[Any]:
        return list(self.input_dict.values())

    @property
    def output_defs(self) -> list[Any]:
        return list(self.output_dict.values())

    def direct_invoke(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame = current_frame()
        if frame is None:
            return self.direct_invoke(args, kwargs)
        return PendingInvocation(self)(*args, **kwargs)

    def alias(self, name: str) -> PendingInvocation:
        return PendingInvocation(self, alias=name)

    def tag(self, tags: Mapping[str, Any] | None) -> PendingInvocation:
        return PendingInvocation(self, tags=dict(tags or {}))

    def with_hooks(self, hook_defs: Any) -> PendingInvocation:
        return PendingInvocation(self, hook_defs=frozenset(hook_defs))

    def with_retry_policy(self, retry_policy: Any) -> PendingInvocation:
        return PendingInvocation(self, retry_policy=retry_policy)

    @property
    def input_names(self) -> list[str]:
        return list(self.input_dict)

    @property
    def output_names(self) -> list[str]:
        return list(self.output_dict)


@dataclass(slots=True)
class PendingInvocation:
    """A node with an alias, tags, hooks or retry policy, waiting to be called in a body."""

    node_def: Any
    alias: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    hook_defs: frozenset[Any] = frozenset()
    retry_policy: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame = current_frame()
        if frame is None:
            if self.alias or self.tags or self.hook_defs or self.retry_policy:
                return self.node_def.direct_invoke(args, kwargs)
            return self.node_def.direct_invoke(args, kwargs)
        return _record(frame, self, args, kwargs)

    def with_hooks(self, hook_defs: Any) -> PendingInvocation:
        return PendingInvocation(self.node_def, self.alias, self.tags,
                                 self.hook_defs | frozenset(hook_defs), self.retry_policy)

    def tag(self, tags: Mapping[str, Any] | None) -> PendingInvocation:
        return PendingInvocation(self.node_def, self.alias, {**self.tags, **(tags or {})},
                                 self.hook_defs, self.retry_policy)

    def alias_(self, name: str) -> PendingInvocation:
        return PendingInvocation(self.node_def, name, self.tags, self.hook_defs, self.retry_policy)

    def with_retry_policy(self, retry_policy: Any) -> PendingInvocation:
        return PendingInvocation(self.node_def, self.alias, self.tags, self.hook_defs, retry_policy)


def _is_bindable(value: Any) -> bool:
    return isinstance(value, (OutputHandle, CollectHandle, GraphInputHandle))


def _record(frame: Frame, pending: PendingInvocation, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    node = pending.node_def
    name = frame.unique_name(pending.alias or node.name, explicit=pending.alias is not None)
    input_names = list(getattr(node, "positional_inputs", None) or node.input_dict)
    bindings: dict[str, Any] = {}
    if len(args) > len(input_names):
        raise HeadwaterInvalidDefinitionError(
            f"In graph '{frame.graph_name}', '{node.name}' was called with {len(args)} positional "
            f"arguments but takes {len(input_names)} inputs ({', '.join(input_names) or 'none'})."
        )
    for input_name, value in zip(input_names, args):
        bindings[input_name] = value
    for input_name, value in kwargs.items():
        if input_name not in node.input_dict:
            raise HeadwaterInvalidDefinitionError(
                f"In graph '{frame.graph_name}', '{node.name}' was called with input "
                f"'{input_name}', which it does not have. Its inputs: "
                f"{', '.join(node.input_dict) or 'none'}."
            )
        if input_name in bindings:
            raise HeadwaterInvalidDefinitionError(
                f"In graph '{frame.graph_name}', input '{input_name}' of '{node.name}' was "
                "passed both positionally and by name."
            )
        bindings[input_name] = value
    mapped = False
    for input_name, value in list(bindings.items()):
        if isinstance(value, (list, tuple)):
            if not all(_is_bindable(v) for v in value):
                raise HeadwaterInvalidDefinitionError(
                    f"In graph '{frame.graph_name}', received a list containing invalid types for "
                    f"input '{input_name}' of '{node.name}': pass outputs of other nodes, not values."
                )
            bindings[input_name] = list(value)
        elif not _is_bindable(value):
            raise HeadwaterInvalidDefinitionError(
                f"In graph '{frame.graph_name}', input '{input_name}' of '{node.name}' was given "
                f"a value of type {type(value).__name__}. Inside a graph body, inputs must be "
                "outputs of other nodes or graph inputs; pass values with run config or "
                "input_values= instead."
            )
        if isinstance(value, OutputHandle) and value.is_dynamic:
            raise HeadwaterInvalidDefinitionError(
                f"In graph '{frame.graph_name}', the dynamic output '{value.output_name}' of "
                f"'{value.node_name}' is passed to '{node.name}' directly. Use .map(fn) to run "
                "once per element, or .collect() to take them all as a list."
            )
        if isinstance(value, OutputHandle) and value.mapped:
            mapped = True
    frame.invocations[name] = Invocation(
        node_def=node,
        name=name,
        bindings=bindings,
        tags=dict(pending.tags),
        hook_defs=pending.hook_defs,
        retry_policy=pending.retry_policy,
    )
    outputs = [
        OutputHandle(name, out_name, is_dynamic=bool(getattr(out, "is_dynamic", False)) and not mapped,
                     mapped=mapped)
        for out_name, out in node.output_dict.items()
    ]
    if not outputs:
        return None
    if len(outputs) == 1:
        return outputs[0]
    cls = namedtuple(f"{node.name}_outputs", [o.output_name for o in outputs])  # type: ignore[misc]
    return cls(*outputs)
