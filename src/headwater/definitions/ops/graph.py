"""Graphs: ops (and graphs) wired together; @graph, GraphDefinition, and @job.

A graph is the frozen record of a composition: its nodes, how their inputs are bound,
and which inner inputs/outputs its own inputs/outputs map to. Both ways of turning a
composition into a job live here, on top of `job.py`: `GraphDefinition.to_job` and the
`@job` decorator (a graph built from the body, then bound). `job.py` never imports this
module at run time; a job's op selection cuts its graph with `GraphDefinition.subset`.
The explicit wiring records (`DependencyDefinition`, `InputMapping`, ...) and `GraphIn`/`GraphOut`
live in `wiring.py`. Imports `composition`, `inout`, `job`, `op`, `output`, `wiring`,
`metadata.annotation` and `errors`.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.ops.composition import (
    AssetInputHandle,
    CollectHandle,
    GraphInputHandle,
    Invocation,
    NodeDefinition,
    OutputHandle,
    check_unique_definitions,
    compose,
    take_function_identity,
)
from headwater.definitions.ops.docstrings import docstring
from headwater.definitions.ops.dynamic import check_dynamic_fan_out
from headwater.definitions.ops.inout import InputDefinition, OutputDefinition
from headwater.definitions.ops.job import JobDefinition
from headwater.definitions.ops.op import inspect_signature
from headwater.definitions.ops.output import DEFAULT_OUTPUT, NO_VALUE
from headwater.definitions.ops.wiring import (
    GraphIn,
    GraphOut,
    InputMapping,
    OutputMapping,
    invocations_from_dependencies,
)
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidSubsetError,
    HeadwaterInvariantViolationError,
)


def _input_mapping_list(mappings: Any) -> list[InputMapping]:
    if isinstance(mappings, Mapping):
        return [InputMapping(graph_input, node, inner)
                for graph_input, targets in mappings.items() for node, inner in targets]
    return list(mappings or ())


def _output_mapping_dict(mappings: Any) -> dict[str, tuple[str, str]]:
    if isinstance(mappings, Mapping):
        return dict(mappings)
    return {m.graph_output_name: (m.mapped_node_name, m.mapped_node_output_name)
            for m in mappings or ()}


class GraphDefinition(NodeDefinition):
    """Ops (and graphs) wired together: what `@graph` builds, and the body of every job.

    Turn it into a job with `to_job(...)`, nest it in another graph by calling it in a body, or
    back assets with it (`AssetsDefinition.from_graph`). Build one directly to wire nodes
    programmatically: `dependencies` maps each node to its inputs' `DependencyDefinition`s.

    Args:
        name: the graph's name.
        node_defs: the ops and graphs it contains.
        dependencies: per node (a name or a `NodeInvocation`), where each input comes from.
        description: shown in the UI.
        input_mappings: which inner inputs the graph's own inputs feed.
        output_mappings: which inner outputs the graph's own outputs are.
        config: config for the inner ops (a dict, or a `ConfigMapping`).
        tags: tags passed on to jobs built from it.
        invocations: the placed nodes and their bindings; set by `@graph`.
        input_defs: the graph's inputs as `InputDefinition`s by name; an input of
            `input_mappings` not named here takes the definition of the inner input it feeds.
        output_defs: the graph's outputs as `OutputDefinition`s by name; an output of
            `output_mappings` not named here takes the definition of the inner output it is.
        positional_inputs: the order in which positional arguments fill the graph's inputs when
            it is called in a body; the order of its inputs by default.

    Example:
        ```python
        from headwater import DependencyDefinition, GraphDefinition, op

        @op
        def one() -> int:
            return 1

        @op
        def add_one(n: int) -> int:
            return n + 1

        graph = GraphDefinition(
            name="counting", node_defs=[one, add_one],
            dependencies={"add_one": {"n": DependencyDefinition("one")}})
        assert graph.to_job().execute_in_process().output_for_node("add_one") == 2
        ```
    """

    node_kind = "graph"

    def __init__(
        self,
        name: str,
        node_defs: Sequence[NodeDefinition] | None = None,
        dependencies: Mapping[Any, Mapping[str, Any]] | None = None,
        description: str | None = None,
        input_mappings: Sequence[InputMapping] | Mapping[str, list[tuple[str, str]]] | None = None,
        output_mappings: Sequence[OutputMapping] | Mapping[str, tuple[str, str]] | None = None,
        config: Any = None,
        tags: Mapping[str, Any] | None = None,
        *,
        invocations: Mapping[str, Invocation] | None = None,
        input_defs: Mapping[str, InputDefinition] | None = None,
        output_defs: Mapping[str, OutputDefinition] | None = None,
        positional_inputs: Sequence[str] | None = None,
    ):
        super().__init__(name=name, description=description, tags=dict(tags or {}))
        for node_def in node_defs or ():
            if not isinstance(node_def, NodeDefinition) and callable(node_def):
                raise HeadwaterInvalidDefinitionError(
                    f"graph '{name}': node_defs holds {getattr(node_def, '__name__', node_def)!s}, "
                    "a lambda or function rather than an op or graph. Decorate it with @op "
                    "(or @graph) and pass the result.")
        if invocations is None:
            invocations = invocations_from_dependencies(
                name, node_defs or (), {} if dependencies is None else dependencies)
        self.invocations: dict[str, Invocation] = dict(invocations)
        check_unique_definitions(name, [*(node_defs or ()), *(
            inv.node_def for inv in self.invocations.values())])
        self.input_mappings: list[InputMapping] = _input_mapping_list(input_mappings)
        self.output_mappings = _output_mapping_dict(output_mappings)
        self.input_dict = dict(input_defs or {})
        self.output_dict = dict(output_defs or {})
        if input_mappings is not None and not isinstance(input_mappings, Mapping):
            self._bind_input_mappings(input_mappings)
        self._bind_output_mappings(output_mappings)
        self.positional_inputs = list(positional_inputs or self.input_dict)
        self.config = config
        check_dynamic_fan_out(self)
        # Set on a graph cut by an op selection: the graph it was cut from, and the names of
        # the nodes it left out (run config may still name them; it is ignored).
        self.parent_graph_def: GraphDefinition | None = None
        self.ignored_node_names: tuple[str, ...] = ()

    def _bind_input_mappings(self, input_mappings: Sequence[InputMapping]) -> None:
        """GraphDefinition(input_mappings=[InputMapping(...)]): inner inputs fed by graph inputs."""
        for mapping in input_mappings:
            inv = self.invocations.get(mapping.mapped_node_name)
            if inv is None or mapping.mapped_node_input_name not in inv.node_def.input_dict:
                raise HeadwaterInvalidDefinitionError(
                    f"graph '{self.name}': input mapping '{mapping.graph_input_name}' points to "
                    f"'{mapping.mapped_node_name}.{mapping.mapped_node_input_name}', which is not "
                    "an input of a node in this graph."
                )
            inner = inv.node_def.input_dict[mapping.mapped_node_input_name]
            handle = GraphInputHandle(self.name, mapping.graph_input_name)
            if mapping.fan_in_index is None:
                inv.bindings[mapping.mapped_node_input_name] = handle
                graph_input = inner
            else:
                inv.bindings[mapping.mapped_node_input_name] = _with_fan_in_source(
                    self.name, mapping, inv.bindings.get(mapping.mapped_node_input_name), handle)
                # The graph input is one element of the list the inner input takes.
                graph_input = InputDefinition(name=mapping.graph_input_name,
                                              headwater_type=_destination_type(inner, True))
            if mapping.graph_input_name not in self.input_dict:
                self.input_dict[mapping.graph_input_name] = dataclasses.replace(
                    graph_input, name=mapping.graph_input_name,
                    description=mapping.graph_input_description or inner.description,
                    headwater_type=graph_input.headwater_type if mapping.headwater_type is None
                    else resolve_headwater_type(mapping.headwater_type))

    def _bind_output_mappings(self, output_mappings: Any) -> None:
        """The graph outputs that `output_defs` does not give, each the inner output it maps;
        an `OutputMapping` may describe, type or mark it dynamic."""
        records = {} if output_mappings is None or isinstance(output_mappings, Mapping) else {
            m.graph_output_name: m for m in output_mappings}
        for out_name, (node_name, inner_out) in self.output_mappings.items():
            inv = self.invocations.get(node_name)
            if inv is None or inner_out not in inv.node_def.output_dict:
                raise HeadwaterInvalidDefinitionError(
                    f"graph '{self.name}': output mapping '{out_name}' points to "
                    f"'{node_name}.{inner_out}', which is not an output of a node in this graph. "
                    f"Its nodes are ({', '.join(self.invocations)}).")
            if out_name in self.output_dict:
                continue
            inner = inv.node_def.output_dict[inner_out]
            record = records.get(out_name)
            if record is None:
                self.output_dict[out_name] = dataclasses.replace(inner, name=out_name)
                continue
            self.output_dict[out_name] = dataclasses.replace(
                inner, name=out_name,
                description=record.graph_output_description or inner.description,
                headwater_type=inner.headwater_type if record.headwater_type is None
                else resolve_headwater_type(record.headwater_type),
                is_dynamic=inner.is_dynamic or record.from_dynamic_mapping)

    @property
    def node_defs(self) -> list[NodeDefinition]:
        seen: dict[int, NodeDefinition] = {}
        for inv in self.invocations.values():
            seen.setdefault(id(inv.node_def), inv.node_def)
        return list(seen.values())

    @property
    def nodes(self) -> list[Invocation]:
        return list(self.invocations.values())

    @property
    def node_names(self) -> list[str]:
        return list(self.invocations)

    def node_named(self, name: str) -> Invocation:
        return self.invocations[name]

    def has_node_named(self, name: str) -> bool:
        return name in self.invocations

    def iterate_op_defs(self) -> list[Any]:
        ops: dict[int, Any] = {}
        for inv in self.invocations.values():
            if isinstance(inv.node_def, GraphDefinition):
                for o in inv.node_def.iterate_op_defs():
                    ops.setdefault(id(o), o)
            else:
                ops.setdefault(id(inv.node_def), inv.node_def)
        return list(ops.values())

    def all_headwater_types(self) -> list[Any]:
        """The runtime types of this graph's inputs and outputs and of every node inside."""
        found = {t.key: t for t in super().all_headwater_types()}
        for node_def in self.node_defs:
            for each in node_def.all_headwater_types():
                found.setdefault(each.key, each)
        return list(found.values())

    @property
    def required_resource_keys(self) -> frozenset[str]:
        keys: set[str] = set()
        for op_def in self.iterate_op_defs():
            keys |= getattr(op_def, "required_resource_keys", frozenset())
        for inv in self.invocations.values():  # hooks placed on nodes (op.with_hooks(...))
            for hook in inv.hook_defs:
                keys |= set(getattr(hook, "required_resource_keys", ()))
            if isinstance(inv.node_def, GraphDefinition):
                keys |= inv.node_def.required_resource_keys
        return frozenset(keys)

    def to_job(
        self,
        name: str | None = None,
        description: str | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        config: Any = None,
        tags: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        logger_defs: Mapping[str, Any] | None = None,
        executor_def: Any = None,
        hooks: Any = None,
        op_retry_policy: Any = None,
        op_selection: Sequence[str] | None = None,
        partitions_def: Any = None,
        input_values: Mapping[str, Any] | None = None,
        run_tags: Mapping[str, Any] | None = None,
        owners: Sequence[str] | None = None,
    ) -> Any:
        job = JobDefinition(
            graph_def=self,
            name=name or self.name,
            description=description or self.description,
            resource_defs=resource_defs,
            config=config,
            tags=tags,
            metadata=metadata,
            logger_defs=logger_defs,
            executor_def=executor_def,
            hooks=hooks,
            op_retry_policy=op_retry_policy,
            partitions_def=partitions_def,
            input_values=input_values,
            run_tags=run_tags,
            owners=owners,
        )
        return job.get_subset(op_selection=op_selection) if op_selection else job

    def subset(self, selection: set[str] | Mapping[str, Any]) -> GraphDefinition:
        """This graph cut down to the selected nodes (a job's op selection): a set of node
        names, or names mapped to None (whole) or to a selection inside a nested graph."""
        chosen: Mapping[str, Any] = (selection if isinstance(selection, Mapping)
                                     else dict.fromkeys(selection))
        names = set(chosen)
        invocations = {}
        for name, inv in self.invocations.items():
            if name in names:
                node_def = inv.node_def
                if chosen[name] is not None:
                    node_def = node_def.subset(chosen[name])
                bindings = {}
                for input_name, binding in inv.bindings.items():
                    if isinstance(binding, list):  # a fan-in keeps its selected sources
                        kept = [b for b in binding if _bound_within(b, names)]
                        if kept:
                            bindings[input_name] = kept
                    elif _bound_within(binding, names):
                        bindings[input_name] = binding
                invocations[name] = Invocation(node_def, inv.name, bindings, inv.tags,
                                               inv.hook_defs, inv.retry_policy)
        _check_bound_outputs_kept(self.name, invocations)
        sub = GraphDefinition(
            name=self.name,
            description=self.description,
            invocations=invocations,
            input_mappings=[m for m in self.input_mappings if m.mapped_node_name in names],
            output_mappings={k: v for k, v in self.output_mappings.items()
                             if v[0] in names and v[1] in invocations[v[0]].node_def.output_dict},
            input_defs=self.input_dict,
            output_defs={k: v for k, v in self.output_dict.items()
                         if self.output_mappings.get(k, ("",))[0] in names},
            config=self.config,
            tags=self.tags,
        )
        sub.output_dict = {k: v for k, v in sub.output_dict.items() if k in sub.output_mappings}
        sub.parent_graph_def = self.parent_graph_def or self
        sub.ignored_node_names = tuple(n for n in self.invocations if n not in names)
        return sub

    def with_node_hooks(self, hook_defs: Any) -> GraphDefinition:
        """A copy of this graph whose every node (nested graphs included) runs `hook_defs`."""
        copied = copy.copy(self)
        extra = frozenset(hook_defs)
        copied.invocations = {
            name: dataclasses.replace(inv, bindings=dict(inv.bindings),
                                      hook_defs=inv.hook_defs | extra)
            for name, inv in self.invocations.items()
        }
        return copied

    def execute_in_process(self, run_config: Any = None, instance: Any = None,
                           resources: Mapping[str, Any] | None = None,
                           raise_on_error: bool = True, op_selection: Sequence[str] | None = None,
                           run_id: str | None = None, input_values: Mapping[str, Any] | None = None,
                           **kwargs: Any) -> Any:
        """Run this graph as a job of its own name, in this process."""
        job = self.to_job(name=self.name, resource_defs=resources)
        return job.execute_in_process(run_config=run_config, instance=instance,
                                      raise_on_error=raise_on_error, op_selection=op_selection,
                                      run_id=run_id, input_values=input_values, **kwargs)

    def direct_invoke(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        raise HeadwaterInvariantViolationError(
            f"Attempted to call graph '{self.name}' outside of a composition function. Invoking "
            "graphs is only valid in a function decorated with @job or @graph. To run it, use "
            f"{self.name}.execute_in_process() or {self.name}.to_job()."
        )

    def __repr__(self) -> str:
        return f"GraphDefinition(name={self.name!r}, nodes={list(self.invocations)!r})"


def _check_bound_outputs_kept(graph_name: str, invocations: Mapping[str, Invocation]) -> None:
    """A selected node bound to an output that the selection cut out of a nested graph."""
    for inv in invocations.values():
        for input_name, binding in inv.bindings.items():
            for b in binding if isinstance(binding, list) else [binding]:
                handle = getattr(b, "handle", b)
                if (isinstance(handle, OutputHandle)
                        and handle.output_name not in invocations[handle.node_name]
                        .node_def.output_dict):
                    raise HeadwaterInvalidSubsetError(
                        f"In graph '{graph_name}', the op selection keeps '{inv.name}', whose "
                        f"input '{input_name}' reads output '{handle.output_name}' of "
                        f"'{handle.node_name}', but the ops producing that output are not "
                        "selected. Select them too, or leave out "
                        f"'{inv.name}'.")


def _bound_within(binding: Any, names: set[str]) -> bool:
    if isinstance(binding, list):
        return all(_bound_within(b, names) for b in binding)
    if isinstance(binding, (GraphInputHandle, AssetInputHandle)):
        return True
    handle = getattr(binding, "handle", binding)
    return isinstance(handle, OutputHandle) and handle.node_name in names



def build_graph(
    fn: Callable[..., Any],
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, GraphIn] | None = None,
    out: GraphOut | Mapping[str, GraphOut] | None = None,
    config: Any = None,
    tags: Mapping[str, Any] | None = None,
) -> GraphDefinition:
    """Compose `fn` into a GraphDefinition."""
    name = name or fn.__name__
    sig = inspect_signature(fn, "@graph", allow_context=False)
    input_names = list(sig.input_args)
    frame, returned = compose(name, fn, input_names)
    input_mappings: dict[str, list[tuple[str, str]]] = {n: [] for n in input_names}
    inner_types: dict[str, list[Any]] = {n: [] for n in input_names}
    for inv in frame.invocations.values():
        for input_name, binding in inv.bindings.items():
            fan_in = isinstance(binding, list)
            for b in binding if fan_in else [binding]:
                if isinstance(b, GraphInputHandle):
                    input_mappings[b.input_name].append((inv.name, input_name))
                    inner_types[b.input_name].append(
                        _destination_type(inv.node_def.input_dict[input_name], fan_in))
    for input_name, targets in input_mappings.items():
        if not targets:
            raise HeadwaterInvalidDefinitionError(
                f"@graph '{name}' has unmapped input '{input_name}': its body never hands it to "
                f"an op or graph. Pass it on, e.g. my_op({input_name}), or drop the parameter."
            )
    input_defs = {}
    for input_name in input_names:
        spec = (ins or {}).get(input_name)
        input_defs[input_name] = _graph_input_def(input_name, frame, input_mappings, spec, sig,
                                                  inner_types[input_name])
    output_mappings, output_defs = _graph_outputs(name, frame, returned, out)
    return GraphDefinition(
        name=name,
        description=description or docstring(fn),
        invocations=frame.invocations,
        input_mappings=input_mappings,
        output_mappings=output_mappings,
        input_defs=input_defs,
        output_defs=output_defs,
        positional_inputs=input_names,
        config=config,
        tags=tags,
    )


def _with_fan_in_source(graph_name: str, mapping: InputMapping, binding: Any,
                        handle: GraphInputHandle) -> list[Any]:
    """A fan-in input's sources with the graph input placed at `mapping.fan_in_index`."""
    if binding is not None and not isinstance(binding, list):
        raise HeadwaterInvalidDefinitionError(
            f"graph '{graph_name}': input mapping '{mapping.graph_input_name}' has fan_in_index="
            f"{mapping.fan_in_index}, but '{mapping.mapped_node_name}."
            f"{mapping.mapped_node_input_name}' is wired to one output, not a list of them. "
            "Wire it with MultiDependencyDefinition, or drop fan_in_index.")
    sources = list(binding or ())
    if handle not in sources:  # a subset re-binds the mappings of the graph it was cut from
        sources.insert(mapping.fan_in_index or 0, handle)
    return sources


def _destination_type(input_def: InputDefinition, fan_in: bool) -> Any:
    """The type a graph input must carry to feed `input_def` (an element of it when fanned in)."""
    htype = input_def.headwater_type
    if fan_in and htype.supports_fan_in:
        return htype.get_inner_type_for_fan_in()
    return htype


def _graph_input_def(
    input_name: str, frame: Any, mappings: Mapping[str, list[tuple[str, str]]],
    spec: GraphIn | None, sig: Any, destination_types: Sequence[Any],
) -> InputDefinition:
    """A graph input's definition. Its type is, in order: `GraphIn(headwater_type=...)`, the
    parameter's annotation (unless Any), else the type every inner input it feeds agrees on
    (Any when they differ)."""
    targets = mappings.get(input_name) or []
    inner = None
    if targets:
        node_name, inner_input = targets[0]
        inner = frame.invocations[node_name].node_def.input_dict[inner_input]
    annotation = sig.annotations.get(input_name, Any)
    if spec is not None and spec.headwater_type is not NO_VALUE:
        htype = resolve_headwater_type(spec.headwater_type)
    elif annotation is not Any:
        htype = resolve_headwater_type(annotation)
    elif destination_types and all(t == destination_types[0] for t in destination_types):
        htype = destination_types[0]
    else:
        htype = resolve_headwater_type(Any)
    default = sig.defaults.get(input_name, NO_VALUE)
    return InputDefinition(
        name=input_name,
        headwater_type=htype,
        description=(spec.description if spec else None) or (inner.description if inner else None),
        default_value=default,
    )


def _graph_outputs(
    graph_name: str, frame: Any, returned: Any, out: GraphOut | Mapping[str, GraphOut] | None
) -> tuple[dict[str, tuple[str, str]], dict[str, OutputDefinition]]:
    if returned is None:
        return {}, {}
    if isinstance(returned, OutputHandle):
        named: dict[str, Any] = {DEFAULT_OUTPUT if not isinstance(out, Mapping) else next(iter(out)): returned}
    elif isinstance(returned, Mapping):
        named = dict(returned)
    elif isinstance(returned, tuple) and hasattr(returned, "_fields"):
        named = dict(zip(returned._fields, returned))  # type: ignore[attr-defined]
        if isinstance(out, Mapping):
            named = dict(zip(out, returned))
    elif isinstance(returned, tuple) and isinstance(out, Mapping):
        named = dict(zip(out, returned))
    else:
        raise HeadwaterInvalidDefinitionError(
            f"graph '{graph_name}' returned {type(returned).__name__}; a graph body returns "
            "the output of a node, a dict of them by output name, or nothing."
        )
    mappings: dict[str, tuple[str, str]] = {}
    defs: dict[str, OutputDefinition] = {}
    for out_name, handle in named.items():
        if isinstance(handle, CollectHandle) or not isinstance(handle, OutputHandle):
            raise HeadwaterInvalidDefinitionError(
                f"graph '{graph_name}': output '{out_name}' must be the output of a node inside it."
            )
        mappings[out_name] = (handle.node_name, handle.output_name)
        inner = frame.invocations[handle.node_name].node_def.output_dict[handle.output_name]
        spec = out.get(out_name) if isinstance(out, Mapping) else out
        defs[out_name] = OutputDefinition(
            name=out_name,
            headwater_type=inner.headwater_type,
            description=(spec.description if spec else None) or inner.description,
            is_required=inner.is_required,
            io_manager_key=inner.io_manager_key,
            metadata=(spec.metadata if spec else None) or {},
            is_dynamic=inner.is_dynamic or handle.mapped,
        )
    return mappings, defs


def graph(
    compose_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, GraphIn] | None = None,
    out: GraphOut | Mapping[str, GraphOut] | None = None,
    config: Any = None,
    tags: Mapping[str, Any] | None = None,
) -> Any:
    """Declare a graph: ops (or graphs) wired by calling them in the body (a `GraphDefinition`).

    The body runs once, at declaration, to record the wiring. A graph is reusable: turn it
    into a job with `.to_job()`, nest it in another graph, or back assets with it.

    Args:
        compose_fn: the body, when used bare.
        name: the graph's name; defaults to the function's name.
        description: shown in the UI; defaults to the function's docstring.
        ins: `GraphIn` per parameter name, to describe or type the graph's inputs.
        out: one `GraphOut`, or a dict of them for a body that returns a dict of outputs.
        config: config for the inner ops (a dict, or a `ConfigMapping`).
        tags: tags of the graph, passed on to a job built from it.

    Example:
        ```python
        from headwater import graph, op

        @op
        def numbers() -> list[int]:
            return [1, 2, 3]

        @op
        def total(values: list[int]) -> int:
            return sum(values)

        @graph
        def summed():
            return total(numbers())

        result = summed.to_job().execute_in_process()
        assert result.output_for_node("total") == 6
        ```
    """

    def decorate(fn: Callable[..., Any]) -> GraphDefinition:
        return take_function_identity(build_graph(fn, name, description, ins, out, config, tags),
                                      fn)

    if compose_fn is not None:
        return decorate(compose_fn)
    return decorate


def job(
    compose_fn: Callable[..., Any] | str | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    config: Any = None,
    tags: Mapping[str, Any] | None = None,
    run_tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    logger_defs: Mapping[str, Any] | None = None,
    executor_def: Any = None,
    hooks: Any = None,
    op_retry_policy: Any = None,
    partitions_def: Any = None,
    input_values: Mapping[str, Any] | None = None,
    owners: Sequence[str] | None = None,
) -> Any:
    """Declare a job: a graph of ops, wired in the body, with what it needs to run.

    Resources, config, executor, hooks and partitions bound here apply to every run;
    `job.execute_in_process()` runs it in the calling process, which suits tests.

    Args:
        compose_fn: the body, when used bare; a string here is taken as `name`.
        name: the job's name; defaults to the function's name.
        description: shown in the UI; defaults to the function's docstring.
        resource_defs: resources by key, for the ops that require them.
        config: run config applied by default (a dict, `RunConfig` or `ConfigMapping`).
        tags: tags of the job; its runs get them too unless `run_tags` is given.
        run_tags: tags each run gets instead of `tags`.
        metadata: metadata shown with the job in the UI.
        logger_defs: loggers by name, which also receive the messages of `context.log`.
        executor_def: how steps run; by default multiprocess, or in process when so configured.
        hooks: hooks applied to every op of the job.
        op_retry_policy: the `RetryPolicy` of ops that do not set their own.
        partitions_def: partitions the job's runs target, one per run.
        input_values: values of top-level inputs left unconnected in the body.
        owners: who owns the job (emails or `team:` names).

    Example:
        ```python
        from headwater import job, op

        @op
        def greeting() -> str:
            return "hello"

        @op
        def shout(text: str) -> str:
            return text.upper()

        @job
        def greet():
            shout(greeting())

        result = greet.execute_in_process()
        assert result.success and result.output_for_node("shout") == "HELLO"
        ```
    """
    if isinstance(compose_fn, str):
        name, compose_fn = compose_fn, None

    def decorate(fn: Callable[..., Any]) -> JobDefinition:
        graph_def = build_graph(fn, name=name or fn.__name__, description=description)
        return take_function_identity(JobDefinition(
            graph_def=graph_def,
            name=name or fn.__name__,
            description=description,
            resource_defs=resource_defs,
            config=config,
            tags=tags,
            run_tags=run_tags,
            metadata=metadata,
            logger_defs=logger_defs,
            executor_def=executor_def,
            hooks=hooks,
            op_retry_policy=op_retry_policy,
            partitions_def=partitions_def,
            input_values=input_values,
            owners=owners,
        ), fn)

    if callable(compose_fn):
        return decorate(compose_fn)
    return decorate
