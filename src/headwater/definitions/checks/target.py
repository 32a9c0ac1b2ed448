"""The `assets=` argument of the built-in check factories, and the names of what they build.

A factory takes asset definitions, source assets, specs, keys or strings. `asset_targets`
turns them into (key, partitions definition) pairs in a stable order, refusing an empty list
and a key named twice; `factory_node_name` gives the check's node a name that is the same on
every load of the code and differs between two calls of a factory on different assets, so
that several calls can sit in one Definitions.

Imports `key`, the `assets` room and `errors`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition, AssetSpec
from headwater.definitions.key import AssetCheckKey, AssetKey, to_asset_key
from headwater.errors import HeadwaterInvalidDefinitionError


@dataclass(frozen=True, slots=True)
class AssetTarget:
    """One asset a built-in check is about, with its partitions definition when known."""

    key: AssetKey
    partitions_def: Any = None
    #: False for a bare key or string: nothing is known of its partitions
    known: bool = False


def asset_targets(assets: Any, owner: str) -> list[AssetTarget]:
    """The assets named by a factory's `assets=` argument, in the order given."""
    if isinstance(assets, (str, AssetKey, AssetsDefinition, AssetSpec)) or \
            not isinstance(assets, Iterable):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: assets= takes a list of assets (definitions, specs, keys or strings), "
            f"got {type(assets).__name__} {assets!r}; wrap it in a list: assets=[...].")
    found: dict[AssetKey, AssetTarget] = {}
    for item in assets:
        for target in _targets_of(item, owner):
            if target.key in found:
                raise HeadwaterInvalidDefinitionError(
                    f"{owner}: asset '{target.key.to_user_string()}' is listed twice in "
                    "assets=; list each asset once.")
            found[target.key] = target
    if not found:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: assets= is empty; pass the assets to check, e.g. assets=[my_asset].")
    return list(found.values())


def _targets_of(item: Any, owner: str) -> list[AssetTarget]:
    if isinstance(item, AssetsDefinition):
        return [AssetTarget(spec.key, spec.partitions_def or item.partitions_def, True)
                for spec in sorted(item.specs, key=lambda s: s.key)]
    if isinstance(item, AssetSpec):
        return [AssetTarget(item.key, item.partitions_def, True)]
    try:
        return [AssetTarget(to_asset_key(item))]
    except HeadwaterInvalidDefinitionError:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: assets= holds {item!r} ({type(item).__name__}), which is not an asset; "
            "pass asset definitions, AssetSpecs, AssetKeys or strings such as 'a/b'.") from None


def factory_node_name(prefix: str, check_keys: Sequence[AssetCheckKey]) -> str:
    """`prefix` and a short digest of the check keys: stable, and distinct per set of keys."""
    digest = hashlib.sha256(
        "\n".join(sorted(k.to_user_string() for k in check_keys)).encode()).hexdigest()[:8]
    return f"{prefix}_{digest}"


def check_name_part(text: str) -> str:
    """`text` with every character a check name cannot hold replaced by '_'."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text)
