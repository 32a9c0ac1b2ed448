"""What resources a job needs, and who needs each of them.

A job needs a resource when one of its ops declares it (`required_resource_keys`), when an
output is stored or an input loaded with it (`io_manager_key`, `input_manager_key`), when
a type checks or loads values with it, when a hook uses it, and when a resource it needs
needs it in turn. Definitions validation names the owner of each missing resource; the
run-config schema asks config only of the resources a run can use. The job is read
through its public attributes (graph, resource_defs, hook_defs, asset_layer), so this
module sits in the config room beside the resources. Imports this room's `resource`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from headwater.definitions.config.resource import as_resource_definition


@dataclass(frozen=True, slots=True)
class ResourceRequirement:
    """One resource key that something in a job needs: `kind` says what the key must name
    ("resource", "io manager", "input manager"), `owner` who needs it."""

    key: str
    kind: str
    owner: str

    def describe_missing(self) -> str:
        return f"{self.kind} with key '{self.key}' required by {self.owner} was not provided"


def job_requirements(job: Any) -> Iterator[ResourceRequirement]:
    """Every resource the ops, types and hooks of `job` need (not the resources' own needs)."""
    for op_def in job.graph.iterate_op_defs():
        op = f"op '{op_def.name}'"
        for key in sorted(op_def.required_resource_keys):
            yield ResourceRequirement(key, "resource", op)
        for name, input_def in op_def.input_dict.items():
            if input_def.input_manager_key:
                yield ResourceRequirement(input_def.input_manager_key, "input manager",
                                          f"input '{name}' of {op}")
            yield from _type_requirements(input_def.headwater_type)
        for name, output_def in op_def.output_dict.items():
            io_key = getattr(output_def, "io_manager_key", None)
            if io_key:
                yield ResourceRequirement(io_key, "io manager", f"output '{name}' of {op}")
            yield from _type_requirements(output_def.headwater_type)
    for hook in _hooks(job):
        for key in sorted(getattr(hook, "required_resource_keys", ())):
            yield ResourceRequirement(key, "resource", f"hook '{getattr(hook, 'name', hook)}'")
    asset_graph = getattr(getattr(job, "asset_layer", None), "asset_graph", None)
    for assets_def in getattr(asset_graph, "assets_defs", ()):
        # an asset of the job's graph may be loaded as an input through its IO manager
        for asset_key, io_key in assets_def.io_manager_keys.items():
            yield ResourceRequirement(io_key, "io manager",
                                      f"asset '{asset_key.to_user_string()}'")


def _type_requirements(htype: Any) -> Iterator[ResourceRequirement]:
    name = getattr(htype, "display_name", None) or getattr(htype, "key", "?")
    for key in sorted(getattr(htype, "required_resource_keys", ())):
        yield ResourceRequirement(key, "resource", f"type '{name}'")
    loader = getattr(htype, "loader", None)
    for key in sorted(getattr(loader, "required_resource_keys", ())):
        yield ResourceRequirement(key, "resource", f"the loader on type '{name}'")


def _hooks(job: Any) -> list[Any]:
    hooks = list(getattr(job, "hook_defs", ()))
    graphs = [job.graph]
    while graphs:
        graph = graphs.pop()
        for inv in graph.invocations.values():
            hooks.extend(getattr(inv, "hook_defs", None) or ())
            if hasattr(inv.node_def, "invocations"):
                graphs.append(inv.node_def)
    return hooks


def resource_requirements(job: Any) -> Iterator[ResourceRequirement]:
    """`job_requirements`, then what the bound resources among those need, transitively."""
    defs = dict(job.resource_defs)
    by_id = {id(v): k for k, v in defs.items()}
    seen: set[str] = set()
    pending = list(job_requirements(job))
    pending.append(ResourceRequirement("io_manager", "io manager", f"job '{job.name}'"))
    while pending:
        requirement = pending.pop(0)
        yield requirement
        key = requirement.key
        if key in seen or key not in defs:
            continue
        seen.add(key)
        definition = as_resource_definition(defs[key], by_id)
        pending.extend(ResourceRequirement(dep, "resource", f"resource with key '{key}'")
                       for dep in sorted(definition.required_resource_keys))


def required_resource_keys(job: Any) -> set[str]:
    """The keys of every resource a run of `job` may initialise."""
    return {requirement.key for requirement in resource_requirements(job)}
