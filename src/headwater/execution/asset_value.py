"""Loading an asset's stored value outside a run: `Definitions.load_asset_value`.

Builds only the asset's IO manager (and the resources it needs), asks it to load the value
as if a downstream step read it, and tears the resources down. Imports `headwater.definitions`
and this layer's `context` and `resources`.
"""

from __future__ import annotations

from typing import Any

from headwater.definitions.config.fs_io_manager import fs_io_manager
from headwater.definitions.key import AssetKey
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.execution.context import InputContext, OutputContext
from headwater.execution.resources import Resources, build_resource_values


def load_asset_value(defs: Any, key: AssetKey, *, python_type: Any = None, instance: Any = None,
                     partition_key: str | None = None) -> Any:
    """The value the asset's IO manager has stored for `key` (and `partition_key`).

    `python_type` is accepted for Dagster compatibility; pickled values need no hint.
    """
    graph = defs.resolve_asset_graph()
    assets_def = graph.assets_def_by_key.get(key)
    if assets_def is None:
        raise HeadwaterInvalidInvocationError(
            f"Definitions has no asset {key.to_user_string()!r} to load a value for."
        )
    io_key = getattr(assets_def, "io_manager_key", None) or \
        assets_def.get_io_manager_key_for_asset_key(key)
    resource_defs = {**defs.resources, **assets_def.resource_defs}
    if io_key not in resource_defs:
        # An ephemeral instance (e.g. `result.instance` of materialize()) has a storage
        # directory too, for as long as it lives.
        if io_key != "io_manager" or instance is None:
            raise HeadwaterInvalidInvocationError(
                f"Cannot load {key.to_user_string()!r}: its IO manager '{io_key}' is not among "
                "the resources, and values of the default IO manager live only in a persistent "
                "instance. Pass instance=HeadwaterInstance.get(), or bind "
                f"resources={{'{io_key}': ...}}."
            )
        resource_defs[io_key] = fs_io_manager
    values, teardown = build_resource_values(resource_defs, {}, {io_key}, instance=instance)
    try:
        spec = assets_def.specs_by_key[key]
        node = assets_def.node_def
        upstream = OutputContext(
            step_key=node.name if node is not None else None,
            name=assets_def.output_name_by_key.get(key, "result"),
            definition_metadata=spec.metadata, asset_key=key, partition_key=partition_key,
            assets_def=assets_def, resources=Resources(values), instance=instance,
        )
        context = InputContext(
            name=key.to_python_identifier(), definition_metadata=spec.metadata,
            upstream_output=upstream, asset_key=key, partition_key=partition_key,
            resources=Resources(values), instance=instance,
        )
        return values[io_key].load_input(context)
    finally:
        teardown()
