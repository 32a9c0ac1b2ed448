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


def _index_events(prefix: str) -> list:
    """Asset events whose index rows merge within one batch: repeated assets and partitions,
    observations between materializations, attempts ended by a run's end in the same batch.
    Asset keys and run ids start with `prefix`."""
    from headwater import AssetKey, AssetMaterialization, AssetObservation
    from headwater.execution.event import (
        MaterializationData,
        ObservationData,
        PlannedData,
        RunFailureData,
    )

    def mat(key, partition=None, run="r", t=1.0):
        key = AssetKey(prefix + key)
        data = MaterializationData(AssetMaterialization(asset_key=key, partition=partition))
        return hw.HeadwaterEvent(ET.ASSET_MATERIALIZATION, prefix + run, "j", t, asset_key=key,
                                 partition=partition, payload=data)

    def planned(key, partition, run):
        key = AssetKey(prefix + key)
        return hw.HeadwaterEvent(ET.ASSET_MATERIALIZATION_PLANNED, prefix + run, "j", 1.0,
                                 asset_key=key, partition=partition,
                                 payload=PlannedData(key, partition))

    def observe(key, t):
        key = AssetKey(prefix + key)
        return hw.HeadwaterEvent(ET.ASSET_OBSERVATION, prefix + "r", "j", t, asset_key=key,
                                 payload=ObservationData(AssetObservation(asset_key=key)))

    return [
        mat("a", "p1", t=1.0), observe("a", 2.0), mat("a", "p2", t=3.0), mat("b"),
        mat("a", "p1", t=4.0), planned("a", "p3", "failed"), planned("a", "p1", "failed"),
        hw.HeadwaterEvent(ET.RUN_FAILURE, prefix + "failed", "j", 5.0, payload=RunFailureData()),
        planned("a", "p4", "ok"), mat("a", "p4", "ok", t=6.0), planned("a", "p5", "ok"),
        hw.HeadwaterEvent(ET.RUN_SUCCESS, prefix + "ok", "j", 7.0),
        planned("a", "p6", "running"), mat("c", "x", "running"), planned("c", "x", "running"),
        observe("d", 8.0),
    ]


def _index_rows(url: str, prefix: str, first_id: int) -> list:
    """The asset index rows of `prefix`'s assets, with the prefix dropped and ids from 1."""
    import sqlalchemy as sa

    from headwater.storage import schema
    from headwater.storage.database import create_engine

    def plain(value, column):
        if isinstance(value, str):
            return value.replace(prefix, "")
        return value - first_id + 1 if value is not None and column.endswith("_id") else value

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = []
            for table in (schema.asset_keys, schema.asset_partitions):
                columns = [c for c in table.c if c.name != "id"]
                rows = connection.execute(sa.select(*columns).where(
                    table.c.asset_key.startswith(f'["{prefix}')))
                tables.append(sorted(tuple(plain(v, c.name) for v, c in zip(row, columns))
                                     for row in rows))
            return tables
    finally:
        engine.dispose()


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_batched_index_rows_equal_event_by_event_rows(sql_url):
    """One store_events batch leaves the same asset index rows as one store_event per event."""
    from headwater.storage.record import AssetPartitionStatus as P

    with HeadwaterInstance.from_url(sql_url) as instance:
        batch_ids = instance.storage.store_events(_index_events("batch_"))
        single_ids = [instance.storage.store_event(e) for e in _index_events("single_")]
        statuses = instance.get_status_by_partition(
            "batch_a", ["p1", "p2", "p3", "p4", "p5", "p6"])
    assert statuses == {"p1": P.FAILED, "p2": P.MATERIALIZED, "p3": P.FAILED,
                        "p4": P.MATERIALIZED, "p5": None, "p6": P.IN_PROGRESS}
    batched = _index_rows(sql_url, "batch_", batch_ids[0])
    assert batched[0] and batched[1]
    assert _index_rows(sql_url, "single_", single_ids[0]) == batched


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
