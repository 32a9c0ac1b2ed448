"""Retention (issue 16, defect 7): the daemon purges old ticks and, when configured, old
finished runs with their events and files, in bounded passes, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import time

import pytest
from click.testing import CliRunner

import headwater as hw
from headwater.cli.main import main
from headwater.daemon.daemon import Daemon
from headwater.daemon.retention import RetentionPass, RetentionSettings
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.automation import AutomationConditionEvaluationRecord
from headwater.storage.instance import HeadwaterInstance
from headwater.storage.state import InstigatorState, TickRecord

DAY = 86400.0
STATUSES = ("SKIPPED", "FAILURE", "SUCCESS", "STARTED")


@hw.asset
def kept_asset() -> int:
    return 7


@hw.op
def make() -> int:
    return 41


@hw.op
def use(value: int) -> int:
    return value + 1


@hw.job(resource_defs={"io_manager": hw.fs_io_manager})
def chain():
    use(make())


def _open(url: str, home, retention=None) -> HeadwaterInstance:
    settings = {"retention": retention} if retention is not None else {}
    return HeadwaterInstance.from_url(url, str(home), settings)


def _ticks(storage, origin: str, kind: str, now: float) -> dict[tuple[str, int], int]:
    """One tick per status at 1, 2, 4 and 8 days old; their ids by (status, age)."""
    storage.set_instigator_state(InstigatorState(origin, origin, kind, "RUNNING"))
    made = {}
    for status in STATUSES:
        for age in (1, 2, 4, 8):
            tick = storage.create_tick(TickRecord(origin, origin, kind, status,
                                                  now - age * DAY + 60, now))
            made[(status, age)] = tick.tick_id
    return made


def _left(storage, origin: str) -> set[tuple[str, int]]:
    return {(t.status, round((time.time() - t.timestamp) / DAY)) for t in storage.get_ticks(origin)}


def test_one_daemon_pass_purges_ticks_by_type_and_status(database_url, tmp_path):
    """Invariant: one daemon iteration deletes exactly the ticks older than their type's and
    status's setting (and the automation evaluations of those ticks); STARTED ticks, newer
    ticks and statuses set to -1 stay."""
    retention = {"schedule": {"purge_after_days": 3},
                 "sensor": {"purge_after_days": {"skipped": 1.5, "failure": 5, "success": -1}}}
    with _open(database_url, tmp_path, retention) as instance:
        storage, now = instance.storage, time.time()
        _ticks(storage, "sched", "SCHEDULE", now)
        sensor_ticks = _ticks(storage, "sens", "SENSOR", now)
        doomed, alive = sensor_ticks[("SKIPPED", 2)], sensor_ticks[("SKIPPED", 1)]
        storage.add_automation_evaluations([
            AutomationConditionEvaluationRecord(tick, "sens", "a", now, 0, {"value": False})
            for tick in (doomed, alive)])
        Daemon(instance, []).iterate()
        ages = (1, 2, 4, 8)
        assert _left(storage, "sched") == (
            {(s, a) for s in ("SKIPPED", "FAILURE", "SUCCESS") for a in (1, 2)}
            | {("STARTED", a) for a in ages})
        assert _left(storage, "sens") == (
            {("SKIPPED", 1), ("FAILURE", 1), ("FAILURE", 2), ("FAILURE", 4)}
            | {("SUCCESS", a) for a in ages} | {("STARTED", a) for a in ages})
        assert storage.get_automation_evaluations_for_evaluation_id(doomed) == []
        assert len(storage.get_automation_evaluations_for_evaluation_id(alive)) == 1


def test_default_retention_purges_skipped_ticks_after_a_week(database_url, tmp_path):
    """Invariant: without a `retention:` section, skipped ticks older than 7 days go and every
    other tick stays."""
    with _open(database_url, tmp_path) as instance:
        now = time.time()
        _ticks(instance.storage, "sens", "SENSOR", now)
        Daemon(instance, []).iterate()
        left = _left(instance.storage, "sens")
        assert ("SKIPPED", 8) not in left and ("SKIPPED", 4) in left
        assert {("FAILURE", 8), ("SUCCESS", 8), ("STARTED", 8)} <= left and len(left) == 15


def test_tick_purges_are_bounded_per_pass(database_url, tmp_path):
    """Invariant: a pass deletes at most its tick budget; the daemon runs the next pass on its
    next iteration until the backlog is gone."""
    with _open(database_url, tmp_path) as instance:
        now = time.time()
        storage = instance.storage
        storage.set_instigator_state(InstigatorState("s", "s", "SENSOR", "RUNNING"))
        for i in range(25):
            storage.create_tick(TickRecord("s", "s", "SENSOR", "SKIPPED", now - 9 * DAY + i))
        daemon = Daemon(instance, [])
        daemon.retention.tick_limit = 10
        counts = []
        for _ in range(4):
            daemon.iterate()
            counts.append(len(storage.get_ticks("s")))
        assert counts == [15, 5, 0, 0]


def test_run_retention_deletes_runs_events_and_op_outputs_but_not_latest_values(
        database_url, tmp_path):
    """Invariant: finished runs past `retention.runs.purge_after_days` lose their rows, events
    and files (op outputs, compute logs, worker log) in passes of at most `run_limit` runs;
    the run holding an asset's latest materialization stays whole, and the asset's stored
    value still loads; newer runs stay."""
    with _open(database_url, tmp_path, {"runs": {"purge_after_days": 1}}) as instance:
        old_asset = hw.materialize([kept_asset], instance=instance).run_id
        latest = hw.materialize([kept_asset], instance=instance).run_id
        jobs = [chain.execute_in_process(instance=instance).run_id for _ in range(3)]
        storage_dir = instance.storage_directory()
        for run_id in jobs:
            assert os.path.exists(os.path.join(storage_dir, run_id, "make", "result"))
        logs = os.path.join(str(tmp_path), "logs")
        os.makedirs(logs, exist_ok=True)
        for run_id in jobs:
            with open(os.path.join(logs, f"{run_id}.log"), "w") as f:
                f.write("worker output\n")

        daemon = Daemon(instance, [])
        daemon.iterate()  # nothing is a day old yet
        assert all(instance.has_run(r) for r in [old_asset, latest, *jobs])

        later = time.time() + 2 * DAY
        retention = RetentionPass(instance, run_limit=2)
        first = retention.run(now=later)
        assert len(first.runs) == 2 and first.more
        second = retention.run(now=later)
        assert len(second.runs) == 2  # a full pass cannot know whether more are due
        assert sorted(first.runs + second.runs) == sorted([old_asset, *jobs])
        third = retention.run(now=later)
        assert third.runs == [] and not third.more

        for run_id in [old_asset, *jobs]:
            assert not instance.has_run(run_id)
            assert instance.all_logs(run_id) == []
            assert not os.path.exists(os.path.join(storage_dir, run_id))
            assert not os.path.exists(os.path.join(logs, f"{run_id}.log"))
        assert instance.has_run(latest) and instance.all_logs(latest)
        assert instance.get_latest_materialization_event(kept_asset.key).run_id == latest
        loaded = hw.materialize([kept_asset.to_source_asset(), use_kept], instance=instance)
        assert loaded.output_for_node("use_kept") == 8


@hw.asset(deps=[])
def use_kept(kept_asset: int) -> int:
    return kept_asset + 1


@pytest.mark.parametrize("section, message", [
    ({"sensors": {}}, "unknown field(s) sensors"),
    ({"sensor": {"purge_after_days": -3}}, "retention.sensor.purge_after_days is -3"),
    ({"schedule": {"purge_after_days": {"skiped": 7}}}, "unknown field(s) skiped"),
    ({"runs": {"purge_after_days": "soon"}}, "retention.runs.purge_after_days must be a number"),
    ({"runs": {"keep": 3}}, "retention.runs has unknown field(s) keep"),
    ("forever", "retention must be a mapping"),
])
def test_bad_retention_settings_are_refused_by_name(section, message):
    """Invariant: a mistyped or negative retention setting stops the daemon at start with a
    message naming the field and the fix, never silently keeping everything."""
    with pytest.raises(HeadwaterInvalidInvocationError) as caught:
        RetentionSettings.from_settings(section)
    assert message in str(caught.value)
    with hw.instance_for_test() as base:
        instance = HeadwaterInstance(base.storage, settings={"retention": section})
        with pytest.raises(HeadwaterInvalidInvocationError, match="retention"):
            Daemon(instance, [])


def test_instance_prune_applies_the_retention_settings(tmp_path, monkeypatch):
    """Invariant: `headwater instance prune` without --older-than applies the same settings
    the daemon does, all at once."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "headwater.yaml").write_text("retention:\n  sensor:\n    purge_after_days: 2\n")
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    with HeadwaterInstance.get() as instance:
        _ticks(instance.storage, "sens", "SENSOR", time.time())
    result = CliRunner().invoke(main, ["instance", "prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 6 ticks and 0 runs" in result.output
    with HeadwaterInstance.get() as instance:
        assert len(instance.storage.get_ticks("sens")) == 10
