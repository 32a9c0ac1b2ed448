"""What a step's body gets and must give back: its context class, the current context,
typed event streams, graph-backed assets and hook contexts."""

import pytest

import headwater as hw


def test_get_returns_the_context_of_the_executing_step():
    """OpExecutionContext.get() is the running body's context, and an error outside one."""
    seen = []

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="outside the body"):
        hw.OpExecutionContext.get()

    @hw.asset
    def a(context: hw.AssetExecutionContext):
        seen.append(context is hw.AssetExecutionContext.get())

    assert hw.materialize([a]).success
    assert seen == [True]


def test_ops_inside_graph_assets_get_op_contexts_unless_annotated():
    """An op in a graph-backed asset gets an OpExecutionContext; annotated with
    AssetExecutionContext it gets that."""
    kinds = {}

    @hw.op
    def plain(context):
        kinds["plain"] = type(context).__name__
        return 1

    @hw.op
    def annotated(context: hw.AssetExecutionContext, x):
        kinds["annotated"] = type(context).__name__
        return x

    @hw.graph_asset
    def total():
        return annotated(plain())

    assert hw.materialize([total]).success
    assert kinds == {"plain": "OpExecutionContext", "annotated": "AssetExecutionContext"}


def test_graph_multi_asset_body_may_return_a_tuple():
    """A graph_multi_asset body returns one node output per asset, in the order of outs."""

    @hw.op
    def num(context):
        return 2

    @hw.op
    def double(x):
        return x * 2

    @hw.graph_multi_asset(outs={"small": hw.AssetOut(), "big": hw.AssetOut()})
    def sizes():
        return num(), double(num())

    result = hw.materialize_to_memory([sizes])
    assert result.asset_value("small") == 2
    assert result.asset_value("big") == 4


def test_asset_out_from_spec_refuses_deps():
    """An AssetOut cannot carry the deps of the spec it is made from."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="deps"):
        hw.AssetOut.from_spec(hw.AssetSpec("x", deps=["upstream"]))


def test_typed_event_stream_requires_every_output_and_check():
    """After set_requires_typed_event_stream, a body that returns None, or leaves an output
    or check out, fails with the message given; typed results pass."""

    @hw.asset
    def returns_none(context: hw.OpExecutionContext):
        context.set_requires_typed_event_stream(error_message="see the runbook")

    with pytest.raises(hw.HeadwaterInvariantViolationError,
                       match="did not yield or return expected outputs.*see the runbook$"):
        hw.materialize([returns_none])

    @hw.asset(check_specs=[hw.AssetCheckSpec("fresh", asset="checked")])
    def checked(context: hw.OpExecutionContext):
        context.set_requires_typed_event_stream()
        return hw.MaterializeResult(), hw.AssetCheckResult(passed=True)

    result = hw.materialize([checked])
    assert [c.passed for c in result.get_asset_check_evaluations()] == [True]

    @hw.asset(check_specs=[hw.AssetCheckSpec("fresh", asset="unchecked")])
    def unchecked(context: hw.OpExecutionContext):
        context.set_requires_typed_event_stream()
        return hw.MaterializeResult()

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="fresh"):
        hw.materialize([unchecked])


def test_hook_context_op_knows_its_graph():
    """context.op.graph_definition is the graph holding the node, in a run and in a test."""
    seen = []

    @hw.success_hook
    def record(context):
        seen.append((context.op.name, len(context.op.graph_definition.nodes)))

    @hw.op
    def a():
        return 1

    @hw.op
    def b(x):
        return x

    @record
    @hw.job
    def j():
        b(a())

    assert j.execute_in_process().success
    assert sorted(seen) == [("a", 2), ("b", 2)]
    seen.clear()
    record(hw.build_hook_context(op=a.alias("renamed")))
    assert seen == [("renamed", 1)]
