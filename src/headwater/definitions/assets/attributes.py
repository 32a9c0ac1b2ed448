"""What `AssetsDefinition.with_attributes` changes: one pass over the specs of a definition.

Keys renamed (an asset's own key and every reference to it: deps, check targets, inputs,
outputs, IO manager keys, partition mappings), and per-asset attributes replaced (group, tags,
metadata, automation condition, legacy freshness policy). A value given as a mapping applies
to the keys it names (by their key before any renaming); a single value applies to every
asset of the definition.

Metadata given for an asset is merged over the metadata it was declared with (declared
metadata stays, as it does in Dagster, where the node's output carries it); metadata given
for a check replaces the check's metadata. Works on the spec objects through their own
methods, so it imports nothing of this room: `definition.py` calls it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from headwater.definitions.key import AssetKey


def _for_key(value: Any, key: AssetKey) -> tuple[bool, Any]:
    """(given?, value) of a with_attributes argument for one asset: a mapping names keys, a
    single value applies to all."""
    if value is None:
        return False, None
    if isinstance(value, Mapping):
        return (key in value), value.get(key)
    return True, value


def renamed_attributes(
    assets_def: Any,
    replacements: Mapping[AssetKey, AssetKey],
    spec_changes: Mapping[str, Any],
    metadata_by_key: Mapping[Any, Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """The attributes of `assets_def` (a dict for its `_copy`) after renaming keys with
    `replacements` and setting `spec_changes` (spec field -> value or {key: value})."""

    def swap(k: AssetKey) -> AssetKey:
        return replacements.get(k, k)

    def swap_dep(dep: Any) -> Any:
        return dataclasses.replace(dep, asset=swap(dep.asset_key)) if dep.asset_key in replacements \
            else dep

    metadata_by_key = metadata_by_key or {}
    specs = []
    for spec in assets_def.specs_by_key.values():
        changes: dict[str, Any] = {"key": swap(spec.key), "deps": [swap_dep(d) for d in spec.deps]}
        for field, value in spec_changes.items():
            given, found = _for_key(value, spec.key)
            if given:
                changes[field] = found
        if spec.key in metadata_by_key:
            changes["metadata"] = {**spec.metadata, **metadata_by_key[spec.key]}
        specs.append(spec.replace_attributes(**changes))
    checks = {}
    renamed_checks = {}
    for old_key, spec in assets_def.check_specs_by_key.items():
        changes = {}
        if spec.asset_key in replacements or any(d.asset_key in replacements
                                                 for d in spec.additional_deps):
            changes = {"asset": swap(spec.asset_key),
                       "additional_deps": [swap_dep(d) for d in spec.additional_deps]}
        if old_key in metadata_by_key:
            changes["metadata"] = dict(metadata_by_key[old_key])
        spec = spec.replace_attributes(**changes) if changes else spec
        checks[spec.key] = spec
        renamed_checks[old_key] = spec.key
    def rename(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
        return {swap(k): v for k, v in mapping.items()}

    return {
        "specs_by_key": {s.key: s for s in specs},
        "check_specs_by_key": checks,
        "_selected_checks": frozenset(renamed_checks[k] for k in assets_def._selected_checks),
        "node_keys_by_input_name": {n: swap(k) for n, k in assets_def.node_keys_by_input_name.items()},
        "node_keys_by_output_name": {n: swap(k) for n, k in assets_def.node_keys_by_output_name.items()},
        "_selected": frozenset(swap(k) for k in assets_def._selected),
        "io_manager_keys": rename(assets_def.io_manager_keys),
        "output_name_by_key": rename(assets_def.output_name_by_key),
        "partition_mappings": rename(assets_def.partition_mappings),
    }
