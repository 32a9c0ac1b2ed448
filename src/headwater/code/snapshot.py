"""Snapshots: a Definitions object described as plain JSON data.

What a code server sends to processes that must not import user code (webserver,
daemon): the asset graph, jobs with their op graphs, resources, schedules and sensors,
and a `snapshot_id` that changes exactly when the content does. Everything here only
reads definitions; nothing runs user code except what Definitions validation runs.
Imports `definitions` only.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from enum import Enum as PyEnum
from typing import Any

from headwater.definitions.assets.staleness import AssetGraphStaleness
from headwater.definitions.automation.condition_sensor import (
    AutomationConditionSensorDefinition,
    targeted_conditions,
)
from headwater.definitions.config import json_schema
from headwater.definitions.config.resource import as_resource_definition
from headwater.definitions.definitions import Definitions
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.metadata.codec import metadata_to_jsonable
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.composition import (
    AssetInputHandle,
    CollectHandle,
    GraphInputHandle,
    OutputHandle,
)
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.job import JobDefinition
from headwater.definitions.tags import KIND_PREFIX


def build_snapshot(defs: Definitions, location_name: str | None = None) -> dict[str, Any]:
    """Describe `defs` as JSON-able data; raises DefinitionError if the definitions are invalid."""
    graph = defs.resolve_asset_graph()
    content = {
        "assets": [_asset(defs, graph, key) for key in sorted(graph.all_keys)],
        "jobs": [job_snapshot(job) for job in sorted(defs.get_all_job_defs(), key=_name)],
        "resources": [_resource(k, v) for k, v in sorted(defs.resources.items())],
        "schedules": [_schedule(s) for s in defs.schedules],
        "sensors": [_sensor(graph, s) for s in defs.resolve_all_sensor_defs()],
    }
    return {"location_name": location_name, "snapshot_id": snapshot_id(content), **content}


def snapshot_id(content: Mapping[str, Any]) -> str:
    """A hash of the content: equal definitions give equal ids."""
    body = {k: v for k, v in content.items() if k not in ("snapshot_id", "location_name")}
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _name(value: Any) -> str:
    return str(getattr(value, "name", ""))


# --- assets ------------------------------------------------------------------------------
def _asset(defs: Definitions, graph: Any, key: AssetKey) -> dict[str, Any]:
    spec = graph.spec_by_key[key]
    assets_def = graph.assets_def_by_key[key]
    node_def = assets_def.node_def
    return {
        "key": list(key.path),
        "key_string": key.to_user_string(),
        "deps": sorted(p.to_user_string() for p in graph.parents(key)),
        # Parents whose partitions this asset's partitions read one to one (staleness per
        # partition needs no code server call for them).
        "identity_deps": sorted(p.to_user_string() for p in graph.parents(key)
                                if AssetGraphStaleness(graph).maps_one_to_one(key, p)),
        "group": graph.group_name(key),
        "kinds": sorted(spec.kinds),
        "owners": list(spec.owners),
        # kinds are listed on their own; their tags (headwater/kind/...) are not repeated here
        "tags": {k: v for k, v in spec.tags.items() if not k.startswith(KIND_PREFIX)},
        "description": spec.description,
        "code_version": spec.code_version,
        "metadata": metadata_to_jsonable(normalize_metadata(spec.metadata, allow_invalid=True)),
        "is_executable": assets_def.is_executable,
        "is_materializable": assets_def.is_materializable,
        "is_observable": assets_def.is_observable,
        "op_name": node_def.name if node_def is not None else None,
        "io_manager_key": assets_def.get_io_manager_key_for_asset_key(key),
        "partitions": describe_partitions(spec.partitions_def or assets_def.partitions_def),
        "source": _source(getattr(node_def, "compute_fn", None)),
        "checks": [_check(graph, assets_def, check_key)
                   for check_key in graph.check_keys_for_asset(key)],
        "automation_condition": condition_tree(spec.automation_condition),
    }


def _check(graph: Any, assets_def: Any, check_key: AssetCheckKey) -> dict[str, Any]:
    """One check of an asset. `in_asset_step`: the asset's own step evaluates it (check_specs=
    on @asset), rather than a step of its own (@asset_check, @multi_asset_check)."""
    spec = graph.check_specs_by_key[check_key]
    owner = graph.assets_def_by_check_key[check_key]
    node_def = getattr(owner, "node_def", None)
    return {
        "key": check_key.to_user_string(),
        "name": check_key.name,
        "asset_key": check_key.asset_key.to_user_string(),
        "description": spec.description,
        "blocking": spec.blocking,
        "additional_deps": sorted(k.to_user_string() for k in spec.additional_deps_keys),
        "metadata": metadata_to_jsonable(normalize_metadata(spec.metadata, allow_invalid=True)),
        "in_asset_step": owner is assets_def or check_key.asset_key in getattr(owner, "keys", ()),
        "op_name": node_def.name if node_def is not None else None,
        "partitions": describe_partitions(spec.partitions_def),
        "automation_condition": condition_tree(spec.automation_condition),
    }


def condition_tree(condition: Any) -> dict[str, Any] | None:
    """An automation condition as the nodes of its tree (label, description, text), in the
    shape of an evaluation's result tree without the counts."""
    if condition is None:
        return None
    return {"label": condition.label, "description": condition.description,
            "condition": condition.to_text(),
            "children": [condition_tree(child) for child in condition.children]}


def describe_partitions(partitions_def: Any) -> dict[str, Any] | None:
    """The kind of a partitions definition and its readable form, without listing keys."""
    if partitions_def is None:
        return None
    return {"type": type(partitions_def).__name__, "description": str(partitions_def)}


def _source(fn: Any) -> dict[str, Any] | None:
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    return {"file": os.path.basename(code.co_filename), "line": code.co_firstlineno,
            "path": code.co_filename}


# --- jobs --------------------------------------------------------------------------------
def job_snapshot(job: JobDefinition) -> dict[str, Any]:
    """A job: its tags, its node graph, and the JSON Schema of its run config."""
    layer = job.asset_layer
    data: dict[str, Any] = {
        "name": job.name,
        "description": job.description,
        "tags": {k: str(v) for k, v in job.tags.items()},
        "is_asset_job": bool(layer.assets_defs),
        "asset_keys": sorted(k.to_user_string() for k in layer.selected_keys),
        "partitions": describe_partitions(job.partitions_def),
        "nodes": _nodes(job.graph, layer),
    }
    data["run_config_schema"] = _jsonable(json_schema.run_config_schema(job))
    return data


def _nodes(graph: GraphDefinition, layer: Any) -> list[dict[str, Any]]:
    nodes = []
    for inv in graph.invocations.values():
        node_def = inv.node_def
        asset_outputs = layer.outputs_of_node(inv.name)
        asset_inputs = layer.inputs_of_node(inv.name)
        node: dict[str, Any] = {
            "name": inv.name,
            "definition": node_def.name,
            "kind": node_def.node_kind,
            "description": node_def.description,
            "tags": {k: str(v) for k, v in {**node_def.tags, **inv.tags}.items()},
            "inputs": [
                {"name": name, "type": _type_name(inp), "description": inp.description,
                 "asset_key": _key_string(asset_inputs.get(name)),
                 "depends_on": _binding(inv.bindings.get(name))}
                for name, inp in node_def.input_dict.items()
            ],
            "outputs": [
                {"name": name, "type": _type_name(out), "description": out.description,
                 "is_dynamic": bool(getattr(out, "is_dynamic", False)),
                 "asset_key": _key_string(asset_outputs.get(name))}
                for name, out in node_def.output_dict.items()
            ],
        }
        if isinstance(node_def, GraphDefinition):
            node["nodes"] = _nodes(node_def, layer)
        else:
            node["config_schema"] = config_json_schema(getattr(node_def, "config_schema", None))
        nodes.append(node)
    return nodes


def _binding(value: Any) -> Any:
    """Where an input's value comes from: node outputs, a graph input, an asset, or nothing."""
    if value is None:
        return None
    if isinstance(value, OutputHandle):
        return [{"node": value.node_name, "output": value.output_name}]
    if isinstance(value, CollectHandle):
        return [{"node": value.handle.node_name, "output": value.handle.output_name,
                 "collect": True}]
    if isinstance(value, GraphInputHandle):
        return [{"graph_input": value.input_name}]
    if isinstance(value, AssetInputHandle):
        return [{"asset": value.asset_key.to_user_string()}]
    if isinstance(value, (list, tuple)):
        return [item for v in value for item in (_binding(v) or [])]
    return None


def _type_name(definition: Any) -> str | None:
    htype = getattr(definition, "headwater_type", None)
    return getattr(htype, "display_name", None)


def _key_string(key: AssetKey | None) -> str | None:
    return key.to_user_string() if key is not None else None


# --- resources, schedules, sensors -------------------------------------------------------
def _resource(key: str, value: Any) -> dict[str, Any]:
    try:
        definition = as_resource_definition(value)
    except Exception:  # an object that claims to be a resource but cannot say how
        definition = value
    json_schema = getattr(value, "_json_schema", None)
    schema = (json_schema() if callable(json_schema)
              else config_json_schema(getattr(definition, "config_schema", None)))
    return {
        "key": key,
        "type": type(value).__name__,
        "description": getattr(value, "description", None)
        or getattr(definition, "description", None),
        "config_schema": schema,
        "version": getattr(definition, "version", None),
    }


def _schedule(schedule: Any) -> dict[str, Any]:
    return {
        "name": _name(schedule),
        "cron_schedule": _jsonable(getattr(schedule, "cron_schedule", None)),
        "job_name": _target_job_name(schedule),
        "description": getattr(schedule, "description", None),
        "execution_timezone": getattr(schedule, "execution_timezone", None),
        "default_status": _jsonable(getattr(schedule, "default_status", None)),
    }


def _sensor(graph: Any, sensor: Any) -> dict[str, Any]:
    data = {
        "name": _name(sensor),
        "job_name": _target_job_name(sensor),
        "description": getattr(sensor, "description", None),
        "minimum_interval_seconds": getattr(sensor, "minimum_interval_seconds", None),
        "default_status": _jsonable(getattr(sensor, "default_status", None)),
        "type": type(sensor).__name__,
        "kind": "standard",
    }
    if isinstance(sensor, AutomationConditionSensorDefinition):
        data["kind"] = "automation"
        data["target"] = str(sensor.target)
        data["evaluated_keys"] = [k.to_user_string()
                                  for k, _ in targeted_conditions(graph, sensor.target)]
    return data


def _target_job_name(item: Any) -> str | None:
    names = getattr(item, "job_names", None)  # a sensor: maybe several jobs, maybe assets only
    if names is not None:
        return names[0] if len(names) == 1 else None
    name = getattr(item, "job_name", None)
    if name is None:
        name = getattr(getattr(item, "job", None), "name", None)
    return name if isinstance(name, str) else None


# --- config schema -> JSON Schema (definitions/config/json_schema.py) ---------------------
def config_json_schema(schema: Any) -> dict[str, Any] | None:
    """A JSON Schema for a config_schema (None when there is no config)."""
    return None if schema is None else json_schema.config_json_schema(schema)


def _jsonable(value: Any) -> Any:
    """Plain JSON data for a value; what JSON cannot hold becomes its repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, PyEnum):
        return _jsonable(value.value) if isinstance(value.value, str) else value.name
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return repr(value)
