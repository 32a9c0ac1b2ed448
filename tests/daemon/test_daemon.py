"""The daemon against a real code server subprocess and a SQLite instance: sensor ticks and
cursors, run-key de-duplication (also across a daemon killed mid-tick), schedules' catch-up,
backfills, and the article's file sensor."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import pytest

import headwater as hw
from headwater.code.client import CodeServerClient
from headwater.code.location import CodeLocationOrigin
from headwater.code.run import origin_tag
from headwater.daemon.backfill import create_backfill, run_backfills
from headwater.daemon.daemon import Daemon
from headwater.daemon.instigation import RUNNING, origin_id, set_status
from headwater.daemon.launcher import wait_for_run
from headwater.daemon.scheduler import run_schedules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
DEFS = os.path.join(ROOT, "tests", "fixtures", "daemon_defs.py")
ARTICLE = os.path.join(ROOT, "examples", "article", "sensors.py")
S = hw.HeadwaterRunStatus


@pytest.fixture
def instance():
    with hw.instance_for_test() as instance:
        yield instance


def _start(instance, name, kind="SENSOR", path=DEFS):
    location = CodeLocationOrigin(python_file=path).resolved().name
    set_status(instance, location, name, kind, RUNNING)
    return origin_id(location, name)


def _daemon_once(instance, path=DEFS):
    daemon = Daemon(instance, [CodeLocationOrigin(python_file=path)])
    daemon.run(once=True)
    return daemon


def _daemon_subprocess(instance, env_extra=None, path=DEFS):
    """Run one daemon iteration in another process (so it can be killed)."""
    ref = instance.get_ref()
    code = ("import sys, headwater\n"
            "from headwater.storage.instance import HeadwaterInstance\n"
            "from headwater.code.location import CodeLocationOrigin\n"
            "from headwater.daemon.daemon import Daemon\n"
            "inst = HeadwaterInstance.from_url(sys.argv[1], sys.argv[2])\n"
            "Daemon(inst, [CodeLocationOrigin(python_file=sys.argv[3])]).run(once=True)\n")
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-c", code, ref.url, ref.root_directory, path],
                          env=env, timeout=120, capture_output=True, text=True)


def _wait_all(instance):
    for run in instance.get_runs():
        wait_for_run(instance, run.run_id, timeout=60)


def test_sensor_tick_launches_a_run_and_records_success(instance):
    """A running sensor's tick creates one run, tagged with its run key, and a SUCCESS tick."""
    oid = _start(instance, "same_key_sensor")
    _daemon_once(instance)
    runs = instance.get_runs()
    assert len(runs) == 1
    assert runs[0].tags["headwater/run_key"] == "only-once"
    assert runs[0].tags["headwater/sensor_name"] == "same_key_sensor"
    ticks = instance.storage.get_ticks(oid)
    assert [t.status for t in ticks] == ["SUCCESS"]
    assert ticks[0].body["run_ids"] == [runs[0].run_id]
    _wait_all(instance)


def test_run_key_is_used_once_across_ticks(instance):
    """A second tick requesting the same run key launches nothing and is SKIPPED."""
    oid = _start(instance, "same_key_sensor")
    _daemon_once(instance)
    _daemon_once(instance)
    assert len(instance.get_runs()) == 1
    statuses = [t.status for t in instance.storage.get_ticks(oid)]
    assert statuses == ["SKIPPED", "SUCCESS"]
    _wait_all(instance)


def test_cursor_advances_between_ticks_and_skip_reason_is_recorded(instance):
    """update_cursor is kept between ticks; a SkipReason ends the tick SKIPPED with its text."""
    oid = _start(instance, "counting_sensor")
    _daemon_once(instance)
    _daemon_once(instance)
    assert instance.storage.get_instigator_state(oid).cursor == "2"
    ticks = instance.storage.get_ticks(oid)
    assert [t.body["skip_reason"] for t in ticks] == ["tick 2", "tick 1"]


def test_sensor_error_is_recorded_as_a_failed_tick_and_cursor_kept(instance):
    """A sensor that raises gives a FAILURE tick with the error; its cursor does not move."""
    oid = _start(instance, "counting_sensor")
    client = CodeServerClient(CodeLocationOrigin(python_file=DEFS),
                              env={**os.environ, "HW_TEST_FAIL_SENSOR": "1"})
    Daemon(instance, [CodeLocationOrigin(python_file=DEFS)], clients=[client]).run(once=True)
    tick = instance.storage.get_ticks(oid)[0]
    assert tick.status == "FAILURE"
    assert "sensor body failed on purpose" in tick.body["error"]["message"]
    assert instance.storage.get_instigator_state(oid).cursor is None


def test_sensor_requesting_an_oversized_tag_fails_its_tick_and_creates_no_run(instance):
    """Tags are capped for every way a run is made: a sensor's over-long tag is a FAILURE tick
    naming the tag and the limit, and no run (issue 16)."""
    oid = _start(instance, "huge_tag_sensor")
    _daemon_once(instance)
    tick = instance.storage.get_ticks(oid)[0]
    assert tick.status == "FAILURE"
    assert "'note'" in tick.body["error"]["message"] and "4096" in tick.body["error"]["message"]
    assert instance.get_runs() == []


def test_sensor_interval_holds_between_iterations_unless_forced(instance):
    """Within its minimum interval a sensor is not ticked again, but a forced iteration (as
    `run(once=True)` does) ticks it anyway."""
    oid = _start(instance, "hourly_sensor")
    daemon = Daemon(instance, [CodeLocationOrigin(python_file=DEFS)])
    try:
        daemon.iterate()
        daemon.iterate()
        assert [t.status for t in instance.storage.get_ticks(oid)] == ["SKIPPED"]
        daemon.iterate(force_sensors=True)
        assert [t.status for t in instance.storage.get_ticks(oid)] == ["SKIPPED", "SKIPPED"]
    finally:
        for location in daemon.locations:
            location.client.shutdown()
    assert daemon.errors == []


@pytest.mark.parametrize("point", ["after_tick_recorded", "after_run_created"])
def test_killed_daemon_launches_each_run_key_exactly_once(instance, point):
    """SIGKILLed between recording a tick and launching its run, the daemon resumes the tick
    on restart: exactly one run for the key, and later ticks add none."""
    oid = _start(instance, "same_key_sensor")
    killed = _daemon_subprocess(instance, {"HEADWATER_DAEMON_CRASH_AT": point})
    assert killed.returncode == -9, killed.stderr
    assert [t.status for t in instance.storage.get_ticks(oid)] == ["STARTED"]
    created = len(instance.get_runs())
    assert created == (1 if point == "after_run_created" else 0)
    if created:
        assert instance.get_runs()[0].status is S.NOT_STARTED
    done = _daemon_subprocess(instance)
    assert done.returncode == 0, done.stderr
    _daemon_subprocess(instance)
    runs = instance.get_runs()
    assert len(runs) == 1
    statuses = [t.status for t in instance.storage.get_ticks(oid)]
    assert statuses[-1] == "SUCCESS" and "STARTED" not in statuses
    assert wait_for_run(instance, runs[0].run_id, timeout=60).status is S.SUCCESS


def test_schedule_catch_up_launches_only_the_latest_missed_tick(instance):
    """After 5 minutes of downtime, an every-minute schedule runs its latest tick once and
    records the earlier ones as missed."""
    origin = CodeLocationOrigin(python_file=DEFS).resolved()
    oid = _start(instance, "every_minute", "SCHEDULE")
    state = instance.storage.get_instigator_state(oid)
    now = 1_800_000_030.0  # 30 s past a minute
    instance.storage.set_instigator_state(type(state)(
        oid, state.name, "SCHEDULE", RUNNING, None, {**dict(state.body), "started_at": now - 300}))
    with CodeServerClient(origin) as client:
        snapshot = client.snapshot()
        ticks = run_schedules(instance, client, origin.name, origin_tag(origin), snapshot,
                              dataclasses.asdict(instance.get_ref()), now=now)
        again = run_schedules(instance, client, origin.name, origin_tag(origin), snapshot,
                              dataclasses.asdict(instance.get_ref()), now=now + 10)
    assert sorted(t.status for t in ticks) == ["SKIPPED"] * 4 + ["SUCCESS"]
    assert again == []
    runs = instance.get_runs()
    assert len(runs) == 1
    assert runs[0].tags["headwater/schedule_name"] == "every_minute"
    _wait_all(instance)


def test_backfill_launches_one_run_per_partition_and_resumes(instance):
    """A backfill of 3 partitions launches 3 runs; running it again launches no more."""
    origin = CodeLocationOrigin(python_file=DEFS).resolved()
    with CodeServerClient(origin) as client:
        plan = client.call("plan_backfill", {"job_name": "lettered_job", "all_partitions": True})
    assert plan == {"partition_keys": ["a", "b", "c"], "single_run": False,
                    "max_partitions_per_run": 1}
    record = create_backfill(instance, origin_tag(origin), plan, job_name="lettered_job",
                             asset_selection=None)
    run_backfills(instance)
    run_backfills(instance)
    runs = instance.get_runs()
    assert sorted(r.tags["headwater/partition"] for r in runs) == ["a", "b", "c"]
    _wait_all(instance)
    run_backfills(instance)
    assert instance.storage.get_backfill(record.backfill_id).status == "COMPLETED_SUCCESS"


def test_article_file_sensor_processes_files_that_appear(instance, tmp_path, monkeypatch):
    """new_file_sensor: no file -> skipped; two files land -> two runs that process them."""
    monkeypatch.setenv("ARTICLE_DATA_DIR", str(tmp_path))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    oid = _start(instance, "new_file_sensor", path=ARTICLE)
    _daemon_once(instance, ARTICLE)
    assert instance.storage.get_ticks(oid)[0].body["skip_reason"] == "No new files found"
    for name in ("one.csv", "two.csv"):
        (inbox / name).write_text("x,y\n1,2\n")
    _daemon_once(instance, ARTICLE)
    runs = instance.get_runs()
    assert sorted(r.tags["headwater/run_key"] for r in runs) == [
        "file_arrival_one.csv", "file_arrival_two.csv"]
    for run in runs:
        assert wait_for_run(instance, run.run_id, timeout=60).status is S.SUCCESS
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["one.csv", "two.csv"]
    time.sleep(0)
