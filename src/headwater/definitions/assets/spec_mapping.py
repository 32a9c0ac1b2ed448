"""map_asset_specs: one change applied to the specs of many assets and specs at once.

Builds on `definition.py` (AssetSpec, and AssetsDefinition.map_asset_specs for the specs of
a definition), which never imports this module; nothing of headwater imports it but the
export table and `checks/freshness_policy.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition, AssetSpec
from headwater.errors import HeadwaterInvalidDefinitionError


def map_asset_specs(fn: Callable[[AssetSpec], AssetSpec], iterable: Iterable[Any]) -> list[Any]:
    """Apply `fn` to each AssetSpec of `iterable`, and to the specs of each AssetsDefinition.

    Use it to set an attribute on many assets at once (a group, an owner, tags). Items come
    back in order, of the same kinds; anything else in `iterable` raises
    HeadwaterInvalidDefinitionError.

    Args:
        fn: takes an AssetSpec and returns the changed spec.
        iterable: AssetSpecs and AssetsDefinitions.

    Example:
        ```python
        from headwater import AssetSpec, asset, map_asset_specs

        @asset
        def orders() -> int:
            return 1

        tagged = map_asset_specs(lambda spec: spec.replace_attributes(group_name="sales"),
                                 [orders, AssetSpec("customers")])
        assert tagged[0].group_names_by_key[orders.key] == "sales"
        assert tagged[1].group_name == "sales"
        ```
    """
    out: list[Any] = []
    for item in iterable:
        if isinstance(item, AssetsDefinition):
            out.append(item.map_asset_specs(fn))
        elif isinstance(item, AssetSpec):
            out.append(fn(item))
        else:
            raise HeadwaterInvalidDefinitionError(
                f"map_asset_specs: {item!r} ({type(item).__name__}) is neither an AssetSpec nor "
                "an AssetsDefinition; pass only those (asset checks, jobs and sensors have no "
                "asset specs to map).")
    return out
