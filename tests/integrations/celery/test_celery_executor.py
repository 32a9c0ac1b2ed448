"""celery_executor against real brokers (RabbitMQ and Redis) and real worker subprocesses.

Each test states the invariant it holds; every one runs on both brokers."""

from __future__ import annotations

import os
import re
import signal
import threading
from typing import Any

import pytest

from headwater import HeadwaterEventType, HeadwaterInvalidConfigError, execute_job, reconstructable
from headwater.daemon.launcher import cancel_run

_ET = HeadwaterEventType


def _events(result: Any, kind: HeadwaterEventType) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type is kind]


def _in_thread(target: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        out["result"] = target()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _wait_until(check: Any, what: str, tries: int = 1200) -> None:
    import time

    for _ in range(tries):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_job_runs_its_steps_on_a_worker(cluster, instance):
    """Invariant: every step runs once, in a worker process (never the run's), and values pass
    between steps through the IO manager: total = 2*2 + 2*3."""
    cluster.start_worker("w1")
    result = execute_job(reconstructable(cluster.module.fan), instance)
    assert result.success
    assert (cluster.marks / "total.out").read_text() == "10"
    assert sorted(cluster.ran()) == ["double", "extract", "total", "triple"]
    assert {cluster.where(op) for op in cluster.ran()} == {"w1"}
    assert sorted(_events(result, _ET.STEP_SUCCESS)) == ["double", "extract", "total", "triple"]
    assert instance.get_run_by_id(result.run_id).status.value == "SUCCESS"
    claims = [f"headwater_celery/claim/{result.run_id}-{step}-0" for step in cluster.ran()]
    assert instance.storage.get_kvs(claims) == {}  # released once the run ended


def test_steps_go_to_the_queue_of_their_op_tag(cluster, instance):
    """Invariant: a worker takes only steps of the queues it consumes: on_a (default queue) runs
    on worker A, on_b (tagged with queue B) on worker B."""
    cluster.start_worker("A", cluster.queue)
    cluster.start_worker("B", cluster.queue_b)
    result = execute_job(reconstructable(cluster.module.two_queues), instance)
    assert result.success
    assert (cluster.where("on_a"), cluster.where("on_b")) == ("A", "B")


def test_priority_orders_waiting_steps(cluster, instance):
    """Invariant: of steps waiting in one queue, a worker takes the highest priority first
    (op tag headwater-celery/priority: high 9, medium the default 5, low 1)."""
    thread, out = _in_thread(lambda: execute_job(reconstructable(cluster.module.prioritized),
                                                 instance))
    _wait_until(lambda: cluster.queued(cluster.queue) == 3, "the three steps to be queued")
    cluster.start_worker("w1")
    thread.join(timeout=300)
    assert out["result"].success
    assert cluster.ran() == ["high", "medium", "low"]


def test_run_priority_adds_to_each_step_priority(cluster, instance):
    """Invariant: the run's headwater-celery/run_priority adds to every step's priority, so a
    run of priority -5 puts 'high' (9) (now 4) behind the default 5 of another run's 'medium'."""
    slow = {"tags": {"headwater-celery/run_priority": "-5"}}
    thread_low, out_low = _in_thread(lambda: execute_job(
        reconstructable(cluster.module.prioritized), instance, op_selection=["high"], **slow))
    _wait_until(lambda: cluster.queued(cluster.queue) == 1, "the first run's step to be queued")
    thread, out = _in_thread(lambda: execute_job(
        reconstructable(cluster.module.prioritized), instance, op_selection=["medium"]))
    _wait_until(lambda: cluster.queued(cluster.queue) == 2, "the second run's step to be queued")
    cluster.start_worker("w1")
    thread_low.join(timeout=300)
    thread.join(timeout=300)
    assert out_low["result"].success and out["result"].success
    assert cluster.ran() == ["medium", "high"]


def test_a_priority_tag_that_is_no_integer_fails_the_run_before_any_step_is_sent(
        cluster, instance):
    """Invariant: a priority tag that is not an integer is one error naming the tag, the step
    and the fix, raised before any step reaches the broker."""
    with pytest.raises(HeadwaterInvalidConfigError) as raised:
        execute_job(reconstructable(cluster.module.badly_tagged), instance)
    assert str(raised.value).startswith(
        "tag 'headwater-celery/priority' of the op of step 'shouting' is 'high': give an "
        "integer priority, 0 (lowest) to 9 (highest).")
    assert cluster.queued(cluster.queue) == 0


def test_a_failing_step_is_retried_by_its_retry_policy(cluster, instance):
    """Invariant: a step that raises is retried under its RetryPolicy on the worker; the run
    records each retry and succeeds on the third attempt."""
    cluster.start_worker("w1")
    with execute_job(reconstructable(cluster.module.retrying), instance) as result:
        assert result.success
        assert cluster.ran() == ["flaky", "flaky", "flaky"]
        assert _events(result, _ET.STEP_UP_FOR_RETRY) == ["flaky", "flaky"]
        assert result.output_for_node("flaky") == 2


def test_a_worker_killed_mid_step_fails_the_attempt_and_another_worker_retries(
        cluster, instance):
    """Invariant: a step whose worker is SIGKILLed mid-step is not lost: the run records the
    lost attempt (STEP_UP_FOR_RETRY), its RetryPolicy sends it again, another worker runs the
    retry, and the run goes on to the downstream step."""
    first = cluster.start_worker("first")
    thread, out = _in_thread(lambda: execute_job(reconstructable(cluster.module.killed), instance))
    _wait_until(lambda: cluster.where("victim") is not None, "the step to start")
    os.killpg(first.pid, signal.SIGKILL)  # the whole machine goes: worker and pool processes
    first.wait(timeout=30)
    cluster.start_worker("second")
    thread.join(timeout=300)
    result = out["result"]
    assert result.success
    assert (cluster.where("victim", 0), cluster.where("victim", 1)) == ("first", "second")
    assert cluster.where("after") == "second"
    retries = [e for e in result.all_events if e.event_type is _ET.STEP_UP_FOR_RETRY]
    assert [e.step_key for e in retries] == ["victim"]
    # how the loss was noticed depends on who is first: the executor's pings, Celery's own
    # report, or the broker handing the unacknowledged task to the second worker
    assert re.search(r"stopped answering pings|task failed|its worker died", retries[0].message)
    assert cluster.ran().count("victim") == 2  # the broker's redelivered copy ran nothing
    kinds = [e.event_type for e in result.all_events if e.step_key == "victim"]
    assert kinds[:3] == [_ET.STEP_START, _ET.STEP_UP_FOR_RETRY, _ET.STEP_RESTARTED]
    assert kinds[-1] is _ET.STEP_SUCCESS and kinds.count(_ET.STEP_START) == 1


def test_a_pool_process_killed_mid_step_fails_the_attempt_which_is_retried(cluster, instance):
    """Invariant: when the process running a step dies (SIGKILL, out of memory) but its worker
    lives, Celery fails the task; the run records the lost attempt and retries it."""
    cluster.start_worker("w1")
    thread, out = _in_thread(lambda: execute_job(reconstructable(cluster.module.killed), instance))
    _wait_until(lambda: (cluster.marks / "victim.0.pid").exists(), "the step to start")
    os.kill(cluster.pid("victim"), signal.SIGKILL)
    thread.join(timeout=300)
    result = out["result"]
    assert result.success
    assert cluster.ran() == ["victim", "victim", "after"]
    retries = [e for e in result.all_events if e.event_type is _ET.STEP_UP_FOR_RETRY]
    assert [e.step_key for e in retries] == ["victim"]
    assert "WorkerLostError" in retries[0].message
    kinds = [e.event_type for e in result.all_events if e.step_key == "victim"]
    assert kinds[:3] == [_ET.STEP_START, _ET.STEP_UP_FOR_RETRY, _ET.STEP_RESTARTED]


def test_a_step_redelivered_while_its_worker_runs_it_runs_once(cluster, instance):
    """Invariant: when Redis hands a running step's message out again (its visibility timeout
    passed), the second worker does nothing, as the first still answers; the step runs once
    and the run records no retry."""
    if not cluster.config["broker"].startswith("redis"):
        pytest.skip("RabbitMQ hands a message out again only when its worker's connection "
                    "closes, which the kill tests cover")
    cluster.config["config_source"]["broker_transport_options"] = {
        "visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    cluster.start_worker("first")
    run_config = {"execution": {"config": cluster.config}}
    thread, out = _in_thread(lambda: execute_job(reconstructable(cluster.module.held_job), instance,
                                                 run_config=run_config))
    _wait_until(lambda: cluster.where("held") is not None, "the step to start")
    cluster.start_worker("second")
    log = cluster.tmp_path / "worker-second.log"
    _wait_until(lambda: "this copy of its task" in log.read_text(), "the copy to reach 'second'")
    (cluster.marks / "release").write_text("")
    thread.join(timeout=300)
    result = out["result"]
    assert result.success
    assert cluster.ran() == ["held"] and cluster.where("held") == "first"
    assert not [e for e in result.all_events if e.event_type is _ET.STEP_UP_FOR_RETRY]


def test_cancel_revokes_the_steps_still_queued(cluster, instance):
    """Invariant: canceling a run stops its running step and revokes its queued ones: the run
    ends CANCELED, and once the worker drained the queue none of the queued steps ran."""
    cluster.start_worker("w1")
    thread, out = _in_thread(lambda: execute_job(reconstructable(cluster.module.cancelable),
                                                 instance, raise_on_error=False))
    _wait_until(lambda: cluster.where("blocker") is not None, "the blocker step to start")
    run = instance.get_runs()[0]
    cancel_run(instance, run.run_id)
    thread.join(timeout=300)
    assert instance.get_run_by_id(run.run_id).status.value == "CANCELED"
    _wait_until(lambda: cluster.queued(cluster.queue) == 0, "the worker to drain the queue")
    assert cluster.ran() == ["blocker"]


def test_steps_of_a_canceled_run_never_run_on_a_worker_started_later(cluster, instance):
    """Invariant: a revoke reaches only the workers alive when the run is canceled; a worker
    started afterwards still runs none of the canceled run's queued steps."""
    thread, out = _in_thread(lambda: execute_job(reconstructable(cluster.module.cancelable),
                                                 instance, raise_on_error=False))
    _wait_until(lambda: cluster.queued(cluster.queue) == 3, "the three steps to be queued")
    run = instance.get_runs()[0]
    cancel_run(instance, run.run_id)
    thread.join(timeout=300)
    assert instance.get_run_by_id(run.run_id).status.value == "CANCELED"
    cluster.start_worker("late")
    log = cluster.tmp_path / "worker-late.log"
    _wait_until(lambda: log.read_text().count("the run was canceled; its task does nothing") == 3,
                "the worker to pass over the three tasks")
    assert cluster.ran() == []
