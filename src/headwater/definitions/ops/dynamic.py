"""The rules of dynamic fan-out a graph must keep, checked once when the graph is built.

A node inside a `.map()` body runs once per element of one dynamic output: the output it
fans out over. Each output of a node therefore carries two facts: `over`, the dynamic
output its producer runs per element of (None outside any map), and `dynamic`, the output
itself when it is declared DynamicOut (it must be mapped or collected before use). Walking
the graph in order, nested graphs with what their inputs carry, catches what cannot run:
two fan-outs meeting in one node, a fan-out nested in another, a plain list gathering
per-element values, and a node that both collects a dynamic output and runs per element of
it. Imports `composition` and `errors` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headwater.definitions.ops.composition import CollectHandle, GraphInputHandle, OutputHandle
from headwater.errors import HeadwaterInvalidDefinitionError


@dataclass(frozen=True, slots=True)
class Carried:
    """What a value carries: the fan-out its producer runs under, and whether it is itself
    an unmapped dynamic output (named "node:output")."""

    over: str | None = None
    dynamic: str | None = None


_PLAIN = Carried()


def check_dynamic_fan_out(graph: Any, inputs: Mapping[str, Carried] | None = None,
                          prefix: str = "") -> dict[str, Carried]:
    """Check `graph`'s dynamic wiring; return what each of its outputs carries."""
    inputs = inputs or {}
    if not any(c.over or c.dynamic for c in inputs.values()) and not _has_dynamic(graph):
        return {name: _PLAIN for name in graph.output_dict}
    carried: dict[tuple[str, str], Carried] = {}
    for inv in _in_order(graph.invocations):
        _check_node(inv, carried, inputs, prefix)
    outputs = {}
    for out_name, (node, inner_out) in getattr(graph, "output_mappings", {}).items():
        value = carried.get((node, inner_out), _PLAIN)
        if value.over is not None and value.over not in {c.over for c in inputs.values()}:
            # Per-element values of a fan-out born inside the graph: outside, the graph's
            # output is a dynamic output of its own.
            value = Carried(None, value.over)
        outputs[out_name] = value
    return outputs


def _has_dynamic(graph: Any) -> bool:
    """Whether any op of `graph`, nested graphs included, declares a DynamicOut."""
    for inv in graph.invocations.values():
        node_def = inv.node_def
        if hasattr(node_def, "invocations"):
            if _has_dynamic(node_def):
                return True
        elif any(getattr(d, "is_dynamic", False) for d in node_def.output_dict.values()):
            return True
    return False


def _in_order(invocations: Mapping[str, Any]) -> list[Any]:
    """The invocations, each after those it reads from (Kahn's algorithm; a cycle, reported
    elsewhere, leaves its nodes out)."""
    waiting = {name: _upstream(inv) & invocations.keys() for name, inv in invocations.items()}
    downstream: dict[str, list[str]] = {name: [] for name in invocations}
    for name, ups in waiting.items():
        for up in ups:
            downstream[up].append(name)
    ready = [name for name, ups in waiting.items() if not ups]
    order = []
    while ready:
        name = ready.pop()
        order.append(invocations[name])
        for down in downstream[name]:
            waiting[down].discard(name)
            if not waiting[down]:
                ready.append(down)
    return order


def _upstream(inv: Any) -> set[str]:
    names = set()
    for binding in inv.bindings.values():
        for b in binding if isinstance(binding, list) else [binding]:
            handle = b.handle if isinstance(b, CollectHandle) else b
            if isinstance(handle, OutputHandle):
                names.add(handle.node_name)
    return names


def _source(handle: OutputHandle, carried: Mapping[tuple[str, str], Carried],
            node: str) -> Carried:
    value = carried.get((handle.node_name, handle.output_name), _PLAIN)
    if value.dynamic is not None and value.over is not None:
        raise HeadwaterInvalidDefinitionError(
            f'node "{node}" cannot be downstream of more than one dynamic output: it uses '
            f'dynamic output "{value.dynamic}", whose node already runs once per element of '
            f'"{value.over}". Fan-outs do not nest: collect the inner one first, or restructure.')
    return value


def _carried_by(binding: Any, carried: Mapping[tuple[str, str], Carried],
                inputs: Mapping[str, Carried], node: str) -> Carried:
    """What one bound value carries; inside a map body, the elements of the dynamic output."""
    if isinstance(binding, GraphInputHandle):
        return inputs.get(binding.input_name, _PLAIN)
    if not isinstance(binding, OutputHandle):
        return _PLAIN
    value = _source(binding, carried, node)
    if binding.mapped and value.dynamic is not None:
        return Carried(value.dynamic, None)
    return value


def _check_node(inv: Any, carried: dict[tuple[str, str], Carried],
                inputs: Mapping[str, Carried], prefix: str) -> None:
    node = prefix + inv.name
    over: dict[str, str] = {}       # fan-out -> the input that runs per element of it
    collects: dict[str, str] = {}   # collected dynamic output -> the input collecting it
    passed: dict[str, Carried] = {}  # what each input carries (for a nested graph)
    for input_name, binding in inv.bindings.items():
        if isinstance(binding, list):
            for b in binding:
                value = _carried_by(b, carried, inputs, node)
                if value.over is not None:
                    raise HeadwaterInvalidDefinitionError(
                        f'Problematic dependency on dynamic output "{value.over}": input '
                        f'"{input_name}" of node "{node}" gathers values computed once per '
                        "element in a plain list. Use .collect() on the mapped output instead.")
            continue
        if isinstance(binding, CollectHandle):
            value = _source(binding.handle, carried, node)
            target = value.dynamic or value.over
            if target is not None:
                if target in over:
                    raise HeadwaterInvalidDefinitionError(
                        f'node "{node}" cannot both collect over dynamic output "{target}" '
                        f'(input "{input_name}") and run once per element of it (input '
                        f'"{over[target]}").')
                collects[target] = input_name
            continue
        value = _carried_by(binding, carried, inputs, node)
        passed[input_name] = value
        if value.over is None:
            continue
        if value.over in collects:
            raise HeadwaterInvalidDefinitionError(
                f'node "{node}" cannot be both downstream of dynamic output "{value.over}" '
                f'(input "{input_name}") and collect over it (input '
                f'"{collects[value.over]}").')
        if over and value.over not in over:
            first = next(iter(over))
            raise HeadwaterInvalidDefinitionError(
                f'node "{node}" cannot be downstream of more than one dynamic output: input '
                f'"{over[first]}" runs per element of "{first}" and input "{input_name}" per '
                f'element of "{value.over}". Collect one of them first.')
        over.setdefault(value.over, input_name)
    node_over = next(iter(over), None)
    node_def = inv.node_def
    if hasattr(node_def, "invocations"):
        inner = {name: passed.get(name, _PLAIN) for name in node_def.input_dict}
        for out_name, value in check_dynamic_fan_out(node_def, inner, f"{node}.").items():
            carried[(inv.name, out_name)] = Carried(value.over or node_over, value.dynamic)
        for out_name in node_def.output_dict:
            carried.setdefault((inv.name, out_name), Carried(node_over, None))
        return
    for out_name, out_def in node_def.output_dict.items():
        dynamic = f"{node}:{out_name}" if getattr(out_def, "is_dynamic", False) else None
        carried[(inv.name, out_name)] = Carried(node_over, dynamic)
