"""AssetSpec refuses what Dagster refuses, and reads as Dagster's does (lists, kind tags);
asset hooks run after the asset's step."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater import AssetDep, AssetKey, AssetSpec


def test_deps_and_owners_are_lists_and_deps_normalize():
    spec = AssetSpec("a", deps=["b"], owners=["data@example.com", "team:core"])
    assert spec.deps == [AssetDep(AssetKey("b"))] == [AssetDep("b")]
    assert spec.owners == ["data@example.com", "team:core"]


def test_kinds_are_tags_and_replace_together():
    spec = AssetSpec("a", kinds={"python"}, tags={"tier": "gold"})
    assert spec.tags == {"tier": "gold", "headwater/kind/python": ""}
    again = spec.replace_attributes(kinds={"sql"})
    assert again.kinds == {"sql"} and "headwater/kind/python" not in again.tags
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="at most ten kinds"):
        AssetSpec("a", kinds={f"k{i}" for i in range(11)})


def test_owners_and_group_names_are_validated():
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Invalid owner 'not an owner'"):
        AssetSpec("a", owners=["not an owner"])
    AssetSpec("a", group_name="marketing/emails")
    for bad in ("", "/x", "x/", "a b"):
        with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="group name"):
            AssetSpec("a", group_name=bad)


def test_conflicting_specs_for_one_key_are_refused():
    first, second = AssetSpec("a", group_name="one"), AssetSpec("a", group_name="two")
    assert hw.Definitions(assets=[first, first]).resolve_all_asset_specs() == [first]
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="conflicting AssetSpecs"):
        hw.Definitions(assets=[first, second]).resolve_all_asset_specs()


def test_map_asset_specs_adds_and_removes_ordering_inputs():
    @hw.multi_asset(specs=[AssetSpec("a", deps=["b"])])
    def pair():
        return None

    dropped = hw.map_asset_specs(lambda s: s.replace_attributes(deps=[]), [pair])[0]
    assert dropped.keys_by_input_name == {} and not dropped.op.input_dict
    added = hw.map_asset_specs(
        lambda s: s.merge_attributes(deps=[AssetDep("c", partition_mapping=hw.LastPartitionMapping())]),
        [pair])[0]
    assert set(added.keys_by_input_name.values()) == {AssetKey("b"), AssetKey("c")}
    assert added.get_partition_mapping("c") == hw.LastPartitionMapping()


def test_asset_hooks_run_after_the_assets_step():
    seen = []

    @hw.success_hook(required_resource_keys={"flag"})
    def note(context):
        seen.append((context.op.name, context.resources.flag))

    @hw.asset(hooks={note})
    def hooked():
        return 1

    @hw.asset
    def plain():
        return 2

    assert "flag" in hooked.required_resource_keys
    result = hw.materialize([hooked, plain], resources={"flag": "on"})
    assert result.success and seen == [("hooked", "on")]
    def unhooked():
        return 1

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="hooks="):
        hw.asset(hooks={"not a hook"})(unhooked)
