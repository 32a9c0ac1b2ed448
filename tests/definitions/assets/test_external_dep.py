"""A dep marked external on purpose is not reported as a near-miss typo."""

from __future__ import annotations

import pytest

from headwater import AssetDep, AssetSpec, Definitions, multi_asset
from headwater.definitions.tags import EXTERNAL_DEP_METADATA
from headwater.errors import HeadwaterError


def _defs(metadata: dict) -> Definitions:
    @multi_asset(specs=[AssetSpec("stg_payments", deps=[AssetDep("taxi_payments", metadata=metadata)])])
    def build():
        return None

    defs = Definitions(assets=[build])
    defs.resolve_asset_graph()
    return defs


def test_a_near_miss_dep_is_a_typo_unless_marked_external() -> None:
    """'taxi_payments' resembles 'stg_payments': an error, until the dep says it is external."""
    with pytest.raises(HeadwaterError, match="Did you mean 'stg_payments'"):
        _defs({})
    _defs({EXTERNAL_DEP_METADATA: True})
