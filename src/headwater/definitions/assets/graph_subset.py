"""A graph-backed asset run for some of its assets: the ops it needs and what each yields.

Materializing some of the outputs of a graph runs only the ops those outputs need, walking
back from the selected graph outputs along data edges (into and out of nested graphs). An op
that runs gets, as `context.selected_output_names`, the outputs that lead to a selected graph
output; an output it yields beyond those is refused, like an unselected output of a
multi-asset. `assets/job.py` uses this when it wires a subset of a graph-backed asset.
Imports the `ops` room only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from headwater.definitions.ops.composition import GraphInputHandle, OutputHandle
from headwater.definitions.ops.graph import GraphDefinition


def _upstream_handles(binding: Any) -> list[Any]:
    bindings = binding if isinstance(binding, list) else [binding]
    return [getattr(b, "handle", b) for b in bindings]  # a collected output: its handle


def needed_outputs(graph: GraphDefinition, outputs: Iterable[str]
                   ) -> tuple[dict[str, set[str]], set[str], dict[str, Any]]:
    """(node -> its outputs needed for the graph outputs `outputs`, the graph inputs those
    nodes read, node -> (inner needs, ...) of each nested graph that runs)."""
    wanted: dict[str, set[str]] = {}
    for name in outputs:
        if name in graph.output_mappings:
            node, inner = graph.output_mappings[name]
            wanted.setdefault(node, set()).add(inner)
    done: dict[str, frozenset[str]] = {}
    nested: dict[str, Any] = {}
    used_inputs: set[str] = set()
    work = list(wanted)
    while work:
        node = work.pop()
        if done.get(node) == wanted[node]:
            continue
        done[node] = frozenset(wanted[node])
        inv = graph.invocations[node]
        if isinstance(inv.node_def, GraphDefinition):
            nested[node] = needed_outputs(inv.node_def, wanted[node])
            reads: Iterable[str] = nested[node][1]
        else:
            reads = inv.node_def.input_dict
        for input_name in reads:
            for handle in _upstream_handles(inv.bindings.get(input_name)):
                if isinstance(handle, OutputHandle):
                    outs = wanted.setdefault(handle.node_name, set())
                    if handle.output_name not in outs:
                        outs.add(handle.output_name)
                        work.append(handle.node_name)
                elif isinstance(handle, GraphInputHandle):
                    used_inputs.add(handle.input_name)
    return {n: set(o) for n, o in done.items()}, used_inputs, nested


def subset_graph(graph: GraphDefinition, outputs: Iterable[str]
                 ) -> tuple[GraphDefinition, dict[str, frozenset[str]]]:
    """`graph` cut down to the nodes the graph outputs `outputs` need, and the selected
    outputs of each op that stays, by its handle inside the graph ('inner.op' when nested)."""
    needs, _inputs, nested = needed_outputs(graph, outputs)
    return _cut(graph, needs, nested)


def _cut(graph: GraphDefinition, needs: dict[str, set[str]], nested: dict[str, Any]
         ) -> tuple[GraphDefinition, dict[str, frozenset[str]]]:
    selected: dict[str, frozenset[str]] = {}
    cut = graph.subset(set(needs))
    for node, outs in needs.items():
        if node in nested:
            inner_graph, inner_selected = _cut(graph.invocations[node].node_def, *(
                nested[node][0], nested[node][2]))
            cut.invocations[node] = replace(cut.invocations[node], node_def=inner_graph)
            selected.update({f"{node}.{h}": o for h, o in inner_selected.items()})
        else:
            selected[node] = frozenset(outs)
    return cut, selected
