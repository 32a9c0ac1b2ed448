"""The messages of the common mistakes, pinned: each names the thing, the problem and the fix."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater.errors import DefinitionError


def _problems(*assets):
    with pytest.raises(DefinitionError) as info:
        hw.Definitions.validate_loadable(hw.Definitions(assets=list(assets)))
    return str(info.value)


def test_unknown_input_asset_suggests_the_close_name():
    """An input naming no asset says so and suggests the defined key that is close."""

    @hw.asset
    def orders_clean():
        return 1

    @hw.asset
    def daily_revenue(orders_cleaned):
        return orders_cleaned

    message = _problems(orders_clean, daily_revenue)
    assert "1 problem in definitions" in message
    assert "asset 'daily_revenue' (test_error_messages.py:" in message
    assert 'Input asset "["orders_cleaned"]" is not produced by any of the provided asset ops' in message
    assert 'Did you mean one of the following?\n\t["orders_clean"]' in message


def test_near_miss_dep_is_an_error_but_a_distant_one_is_external():
    """deps=['orders_cleen'] is a typo of a defined asset; deps=['raw/s3_dump'] is external."""

    @hw.asset
    def orders_clean():
        return 1

    @hw.asset(deps=["orders_cleen"])
    def report():
        return 2

    message = _problems(orders_clean, report)
    assert "depends on 'orders_cleen', which is not defined. Did you mean 'orders_clean'?" in message

    @hw.asset(deps=["raw/s3_dump"])
    def loader():
        return 3

    defs = hw.Definitions(assets=[loader])
    hw.Definitions.validate_loadable(defs)
    assert hw.AssetKey(["raw", "s3_dump"]) in defs.resolve_asset_graph().external_keys

    # a long shared prefix does not make two names close: only the last parts are compared
    @hw.asset(key=["warehouse", "stg_orders"], deps=[["warehouse", "raw_orders"]])
    def stg_orders():
        return 4

    hw.Definitions.validate_loadable(hw.Definitions(assets=[stg_orders]))


def test_every_problem_is_reported_together():
    """A cycle and a duplicate key in one set of definitions are both listed, counted."""

    @hw.asset(deps=["c"])
    def a():
        return 1

    @hw.asset(deps=[a])
    def b():
        return 1

    @hw.asset(deps=[b])
    def c():
        return 1

    @hw.asset(name="a")
    def a_again():
        return 1

    message = _problems(a, b, c, a_again)
    assert message.startswith("2 problems in definitions:")
    assert "Duplicate asset key: AssetKey(['a']) is defined by 'a'" in message
    assert "Assets form a cycle: a -> b -> c -> a. Remove one of these dependencies." in message


def test_missing_resource_names_the_asset_and_the_key():
    """An asset needing a resource Definitions lacks is named with the resource key."""

    @hw.asset(required_resource_keys={"warehouse"})
    def revenue():
        return 1

    message = _problems(revenue)
    assert "asset 'revenue'" in message
    assert "needs resource 'warehouse', which Definitions(resources=...) lacks" in message


def test_failed_type_check_names_op_input_type_and_description():
    """A failed check at an input boundary names the op, the input, the type and why."""

    def positive(_, value):
        return hw.TypeCheck(success=value > 0, description=f"{value} is not positive")

    Positive = hw.HeadwaterType(name="Positive", type_check_fn=positive)

    @hw.op
    def emit():
        return -3

    @hw.op(ins={"amount": hw.In(Positive)})
    def charge(amount):
        return amount

    @hw.job
    def billing():
        charge(emit())

    with pytest.raises(hw.HeadwaterTypeCheckDidNotPass) as info:
        billing.execute_in_process()
    message = str(info.value)
    assert 'Type check failed for step input "amount" - expected type "Positive"' in message
    assert "-3 is not positive" in message
    assert "(op 'charge', input 'amount', type Positive)" in message


def test_bad_run_config_lists_every_problem_with_its_path():
    """Unknown op names get a suggestion; wrong types name the path and the value."""

    @hw.op(config_schema={"limit": int})
    def load(context):
        return context.op_config["limit"]

    @hw.job
    def ingest():
        load()

    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        ingest.execute_in_process(run_config={"ops": {"load": {"config": {"limit": "ten"}},
                                                      "lod": {}}})
    message = str(info.value)
    assert ('Received unexpected config entry "lod" at path root:ops. Expected: '
            '"{ load: { config: { limit: Int } inputs?: { } outputs?: Any } }". Did you mean "load"?'
            ) in message
    assert ('Invalid scalar at path root:ops:load:config:limit. Expected "Int", got \'ten\' '
            '(a str).') in message
    assert [e.dotted_path for e in info.value.errors] == ["ops.load.config.limit", "ops.lod"]


def test_unconnected_op_input_says_how_to_feed_it():
    """An op input bound to nothing, with no default, explains the three ways to give it."""

    @hw.op
    def needs(x):
        return x

    @hw.job
    def lonely():
        needs()

    with pytest.raises(hw.HeadwaterInvalidDefinitionError) as info:
        lonely.execute_in_process()
    assert "Input 'x' of op 'needs' is not connected" in str(info.value)
    assert "run_config={'ops': {'needs': {'inputs': {'x': ...}}}}" in str(info.value)


def test_raw_value_in_a_job_body_is_rejected():
    """Passing a plain value to an op inside a job body points to run config instead."""

    @hw.op
    def double(x):
        return 2 * x

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="inputs must be outputs of other"):

        @hw.job
        def broken():
            double(3)


def test_self_dependency_is_rejected():
    """An asset that takes itself as input is refused at decoration time."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="depends on itself"):

        @hw.asset(ins={"x": hw.AssetIn("loop")})
        def loop(x):
            return x


def test_missing_required_output():
    """An op that returns nothing for a required output fails with the output's name."""

    @hw.op(out={"a": hw.Out(), "b": hw.Out()})
    def half():
        yield hw.Output(1, "a")

    @hw.job
    def partial():
        half()

    with pytest.raises(hw.HeadwaterStepOutputNotFoundError, match='non-optional output "b"'):
        partial.execute_in_process()
