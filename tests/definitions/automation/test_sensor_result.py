"""What a sensor evaluation reports: yielded and returned items together, the cursor moved
one way only, asset sensors owning their cursor, and the runs a run status sensor reacted to."""

import pytest

import headwater as hw


@hw.op
def noop():
    pass


@hw.job
def work():
    noop()


def test_generator_yields_and_returns():
    """A sensor that yields requests and also returns one reports all of them."""
    @hw.sensor(job=work)
    def both(context):
        if context.cursor == "skip":
            return hw.SkipReason("not now")
        yield hw.RunRequest(run_key="a")
        return hw.RunRequest(run_key="b")

    skipped = both.evaluate_tick(hw.build_sensor_context(cursor="skip"))
    assert skipped.skip_message == "not now" and skipped.run_requests == []
    ran = both.evaluate_tick(hw.build_sensor_context(cursor="go"))
    assert [r.run_key for r in ran.run_requests] == ["a", "b"]
    assert ran.headwater_run_reactions == []


def test_cursor_moves_one_way_only():
    """Updating the cursor on the context and returning one in the result is refused."""
    @hw.sensor(job=work)
    def twice(context):
        context.update_cursor("x")
        return hw.SensorResult([hw.RunRequest("r")], cursor="y")

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="update_cursor"):
        twice.evaluate_tick(hw.build_sensor_context())


def test_asset_sensor_owns_its_cursor():
    """An asset sensor returning SensorResult(cursor=...) is refused."""
    @hw.asset
    def table():
        return 1

    @hw.asset_sensor(asset_key=hw.AssetKey("table"), job=work)
    def sets_cursor(context, event):
        return hw.SensorResult([hw.RunRequest("r")], cursor="mine")

    with hw.instance_for_test() as instance:
        hw.materialize([table], instance=instance)
        with pytest.raises(hw.HeadwaterInvariantViolationError, match="managed by the asset"):
            sets_cursor.evaluate_tick(hw.build_sensor_context(instance=instance))


def test_run_status_sensor_reports_its_reactions():
    """Each run a run status sensor handled is listed in headwater_run_reactions."""
    seen = []

    @hw.run_status_sensor(run_status=hw.HeadwaterRunStatus.SUCCESS)
    def on_success(context):
        seen.append(context.headwater_run.run_id)

    with hw.instance_for_test() as instance:
        first = on_success.evaluate_tick(hw.build_sensor_context(instance=instance))
        assert first.headwater_run_reactions == []
        run = work.execute_in_process(instance=instance)
        later = on_success.evaluate_tick(
            hw.build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.headwater_run.run_id for r in later.headwater_run_reactions] == [run.run_id]
        assert seen == [run.run_id]
