"""MaterializeResult: the value type it annotates, the keys it may name, its metadata as
given, and the checks it carries evaluating the materialization it reports."""

from typing import Any

import pytest

import headwater as hw


def test_annotation_types_the_value():
    """`-> MaterializeResult[int]` type-checks the value; [Any] with no value stores nothing."""
    @hw.asset
    def good() -> hw.MaterializeResult[str]:
        return hw.MaterializeResult(value="hello")

    @hw.asset
    def wrong() -> hw.MaterializeResult[int]:
        return hw.MaterializeResult(value="hello")  # type: ignore[arg-type]

    @hw.asset
    def empty() -> hw.MaterializeResult[int]:
        return hw.MaterializeResult()

    assert hw.materialize([good]).asset_value("good") == "hello"
    for asset in (wrong, empty):
        with pytest.raises(hw.HeadwaterTypeCheckDidNotPass):
            hw.materialize([asset])

    class Refuse(hw.InMemoryIOManager):
        def handle_output(self, context, obj):
            raise AssertionError("nothing to store")

    @hw.asset
    def nothing() -> hw.MaterializeResult[Any]:
        return hw.MaterializeResult()

    assert hw.materialize([nothing], resources={"io_manager": Refuse()}).success


def test_unknown_key_is_refused_when_invoked_directly():
    """Naming an asset the definition does not compute fails in a direct call too."""
    @hw.asset
    def mine():
        return hw.MaterializeResult(asset_key="other")

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="Asset key other not found"):
        mine(hw.build_asset_context())


def test_metadata_is_kept_as_given():
    """The result holds the raw metadata; the recorded materialization holds it normalized."""
    @hw.asset
    def meta():
        return hw.MaterializeResult(metadata={"foo": "bar"})

    assert meta().metadata == {"foo": "bar"}
    mat = hw.materialize([meta]).asset_materializations_for_node("meta")[0]
    assert mat.metadata["foo"] == hw.MetadataValue.text("bar")


def test_carried_check_targets_this_materialization():
    """A check result inside the MaterializeResult points at the materialization it came with."""
    @hw.asset(check_specs=[hw.AssetCheckSpec(name="c", asset="a")])
    def a():
        return hw.MaterializeResult(check_results=[hw.AssetCheckResult(check_name="c", passed=True)])

    with hw.instance_for_test() as instance:
        for _ in range(2):
            result = hw.materialize([a], instance=instance)
            target = result.get_asset_check_evaluations()[0].target_materialization_data
            latest = instance.fetch_materializations(a.key, limit=1).records[0]
            assert target is not None and target.storage_id == latest.storage_id
