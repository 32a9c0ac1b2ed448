"""Where the value of an input can come from, checked when a job is built.

An input bound to an upstream output always gets a value. An input left unconnected must
get one some other way: its default, being ordering-only (Nothing), an input manager, an
asset, or run config (which needs a type that can be read from config). A job's own graph
inputs are exempt: `input_values=` and run config `inputs` feed them at launch. An input
of a nested graph left unconnected passes on to the inputs it feeds, which fall back to
their own defaults. `check_job_inputs` finds the inputs nothing can feed and raises once,
naming each; the plan (`execution/plan.py`) follows the same rules at run time.
Imports `metadata.types`, `composition` and `errors` only.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from headwater.definitions.metadata.types import HeadwaterTypeKind
from headwater.definitions.ops.composition import GraphInputHandle
from headwater.errors import HeadwaterInvalidDefinitionError

_FROM_CONFIG_KINDS = (HeadwaterTypeKind.ANY, HeadwaterTypeKind.SCALAR, HeadwaterTypeKind.NOTHING)
_CONTAINERS = (dict, list, set, tuple)


def graph_input_destinations(graph: Any, input_name: str) -> list[Any]:
    """The op input definitions that the graph input `input_name` feeds, through nested graphs."""
    found: list[Any] = []
    for inv in graph.invocations.values():
        for inner_name, binding in inv.bindings.items():
            bound = binding if isinstance(binding, list) else [binding]
            if not any(isinstance(b, GraphInputHandle) and b.input_name == input_name
                       for b in bound):
                continue
            if hasattr(inv.node_def, "invocations"):
                found.extend(graph_input_destinations(inv.node_def, inner_name))
            else:
                found.append(inv.node_def.input_dict[inner_name])
    return found


def loads_from_config(htype: Any) -> bool:
    """Whether a value of this type can be written in run config: scalars, Any, containers
    of such, and types that declare a loader."""
    if htype.loader is not None or htype.kind in _FROM_CONFIG_KINDS:
        return True
    if htype.kind in (HeadwaterTypeKind.LIST, HeadwaterTypeKind.NULLABLE):
        return all(loads_from_config(t) for t in htype.inner_types[:1])
    hint = htype.typing_type
    return hint in _CONTAINERS or typing.get_origin(hint) in _CONTAINERS


def _needs_no_value(input_def: Any) -> bool:
    return (input_def.has_default_value or input_def.headwater_type.is_nothing
            or bool(getattr(input_def, "input_manager_key", None))
            or input_def.asset_key is not None)


def _has_a_source(node_def: Any, input_name: str) -> bool:
    input_def = node_def.input_dict[input_name]
    if _needs_no_value(input_def) or loads_from_config(input_def.headwater_type):
        return True
    if hasattr(node_def, "invocations"):
        return all(_needs_no_value(d) for d in graph_input_destinations(node_def, input_name))
    return False


def check_job_inputs(job_name: str, graph: Any, input_values: Mapping[str, Any],
                     error: type[Exception] = HeadwaterInvalidDefinitionError) -> None:
    """Raise if `input_values` names no input of the job, or an inner input can get no value
    (as `error`: an op selection that leaves one so raises HeadwaterInvalidSubsetError)."""
    unknown = sorted(set(input_values) - set(graph.input_dict))
    if unknown:
        raise HeadwaterInvalidDefinitionError(
            f"job '{job_name}' was given input_values for {', '.join(map(repr, unknown))}, but "
            f"its graph '{graph.name}' has no such input. Its inputs: "
            f"{', '.join(graph.input_dict) or 'none'}."
        )
    problems: list[str] = []
    stack: list[tuple[Any, str]] = [(graph, "")]
    while stack:
        current, prefix = stack.pop()
        for inv in current.invocations.values():
            node = inv.node_def
            kind = "graph" if hasattr(node, "invocations") else "op"
            for input_name in node.input_dict:
                if input_name not in inv.bindings and not _has_a_source(node, input_name):
                    problems.append(
                        f"input '{input_name}' of {kind} '{prefix}{inv.name}' is connected to "
                        "nothing and cannot get a value: it has no default, no input manager, "
                        "and its type cannot be read from run config")
            if kind == "graph":
                stack.append((node, f"{prefix}{inv.name}."))
    if problems:
        raise error(
            f"job '{job_name}': " + "; ".join(problems) + ". Connect each to an upstream "
            "output, give it a default_value, or load it with In(input_manager_key=...)."
        )
