"""What a multi-asset's step yields: dependency order, implicit Nothing outputs, returning
None, results for checks left out of the run, and asset IO managers of their own."""

import pytest

import headwater as hw


def test_multi_asset_yields_assets_in_dependency_order():
    """Yielding an asset before a sibling it depends on is refused."""

    @hw.multi_asset(outs={"a": hw.AssetOut(), "b": hw.AssetOut()},
                    internal_asset_deps={"a": set(), "b": {hw.AssetKey("a")}})
    def backwards():
        yield hw.Output(1, "b")
        yield hw.Output(1, "a")

    with pytest.raises(hw.HeadwaterInvariantViolationError, match='"b" was yielded before'):
        hw.materialize_to_memory([backwards])


def test_required_nothing_outputs_of_an_asset_are_produced_implicitly():
    """A spec'd multi-asset that yields only events still materializes its assets."""

    @hw.multi_asset(specs=[hw.AssetSpec("a"), hw.AssetSpec("b")])
    def quiet():
        yield hw.Output(None, "a")

    result = hw.materialize_to_memory([quiet])
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {
        hw.AssetKey("a"), hw.AssetKey("b")}


def test_returning_none_stands_only_for_required_nothing_outputs():
    """None from a multi-output body is refused unless every output is a required Nothing."""

    @hw.multi_asset(outs={"a": hw.AssetOut(headwater_type=hw.Nothing, is_required=False),
                          "b": hw.AssetOut(headwater_type=hw.Nothing, is_required=False)},
                    can_subset=True)
    def optional(context):
        pass

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="has multiple outputs"):
        hw.materialize_to_memory([optional])
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="has multiple outputs"):
        optional(hw.build_asset_context())


def test_result_for_a_declared_check_left_out_of_the_run_is_recorded():
    """A check result naming a check of the node that the run did not select is kept; the
    checks of a node that can be subset are optional."""

    @hw.multi_asset(specs=[hw.AssetSpec("a"), hw.AssetSpec("b")],
                    check_specs=[hw.AssetCheckSpec("ca", asset="a"),
                                 hw.AssetCheckSpec("cb", asset="b")], can_subset=True)
    def node(context):
        for key in context.selected_asset_keys:
            yield hw.MaterializeResult(asset_key=key)
        yield hw.AssetCheckResult(check_name="ca", asset_key=hw.AssetKey("a"), passed=True)

    result = hw.materialize_to_memory([node], selection="b")
    assert result.success
    assert [(e.asset_key, e.check_name) for e in result.get_asset_check_evaluations()] == [
        (hw.AssetKey("a"), "ca")]


def test_io_manager_def_of_an_asset_is_its_own():
    """Two assets with io_manager_def= each get their own IO manager, not the default one."""
    built = []

    @hw.io_manager
    def manager():
        built.append(1)
        return hw.InMemoryIOManager()

    @hw.asset(io_manager_def=manager)
    def first():
        return 1

    @hw.asset(io_manager_def=manager)
    def second():
        return 2

    @hw.asset
    def third():
        return 3

    assert hw.materialize([first, second, third]).success
    assert len(built) == 2
    assert first.get_io_manager_key_for_asset_key(hw.AssetKey("first")) == "first__io_manager"
    assert third.get_io_manager_key_for_asset_key(hw.AssetKey("third")) == "io_manager"


def test_graph_requires_the_resources_of_hooks_on_its_nodes():
    """A hook placed on a node inside a graph asset adds its resources to the asset's."""

    @hw.success_hook(required_resource_keys={"audit"})
    def audited(context):
        pass

    @hw.op
    def inner():
        return 1

    @hw.graph_asset
    def wrapped():
        return inner.with_hooks({audited})()

    assert "audit" in wrapped.required_resource_keys


def test_op_in_a_graph_asset_returning_a_check_result_evaluates_the_check():
    """A check result returned by an op inside a graph asset is the check's evaluation, and
    the op's output still flows to the ops after it."""

    @hw.op
    def stage():
        return 1

    @hw.op
    def validate(value):
        return hw.AssetCheckResult(check_name="positive", passed=value > 0)

    @hw.op(ins={"value": hw.In(), "checked": hw.In(hw.Nothing)})
    def promote(value):
        return value

    @hw.graph_asset(check_specs=[hw.AssetCheckSpec("positive", asset="guarded")])
    def guarded():
        staged = stage()
        checked = validate(staged)
        return {"result": promote(staged, checked), "guarded_positive": checked}

    result = hw.materialize([guarded])
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations()] == ["positive"]
    assert len(result.get_asset_materialization_events()) == 1
