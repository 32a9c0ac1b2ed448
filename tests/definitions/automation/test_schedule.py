"""Schedules: cron validation, DST-correct tick times, evaluation and direct invocation."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

import headwater as hw
from headwater.definitions.partitions.cron import cron_ticks

NY = "America/New_York"


@hw.job
def nightly():
    pass


def _ticks(cron, start, n, tz=NY):
    it = cron_ticks(cron, start.replace(tzinfo=ZoneInfo(tz)).timestamp(), tz, inclusive=True)
    return [next(it).isoformat() for _ in range(n)]


def test_bad_cron_string_names_the_schedule_and_the_fix():
    """An invalid cron string fails at definition time with the schedule's name and an example."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'every day'.*'nightly_schedule'"):
        hw.ScheduleDefinition(job=nightly, cron_schedule="every day")


def test_bad_timezone_is_rejected():
    """An unknown execution_timezone is named in the error."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Mars/Olympus"):
        hw.ScheduleDefinition(job=nightly, cron_schedule="0 0 * * *",
                              execution_timezone="Mars/Olympus")


def test_spring_forward_tick_in_the_gap_runs_once_at_the_gap_end():
    """02:30 does not exist on 2024-03-10 in New York: the tick fires at 03:00 EDT."""
    assert _ticks("30 2 * * *", datetime(2024, 3, 9), 3) == [
        "2024-03-09T02:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"]


def test_spring_forward_hourly_skips_the_missing_hour():
    """An hourly schedule goes 01:00 EST -> 03:00 EDT on the spring-forward day."""
    assert _ticks("0 * * * *", datetime(2024, 3, 10, 1), 2) == [
        "2024-03-10T01:00:00-05:00", "2024-03-10T03:00:00-04:00"]


def test_fall_back_daily_tick_runs_once_and_hourly_runs_twice():
    """01:30 happens twice on 2024-11-03: a daily schedule runs once, an hourly one twice."""
    assert _ticks("30 1 * * *", datetime(2024, 11, 2), 2) == [
        "2024-11-02T01:30:00-04:00", "2024-11-03T01:30:00-05:00"]
    assert _ticks("0 * * * *", datetime(2024, 11, 3, 1), 3) == [
        "2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"]


def test_ticks_in_another_timezone_keep_local_wall_time():
    """A 09:00 Berlin schedule stays at 09:00 local time across the March change."""
    ticks = _ticks("0 9 * * *", datetime(2024, 3, 30), 2, "Europe/Berlin")
    assert ticks == ["2024-03-30T09:00:00+01:00", "2024-03-31T09:00:00+02:00"]


def test_schedule_with_run_config_requests_one_run_with_tags():
    """A ScheduleDefinition with run_config= requests one run of its job with its tags."""
    sched = hw.ScheduleDefinition(job=nightly, cron_schedule="0 0 * * *", run_config={"a": 1},
                                  tags={"team": "data"})
    result = sched.evaluate_tick(hw.build_schedule_context(
        scheduled_execution_time=datetime(2024, 1, 1, tzinfo=timezone.utc)))
    assert [(r.run_config, r.tags) for r in result.run_requests] == [({"a": 1}, {"team": "data"})]
    assert sched.name == "nightly_schedule"


def test_decorated_schedule_can_skip_and_sees_the_tick_time():
    """@schedule returning SkipReason skips; the context carries scheduled_execution_time."""
    @hw.schedule(cron_schedule="0 * * * *", job=nightly)
    def weekdays(context):
        if context.scheduled_execution_time.weekday() >= 5:
            return hw.SkipReason("weekend")
        return hw.RunRequest(run_key=context.scheduled_execution_time.isoformat())

    saturday = hw.build_schedule_context(scheduled_execution_time=datetime(2024, 1, 6))
    monday = hw.build_schedule_context(scheduled_execution_time=datetime(2024, 1, 8))
    assert weekdays.evaluate_tick(saturday).skip_message == "weekend"
    assert weekdays.evaluate_tick(monday).run_requests[0].job_name is None
    assert weekdays(monday).run_key == "2024-01-08T00:00:00+00:00"


def test_schedule_from_partitioned_job_requests_the_partition_that_just_ended():
    """build_schedule_from_partitioned_job requests yesterday's daily partition at midnight."""
    @hw.asset(partitions_def=hw.DailyPartitionsDefinition(start_date="2024-01-01"))
    def daily():
        return 1

    job = hw.define_asset_job("daily_job", [daily])
    defs = hw.Definitions(assets=[daily], jobs=[job],
                          schedules=[hw.build_schedule_from_partitioned_job(job)])
    sched = defs.get_schedule_def("daily_job_schedule")
    assert sched.cron_schedule == "0 0 * * *"
    result = sched.evaluate_tick(hw.build_schedule_context(
        scheduled_execution_time=datetime(2024, 2, 1, tzinfo=timezone.utc)))
    assert [r.partition_key for r in result.run_requests] == ["2024-01-31"]
    assert result.run_requests[0].tags["headwater/partition"] == "2024-01-31"
