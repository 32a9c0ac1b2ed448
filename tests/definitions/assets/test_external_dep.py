"""A dep marked external on purpose is not reported as a near-miss typo."""

from __future__ import annotations

import pytest

from headwater import AssetDep, AssetKey, AssetSpec, Definitions, multi_asset
from headwater.definitions.tags import EXTERNAL_DEP_METADATA
from headwater.errors import HeadwaterError


def _defs(metadata: dict) -> Definitions:
    @multi_asset(specs=[
        AssetSpec("orders_clean"),
        AssetSpec("report", deps=[AssetDep("orders_cleen", metadata=metadata)]),
    ])
    def build():
        return None

    defs = Definitions(assets=[build])
    defs.resolve_asset_graph()
    return defs


def test_a_near_miss_dep_is_a_typo_unless_marked_external() -> None:
    """'orders_cleen' next to 'orders_clean' is an error, until the dep says it is external."""
    with pytest.raises(HeadwaterError, match="Did you mean 'orders_clean'"):
        _defs({})
    graph = _defs({EXTERNAL_DEP_METADATA: True}).resolve_asset_graph()
    assert AssetKey("orders_cleen") in graph.parents(AssetKey("report"))
