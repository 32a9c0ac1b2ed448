"""Subsets of assets definitions: what a subset shows, and graph-backed assets run in part."""

import headwater as hw


def _abc():
    @hw.multi_asset(
        outs={"a": hw.AssetOut(), "b": hw.AssetOut(), "c": hw.AssetOut()},
        internal_asset_deps={"a": {hw.AssetKey("x")}, "b": set(),
                             "c": {hw.AssetKey("a"), hw.AssetKey("y")}},
        can_subset=True,
    )
    def abc(context, x, y):
        for name in sorted(context.selected_output_names):
            yield hw.Output(None, name)

    return abc


def test_subset_shows_the_inputs_and_outputs_of_what_it_keeps():
    """A subset's keys_by_input/output_name are those of its assets; the node keeps all."""
    abc = _abc()
    only_c = abc.subset_for({hw.AssetKey("c")}, selected_asset_check_keys=None)
    assert set(only_c.keys_by_output_name) == {"c"}
    # c reads a sibling: an ordering input stands for it
    assert set(only_c.keys_by_input_name.values()) == {hw.AssetKey("a"), hw.AssetKey("y")}
    assert set(only_c.node_keys_by_output_name) == {"a", "b", "c"}
    assert only_c.asset_deps == abc.asset_deps


def test_a_subset_never_grows():
    """Subsetting a subset keeps only keys it already had."""
    abc = _abc()
    ab = abc.subset_for({hw.AssetKey("a"), hw.AssetKey("b")}, selected_asset_check_keys=None)
    assert ab.subset_for({hw.AssetKey("b"), hw.AssetKey("c")}, None).keys == {hw.AssetKey("b")}


def test_graph_asset_runs_only_the_ops_its_selected_outputs_need():
    """Selecting one output of a graph asset runs the ops behind it, each told its outputs."""
    seen = {}

    @hw.op(out={"left": hw.Out(is_required=False), "right": hw.Out(is_required=False)})
    def split(context):
        seen["split"] = set(context.selected_output_names)
        for name in sorted(context.selected_output_names):
            yield hw.Output(1, name)

    @hw.op
    def double(x):
        return x * 2

    @hw.graph_multi_asset(outs={"one": hw.AssetOut(), "two": hw.AssetOut()}, can_subset=True)
    def pair():
        left, right = split()
        return double.alias("d1")(left), double.alias("d2")(right)

    result = hw.materialize([pair], selection=[hw.AssetKey("two")])
    assert result.success
    assert seen["split"] == {"right"}
    assert [e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"] == [
        "pair.split", "pair.d2"]
    assert [m.asset_key for m in result.asset_materializations_for_node("pair")] == [
        hw.AssetKey("two")]


def test_output_of_an_unselected_asset_feeding_a_selected_one_does_not_materialize():
    """An op output that is an unselected asset still flows downstream, unmaterialized."""

    @hw.op(out={"a": hw.Out(is_required=False), "b": hw.Out(is_required=False)})
    def first(context):
        assert context.selected_output_names == {"b"}
        yield hw.Output(1, "b")

    @hw.op(ins={"x": hw.In(hw.Nothing)})
    def second(context):
        assert context.asset_key_for_input("x") == hw.AssetKey("b")
        assert context.is_subset

    @hw.graph_multi_asset(outs={"a": hw.AssetOut(), "b": hw.AssetOut(), "c": hw.AssetOut()},
                          can_subset=True)
    def chain():
        a, b = first()
        return {"a": a, "b": b, "c": second(b)}

    result = hw.materialize([chain], selection=[hw.AssetKey("c")])
    assert result.success
    assert [e.asset_key for e in result.get_asset_materialization_events()] == [hw.AssetKey("c")]
