"""The storage contract: the instance API after real runs, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone

import pytest

import headwater as hw
from headwater import (
    AssetKey,
    AssetRecordsFilter,
    EventRecordsFilter,
    HeadwaterEvent,
    HeadwaterEventType,
    HeadwaterRunStatus,
    RunsFilter,
)
from headwater.definitions.tags import HIDDEN_TAG_PREFIX, RUN_WORKER_PID_TAG
from headwater.errors import HeadwaterInvalidInvocationError, HeadwaterInvariantViolationError
from headwater.storage.record import AssetPartitionStatus
from headwater.storage.state import BackfillRecord, DaemonHeartbeat, InstigatorState, TickRecord

ET = HeadwaterEventType


@hw.asset
def upstream(context):
    context.log.info("computing upstream")
    return 1


@hw.asset
def downstream(upstream):
    return upstream + 1


@hw.op
def boom():
    raise ValueError("boom")


@hw.job
def failing_job():
    boom()


def test_materialize_records_a_successful_run(instance):
    """materialize(instance=) stores the run with its tags, step keys and SUCCESS status; a
    persistent instance also records the run's process in hidden tags (run monitoring)."""
    result = hw.materialize([upstream, downstream], instance=instance, tags={"team": "data"})
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.status is HeadwaterRunStatus.SUCCESS
    assert run.is_success and run.is_finished
    assert {k: v for k, v in run.tags.items() if not k.startswith(HIDDEN_TAG_PREFIX)} == \
        {"team": "data"}
    if not instance.is_ephemeral:
        assert run.tags[RUN_WORKER_PID_TAG] == str(os.getpid())
    assert run.step_keys_to_execute == ("upstream", "downstream")
    assert run.asset_selection == {AssetKey("upstream"), AssetKey("downstream")}
    record = instance.get_run_record_by_id(result.run_id)
    assert record.start_time is not None and record.end_time >= record.start_time
    assert instance.has_run(result.run_id)
    assert instance.get_runs_count() == 1


def test_failed_run_has_failure_status_and_error_entries(instance):
    """A failing job is stored as FAILURE; failure entries carry ERROR level and the error."""
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert instance.get_run_by_id(result.run_id).status is HeadwaterRunStatus.FAILURE
    failures = instance.all_logs(result.run_id, of_type={ET.STEP_FAILURE, ET.RUN_FAILURE})
    assert [e.headwater_event_type for e in failures] == [ET.STEP_FAILURE, ET.RUN_FAILURE]
    assert failures[0].level == logging.ERROR
    assert "boom" in failures[0].error_info.message


def test_all_logs_keeps_order_and_log_messages(instance):
    """all_logs returns every event in order; context.log lines are entries without an event."""
    result = hw.materialize([upstream], instance=instance)
    entries = instance.all_logs(result.run_id)
    types = [e.headwater_event_type for e in entries]
    assert types[0] is ET.RUN_START and types[-1] is ET.RUN_SUCCESS
    logs = [e for e in entries if not e.is_headwater_event]
    assert [(e.user_message, e.level, e.step_key) for e in logs] == [
        ("computing upstream", logging.INFO, "upstream")
    ]
    assert len(entries) == len(result.all_records)
    assert all(e.run_id == result.run_id for e in entries)


def test_get_records_for_run_pages_with_cursor(instance):
    """get_records_for_run pages through a run's log with the returned cursor."""
    result = hw.materialize([upstream, downstream], instance=instance)
    total = len(instance.all_logs(result.run_id))
    first = instance.get_records_for_run(result.run_id, limit=4)
    assert len(first.records) == 4 and first.has_more
    second = instance.get_records_for_run(result.run_id, cursor=first.cursor, limit=100)
    assert not second.has_more
    ids = [r.storage_id for r in first.records + list(second.records)]
    assert ids == sorted(ids) and len(ids) == total
    newest = instance.get_records_for_run(result.run_id, limit=1, ascending=False)
    assert newest.records[0].event_type is ET.RUN_SUCCESS
    mats = instance.get_records_for_run(result.run_id, of_type=ET.ASSET_MATERIALIZATION).records
    assert [r.asset_key for r in mats] == [AssetKey("upstream"), AssetKey("downstream")]


def test_runs_are_filtered_and_newest_first(instance):
    """get_runs orders newest first and filters by job name, status, tags and run ids."""
    ok = hw.materialize([upstream], instance=instance, tags={"kind": "a"})
    bad = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    third = hw.materialize([upstream], instance=instance, tags={"kind": "b"})
    assert [r.run_id for r in instance.get_runs()] == [third.run_id, bad.run_id, ok.run_id]
    assert [r.run_id for r in instance.get_runs(ascending=True, limit=1)] == [ok.run_id]
    assert [r.run_id for r in instance.get_runs(filters=RunsFilter(job_name="failing_job"))] == [
        bad.run_id
    ]
    success = RunsFilter(statuses=[HeadwaterRunStatus.SUCCESS])
    assert instance.get_runs_count(success) == 2
    assert instance.get_runs_count(RunsFilter(tags={"kind": ["a", "b"]})) == 2
    assert instance.get_run_ids(RunsFilter(run_ids=[ok.run_id])) == [ok.run_id]
    assert [r.run_id for r in instance.get_runs(cursor=third.run_id)] == [bad.run_id, ok.run_id]
    assert len(instance.get_run_records(limit=2)) == 2


def test_delete_run_drops_its_events(instance):
    """delete_run removes the run and its log."""
    result = hw.materialize([upstream], instance=instance)
    instance.delete_run(result.run_id)
    assert not instance.has_run(result.run_id)
    assert instance.get_run_by_id(result.run_id) is None
    assert instance.all_logs(result.run_id) == []
    assert instance.get_latest_materialization_event(upstream.key) is None


def test_latest_materialization_and_fetch(instance):
    """The latest materialization is the newest; fetch_materializations pages newest first."""
    first = hw.materialize([upstream], instance=instance)
    second = hw.materialize([upstream], instance=instance)
    latest = instance.get_latest_materialization_event(AssetKey("upstream"))
    assert latest.run_id == second.run_id
    assert latest.asset_materialization.asset_key == AssetKey("upstream")
    page = instance.fetch_materializations(upstream.key, limit=1)
    assert [r.run_id for r in page.records] == [second.run_id] and page.has_more
    rest = instance.fetch_materializations(upstream.key, limit=5, cursor=page.cursor)
    assert [r.run_id for r in rest.records] == [first.run_id] and not rest.has_more
    oldest = instance.fetch_materializations("upstream", limit=5, ascending=True)
    assert [r.run_id for r in oldest.records] == [first.run_id, second.run_id]
    by_keys = instance.get_latest_materialization_events([upstream.key, AssetKey("missing")])
    assert by_keys[AssetKey("missing")] is None
    assert by_keys[upstream.key].run_id == second.run_id


def test_partitioned_materializations_are_indexed_by_partition(instance):
    """Materializations with a partition feed get_materialized_partitions and partition filters."""
    instance.report_runless_asset_event(hw.AssetMaterialization("tbl", partition="2024-01-01"))
    instance.report_runless_asset_event(hw.AssetMaterialization("tbl", partition="2024-01-02"))
    assert instance.get_materialized_partitions(AssetKey("tbl")) == {"2024-01-01", "2024-01-02"}
    only = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("tbl"), asset_partitions=["2024-01-01"]), limit=10
    )
    assert [r.partition_key for r in only.records] == ["2024-01-01"]
    instance.wipe_asset_partitions(AssetKey("tbl"), ["2024-01-01"])
    assert instance.get_materialized_partitions(AssetKey("tbl")) == {"2024-01-02"}


def test_runless_events_and_asset_keys(instance):
    """Runless materializations and observations make assets known; wipe_assets forgets them."""
    instance.report_runless_asset_event(hw.AssetMaterialization("b"))
    instance.report_runless_asset_event(hw.AssetObservation(asset_key=AssetKey(["a", "x"])))
    assert instance.get_asset_keys() == [AssetKey(["a", "x"]), AssetKey("b")]
    assert instance.get_asset_keys(prefix=["a"]) == [AssetKey(["a", "x"])]
    assert instance.has_asset_key("b")
    observed = instance.fetch_observations(AssetKey(["a", "x"]), limit=5).records
    assert observed[0].event_log_entry.run_id == ""
    assert observed[0].asset_observation.asset_key == AssetKey(["a", "x"])
    instance.wipe_assets([AssetKey("b")])
    assert instance.get_asset_keys() == [AssetKey(["a", "x"])]
    assert instance.get_latest_materialization_event(AssetKey("b")) is None


def test_get_event_records_by_type(instance):
    """get_event_records filters by event type and asset, newest first, with cursors."""
    first = hw.materialize([upstream, downstream], instance=instance)
    second = hw.materialize([upstream], instance=instance)
    successes = instance.get_event_records(EventRecordsFilter(ET.RUN_SUCCESS))
    assert [r.run_id for r in successes] == [second.run_id, first.run_id]
    mats = instance.get_event_records(
        EventRecordsFilter(ET.ASSET_MATERIALIZATION, asset_key=AssetKey("upstream")),
        ascending=True,
    )
    assert [r.run_id for r in mats] == [first.run_id, second.run_id]
    after = instance.get_event_records(
        EventRecordsFilter(ET.ASSET_MATERIALIZATION, after_cursor=mats[0].storage_id), ascending=True
    )
    assert [r.asset_key for r in after] == [AssetKey("downstream"), AssetKey("upstream")]


def test_dynamic_partitions(instance):
    """Dynamic partitions keep insertion order, ignore duplicates and delete quietly."""
    instance.add_dynamic_partitions("files", ["x", "y"])
    instance.add_dynamic_partitions("files", ["y", "z"])
    assert instance.get_dynamic_partitions("files") == ["x", "y", "z"]
    assert instance.has_dynamic_partition("files", "x")
    instance.delete_dynamic_partition("files", "x")
    instance.delete_dynamic_partition("files", "absent")
    assert instance.get_dynamic_partitions("files") == ["y", "z"]
    assert instance.get_dynamic_partitions("unknown") == []
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"\['x'\]"):
        instance.add_dynamic_partitions("files", "x")


def test_create_run_for_job_and_reported_events_move_status(instance):
    """A run created by hand is NOT_STARTED until run events arrive; add_run_tags merges tags."""
    run = instance.create_run_for_job(failing_job, tags={"a": "1"})
    assert instance.get_run_by_id(run.run_id).status is HeadwaterRunStatus.NOT_STARTED
    instance.add_run_tags(run.run_id, {"b": "2"})
    assert instance.get_run_by_id(run.run_id).tags == {"a": "1", "b": "2"}
    instance.report_run_canceled(run)
    stored = instance.get_run_by_id(run.run_id)
    assert stored.status is HeadwaterRunStatus.CANCELED and stored.is_failure_or_canceled
    assert instance.get_run_tags(["a", "b"]) == [("a", {"1"}), ("b", {"2"})]
    with pytest.raises(HeadwaterInvariantViolationError, match=run.run_id):
        instance.create_run_for_job(failing_job, run_id=run.run_id)


def test_handle_new_event_stores_hand_built_entries(instance):
    """handle_new_event stores a hand-built log message entry for its run."""
    entry = hw.EventLogEntry(None, logging.WARNING, "disk almost full", "run-1", 1.0)
    instance.handle_new_event(entry)
    (stored,) = instance.all_logs("run-1")
    assert (stored.user_message, stored.level, stored.is_headwater_event) == (
        "disk almost full", logging.WARNING, False
    )


def test_context_instance_is_the_recording_instance(instance):
    """Assets see the run's instance as context.instance and can query earlier runs."""
    hw.materialize([upstream], instance=instance)
    seen = []

    @hw.asset(deps=[upstream])
    def reader(context):
        seen.append(context.instance.get_latest_materialization_event(upstream.key))

    hw.materialize([reader], instance=instance)
    assert seen[0] is not None and seen[0].asset_materialization.asset_key == upstream.key


def test_bad_cursor_and_of_type_name_the_fix(instance):
    """A cursor or event type the instance never returned is rejected with the fix."""
    with pytest.raises(HeadwaterInvalidInvocationError, match="previous EventLogConnection"):
        instance.get_records_for_run("r", cursor="not-a-cursor")
    with pytest.raises(HeadwaterInvalidInvocationError, match="HeadwaterEventType"):
        instance.all_logs("r", of_type="NOT_A_TYPE")
    assert instance.all_logs("r", of_type="RUN_START") == []


def test_fetch_run_status_changes_pages_run_events(instance):
    """fetch_run_status_changes returns RUN_SUCCESS records newest first, filterable by job."""
    first = hw.materialize([upstream], instance=instance)
    failing_job.execute_in_process(instance=instance, raise_on_error=False)
    second = hw.materialize([upstream], instance=instance)
    page = instance.fetch_run_status_changes(ET.RUN_SUCCESS, limit=1)
    assert [r.run_id for r in page.records] == [second.run_id] and page.has_more
    assert page.records[0].event_log_entry.asset_materialization is None
    rest = instance.fetch_run_status_changes(ET.RUN_SUCCESS, limit=5, cursor=page.cursor)
    assert [r.run_id for r in rest.records] == [first.run_id]
    by_job = hw.RunStatusChangeRecordsFilter(ET.RUN_FAILURE, job_names=["failing_job"])
    assert len(instance.fetch_run_status_changes(by_job, limit=5).records) == 1
    with pytest.raises(HeadwaterInvalidInvocationError, match="run status event"):
        hw.RunStatusChangeRecordsFilter(ET.STEP_START)

@hw.asset(partitions_def=hw.StaticPartitionsDefinition(["a", "b", "bad", "c", "d"]))
def daily(context):
    if context.partition_key == "bad":
        raise ValueError("bad partition")
    return context.partition_key


def test_partition_status_follows_the_latest_attempt(instance):
    """Partitions are MATERIALIZED, FAILED or IN_PROGRESS by their latest attempt, else None."""
    hw.materialize([daily], instance=instance, partition_key="a")
    hw.materialize([daily], instance=instance, partition_key="bad", raise_on_error=False)
    run = instance.create_run_for_job(failing_job, tags={"headwater/partition": "c"},
                                      asset_selection=[daily.key])
    instance.store_event(HeadwaterEvent(ET.RUN_START, run.run_id, run.job_name))
    statuses = instance.get_status_by_partition(daily.key, ["a", "bad", "c", "d"])
    assert statuses == {"a": AssetPartitionStatus.MATERIALIZED, "bad": AssetPartitionStatus.FAILED,
                        "c": AssetPartitionStatus.IN_PROGRESS, "d": None}
    instance.report_run_failed(run)
    assert instance.get_status_by_partition(daily.key, ["c"]) == {"c": AssetPartitionStatus.FAILED}
    hw.materialize([daily], instance=instance, partition_key="c")
    assert instance.get_status_by_partition(daily.key, ["c"]) == {
        "c": AssetPartitionStatus.MATERIALIZED}
    assert instance.get_materialized_partitions(daily.key) == {"a", "c"}
    instance.wipe_asset_partitions(daily.key, ["bad"])
    assert instance.get_status_by_partition(daily.key, ["bad"]) == {"bad": None}


def test_many_partitions_are_indexed(instance):
    """Thousands of partitions of one asset, stored in one batch, are all materialized."""
    keys = [f"p{i:05d}" for i in range(3000)]
    instance.store_events(
        HeadwaterEvent(ET.ASSET_MATERIALIZATION, "", "", 1.0 + i, asset_key=AssetKey("wide"),
                       partition=key, payload=_materialization("wide", key))
        for i, key in enumerate(keys))
    assert instance.get_materialized_partitions("wide") == set(keys)
    statuses = instance.get_status_by_partition("wide", keys[:3] + ["nope"])
    assert list(statuses.values()) == [AssetPartitionStatus.MATERIALIZED] * 3 + [None]
    latest = instance.get_latest_materialization_event("wide")
    assert latest.asset_materialization.partition == keys[-1]


def _materialization(key, partition):
    from headwater.execution.event import MaterializationData

    return MaterializationData(hw.AssetMaterialization(key, partition=partition))


def test_run_filters_by_time_asset_tags_and_subruns(instance):
    """Runs filter by creation/update time, targeted asset, exact tag and parent run."""
    first = hw.materialize([upstream], instance=instance, tags={"owner": "ann"})
    middle = datetime.now(timezone.utc)
    time.sleep(0.01)
    second = hw.materialize([upstream, downstream], instance=instance,
                            tags={"owner": "bob", "headwater/parent_run_id": first.run_id})
    ids = lambda f: [r.run_id for r in instance.get_runs(filters=f)]  # noqa: E731
    assert ids(RunsFilter(created_after=middle)) == [second.run_id]
    assert ids(RunsFilter(created_before=middle)) == [first.run_id]
    assert ids(RunsFilter(updated_after=middle)) == [second.run_id]
    assert ids(RunsFilter(asset_keys=[downstream.key])) == [second.run_id]
    assert ids(RunsFilter(asset_keys=["upstream"])) == [second.run_id, first.run_id]
    assert ids(RunsFilter(tags={"owner": "ann"})) == [first.run_id]
    assert ids(RunsFilter(exclude_subruns=True)) == [first.run_id]
    assert ids(RunsFilter(statuses=[HeadwaterRunStatus.FAILURE])) == []
    assert instance.get_runs(cursor="not-a-run") == []
    assert instance.get_runs_count(RunsFilter(job_name="__ASSET_JOB")) in (0, 2)


def test_cursors_read_only_new_events(instance):
    """A run's cursor and an event-type cursor return just the events stored since."""
    result = hw.materialize([upstream], instance=instance)
    page = instance.get_records_for_run(result.run_id)
    mats = instance.get_event_records(EventRecordsFilter(ET.ASSET_MATERIALIZATION))
    instance.handle_new_event(hw.EventLogEntry(None, logging.INFO, "later", result.run_id, 2.0))
    later = hw.materialize([upstream], instance=instance)
    new = instance.get_records_for_run(result.run_id, cursor=page.cursor)
    assert [r.event_log_entry.user_message for r in new.records] == ["later"]
    assert instance.get_records_for_run(result.run_id, cursor=new.cursor).records == []
    sensor_view = instance.get_event_records(
        EventRecordsFilter(ET.ASSET_MATERIALIZATION, after_cursor=mats[0].storage_id))
    assert [r.run_id for r in sensor_view] == [later.run_id]


def test_store_events_batch_moves_run_status(instance):
    """store_events writes many events at once and run events in it still move the status."""
    run = instance.create_run_for_job(failing_job)
    instance.store_events([
        HeadwaterEvent(ET.RUN_START, run.run_id, run.job_name, 10.0),
        *[HeadwaterEvent(ET.ENGINE_EVENT, run.run_id, run.job_name, 10.0 + i, message=str(i))
          for i in range(200)],
        HeadwaterEvent(ET.RUN_SUCCESS, run.run_id, run.job_name, 300.0),
    ])
    record = instance.get_run_record_by_id(run.run_id)
    assert record.headwater_run.status is HeadwaterRunStatus.SUCCESS
    assert (record.start_time, record.end_time) == (10.0, 300.0)
    messages = [e.message for e in instance.all_logs(run.run_id, of_type=ET.ENGINE_EVENT)]
    assert messages == [str(i) for i in range(200)]


def test_prune_keeps_the_latest_materialization_of_every_asset_and_partition(instance):
    """prune drops old runs' events but the latest materialization per asset/partition stays."""
    old_a = hw.materialize([daily], instance=instance, partition_key="a")
    old_b = hw.materialize([daily], instance=instance, partition_key="b")
    new_a = hw.materialize([daily], instance=instance, partition_key="a")
    cutoff = instance.get_run_record_by_id(new_a.run_id).end_time - 1e-6
    deleted = instance.storage.prune(cutoff)
    assert deleted > 0
    assert instance.all_logs(old_a.run_id) == []
    kept = instance.all_logs(old_b.run_id)
    assert [e.headwater_event_type for e in kept] == [ET.ASSET_MATERIALIZATION]
    assert len(instance.all_logs(new_a.run_id)) == len(new_a.all_records)
    assert instance.get_materialized_partitions(daily.key) == {"a", "b"}
    assert instance.get_latest_materialization_event(daily.key).run_id == new_a.run_id
    assert instance.has_run(old_a.run_id)


def test_reindex_rebuilds_the_same_asset_index(instance):
    """reindex from the event log gives the same asset keys, partitions and statuses."""
    hw.materialize([daily], instance=instance, partition_key="a")
    hw.materialize([daily], instance=instance, partition_key="bad", raise_on_error=False)
    instance.report_runless_asset_event(hw.AssetObservation(asset_key=AssetKey("seen")))
    before = (instance.get_asset_keys(), instance.get_status_by_partition(daily.key, ["a", "bad"]),
              instance.get_latest_materialization_event(daily.key).run_id)
    instance.storage.reindex()
    after = (instance.get_asset_keys(), instance.get_status_by_partition(daily.key, ["a", "bad"]),
             instance.get_latest_materialization_event(daily.key).run_id)
    assert after == before


def test_scheduling_state_round_trips(instance):
    """Instigator state and cursor, ticks, run keys, heartbeats, backfills and kvs are kept."""
    storage = instance.storage
    stored = storage.set_instigator_state(InstigatorState("o1", "my_sensor", "SENSOR", "RUNNING"))
    assert stored.update_timestamp > 0
    storage.set_instigator_state(InstigatorState("o1", "my_sensor", "SENSOR", "RUNNING", "c-7",
                                                 {"min_interval": 30}))
    storage.set_instigator_state(InstigatorState("o2", "daily", "SCHEDULE", "STOPPED"))
    state = storage.get_instigator_state("o1")
    assert (state.cursor, state.body) == ("c-7", {"min_interval": 30})
    assert [s.name for s in storage.all_instigator_state("SCHEDULE")] == ["daily"]
    storage.delete_instigator_state("o2")
    assert storage.get_instigator_state("o2") is None

    first = storage.create_tick(TickRecord("o1", "my_sensor", "SENSOR", "STARTED", 100.0))
    second = storage.create_tick(TickRecord("o1", "my_sensor", "SENSOR", "STARTED", 200.0))
    assert first.tick_id != second.tick_id
    storage.update_tick(TickRecord("o1", "my_sensor", "SENSOR", "SKIPPED", 200.0, 201.0,
                                   {"skip_reason": "nothing new"}, second.tick_id))
    ticks = storage.get_ticks("o1")
    assert [(t.status, t.body) for t in ticks] == [("SKIPPED", {"skip_reason": "nothing new"}),
                                                   ("STARTED", {})]
    assert [t.tick_id for t in storage.get_ticks("o1", statuses=["STARTED"])] == [first.tick_id]
    assert storage.purge_ticks("o1", before=150.0) == 1
    assert storage.claim_run_keys("o1", ["k1", "k2", "k1"]) == ["k1", "k2"]
    assert storage.claim_run_keys("o1", ["k2", "k3"]) == ["k3"]

    storage.add_daemon_heartbeat(DaemonHeartbeat("SENSOR", "d1", 1.0))
    storage.add_daemon_heartbeat(DaemonHeartbeat("SENSOR", "d2", 2.0, {"errors": []}))
    assert storage.get_daemon_heartbeats()["SENSOR"].daemon_id == "d2"
    storage.add_backfill(BackfillRecord("b1", "REQUESTED", 1.0, {"partitions": ["a"]}))
    storage.add_backfill(BackfillRecord("b2", "REQUESTED", 2.0))
    storage.update_backfill(BackfillRecord("b1", "COMPLETED", 1.0, {"partitions": ["a"]}))
    assert [b.backfill_id for b in storage.get_backfills()] == ["b2", "b1"]
    assert [b.backfill_id for b in storage.get_backfills(cursor="b2")] == ["b1"]
    assert storage.get_backfill("b1").status == "COMPLETED"
    assert [b.backfill_id for b in storage.get_backfills(status="REQUESTED")] == ["b2"]
    with pytest.raises(KeyError, match="b1"):
        storage.add_backfill(BackfillRecord("b1", "REQUESTED", 3.0))
    storage.set_kvs({"a": "1", "b": "2"})
    storage.set_kvs({"a": "3"})
    assert storage.get_kvs(["a", "b", "c"]) == {"a": "3", "b": "2"}


def test_wipe_forgets_everything(instance):
    """wipe() deletes runs, events, assets, dynamic partitions and scheduling state."""
    hw.materialize([upstream], instance=instance)
    instance.add_dynamic_partitions("files", ["x"])
    instance.storage.set_kvs({"a": "1"})
    instance.wipe()
    assert instance.get_runs() == [] and instance.get_asset_keys() == []
    assert instance.get_dynamic_partitions("files") == []
    assert instance.storage.get_kvs(["a"]) == {}


def test_run_filter_by_window_overlap(instance):
    """created_before + active_after keep the runs whose span overlaps a window: finished in
    it, started before and still going, or queued; not those over before it or created after."""
    from datetime import timedelta

    from headwater.storage.record import HeadwaterRun, RunRecord

    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    at = lambda minutes: t0 + timedelta(minutes=minutes)  # noqa: E731

    def add(run_id, status, created, start=None, end=None, updated=None):
        instance.storage.add_run(RunRecord(
            storage_id=0, headwater_run=HeadwaterRun(job_name="j", run_id=run_id, status=status),
            create_timestamp=at(created), update_timestamp=at(updated if updated is not None
                                                              else end if end is not None
                                                              else created),
            start_time=at(start).timestamp() if start is not None else None,
            end_time=at(end).timestamp() if end is not None else None))

    S = HeadwaterRunStatus
    add("ended-before", S.SUCCESS, 0, 1, 5)
    add("ends-inside", S.FAILURE, 5, 6, 15)
    add("inside", S.SUCCESS, 12, 12, 14)
    add("spans", S.CANCELED, 1, 2, 40)
    add("still-going", S.STARTED, 2, 3)
    add("queued", S.QUEUED, 8)
    add("no-end-stamped-late", S.SUCCESS, 9, updated=11)
    add("no-end-stamped-early", S.SUCCESS, 1, updated=2)
    add("tagged-after-it-ended", S.SUCCESS, 0, 1, 4, updated=30)
    add("created-after", S.SUCCESS, 25, 25, 26)
    window = RunsFilter(created_before=at(20), active_after=at(10))
    found = {r.headwater_run.run_id for r in instance.get_run_records(window)}
    assert found == {"ends-inside", "inside", "spans", "still-going", "queued",
                     "no-end-stamped-late"}
    assert instance.get_runs_count(window) == 6


def test_retention_primitives_swap_kv_purge_ticks_and_purge_runs(instance):
    """swap_kv is a compare-and-swap; purge_ticks honours statuses and its limit (oldest
    first); purge_runs deletes old finished runs, oldest first, within its limit, but keeps
    the run holding an asset's latest materialization."""
    storage = instance.storage
    assert storage.swap_kv("lease", None, "a")
    assert not storage.swap_kv("lease", None, "b")  # present: an insert loses
    assert not storage.swap_kv("lease", "x", "b")
    assert storage.swap_kv("lease", "a", "b") and storage.get_kvs(["lease"]) == {"lease": "b"}
    assert storage.swap_kv("lease", "b", None) and storage.get_kvs(["lease"]) == {}

    for i, status in enumerate(["SKIPPED", "SKIPPED", "SKIPPED", "SUCCESS", "STARTED"]):
        storage.create_tick(TickRecord("o", "s", "SENSOR", status, 100.0 + i))
    assert storage.purge_ticks("o", 200.0, statuses=["SKIPPED"], limit=2) == 2
    assert [t.timestamp for t in storage.get_ticks("o")] == [104.0, 103.0, 102.0]
    assert storage.purge_ticks("o", 103.5) == 2
    assert [t.status for t in storage.get_ticks("o")] == ["STARTED"]

    first = hw.materialize([upstream], instance=instance).run_id
    second = hw.materialize([upstream], instance=instance).run_id
    failed = failing_job.execute_in_process(instance=instance, raise_on_error=False).run_id
    later = time.time() + 10
    assert storage.purge_runs(later, limit=1) == [first]
    assert storage.purge_runs(later, limit=5) == [failed]
    assert storage.purge_runs(later, limit=5) == []
    assert not instance.has_run(first) and instance.all_logs(first) == []
    assert instance.has_run(second)
    assert instance.get_latest_materialization_event(upstream.key).run_id == second
