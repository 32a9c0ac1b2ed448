"""Explicit wiring of a graph, for graphs built without a body: the records users pass to
`GraphDefinition` (`DependencyDefinition`, `MultiDependencyDefinition`, `NodeInvocation`,
`InputMapping`, `OutputMapping`), the `GraphIn`/`GraphOut` descriptions `@graph` takes, and
`invocations_from_dependencies`, which checks a `dependencies=` dict and turns it into the
invocations a composed body would have recorded.

A leaf of this layer under `graph.py`: it imports `composition`, `output`'s sentinels and
`errors`, never `graph`, `job` or `op`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.ops.composition import Invocation, NodeDefinition, OutputHandle
from headwater.definitions.ops.output import DEFAULT_OUTPUT, NO_VALUE
from headwater.errors import HeadwaterInvalidDefinitionError


class GraphIn:
    """Describes an input of a graph, in `@graph(ins={"name": GraphIn(...)})`.

    The input's type is the one given here, else the parameter's annotation, else the type of
    the inner inputs it feeds.

    Args:
        description: shown in the UI.
        headwater_type: the input's type.
        metadata: metadata of the input.

    Example:
        ```python
        from headwater import GraphIn, graph, op

        @op
        def double(n: int) -> int:
            return 2 * n

        @graph(ins={"n": GraphIn(description="the number to double")})
        def doubling(n):
            return double(n)

        assert doubling.input_defs[0].description == "the number to double"
        ```
    """

    def __init__(self, description: str | None = None, headwater_type: Any = NO_VALUE,
                 metadata: Mapping[str, Any] | None = None):
        self.description = description
        self.headwater_type = headwater_type
        self.metadata = dict(metadata or {})


class GraphOut:
    """Describes an output of a graph, in `@graph(out=GraphOut(...))` or a dict of them.

    Args:
        description: shown in the UI.
        metadata: metadata of the output.

    Example:
        ```python
        from headwater import GraphOut, graph, op

        @op
        def one() -> int:
            return 1

        @graph(out={"total": GraphOut(description="the sum")})
        def summing():
            return {"total": one()}

        assert summing.output_defs[0].description == "the sum"
        ```
    """

    def __init__(self, description: str | None = None, metadata: Mapping[str, Any] | None = None):
        self.description = description
        self.metadata = dict(metadata or {})


@dataclass(frozen=True, slots=True)
class InputPointer:
    """An input of a node inside a graph."""

    node_name: str
    input_name: str


@dataclass(frozen=True, slots=True)
class InputMapping:
    """Explicit wiring of a graph input to an input of one of its nodes.

    `@graph` builds these from the body; pass them to `GraphDefinition(input_mappings=...)` when
    wiring a graph without a body.

    Args:
        graph_input_name: the graph's input.
        mapped_node_name: the inner node it feeds.
        mapped_node_input_name: the inner node's input it feeds.
        fan_in_index: for a fan-in (list) input, the position in the list the graph input's
            value takes, among the upstream outputs wired to it.
        graph_input_description: the description of the graph's input.
        headwater_type: the type of the graph's input.

    Example:
        ```python
        from headwater import GraphDefinition, InputMapping, OutputMapping, op

        @op
        def double(n: int) -> int:
            return 2 * n

        doubling = GraphDefinition(
            name="doubling", node_defs=[double],
            input_mappings=[InputMapping("n", "double", "n")],
            output_mappings=[OutputMapping("result", "double", "result")])
        job = doubling.to_job(input_values={"n": 4})
        assert job.execute_in_process().output_value() == 8
        ```
    """

    graph_input_name: str
    mapped_node_name: str
    mapped_node_input_name: str
    fan_in_index: int | None = None
    graph_input_description: str | None = None
    headwater_type: Any = None

    @property
    def maps_to(self) -> InputPointer:
        return InputPointer(self.mapped_node_name, self.mapped_node_input_name)


@dataclass(frozen=True, slots=True)
class OutputMapping:
    """Explicit wiring of a graph output to an output of one of its nodes.

    `@graph` builds these from what the body returns; pass them to
    `GraphDefinition(output_mappings=...)` when wiring a graph without a body.

    Args:
        graph_output_name: the graph's output.
        mapped_node_name: the inner node it comes from.
        mapped_node_output_name: the inner node's output it is.
        graph_output_description: the description of the graph's output.
        headwater_type: the type of the graph's output.
        from_dynamic_mapping: whether it comes from a `.map()` (a list of the elements' values).

    Example:
        ```python
        from headwater import GraphDefinition, OutputMapping, op

        @op
        def answer() -> int:
            return 42

        graph = GraphDefinition(name="answering", node_defs=[answer],
                                output_mappings=[OutputMapping("result", "answer", "result")])
        assert graph.to_job().execute_in_process().output_value() == 42
        ```
    """

    graph_output_name: str
    mapped_node_name: str
    mapped_node_output_name: str
    graph_output_description: str | None = None
    headwater_type: Any = None
    from_dynamic_mapping: bool = False


@dataclass(frozen=True, slots=True)
class DependencyDefinition:
    """Explicit wiring: an input takes the output `output` of the node `node`.

    Used in `GraphDefinition(dependencies={"node": {"input": DependencyDefinition(...)}})` to
    wire a graph without a body.

    Args:
        node: the upstream node's name (its alias, if it has one).
        output: the upstream output; `"result"` by default.
        description: a note on the dependency.

    Example:
        ```python
        from headwater import DependencyDefinition, GraphDefinition, op

        @op
        def greeting() -> str:
            return "hi"

        @op
        def shout(text: str) -> str:
            return text.upper()

        graph = GraphDefinition(name="greet", node_defs=[greeting, shout],
                                dependencies={"shout": {"text": DependencyDefinition("greeting")}})
        assert graph.to_job().execute_in_process().output_for_node("shout") == "HI"
        ```
    """

    node: str
    output: str = DEFAULT_OUTPUT
    description: str | None = None


@dataclass(frozen=True, slots=True)
class MultiDependencyDefinition:
    """Explicit fan-in wiring: a list input takes several upstream outputs.

    Args:
        dependencies: the `DependencyDefinition`s whose values make up the list, in order.

    Example:
        ```python
        from headwater import DependencyDefinition, GraphDefinition
        from headwater import MultiDependencyDefinition, NodeInvocation, op

        @op
        def one() -> int:
            return 1

        @op
        def total(values: list[int]) -> int:
            return sum(values)

        graph = GraphDefinition(
            name="fan_in", node_defs=[one, total],
            dependencies={
                NodeInvocation("one", alias="a"): {},
                NodeInvocation("one", alias="b"): {},
                "total": {"values": MultiDependencyDefinition(
                    [DependencyDefinition("a"), DependencyDefinition("b")])},
            })
        assert graph.to_job().execute_in_process().output_for_node("total") == 2
        ```
    """

    dependencies: Sequence[DependencyDefinition]


@dataclass(frozen=True, slots=True)
class NodeInvocation:
    """Explicit placement of a node in a graph, under an alias, with tags, hooks or retries.

    Used as a key of `GraphDefinition(dependencies=...)` to place one op several times or to
    decorate one use of it.

    Args:
        name: the op's (or graph's) name.
        alias: the name of this use of it; `name` by default.
        tags: tags of this use, over the op's own.
        hook_defs: hooks run after this use.
        retry_policy: the retry policy of this use.

    Example:
        ```python
        from headwater import GraphDefinition, NodeInvocation, op

        @op
        def ping() -> str:
            return "pong"

        graph = GraphDefinition(name="pings", node_defs=[ping], dependencies={
            NodeInvocation("ping", alias="first"): {},
            NodeInvocation("ping", alias="second", tags={"retry": "yes"}): {},
        })
        result = graph.to_job().execute_in_process()
        assert result.output_for_node("second") == "pong"
        ```
    """

    name: str
    alias: str | None = None
    tags: Mapping[str, Any] | None = None
    hook_defs: Any = None
    retry_policy: Any = None

    def __hash__(self) -> int:
        # Used as a dependencies-dict key while tags and hook_defs may be a dict and a set.
        return hash((self.name, self.alias))


def invocations_from_dependencies(
    graph_name: str,
    node_defs: Sequence[NodeDefinition],
    dependencies: Mapping[Any, Mapping[str, Any]],
) -> dict[str, Invocation]:
    """Build invocations from the explicit `dependencies={node: {input: Dependency}}` form."""
    _check_node_list(graph_name, node_defs)
    _check_dependencies_shape(graph_name, dependencies)
    by_name = {n.name: n for n in node_defs}
    invocations: dict[str, Invocation] = {}
    for key in dependencies:
        if isinstance(key, NodeInvocation):
            node = by_name.get(key.name)
            if node is None:
                raise HeadwaterInvalidDefinitionError(
                    f"graph '{graph_name}': dependencies name node \"{key.name}\" (aliased as "
                    f"\"{key.alias or key.name}\"), which is not in node_defs "
                    f"({', '.join(by_name)})."
                )
            alias = key.alias or key.name
            invocations[alias] = Invocation(node, alias, tags=dict(key.tags or {}),
                                            hook_defs=frozenset(key.hook_defs or ()),
                                            retry_policy=key.retry_policy)
        elif isinstance(key, str) and key in by_name and key not in invocations:
            invocations[key] = Invocation(by_name[key], key)
    for node in node_defs:
        if node.name not in invocations and not any(
            inv.node_def is node for inv in invocations.values()
        ):
            invocations[node.name] = Invocation(node, node.name)
    for key, deps in dependencies.items():
        alias = key.alias or key.name if isinstance(key, NodeInvocation) else key
        if alias not in invocations:
            raise HeadwaterInvalidDefinitionError(
                f"graph '{graph_name}': dependencies mention node '{alias}', which is not among "
                f"the nodes ({', '.join(invocations)})."
            )
        inv = invocations[alias]
        for input_name, dep in deps.items():
            if input_name not in inv.node_def.input_dict:
                raise HeadwaterInvalidDefinitionError(
                    f'graph \'{graph_name}\': {inv.node_def.node_kind} "{alias}" does not have '
                    f'input "{input_name}"; its inputs are '
                    f"({', '.join(inv.node_def.input_dict)})."
                )
            inv.bindings[input_name] = _binding(graph_name, invocations, alias, dep)
    _check_acyclic(graph_name, invocations)
    return invocations


def _check_node_list(graph_name: str, node_defs: Sequence[Any]) -> None:
    for item in node_defs:
        if not isinstance(item, NodeDefinition):
            raise HeadwaterInvalidDefinitionError(
                f"Invalid item in node list: {item!r} (a {type(item).__name__}) of graph "
                f"'{graph_name}' is not an op or graph definition. Pass OpDefinition or "
                "GraphDefinition objects, e.g. the result of @op."
            )


_DEPENDENCY_SHAPE = (
    "{node name or NodeInvocation: {input name: DependencyDefinition or "
    "MultiDependencyDefinition}}"
)


def _check_dependencies_shape(graph_name: str, dependencies: Any) -> None:
    """The explicit wiring is a dict of dicts; say where it is not."""
    if not isinstance(dependencies, Mapping):
        raise HeadwaterInvalidDefinitionError(
            f"graph '{graph_name}': dependencies must be a dict shaped {_DEPENDENCY_SHAPE}, "
            f"got a {type(dependencies).__name__}."
        )
    for key, deps in dependencies.items():
        if not isinstance(key, (str, NodeInvocation)):
            raise HeadwaterInvalidDefinitionError(
                f"graph '{graph_name}': dependencies key {key!r} must be a node name or a "
                "NodeInvocation."
            )
        name = key if isinstance(key, str) else key.alias or key.name
        if isinstance(deps, (DependencyDefinition, MultiDependencyDefinition)):
            raise HeadwaterInvalidDefinitionError(
                f"graph '{graph_name}': dependencies['{name}'] is a {type(deps).__name__}, one "
                f"level too high: put it under the input it feeds, "
                f"{{'{name}': {{'<input name>': {type(deps).__name__}(...)}}}}."
            )
        if not isinstance(deps, Mapping):
            raise HeadwaterInvalidDefinitionError(
                f"graph '{graph_name}': dependencies['{name}'] must be a dict from input name to "
                f"DependencyDefinition, got a {type(deps).__name__}."
            )
        for input_name, dep in deps.items():
            if not isinstance(dep, (DependencyDefinition, MultiDependencyDefinition)):
                raise HeadwaterInvalidDefinitionError(
                    f"graph '{graph_name}': the dependency of node \"{name}\" input "
                    f"\"{input_name}\" must be a DependencyDefinition or "
                    f"MultiDependencyDefinition, got a {type(dep).__name__}."
                )


def _check_acyclic(graph_name: str, invocations: Mapping[str, Invocation]) -> None:
    """Explicit wiring can close a loop, which composition cannot: find one and print it."""
    upstream: dict[str, list[str]] = {}
    for name, inv in invocations.items():
        nodes: list[str] = []
        for binding in inv.bindings.values():
            for b in binding if isinstance(binding, list) else [binding]:
                if isinstance(b, OutputHandle):
                    nodes.append(b.node_name)
        upstream[name] = nodes
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        path.append(name)
        for up in upstream.get(name, ()):
            if state.get(up) == 1:
                loop = path[path.index(up):] + [up]
                raise HeadwaterInvalidDefinitionError(
                    f"Circular dependencies exist in graph '{graph_name}': "
                    f"{' -> '.join(reversed(loop))}. Break the loop by removing one of these "
                    "dependencies."
                )
            if state.get(up) is None:
                visit(up, path)
        path.pop()
        state[name] = 2

    for name in upstream:
        if state.get(name) is None:
            visit(name, [])


def _binding(graph_name: str, invocations: Mapping[str, Invocation], downstream: str,
             dep: Any) -> Any:
    if isinstance(dep, MultiDependencyDefinition):
        return [_binding(graph_name, invocations, downstream, d) for d in dep.dependencies]
    if dep.node == downstream:
        raise HeadwaterInvalidDefinitionError(
            f"graph '{graph_name}': node '{downstream}' depends on its own output "
            f"'{dep.output}', a circular reference. Feed it from another node."
        )
    upstream = invocations.get(dep.node)
    if upstream is None:
        raise HeadwaterInvalidDefinitionError(
            f"graph '{graph_name}': a dependency names node '{dep.node}', which is not defined "
            f"among its nodes ({', '.join(invocations)})."
        )
    out = upstream.node_def.output_dict.get(dep.output)
    if out is None:
        raise HeadwaterInvalidDefinitionError(
            f'graph \'{graph_name}\': node "{dep.node}" does not have output "{dep.output}"; '
            f"its outputs are ({', '.join(upstream.node_def.output_dict)})."
        )
    return OutputHandle(dep.node, dep.output, is_dynamic=bool(getattr(out, "is_dynamic", False)))


__all__ = ["GraphIn", "GraphOut", "InputMapping", "OutputMapping", "DependencyDefinition",
           "MultiDependencyDefinition", "NodeInvocation", "invocations_from_dependencies"]
