"""The automation daemon against a real code server subprocess and a SQLite instance: a tick
launches what the conditions request exactly once (also across a daemon killed mid-tick),
keeps its cursor and its evaluations, turns several partitions into backfills as the assets'
BackfillPolicy says, and goes through the run queue."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import headwater as hw
from headwater.code.location import CodeLocationOrigin
from headwater.daemon.backfill import backfill_runs
from headwater.daemon.daemon import Daemon
from headwater.daemon.instigation import RUNNING, STOPPED, origin_id, set_status
from headwater.daemon.launcher import wait_for_run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
DEFS = os.path.join(ROOT, "tests", "fixtures", "automation_defs.py")
LOCATION = CodeLocationOrigin(python_file=DEFS).resolved().name
DEFAULT = "default_automation_condition_sensor"
S = hw.HeadwaterRunStatus


@pytest.fixture
def instance():
    with hw.instance_for_test() as instance:
        yield instance


def _daemon_once(instance):
    Daemon(instance, [CodeLocationOrigin(python_file=DEFS)]).run(once=True)


def _daemon_subprocess(instance, env_extra=None):
    """One daemon iteration in another process (so it can be killed)."""
    ref = instance.get_ref()
    code = ("import sys\n"
            "from headwater.storage.instance import HeadwaterInstance\n"
            "from headwater.code.location import CodeLocationOrigin\n"
            "from headwater.daemon.daemon import Daemon\n"
            "inst = HeadwaterInstance.from_url(sys.argv[1], sys.argv[2])\n"
            "Daemon(inst, [CodeLocationOrigin(python_file=sys.argv[3])]).run(once=True)\n")
    return subprocess.run([sys.executable, "-c", code, ref.url, ref.root_directory, DEFS],
                          env={**os.environ, **(env_extra or {})}, timeout=120,
                          capture_output=True, text=True)


def _wait_all(instance):
    for run in instance.get_runs():
        wait_for_run(instance, run.run_id, timeout=60)


def test_default_sensor_runs_by_default_and_launches_the_missing_asset(instance):
    """The default automation sensor (running by default) requests the missing `root`: one run,
    tagged, recorded with the evaluation; the tick succeeds and stores the cursor."""
    _daemon_once(instance)
    runs = instance.get_runs()
    assert len(runs) == 1
    run = runs[0]
    assert run.asset_selection == {hw.AssetKey("root")}
    assert run.tags["headwater/automation_condition"] == "true"
    assert run.tags["headwater/sensor_name"] == DEFAULT
    oid = origin_id(LOCATION, DEFAULT)
    (tick,) = instance.storage.get_ticks(oid)
    assert tick.status == "SUCCESS" and tick.body["run_ids"] == [run.run_id]
    (evaluation,) = instance.get_automation_evaluations("root")
    assert evaluation.evaluation_id == tick.tick_id
    assert evaluation.num_requested == 1 and evaluation.run_ids == (run.run_id,)
    assert [c["description"] for c in evaluation.result["children"]] == ["missing", "not"]
    assert instance.storage.get_instigator_state(oid).cursor == tick.body["cursor"]
    assert wait_for_run(instance, run.run_id, timeout=60).status is S.SUCCESS


def test_next_tick_keeps_the_cursor_and_requests_nothing_once_materialized(instance):
    """After the run materialized `root`, the next tick starts from the stored cursor, finds
    the condition false and launches nothing (SKIPPED), keeping a second evaluation."""
    oid = origin_id(LOCATION, DEFAULT)
    _daemon_once(instance)
    _wait_all(instance)
    first_cursor = instance.storage.get_instigator_state(oid).cursor
    _daemon_once(instance)
    ticks = instance.storage.get_ticks(oid)
    assert [t.status for t in ticks] == ["SKIPPED", "SUCCESS"]
    assert ticks[0].body["cursor_before"] == first_cursor
    assert "No condition was true" in ticks[0].body["skip_reason"]
    assert len(instance.get_runs()) == 1
    latest, first = instance.get_automation_evaluations("root")
    assert (latest.num_requested, first.num_requested) == (0, 1)
    assert latest.result["children"][0]["true_count"] == 0  # no longer missing


def test_queued_run_is_not_requested_again(instance):
    """With a run queue that starts nothing, the requested run waits QUEUED; the next tick sees
    it in progress and requests no second one."""
    with hw.instance_for_test(overrides={"run_queue": {"max_concurrent_runs": 0}}) as queued:
        _daemon_once(queued)
        _daemon_once(queued)
        runs = queued.get_runs()
        assert [r.status for r in runs] == [S.QUEUED]
        latest = queued.get_automation_evaluations("root")[0]
        assert latest.num_requested == 0
        assert latest.result["children"][1]["true_count"] == 0  # ~in_progress is false


@pytest.mark.parametrize("point", ["after_evaluations_stored", "after_tick_recorded",
                                   "after_run_created", "after_runs_launched"])
def test_killed_daemon_launches_each_request_exactly_once(instance, point):
    """SIGKILLed anywhere in a tick, the restarted daemon finishes (or drops and redoes) it:
    exactly one run of `root`, one stored evaluation per finished tick."""
    killed = _daemon_subprocess(instance, {"HEADWATER_DAEMON_CRASH_AT": point})
    assert killed.returncode == -9, killed.stderr
    oid = origin_id(LOCATION, DEFAULT)
    assert [t.status for t in instance.storage.get_ticks(oid)] == ["STARTED"]
    done = _daemon_subprocess(instance)
    assert done.returncode == 0, done.stderr
    runs = instance.get_runs()
    assert len(runs) == 1
    ticks = instance.storage.get_ticks(oid)
    assert "STARTED" not in [t.status for t in ticks]
    launching = [t for t in ticks if t.status == "SUCCESS"]
    assert len(launching) == 1 and launching[0].body["run_ids"] == [runs[0].run_id]
    evaluations = instance.get_automation_evaluations("root")
    assert [e.run_ids for e in evaluations if e.num_requested] == [(runs[0].run_id,)]
    assert {e.evaluation_id for e in evaluations} <= {t.tick_id for t in ticks}
    assert wait_for_run(instance, runs[0].run_id, timeout=60).status is S.SUCCESS


def test_partitions_become_backfills_by_backfill_policy(instance):
    """Three missing partitions of each daily asset: one backfill each; the single-run policy
    gives one run over the range, no policy gives a run per partition."""
    set_status(instance, LOCATION, DEFAULT, "SENSOR", STOPPED)
    set_status(instance, LOCATION, "partitioned_sensor", "SENSOR", RUNNING)
    _daemon_once(instance)
    oid = origin_id(LOCATION, "partitioned_sensor")
    (tick,) = instance.storage.get_ticks(oid)
    assert tick.status == "SUCCESS" and tick.body["run_ids"] == []
    by_asset = {}
    for evaluation in instance.get_automation_evaluations_for_evaluation_id(tick.tick_id):
        assert evaluation.num_requested == 3
        (by_asset[evaluation.key],) = evaluation.backfill_ids
    assert set(by_asset) == {"daily_single", "daily_each"}
    single = instance.storage.get_backfill(by_asset["daily_single"])
    assert single.body["single_run"] is True
    assert single.body["partition_keys"] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    (range_run,) = backfill_runs(instance, single.backfill_id)
    assert "headwater/partition" not in range_run.tags
    assert range_run.tags["headwater/asset_partition_range_start"] == "2024-01-01"
    assert range_run.tags["headwater/asset_partition_range_end"] == "2024-01-03"
    assert range_run.tags["team"] == "data"
    assert range_run.tags["headwater/automation_condition"] == "true"
    each = backfill_runs(instance, by_asset["daily_each"])
    assert sorted(r.tags["headwater/partition"] for r in each) == [
        "2024-01-01", "2024-01-02", "2024-01-03"]
    _wait_all(instance)
    assert all(r.status is S.SUCCESS for r in instance.get_runs())
    _daemon_once(instance)
    assert [t.status for t in instance.storage.get_ticks(oid)][0] == "SKIPPED"
