"""Sensors: results, cursors, targets, direct invocation and run-status sensors."""

from __future__ import annotations

import json

import pytest

import headwater as hw


@hw.job
def target_job():
    pass


def test_sensor_result_carries_requests_cursor_and_partition_requests():
    """A SensorResult's run requests, cursor and dynamic partition requests are evaluated."""
    @hw.sensor(job=target_job)
    def files(context):
        seen = json.loads(context.cursor or "[]")
        new = [f for f in ["a.csv", "b.csv"] if f not in seen]
        return hw.SensorResult(
            run_requests=[hw.RunRequest(run_key=f) for f in new], cursor=json.dumps(seen + new),
            dynamic_partitions_requests=[hw.AddDynamicPartitionsRequest("files", new)])

    first = files.evaluate_tick(hw.build_sensor_context())
    assert [r.run_key for r in first.run_requests] == ["a.csv", "b.csv"]
    assert [r.job_name for r in first.run_requests] == ["target_job", "target_job"]
    assert first.dynamic_partitions_requests[0].partition_keys == ["a.csv", "b.csv"]
    second = files.evaluate_tick(hw.build_sensor_context(cursor=first.cursor))
    assert second.run_requests == []


def test_update_cursor_is_returned_with_the_evaluation():
    """context.update_cursor sets the cursor the daemon stores after the tick."""
    @hw.sensor(job=target_job)
    def counter(context):
        context.update_cursor(str(int(context.cursor or 0) + 1))
        return hw.SkipReason("counting")

    result = counter.evaluate_tick(hw.build_sensor_context(cursor="41"))
    assert (result.cursor, result.skip_message) == ("42", "counting")


def test_cursor_set_two_ways_is_an_error():
    """Returning SensorResult(cursor=) after update_cursor() is rejected."""
    @hw.sensor(job=target_job)
    def both(context):
        context.update_cursor("1")
        return hw.SensorResult(cursor="2")

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="update_cursor"):
        both.evaluate_tick(hw.build_sensor_context())


def test_run_request_without_target_names_the_sensor():
    """A job-less sensor that requests a run fails with its name and the fix."""
    @hw.sensor()
    def lost():
        return hw.RunRequest()

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="lost.*lacking a specified target"):
        lost.evaluate_tick(hw.build_sensor_context())


def test_sensors_and_schedules_resolve_their_jobs_in_definitions():
    """Definitions(sensors=) adds a sensor's job; the snapshot lists sensor and schedule."""
    from headwater.code.snapshot import build_snapshot

    @hw.sensor(job=target_job, minimum_interval_seconds=5,
               default_status=hw.DefaultSensorStatus.RUNNING)
    def watcher():
        return None

    sched = hw.ScheduleDefinition(job=target_job, cron_schedule="*/5 * * * *")
    defs = hw.Definitions(sensors=[watcher], schedules=[sched])
    assert defs.get_job_def("target_job").name == "target_job"
    snapshot = build_snapshot(defs)
    assert snapshot["sensors"][0]["minimum_interval_seconds"] == 5
    assert snapshot["schedules"][0]["cron_schedule"] == "*/5 * * * *"
    assert snapshot["schedules"][0]["job_name"] == "target_job"


def test_run_failure_sensor_sees_the_failed_run():
    """A run_failure_sensor invoked with a failed run's context gets the run and the event."""
    @hw.op
    def boom():
        raise ValueError("no")

    @hw.job
    def fragile():
        boom()

    @hw.run_failure_sensor
    def alert(context):
        return hw.RunRequest(run_key=context.headwater_run.run_id, job_name="target_job")

    instance = hw.HeadwaterInstance.ephemeral()
    result = fragile.execute_in_process(instance=instance, raise_on_error=False)
    context = hw.build_run_status_sensor_context(
        sensor_name="alert", headwater_instance=instance, headwater_run=result.headwater_run,
        headwater_event=result.get_run_failure_event()).for_run_failure()
    assert alert(context).run_key == result.run_id
    assert context.failure_event.event_type_value == "PIPELINE_FAILURE"


def test_run_failure_sensor_watches_the_jobs_its_selectors_name():
    """monitored_jobs takes job definitions, names and JobSelector/CodeLocationSelector."""
    @hw.op
    def boom():
        raise ValueError("no")

    @hw.job
    def watched():
        boom()

    @hw.job
    def ignored():
        boom()

    seen = []

    @hw.run_failure_sensor(monitored_jobs=[hw.JobSelector(job_name="watched",
                                                          location_name="here")])
    def alert(context):
        seen.append(context.headwater_run.job_name)

    @hw.run_failure_sensor(monitored_jobs=[hw.CodeLocationSelector(location_name="here")])
    def everything(context):
        seen.append("all:" + context.headwater_run.job_name)

    instance = hw.HeadwaterInstance.ephemeral()
    first = hw.build_sensor_context(instance=instance)
    alert.evaluate_tick(first)  # the first tick starts watching from now
    second = hw.build_sensor_context(instance=instance)
    everything.evaluate_tick(second)
    for job_def in (watched, ignored):
        job_def.execute_in_process(instance=instance, raise_on_error=False)
    alert.evaluate_tick(hw.build_sensor_context(instance=instance, cursor=first.cursor))
    assert seen == ["watched"]
    everything.evaluate_tick(hw.build_sensor_context(instance=instance, cursor=second.cursor))
    assert seen == ["watched", "all:watched", "all:ignored"]


def test_run_failure_event_carries_the_step_error():
    """The run failure event of a run whose step raised carries that step's error, whose
    cause is the user's exception."""
    @hw.op
    def divide():
        return 1 / 0

    @hw.job
    def fragile():
        divide()

    result = fragile.execute_in_process(raise_on_error=False)
    error = result.get_run_failure_event().event_specific_data.error
    assert error is not None and error.cause is not None
    assert error.cause.cls_name == "ZeroDivisionError"


def test_required_resources_are_built_when_invoked():
    """A resource named only in required_resource_keys is built when the sensor is invoked,
    so one that cannot be built fails the invocation."""
    built = []

    @hw.resource
    def tracked(_):
        built.append(1)
        return "ok"

    @hw.sensor(job=target_job, required_resource_keys={"tracked"})
    def needs_tracked():
        return hw.SkipReason("nothing")

    context = hw.build_sensor_context(resources={"tracked": tracked})
    assert not built
    needs_tracked(context)
    assert built == [1]

    @hw.resource
    def broken(_):
        raise RuntimeError("cannot connect")

    @hw.sensor(job=target_job, required_resource_keys={"broken"})
    def needs_broken():
        return hw.SkipReason("nothing")

    with pytest.raises(Exception, match="cannot connect"):
        needs_broken(hw.build_sensor_context(resources={"broken": broken}))


def test_graph_target_becomes_a_job_with_a_warning():
    """A graph passed as a sensor's job is turned into a job, with a deprecation warning."""
    @hw.op
    def step():
        pass

    @hw.graph
    def pipeline():
        step()

    with pytest.warns(DeprecationWarning, match="GraphDefinition"):
        sensor_def = hw.SensorDefinition(job=pipeline, evaluation_fn=lambda _: None)
    assert isinstance(sensor_def.job, hw.JobDefinition)
    assert sensor_def.job.name == "pipeline"


def test_asset_selection_sensor_fills_requests_and_warns_on_foreign_checks():
    """A bare RunRequest of a sensor targeting assets gets those assets; check keys outside
    the sensor's selection are accepted with a deprecation warning."""
    @hw.asset
    def left():
        pass

    @hw.asset
    def right():
        pass

    @hw.asset_check(asset=left)
    def left_ok():
        return hw.AssetCheckResult(passed=True)

    @hw.sensor(asset_selection=[left])
    def on_left(context):
        return hw.RunRequest(asset_check_keys=[left_ok.check_key])

    @hw.sensor(asset_selection=[right])
    def on_right(context):
        return hw.RunRequest(asset_check_keys=[left_ok.check_key])

    defs = hw.Definitions(assets=[left, right], asset_checks=[left_ok], sensors=[on_left, on_right])
    context = hw.build_sensor_context(definitions=defs)
    request = on_left.evaluate_tick(context).run_requests[0]
    assert request.asset_selection == [left.key]
    with pytest.warns(DeprecationWarning, match="asset check keys"):
        on_right.evaluate_tick(context)


def test_generator_sensor_return_value_counts():
    """What a generator sensor returns after yielding is part of its result."""
    @hw.sensor(job=target_job)
    def yields_then_returns(context):
        if context.cursor == "skip":
            return hw.SkipReason("skipping")
        yield hw.RunRequest(run_key="a")
        return hw.RunRequest(run_key="b")

    skipped = yields_then_returns.evaluate_tick(hw.build_sensor_context(cursor="skip"))
    assert skipped.skip_message == "skipping" and skipped.run_requests == []
    both = yields_then_returns.evaluate_tick(hw.build_sensor_context())
    assert [r.run_key for r in both.run_requests] == ["a", "b"]


def test_asset_sensor_owns_its_cursor():
    """An asset sensor may not return a cursor of its own."""
    @hw.asset
    def table():
        return 1

    @hw.asset_sensor(asset_key=table.key, job=target_job)
    def sets_cursor(context, event):
        return hw.SensorResult([hw.RunRequest("x")], cursor="mine")

    with hw.instance_for_test() as instance:
        hw.materialize([table], instance=instance)
        with pytest.raises(hw.HeadwaterInvariantViolationError, match="managed by the asset"):
            sets_cursor.evaluate_tick(hw.build_sensor_context(instance=instance))


def test_run_status_sensor_reports_the_runs_it_reacted_to():
    """A run-status sensor's evaluation lists the runs it reacted to."""
    @hw.op
    def fine():
        pass

    @hw.job
    def watched():
        fine()

    @hw.run_status_sensor(run_status=hw.HeadwaterRunStatus.SUCCESS)
    def on_success(context):
        return hw.SkipReason("seen")

    with hw.instance_for_test() as instance:
        first = on_success.evaluate_tick(hw.build_sensor_context(instance=instance))
        assert first.headwater_run_reactions == []
        result = watched.execute_in_process(instance=instance)
        later = on_success.evaluate_tick(
            hw.build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.headwater_run.run_id for r in later.headwater_run_reactions] == [result.run_id]


def test_tick_contexts_open_the_instance_of_their_instance_ref():
    """build_sensor_context / build_schedule_context(instance_ref=): context.instance is that
    instance, opened on first use and disposed when the with block ends."""
    @hw.asset
    def numbers() -> int:
        return 1

    with hw.instance_for_test() as instance:
        hw.materialize([numbers], instance=instance)
        ref = instance.get_ref()
        for build in (hw.build_sensor_context, hw.build_schedule_context):
            with build(instance_ref=ref) as context:
                assert context.instance_ref is ref
                opened = context.instance
                assert opened.get_runs_count() == 1 and context.instance is opened
            assert context.instance is not opened  # disposed with the block; opened anew
            context.instance.dispose()


def test_run_status_sensor_context_logs_through_the_sensor_context_given():
    """build_run_status_sensor_context(context=): `log` is that sensor context's logger."""
    @hw.job
    def quick():
        pass

    instance = hw.HeadwaterInstance.ephemeral()
    result = quick.execute_in_process(instance=instance)
    sensor_context = hw.build_sensor_context()
    context = hw.build_run_status_sensor_context(
        sensor_name="watch", headwater_instance=instance, headwater_run=result.headwater_run,
        headwater_event=result.get_run_success_event(), context=sensor_context)
    assert context.log is sensor_context.log
    assert context.for_run_failure().log is sensor_context.log


def test_run_status_sensor_watches_its_own_code_location_unless_told_all():
    """Without monitored_jobs, a tick with definitions sees only runs of their jobs;
    monitor_all_code_locations=True sees every run; both together are refused."""
    @hw.op
    def boom():
        raise ValueError("no")

    @hw.job
    def here():
        boom()

    @hw.job
    def elsewhere():
        boom()

    seen = []

    @hw.run_failure_sensor
    def local(context):
        seen.append("local:" + context.headwater_run.job_name)

    @hw.run_failure_sensor(monitor_all_code_locations=True)
    def global_(context):
        seen.append("all:" + context.headwater_run.job_name)

    defs = hw.Definitions(jobs=[here], sensors=[local, global_])
    instance = hw.HeadwaterInstance.ephemeral()
    starts = {}
    for sensor in (local, global_):
        starts[sensor.name] = hw.build_sensor_context(instance=instance, definitions=defs)
        sensor.evaluate_tick(starts[sensor.name])
    for job_def in (here, elsewhere):
        job_def.execute_in_process(instance=instance, raise_on_error=False)
    for sensor in (local, global_):
        sensor.evaluate_tick(hw.build_sensor_context(
            instance=instance, definitions=defs, cursor=starts[sensor.name].cursor))
    assert seen == ["local:here", "all:here", "all:elsewhere"]
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="monitor_all_code_locations=True watches every run"):
        hw.run_failure_sensor(monitored_jobs=[here], monitor_all_code_locations=True)(
            lambda context: None)
