"""Retries: the delay a RetryPolicy computes, the events a retried step emits, and resources
that fail in a worker process counting as a failed attempt."""

import os

import headwater as hw
from headwater import Backoff, HeadwaterEventType, Jitter, RetryPolicy


def test_exponential_backoff_waits_one_three_seven_times_the_delay():
    """Backoff.EXPONENTIAL waits delay * (2**n - 1) before retry n."""
    policy = RetryPolicy(delay=2, backoff=Backoff.EXPONENTIAL)
    assert [policy.calculate_delay(n) for n in (1, 2, 3)] == [2, 6, 14]
    jittered = RetryPolicy(delay=2, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)
    assert all(12 <= jittered.calculate_delay(3) <= 16 for _ in range(50))


def test_retried_step_starts_once_and_restarts_per_retry():
    """A step retried twice emits one STEP_START and two STEP_RESTARTED events."""
    attempts = []

    @hw.op
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise hw.RetryRequested(max_retries=2)

    @hw.job
    def retried():
        flaky()

    result = retried.execute_in_process()
    kinds = [e.event_type for e in result.events_for_node("flaky")]
    assert kinds.count(HeadwaterEventType.STEP_START) == 1
    assert kinds.count(HeadwaterEventType.STEP_UP_FOR_RETRY) == 2
    assert kinds.count(HeadwaterEventType.STEP_RESTARTED) == 2


def test_step_without_its_input_is_skipped_without_starting():
    """A step whose optional upstream output was not yielded emits STEP_SKIPPED only."""

    @hw.op(out={"yes": hw.Out(is_required=False), "no": hw.Out(is_required=False)})
    def branch():
        yield hw.Output(1, "yes")

    @hw.op
    def after(x):
        return x

    @hw.job
    def branching():
        _, no = branch()
        after(no)

    result = branching.execute_in_process()
    kinds = [e.event_type for e in result.events_for_node("after")]
    assert kinds == [HeadwaterEventType.STEP_SKIPPED]


class _FailsOnce(hw.ConfigurableResource):
    marker: str

    def create_resource(self, context):
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            raise ValueError("not yet")


@hw.op(retry_policy=RetryPolicy(max_retries=2))
def _uses_flaky_resource(flaky: _FailsOnce):
    return 1


@hw.job(resource_defs={"flaky": _FailsOnce(marker="")})
def flaky_resource_job():
    _uses_flaky_resource()


def test_resource_failing_in_a_worker_is_retried_by_the_step_policy(tmp_path):
    """With the multiprocess executor, a resource that fails to build fails the step's
    attempt, and the step's RetryPolicy retries it."""
    marker = str(tmp_path / "built")
    with hw.instance_for_test() as instance:
        result = hw.execute_job(
            hw.reconstructable(flaky_resource_job), instance,
            run_config={"resources": {"flaky": {"config": {"marker": marker}}}},
        )
        assert result.success
        kinds = [e.event_type for e in result.events_for_node("_uses_flaky_resource")]
        assert kinds.count(HeadwaterEventType.STEP_UP_FOR_RETRY) == 1
