"""Which tags a schedule puts on the runs it requests, graphs given as a schedule's job, and
cron steps wider than their field."""

import warnings
from datetime import datetime, timezone

import pytest

import headwater as hw

TICK = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_schedule_tags_go_only_on_runs_it_builds():
    """Tags reach the run when the schedule builds the request (run config), not when its
    function returns its own RunRequest."""
    built = hw.ScheduleDefinition(cron_schedule="@daily", job_name="j", tags={"t": "1"})
    own = hw.ScheduleDefinition(cron_schedule="@daily", job_name="j", tags={"t": "1"},
                                execution_fn=lambda _: hw.RunRequest())
    context = hw.build_schedule_context(scheduled_execution_time=TICK)
    assert built.evaluate_tick(context).run_requests[0].tags == {"t": "1"}
    assert own.evaluate_tick(context).run_requests[0].tags == {}

    @hw.schedule(cron_schedule="@daily", job_name="j", tags={"t": "1"})
    def returns_config(_):
        return {"ops": {}}

    assert returns_config.evaluate_tick(context).run_requests[0].tags == {"t": "1"}


def test_graph_as_job_is_deprecated_and_bound():
    """A graph passed as job= is turned into a job, with a deprecation warning."""
    @hw.op
    def step():
        pass

    @hw.graph
    def body():
        step()

    with pytest.warns(DeprecationWarning, match="GraphDefinition 'body'"):
        sched = hw.ScheduleDefinition(cron_schedule="@daily", job=body)
    assert isinstance(sched.job, hw.JobDefinition) and sched.job.name == "body"


def test_wide_cron_step_warns():
    """`*/90` in the minute field fires once an hour: the definition warns about it."""
    with pytest.warns(UserWarning, match=r"step /90 of its minute field"):
        hw.ScheduleDefinition(cron_schedule="*/90 * * * *", job_name="j")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hw.ScheduleDefinition(cron_schedule="*/15 */6 * * *", job_name="j")
