"""Composition: what happens when ops and graphs are called inside a @graph or @job body.

Inside a body, calling a node records an invocation and returns handles to its outputs;
outside, it runs the node directly (see `_runtime`). This module owns the node base
class, the frame stack, the handles and the rule that node names are unique (which both
graphs and jobs check). Imports only `errors` and `output`.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.config.run_config import configured
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
)


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
    """What calling an op inside a `@graph` or `@job` body returns: a handle on one output.

    Pass it to another op call to wire that output to an input. For a `DynamicOut` output,
    `.map(fn)` runs the ops called in `fn` once per element, and `.collect()` gathers the
    elements into one list input; on any other output they raise
    `HeadwaterInvalidDefinitionError`. The body gets these; users do not build them.

    Args:
        node_name: the name the op is invoked under.
        output_name: the output it stands for.
        is_dynamic: whether the output is a `DynamicOut`.
        mapped: whether it stands for each element, inside a `.map()` body.

    Example:
        ```python
        from headwater import DynamicOut, DynamicOutput, InvokedNodeOutputHandle, job, op

        @op(out=DynamicOut())
        def shards():
            for n in range(3):
                yield DynamicOutput(n, mapping_key=f"s{n}")

        @op
        def double(n: int) -> int:
            return 2 * n

        @op
        def total(values: list[int]) -> int:
            return sum(values)

        @job
        def doubled():
            handle = shards()
            assert isinstance(handle, InvokedNodeOutputHandle)
            total(handle.map(double).collect())

        assert doubled.execute_in_process().output_for_node("total") == 6
        ```
    """

    node_name: str
    output_name: str
    is_dynamic: bool = False
    mapped: bool = False

    def map(self, fn: Callable[[OutputHandle], Any]) -> Any:
        if self.mapped:
            # The result of an earlier .map(): keep fanning out per element.
            return fn(self)
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

    def _kind(self) -> str:
        return "InvokedNodeDynamicOutputWrapper" if self.is_dynamic else "InvokedNodeOutputHandle"

    def __iter__(self) -> Any:
        raise HeadwaterInvariantViolationError(
            f"Attempted to iterate over an {self._kind()}. It stands for output "
            f"'{self.output_name}' of node '{self.node_name}', known only when the job runs. "
            + _UNPACK_HINT[self.is_dynamic]
        )

    def __getitem__(self, index: Any) -> Any:
        raise HeadwaterInvariantViolationError(
            f"Attempted to index in to an {self._kind()}. It stands for output "
            f"'{self.output_name}' of node '{self.node_name}', known only when the job runs. "
            + _UNPACK_HINT[self.is_dynamic]
        )

    def alias(self, name: str) -> Any:
        frame = current_frame()
        where = f"In graph '{frame.graph_name}', " if frame else ""
        raise HeadwaterInvariantViolationError(
            f"{where}attempted to call alias method for {self._kind()}, the output "
            f"'{self.output_name}' of the already invoked node '{self.node_name}'. Consider "
            "checking the location of parentheses: my_op.alias('name')(...)."
        )

    def tag(self, tags: Any) -> Any:
        raise HeadwaterInvariantViolationError(
            f"attempted to call tag method for {self._kind()}, the output '{self.output_name}' "
            f"of the already invoked node '{self.node_name}'. Consider checking the location of "
            "parentheses: my_op.tag({...})(...)."
        )


_UNPACK_HINT = {
    False: "Declare several outputs with out={...} to pass different parts of it to different "
           "nodes.",
    True: "Use .map(fn) on it to run downstream nodes once per element, or .collect().",
}


@dataclass(frozen=True, slots=True)
class CollectHandle:
    """All elements of a dynamic output, gathered into a list for one downstream node."""

    handle: OutputHandle


@dataclass(frozen=True, slots=True)
class GraphInputHandle:
    """An input of the graph whose body is being composed."""

    graph_name: str
    input_name: str


@dataclass(frozen=True, slots=True)
class AssetInputHandle:
    """An asset headwater does not compute (SourceAsset, AssetSpec) passed as an op input:
    the step loads it with the asset's IO manager."""

    assets_def: Any

    @property
    def asset_key(self) -> Any:
        return next(iter(self.assets_def.keys))


def _as_asset_input(value: Any) -> Any:
    """An AssetInputHandle for a source/external asset (they offer `_as_graph_input`)."""
    to_input = getattr(value, "_as_graph_input", None)
    return AssetInputHandle(to_input()) if callable(to_input) else value


@dataclass(slots=True)
class Frame:
    """The state of one graph body being composed."""

    graph_name: str
    invocations: dict[str, Invocation] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    uninvoked: dict[int, Any] = field(default_factory=dict)

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
_VALID_NAME = re.compile(r"^[A-Za-z0-9_]+$")


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
    warned: set[str] = set()
    for pending in frame.uninvoked.values():
        message = f"graph '{graph_name}' received an uninvoked op '{pending.node_def.name}'"
        if pending.given_alias:
            message += f" (aliased as '{pending.given_alias}')"
        message += ": it was configured in the graph body but never called, so it is left out."
        if message not in warned:
            warned.add(message)
            warnings.warn(message + " Call it to add it to the graph.", UserWarning, stacklevel=3)
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
        return PendingInvocation(self).alias(name)

    def tag(self, tags: Mapping[str, Any] | None) -> PendingInvocation:
        return PendingInvocation(self).tag(tags)

    def with_hooks(self, hook_defs: Any) -> PendingInvocation:
        return PendingInvocation(self).with_hooks(hook_defs)

    def with_retry_policy(self, retry_policy: Any) -> PendingInvocation:
        return PendingInvocation(self).with_retry_policy(retry_policy)

    def configured(self, config_or_config_fn: Any, name: str, config_schema: Any = None,
                   description: str | None = None) -> Any:
        """A copy named `name` whose config is fixed (a value) or mapped from `config_schema`
        (a function of the outer config), as `headwater.configured(node, ...)` makes it."""
        # An op's copy under the original's name would clash with it in any graph using
        # both; a graph's copy is usually a job's whole body, so it may keep the name.
        if not isinstance(name, str) or not name or (name == self.name
                                                     and self.node_kind == "op"):
            raise HeadwaterInvalidDefinitionError(
                f"{self.node_kind} '{self.name}'.configured(...) needs a name for the copy, "
                f"which for an op must differ from '{self.name}': "
                ".configured(config, name='...')."
            )
        new = configured(self, config_schema=config_schema, name=name)(config_or_config_fn)
        if description is not None:
            new.description = description
        return new

    def all_headwater_types(self) -> list[Any]:
        """Every runtime type this node's inputs and outputs use, with the types they are
        built from (List[Foo] brings Foo), each once."""
        found: dict[str, Any] = {}
        for definition in (*self.input_dict.values(), *self.output_dict.values()):
            htype = definition.headwater_type
            for each in (htype, *htype.inner_types):
                found.setdefault(each.key, each)
        return list(found.values())

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
    given_alias: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    hook_defs: frozenset[Any] = frozenset()
    retry_policy: Any = None

    def __post_init__(self) -> None:
        frame = current_frame()
        if frame is not None:
            frame.uninvoked[id(self)] = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame = current_frame()
        if frame is None:
            rename = getattr(self.node_def, "with_replaced_properties", None)
            if self.given_alias and rename is not None:
                # Errors of a direct call then name the alias the user called.
                return rename(name=self.given_alias).direct_invoke(args, kwargs)
            return self.node_def.direct_invoke(args, kwargs)
        frame.uninvoked.pop(id(self), None)
        return _record(frame, self, args, kwargs)

    def _derive(self, **changes: Any) -> PendingInvocation:
        frame = current_frame()
        if frame is not None:
            frame.uninvoked.pop(id(self), None)
        return dataclasses.replace(self, **changes)

    def with_hooks(self, hook_defs: Any) -> PendingInvocation:
        return self._derive(hook_defs=self.hook_defs | frozenset(hook_defs))

    def tag(self, tags: Mapping[str, Any] | None) -> PendingInvocation:
        return self._derive(tags={**self.tags, **(tags or {})})

    def alias(self, name: str) -> PendingInvocation:
        if not _VALID_NAME.match(name or ""):
            raise HeadwaterInvalidDefinitionError(
                f'"{name}" is not a valid name for an alias of \'{self.node_def.name}\'. Names '
                "must match the regex ^[A-Za-z0-9_]+$."
            )
        return self._derive(given_alias=name)

    def with_retry_policy(self, retry_policy: Any) -> PendingInvocation:
        return self._derive(retry_policy=retry_policy)

    def execute_in_process(self, *args: Any, **kwargs: Any) -> Any:
        """Run an aliased/tagged/hooked graph on its own, under its alias."""
        return self._as_graph("execute_in_process").execute_in_process(*args, **kwargs)

    def to_job(self, *args: Any, **kwargs: Any) -> Any:
        """A job from an aliased/tagged/hooked graph, named by its alias."""
        return self._as_graph("to_job").to_job(*args, **kwargs)

    def _as_graph(self, method: str) -> Any:
        if not hasattr(self.node_def, "with_node_hooks"):
            raise HeadwaterInvalidDefinitionError(
                f"'{self.node_def.name}' is an op; only graphs have {method}(). Wrap it in a "
                "@graph or @job first."
            )
        graph = self.node_def.with_node_hooks(self.hook_defs)
        graph.name = self.given_alias or graph.name
        graph.tags = {**graph.tags, **self.tags}
        return graph


def _is_bindable(value: Any) -> bool:
    return isinstance(value, (OutputHandle, CollectHandle, GraphInputHandle, AssetInputHandle))


def _reject_uninvoked(frame: Frame, name: str, input_name: str, value: Any) -> None:
    frame.uninvoked.pop(id(value), None)
    target = value.node_def if isinstance(value, PendingInvocation) else value
    label = (value.given_alias if isinstance(value, PendingInvocation) else None) or target.name
    raise HeadwaterInvalidDefinitionError(
        f"In graph '{frame.graph_name}', received an un-invoked {target.node_kind} '{label}' "
        f"for input '{input_name}' of '{name}'. Did you forget parentheses? Call it to use its "
        f"output: {label}()."
    )


def _record(frame: Frame, pending: PendingInvocation, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    node = pending.node_def
    name = frame.unique_name(pending.given_alias or node.name,
                             explicit=pending.given_alias is not None)
    input_names = list(getattr(node, "positional_inputs", None) or node.input_dict)
    bindings: dict[str, Any] = {}
    spare = [n for n in node.input_dict if n not in input_names and n not in kwargs]
    if len(args) == len(input_names) + 1 and len(spare) == 1:
        # Only one input is left for the extra argument, so its position is unambiguous.
        input_names.append(spare[0])
    elif len(args) > len(input_names) and spare:
        raise HeadwaterInvalidDefinitionError(
            f"In graph '{frame.graph_name}', the argument at position {len(input_names)} of "
            f"'{node.name}' does not line up with one of its inputs. Use keyword args instead, "
            f"naming one of {sorted(node.input_dict)}."
        )
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
            raise HeadwaterInvalidInvocationError(
                f"In graph '{frame.graph_name}', {node.node_kind} {node.name} got multiple "
                f"values for argument '{input_name}': it was passed both positionally and by "
                "name."
            )
        bindings[input_name] = value
    mapped = False
    for input_name, value in list(bindings.items()):
        if isinstance(value, (NodeDefinition, PendingInvocation)):
            _reject_uninvoked(frame, name, input_name, value)
        if isinstance(value, tuple) and hasattr(value, "_fields") and value and \
                all(isinstance(v, OutputHandle) for v in value):
            raise HeadwaterInvalidDefinitionError(
                f"In graph '{frame.graph_name}', input '{input_name}' of '{name}' was given all "
                "the outputs of a node with several outputs at once. Pass one of them: "
                f"{tuple(getattr(value, '_fields', ()))}."
            )
        if isinstance(value, (list, tuple)):
            if not all(isinstance(v, (OutputHandle, CollectHandle, GraphInputHandle)) for v in value):
                raise HeadwaterInvalidDefinitionError(
                    f"In graph '{frame.graph_name}', the list given to input '{input_name}' of "
                    f"'{node.name}' holds something other than node outputs. Lists can only "
                    "contain the output "
                    "from previous op invocations or input mappings; pass outputs of other "
                    "nodes, not values or assets."
                )
            bindings[input_name] = list(value)
            continue
        value = bindings[input_name] = _as_asset_input(value)
        if not _is_bindable(value):
            raise HeadwaterInvalidDefinitionError(
                f"In graph '{frame.graph_name}', input '{input_name}' of '{node.name}' was given "
                f"a value of type {type(value).__name__}. Must pass the output from previous "
                "node invocations or inputs to the composition function as inputs when invoking "
                "nodes during composition. Inside a graph body, inputs must be outputs of other "
                "nodes or graph inputs; pass values with run config or input_values= instead."
            )
        if isinstance(value, OutputHandle) and value.is_dynamic:
            raise HeadwaterInvalidDefinitionError(
                f"In graph '{frame.graph_name}', input '{input_name}' of '{name}' was given the "
                f"dynamic output '{value.output_name}' of '{value.node_name}' as it is. Dynamic "
                "output must be unpacked by invoking map or collect: "
                ".map(fn) runs once per element, .collect() takes them all as a list."
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


def take_function_identity(definition: Any, fn: Callable[..., Any]) -> Any:
    """A decorated definition keeps its function's `__name__` and `__doc__`, as a wrapper
    does (help() and docs tools read them); its own `name` may differ."""
    definition.__name__ = fn.__name__
    definition.__doc__ = fn.__doc__
    return definition


def check_unique_definitions(graph_name: str, node_defs: Sequence[Any],
                              recursive: bool = False) -> None:
    """Two different definitions under one name would make node lookups ambiguous.

    A graph checks its direct children; a job checks its whole tree.
    """
    seen: dict[str, Any] = {}
    stack = list(node_defs)
    while stack:
        node = stack.pop()
        other = seen.get(node.name)
        if other is node:
            continue
        if other is not None:
            raise HeadwaterInvalidDefinitionError(
                f'Detected conflicting node definitions with the same name "{node.name}" in '
                f"graph '{graph_name}'. Give each definition a distinct name, e.g. "
                f"@op(name=...), or reuse one definition under aliases with .alias()."
            )
        seen[node.name] = node
        if recursive:
            stack.extend(inv.node_def for inv in getattr(node, "invocations", {}).values())
