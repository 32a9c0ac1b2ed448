"""Tests for headwater.storage.sql specifics: batched writes seen by live readers."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater import HeadwaterEventType, HeadwaterInstance

ET = HeadwaterEventType


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_live_reader_sees_step_start_and_logs_while_the_step_runs(sql_url):
    """Another process's view shows STEP_START and context.log lines before the step ends."""
    seen = []

    @hw.asset
    def slow(context):
        context.log.info("halfway")
        with HeadwaterInstance.from_url(sql_url) as reader:
            seen.extend(reader.all_logs(context.run_id))
        return 1

    with HeadwaterInstance.from_url(sql_url) as instance:
        result = hw.materialize([slow], instance=instance)
        total = len(instance.all_logs(result.run_id))
    types = [e.headwater_event_type for e in seen]
    assert ET.RUN_START in types and ET.STEP_START in types and ET.STEP_SUCCESS not in types
    assert [e.user_message for e in seen if not e.is_headwater_event] == ["halfway"]
    assert total == len(result.all_records)


def test_reads_through_the_writing_instance_see_held_events(tmp_path):
    """Events held for the step boundary are visible to reads through the same instance."""
    with HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/h.db") as instance:
        run = instance.create_run_for_job(_job())
        instance.store_event(hw.HeadwaterEvent(ET.LOADED_INPUT, run.run_id, run.job_name))
        assert [e.headwater_event_type for e in instance.all_logs(run.run_id)] == [ET.LOADED_INPUT]


def _job():
    @hw.op
    def noop():
        return None

    @hw.job
    def j():
        noop()

    return j


def test_forked_child_does_not_write_the_parents_held_events(tmp_path):
    """A child forked while events are held writes only its own events."""
    import os

    with HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/h.db") as instance:
        run = instance.create_run_for_job(_job())
        instance.store_event(hw.HeadwaterEvent(ET.LOADED_INPUT, run.run_id, run.job_name))
        pid = os.fork()
        if pid == 0:
            instance.store_event(hw.HeadwaterEvent(ET.ENGINE_EVENT, run.run_id, run.job_name))
            os._exit(0)
        os.waitpid(pid, 0)
        types = [e.headwater_event_type for e in instance.all_logs(run.run_id)]
        assert sorted(t.value for t in types) == sorted([ET.LOADED_INPUT.value, ET.ENGINE_EVENT.value])


def _index_events(run_id: str) -> list:
    """Asset events whose index rows merge within one batch: repeated assets and partitions,
    observations between materializations, attempts ended by a run's end in the same batch."""
    from headwater import AssetKey, AssetMaterialization, AssetObservation
    from headwater.execution.event import (
        MaterializationData,
        ObservationData,
        PlannedData,
        RunFailureData,
    )

    def mat(key, partition=None, run=run_id, t=1.0):
        data = MaterializationData(AssetMaterialization(asset_key=key, partition=partition))
        return hw.HeadwaterEvent(ET.ASSET_MATERIALIZATION, run, "j", t, asset_key=AssetKey(key),
                                 partition=partition, payload=data)

    def planned(key, partition, run):
        return hw.HeadwaterEvent(ET.ASSET_MATERIALIZATION_PLANNED, run, "j", 1.0,
                                 asset_key=AssetKey(key), partition=partition,
                                 payload=PlannedData(AssetKey(key), partition))

    observe = hw.HeadwaterEvent(ET.ASSET_OBSERVATION, run_id, "j", 2.0, asset_key=AssetKey("a"),
                                payload=ObservationData(AssetObservation(asset_key="a")))
    return [
        mat("a", "p1", t=1.0), observe, mat("a", "p2", t=3.0), mat("b"), mat("a", "p1", t=4.0),
        planned("a", "p3", "failed"), planned("a", "p1", "failed"),
        hw.HeadwaterEvent(ET.RUN_FAILURE, "failed", "j", 5.0, payload=RunFailureData()),
        planned("a", "p4", "ok"), mat("a", "p4", "ok", t=6.0), planned("a", "p5", "ok"),
        hw.HeadwaterEvent(ET.RUN_SUCCESS, "ok", "j", 7.0),
        planned("a", "p6", "running"), mat("c", "x", "running"), planned("c", "x", "running"),
        hw.HeadwaterEvent(ET.ASSET_OBSERVATION, run_id, "j", 8.0, asset_key=AssetKey("d"),
                          payload=ObservationData(AssetObservation(asset_key="d"))),
    ]


def _index_rows(url: str) -> list:
    import sqlalchemy as sa

    from headwater.storage import schema

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return [sorted(tuple(row) for row in connection.execute(
                sa.select(*[c for c in table.c if c.name != "id"])))
                for table in (schema.asset_keys, schema.asset_partitions)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_batched_index_rows_equal_event_by_event_rows(sql_url, tmp_path):
    """One store_events batch leaves the same asset index rows as one store_event per event."""
    from tests.storage.conftest import postgres_database

    events = _index_events("r")
    with HeadwaterInstance.from_url(sql_url) as batched:
        batched.store_events(events)
        statuses = batched.get_status_by_partition("a", ["p1", "p2", "p3", "p4", "p5", "p6"])
    from headwater.storage.record import AssetPartitionStatus as P

    assert statuses == {"p1": P.FAILED, "p2": P.MATERIALIZED, "p3": P.FAILED,
                        "p4": P.MATERIALIZED, "p5": None, "p6": P.IN_PROGRESS}
    if sql_url.startswith("sqlite"):
        other = f"sqlite:///{tmp_path}/single.db"
        with HeadwaterInstance.from_url(other) as single:
            for event in events:
                single.storage.store_event(event)
        assert _index_rows(other) == _index_rows(sql_url)
    else:
        with postgres_database() as other:
            with HeadwaterInstance.from_url(other) as single:
                for event in events:
                    single.storage.store_event(event)
            assert _index_rows(other) == _index_rows(sql_url)


def test_latest_materialization_events_for_many_keys(instance):
    """Latest materialization per key for more keys than one query takes; absent keys get None."""
    from headwater import AssetKey, AssetMaterialization
    from headwater.execution.event import MaterializationData

    keys = [AssetKey(["many", f"k{i}"]) for i in range(1200)]
    instance.store_events([
        hw.HeadwaterEvent(ET.ASSET_MATERIALIZATION, "", "j", float(n), asset_key=key,
                          payload=MaterializationData(AssetMaterialization(
                              asset_key=key, metadata={"n": n})))
        for n in range(2) for key in keys[:1100]])
    instance.wipe_assets([keys[0]])
    asked = [*keys, "many/k5", AssetKey("absent")]
    latest = instance.get_latest_materialization_events(asked)
    assert list(latest) == [*keys, AssetKey("absent")]
    assert latest[keys[0]] is None and latest[AssetKey("absent")] is None
    assert all(latest[k] is None for k in keys[1100:])
    assert all(latest[k].asset_materialization.metadata["n"].value == 1 for k in keys[1:1100])
    assert instance.get_latest_materialization_event(keys[7]).timestamp == 1.0
    assert instance.get_latest_materialization_event(keys[0]) is None
