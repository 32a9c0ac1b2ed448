"""Tests for headwater.storage.memory and the instance API over it, after real runs."""

from __future__ import annotations

import logging
import os

import pytest

import headwater as hw
from headwater import (
    AssetKey,
    AssetRecordsFilter,
    EventRecordsFilter,
    HeadwaterEventType,
    HeadwaterInstance,
    HeadwaterRunStatus,
    RunsFilter,
)
from headwater.errors import HeadwaterInvalidInvocationError, HeadwaterInvariantViolationError

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


def test_materialize_records_a_successful_run():
    """materialize(instance=) stores the run with its tags, step keys and SUCCESS status."""
    instance = HeadwaterInstance.ephemeral()
    result = hw.materialize([upstream, downstream], instance=instance, tags={"team": "data"})
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.status is HeadwaterRunStatus.SUCCESS
    assert run.is_success and run.is_finished
    assert run.tags == {"team": "data"}
    assert run.step_keys_to_execute == ("upstream", "downstream")
    assert run.asset_selection == {AssetKey("upstream"), AssetKey("downstream")}
    record = instance.get_run_record_by_id(result.run_id)
    assert record.start_time is not None and record.end_time >= record.start_time
    assert instance.has_run(result.run_id)
    assert instance.get_runs_count() == 1


def test_failed_run_has_failure_status_and_error_entries():
    """A failing job is stored as FAILURE; failure entries carry ERROR level and the error."""
    instance = HeadwaterInstance.ephemeral()
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert instance.get_run_by_id(result.run_id).status is HeadwaterRunStatus.FAILURE
    failures = instance.all_logs(result.run_id, of_type={ET.STEP_FAILURE, ET.RUN_FAILURE})
    assert [e.headwater_event_type for e in failures] == [ET.STEP_FAILURE, ET.RUN_FAILURE]
    assert failures[0].level == logging.ERROR
    assert "boom" in failures[0].error_info.message


def test_all_logs_keeps_order_and_log_messages():
    """all_logs returns every event in order; context.log lines are entries without an event."""
    instance = HeadwaterInstance.ephemeral()
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


def test_get_records_for_run_pages_with_cursor():
    """get_records_for_run pages through a run's log with the returned cursor."""
    instance = HeadwaterInstance.ephemeral()
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


def test_runs_are_filtered_and_newest_first():
    """get_runs orders newest first and filters by job name, status, tags and run ids."""
    instance = HeadwaterInstance.ephemeral()
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


def test_delete_run_drops_its_events():
    """delete_run removes the run and its log."""
    instance = HeadwaterInstance.ephemeral()
    result = hw.materialize([upstream], instance=instance)
    instance.delete_run(result.run_id)
    assert not instance.has_run(result.run_id)
    assert instance.get_run_by_id(result.run_id) is None
    assert instance.all_logs(result.run_id) == []
    assert instance.get_latest_materialization_event(upstream.key) is None


def test_latest_materialization_and_fetch():
    """The latest materialization is the newest; fetch_materializations pages newest first."""
    instance = HeadwaterInstance.ephemeral()
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


def test_partitioned_materializations_are_indexed_by_partition():
    """Materializations with a partition feed get_materialized_partitions and partition filters."""
    instance = HeadwaterInstance.ephemeral()
    instance.report_runless_asset_event(hw.AssetMaterialization("tbl", partition="2024-01-01"))
    instance.report_runless_asset_event(hw.AssetMaterialization("tbl", partition="2024-01-02"))
    assert instance.get_materialized_partitions(AssetKey("tbl")) == {"2024-01-01", "2024-01-02"}
    only = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("tbl"), asset_partitions=["2024-01-01"]), limit=10
    )
    assert [r.partition_key for r in only.records] == ["2024-01-01"]
    instance.wipe_asset_partitions(AssetKey("tbl"), ["2024-01-01"])
    assert instance.get_materialized_partitions(AssetKey("tbl")) == {"2024-01-02"}


def test_runless_events_and_asset_keys():
    """Runless materializations and observations make assets known; wipe_assets forgets them."""
    instance = HeadwaterInstance.ephemeral()
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


def test_get_event_records_by_type():
    """get_event_records filters by event type and asset, newest first, with cursors."""
    instance = HeadwaterInstance.ephemeral()
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


def test_dynamic_partitions_in_memory():
    """Dynamic partitions keep insertion order, ignore duplicates and delete quietly."""
    instance = HeadwaterInstance.ephemeral()
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


def test_create_run_for_job_and_reported_events_move_status():
    """A run created by hand is NOT_STARTED until run events arrive; add_run_tags merges tags."""
    instance = HeadwaterInstance.ephemeral()
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


def test_handle_new_event_stores_hand_built_entries():
    """handle_new_event stores a hand-built log message entry for its run."""
    instance = HeadwaterInstance.ephemeral()
    entry = hw.EventLogEntry(None, logging.WARNING, "disk almost full", "run-1", 1.0)
    instance.handle_new_event(entry)
    (stored,) = instance.all_logs("run-1")
    assert (stored.user_message, stored.level, stored.is_headwater_event) == (
        "disk almost full", logging.WARNING, False
    )


def test_context_instance_is_the_recording_instance():
    """Assets see the run's instance as context.instance and can query earlier runs."""
    instance = HeadwaterInstance.ephemeral()
    hw.materialize([upstream], instance=instance)
    seen = []

    @hw.asset(deps=[upstream])
    def reader(context):
        seen.append(context.instance.get_latest_materialization_event(upstream.key))

    hw.materialize([reader], instance=instance)
    assert seen[0] is not None and seen[0].asset_materialization.asset_key == upstream.key


def test_instance_for_test_sets_home_and_restores_it():
    """instance_for_test yields a fresh instance with HEADWATER_HOME pointing at a temp dir."""
    before = os.environ.get("HEADWATER_HOME")
    with hw.instance_for_test() as instance:
        assert os.environ["HEADWATER_HOME"] == instance.root_directory
        assert os.path.isdir(instance.root_directory)
        assert instance.get_runs() == []
        assert hw.materialize([upstream], instance=instance).success
        assert instance.get_runs_count() == 1
    assert os.environ.get("HEADWATER_HOME") == before


def test_bad_cursor_and_of_type_name_the_fix():
    """A cursor or event type the instance never returned is rejected with the fix."""
    instance = HeadwaterInstance.ephemeral()
    with pytest.raises(HeadwaterInvalidInvocationError, match="previous EventLogConnection"):
        instance.get_records_for_run("r", cursor="not-a-cursor")
    with pytest.raises(HeadwaterInvalidInvocationError, match="HeadwaterEventType"):
        instance.all_logs("r", of_type="NOT_A_TYPE")
    assert instance.all_logs("r", of_type="RUN_START") == []


def test_fetch_run_status_changes_pages_run_events():
    """fetch_run_status_changes returns RUN_SUCCESS records newest first, filterable by job."""
    instance = HeadwaterInstance.ephemeral()
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


def test_instance_for_test_overrides_become_settings():
    """instance_for_test(overrides=) sections are returned by get_settings, {} otherwise."""
    with hw.instance_for_test(overrides={"sensors": {"num_workers": 4}}) as instance:
        assert instance.get_settings("sensors") == {"num_workers": 4}
        assert instance.get_settings("schedules") == {}
