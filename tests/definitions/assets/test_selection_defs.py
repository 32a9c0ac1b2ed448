"""AssetSelection over real asset definitions: multi-asset neighbors, source assets upstream,
self-dependencies and the text of unions."""

from __future__ import annotations

import headwater as hw
from headwater import AssetSelection

earth = hw.SourceAsset(["sky", "earth"])


@hw.asset(ins={"earth": hw.AssetIn(key=hw.AssetKey(["sky", "earth"]))})
def first(earth):
    return 1


@hw.asset
def second(first):
    return 2


@hw.multi_asset(outs={"x": hw.AssetOut(), "y": hw.AssetOut()})
def bound():
    return 1, 2


@hw.multi_asset(outs={"p": hw.AssetOut(), "q": hw.AssetOut()}, can_subset=True)
def loose():
    return 1, 2


ALL = [earth, first, second, bound, loose]


def test_required_multi_asset_neighbors():
    """Selecting one output of a multi-asset that cannot be subset selects all its outputs."""
    assert AssetSelection.assets("x").required_multi_asset_neighbors().resolve(ALL) == {
        hw.AssetKey("x"), hw.AssetKey("y")}
    assert AssetSelection.assets("p").required_multi_asset_neighbors().resolve(ALL) == {
        hw.AssetKey("p")}
    graph = hw.Definitions(assets=ALL).resolve_asset_graph()
    assert AssetSelection.assets("y").required_multi_asset_neighbors().resolve(graph) == {
        hw.AssetKey("x"), hw.AssetKey("y")}


def test_upstream_source_assets_reach_past_parents():
    """upstream_source_assets finds source assets however far upstream."""
    assert AssetSelection.assets("second").upstream_source_assets().resolve(ALL) == {earth.key}


def test_self_dependency_is_not_an_edge():
    """An asset reading its own earlier partitions is still a root and a sink."""
    @hw.asset(partitions_def=hw.DailyPartitionsDefinition("2024-01-01"),
              ins={"me": hw.AssetIn("me", partition_mapping=hw.TimeWindowPartitionMapping(
                  start_offset=-1, end_offset=-1))})
    def me(me):
        return None

    selection = AssetSelection.assets("me")
    assert selection.roots().resolve([me]) == {me.key}
    assert selection.sinks().resolve([me]) == {me.key}
    assert selection.upstream(include_self=False).resolve([me]) == set()


def test_union_text_parenthesizes_operands_naming_several_keys():
    """A union operand that names several keys is written in parentheses."""
    pair = AssetSelection.assets("a", "b")
    assert str(pair | AssetSelection.assets("c")) == '(key:"a" or key:"b") or key:"c"'
    assert str(AssetSelection.assets("c") | AssetSelection.assets("d")) == 'key:"c" or key:"d"'
