"""with_resources: binding resources to assets, and the checks that every resource an
asset, its IO managers and its resources need is bound.

A function over AssetsDefinitions (it copies them), so it sits beside `definition.py`
and imports it; `config` provides the resource definitions and config processing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition
from headwater.definitions.assets.source_asset import SourceAsset
from headwater.definitions.config.resource import as_resource_definition
from headwater.definitions.config.schema import process_config
from headwater.errors import (
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
)


def with_resources(
    definitions: Iterable[Any],
    resource_defs: Mapping[str, Any],
    resource_config_by_key: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Copies of the assets with `resource_defs` bound.

    The older way to give assets their resources (Definitions(resources=...) is the usual
    one). `resource_config_by_key` configures resources by key: {"db": {"config": {...}}}.
    An asset that already binds one of the keys raises HeadwaterInvalidDefinitionError (its
    own IO manager excepted: it wins over a default `io_manager`); so does a resource the
    asset (or one of its resources) needs that neither provides.

    Args:
        definitions: assets and source assets to copy.
        resource_defs: resource per key.
        resource_config_by_key: config per resource key, as {"key": {"config": ...}}.

    Example:
        ```python
        from headwater import ConfigurableResource, asset, materialize, with_resources

        class Greeter(ConfigurableResource):
            greeting: str

        @asset
        def message(greeter: Greeter) -> str:
            return greeter.greeting + ", world"

        [bound] = with_resources([message], {"greeter": Greeter(greeting="hello")})
        assert materialize([bound]).output_for_node("message") == "hello, world"
        ```
    """
    by_id = {id(v): k for k, v in resource_defs.items()}
    resources = {k: as_resource_definition(v, by_id) for k, v in resource_defs.items()}
    for key, entry in (resource_config_by_key or {}).items():
        if key not in resources:
            continue  # Dagster ignores config for keys it does not bind
        if not isinstance(entry, Mapping) or "config" not in entry:
            raise HeadwaterInvalidInvocationError(
                f"Error with config for resource key '{key}': expected a dict with a 'config' "
                f"entry, like {{'{key}': {{'config': ...}}}}, got {entry!r}."
            )
        config = entry["config"]
        schema = resources[key].config_schema
        if schema is not None:
            try:
                config = process_config(schema, config, f"resources.{key}.config")
            except HeadwaterInvalidConfigError as exc:
                raise HeadwaterInvalidConfigError(
                    f"Error when applying config for resource with key '{key}':", exc.errors,
                    config,
                ) from None
        resources[key] = resources[key].configured(config)
    bound = []
    for value in definitions:
        if isinstance(value, AssetsDefinition):
            own = dict(value.resource_defs)
            clash = sorted((set(own) & set(resources)) - {"io_manager"})
            if clash and isinstance(value, SourceAsset):
                raise HeadwaterInvalidInvocationError(
                    # The first sentence is matched verbatim by users' tests (Dagster's own too).
                    f"SourceAsset with key {value.key!r} has conflicting resource definitions "
                    f"with provided resources for the following keys: {clash}. Either remove the "
                    "existing resources from the asset or change the resource keys so that they "
                    "don't overlap."
                )
            if clash:
                raise HeadwaterInvalidInvocationError(
                    f"AssetsDefinition with key {_key_list(value)} has conflicting resource "
                    "definitions with provided resources for the following keys: "
                    f"{', '.join(clash)}. Either remove the existing resources from the asset or "
                    "change the resource keys so that they don't overlap."
                )
            merged = {**resources, **own}
            _check_bound_resources(value, merged)
            value = value._copy(resource_defs=merged)
        bound.append(value)
    return bound


def _key_list(assets_def: AssetsDefinition) -> str:
    return "[" + ", ".join(f'"{p}"' for p in assets_def.key.path) + "]"


def _check_bound_resources(assets_def: AssetsDefinition, merged: Mapping[str, Any]) -> None:
    """Every resource the asset, its IO managers and its resources need is in `merged`."""
    state: dict[str, int] = {}

    def visit(key: str) -> None:
        if state.get(key) == 1:
            raise HeadwaterInvariantViolationError(
                f'Resource key "{key}" transitively depends on itself. Break the cycle in the '
                "required_resource_keys of the resources."
            )
        if state.get(key) == 2 or key not in merged:
            return
        state[key] = 1
        for dep in sorted(getattr(merged[key], "required_resource_keys", ())):
            visit(dep)
        state[key] = 2

    for key in sorted(merged):
        visit(key)
    name = assets_def.node_def.name if assets_def.node_def is not None else None
    for key in sorted(assets_def.required_resource_keys):
        if key not in merged:
            raise HeadwaterInvalidDefinitionError(
                f"resource with key '{key}' required by op '{name}' was not provided. Add it "
                f"to with_resources(..., {{'{key}': ...}})."
            )
    for asset_key in sorted(assets_def.keys, key=lambda k: k.path):
        io_key = assets_def.get_io_manager_key_for_asset_key(asset_key)
        if io_key != "io_manager" and io_key not in merged:
            what = "SourceAsset" if isinstance(assets_def, SourceAsset) else "asset"
            raise HeadwaterInvalidDefinitionError(
                f"io manager with key '{io_key}' required by {what} with key "
                f"{_key_list(assets_def)} was not provided. Add it to with_resources(..., "
                f"{{'{io_key}': <an IO manager>}})."
            )
    # The resources the asset uses, and the ones those use in turn, in the order found.
    used = [*sorted(assets_def.required_resource_keys | {"io_manager"}),
            *sorted(set(assets_def.io_manager_keys.values()) | set(assets_def.resource_defs))]
    seen: set[str] = set()
    while used:
        owner = used.pop(0)
        if owner in seen or owner not in merged:
            continue
        seen.add(owner)
        for key in sorted(getattr(merged[owner], "required_resource_keys", ())):
            if key not in merged:
                raise HeadwaterInvalidDefinitionError(
                    f"resource with key '{key}' required by resource with key '{owner}' was "
                    f"not provided. Add it to with_resources(..., {{'{key}': ...}})."
                )
            used.append(key)
