"""Attributes of assets definitions: from_graph/from_op, AssetsDefinition(...) per key,
with_attributes, LegacyFreshnessPolicy and AssetKey."""

import pickle

import pytest

import headwater as hw


@hw.op(out={"a": hw.Out(), "b": hw.Out()})
def _two():
    return 1, 2


def test_from_op_takes_op_def_and_per_output_attributes():
    """from_op(op_def=...) keys, prefixes and describes each output's asset."""
    fp = hw.LegacyFreshnessPolicy(maximum_lag_minutes=5)
    assets = hw.AssetsDefinition.from_op(
        op_def=_two, key_prefix="pre", group_name="g",
        metadata_by_output_name={"a": {"m": 1}},
        legacy_freshness_policies_by_output_name={"b": fp},
        auto_materialize_policies_by_output_name={"a": hw.AutoMaterializePolicy.eager()},
        internal_asset_deps={"a": set(), "b": {hw.AssetKey(["pre", "a"])}})
    a, b = hw.AssetKey(["pre", "a"]), hw.AssetKey(["pre", "b"])
    assert a.path == ["pre", "a"]
    assert assets.specs_by_key[a].metadata == {"m": 1}
    assert assets.specs_by_key[b].legacy_freshness_policy == fp
    assert assets.specs_by_key[a].auto_materialize_policy == hw.AutoMaterializePolicy.eager()
    assert assets.asset_deps == {a: set(), b: {a}}
    assert {s.group_name for s in assets.specs} == {"g"}


def test_constructor_builds_specs_from_maps_by_key():
    """AssetsDefinition(..., group_names_by_key=...) sets each asset's spec; an optional
    output makes a skippable asset."""

    @hw.op(out={"a": hw.Out(), "b": hw.Out(is_required=False)})
    def node():
        yield hw.Output(1, "a")

    assets = hw.AssetsDefinition(
        node_def=node, keys_by_input_name={},
        keys_by_output_name={"a": hw.AssetKey("a"), "b": hw.AssetKey("b")},
        group_names_by_key={hw.AssetKey("a"): "one", hw.AssetKey("b"): "two"}, can_subset=True)
    assert assets.subset_for({hw.AssetKey("b")}, None).specs_by_key[hw.AssetKey("b")].group_name \
        == "two"
    assert assets.specs_by_key[hw.AssetKey("b")].skippable
    with pytest.raises(TypeError, match="groups_names_by_key"):
        hw.AssetsDefinition(node_def=node, keys_by_output_name={"a": hw.AssetKey("a")},
                            groups_names_by_key={})


def test_with_attributes_renames_and_sets_per_key_attributes():
    """Renaming keys carries partition mappings; metadata merges for assets, replaces for
    checks; tags and freshness policies are set."""

    @hw.asset(ins={"up": hw.AssetIn(partition_mapping=hw.LastPartitionMapping())},
              metadata={"keep": 1})
    def down(up):
        return up

    @hw.asset_check(asset=down, metadata={"x": 1})
    def check():
        return hw.AssetCheckResult(passed=True)

    renamed = down.with_attributes(
        asset_key_replacements={hw.AssetKey("up"): hw.AssetKey("up2")},
        metadata_by_key={hw.AssetKey("down"): {"new": 2}},
        tags_by_key={hw.AssetKey("down"): {"team": "a"}},
        legacy_freshness_policy=hw.LegacyFreshnessPolicy(maximum_lag_minutes=1))
    spec = renamed.specs_by_key[hw.AssetKey("down")]
    assert isinstance(renamed.get_partition_mapping(hw.AssetKey("up2")), hw.LastPartitionMapping)
    assert spec.metadata == {"keep": 1, "new": 2}
    assert spec.tags == {"team": "a"}
    assert spec.legacy_freshness_policy.maximum_lag_minutes == 1
    blanked = check.with_attributes(metadata_by_key={check.check_key: {}})
    assert next(iter(blanked.check_specs)).metadata == {}


def test_asset_key_is_one_name():
    """An AssetKey's path is a list; the key itself is neither iterable nor indexable, and
    still pickles and hashes."""
    key = hw.AssetKey(["a", "b"])
    assert key.path == ["a", "b"]
    with pytest.raises(TypeError, match="Iteration is not allowed"):
        list(key)
    with pytest.raises(TypeError, match="Index access is not allowed"):
        key[0]  # noqa: B018
    assert pickle.loads(pickle.dumps(key)) == key
    assert {key: 1}[hw.AssetKey.from_user_string("a/b")] == 1


def test_kinds_follow_tag_rules_and_graph_asset_refuses_key_with_name():
    """A kind with a character a tag key cannot hold is refused; so is key= with name=."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="invalid tag key"):
        hw.AssetSpec("x", kinds={"a%"})
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="name or key prefix"):
        hw.graph_asset(key="k", name="n")


def test_asset_metadata_is_on_its_output_and_graph_asset_keeps_partition_mappings():
    """The op output of an asset carries the asset's metadata; a graph asset's ins= partition
    mappings are its own."""

    @hw.asset(metadata={"owner": "data"})
    def single():
        return 1

    @hw.multi_asset(outs={"a": hw.AssetOut(metadata={"m": 1})})
    def multi():
        return 1

    @hw.op
    def passthrough(x):
        return x

    @hw.graph_asset(ins={"up": hw.AssetIn(partition_mapping=hw.AllPartitionMapping())})
    def graph_one(up):
        return passthrough(up)

    assert single.op.output_def_named("result").metadata == {"owner": "data"}
    assert multi.op.output_def_named("a").metadata == {"m": 1}
    assert graph_one.get_partition_mapping(hw.AssetKey("up")) == hw.AllPartitionMapping()
