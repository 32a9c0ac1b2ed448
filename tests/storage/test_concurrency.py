"""Many run processes writing to one database at once, and a writer killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from headwater import HeadwaterInstance, HeadwaterRunStatus

WRITERS = 8
RUNS_PER_WRITER = 6

WRITER = textwrap.dedent("""
    import sys
    import headwater as hw
    from headwater import HeadwaterInstance

    url, runs = sys.argv[1], int(sys.argv[2])
    parts = hw.StaticPartitionsDefinition([f"p{i}" for i in range(runs)])

    @hw.asset(partitions_def=parts)
    def source(context):
        context.log.info("reading")
        return 1

    @hw.asset(partitions_def=parts)
    def table(context, source):
        context.log.info("writing")
        return source + 1

    with HeadwaterInstance.from_url(url) as instance:
        for i in range(runs):
            result = hw.materialize([source, table], instance=instance,
                                    partition_key=f"p{i}", tags={"writer": sys.argv[3]})
            assert result.success
            print(len(result.all_records), flush=True)
""")


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_concurrent_writers_lose_nothing(sql_url):
    """8 processes materializing at once into a new database: every run and event arrives."""
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, sql_url, str(RUNS_PER_WRITER), str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(WRITERS)]
    outputs = [p.communicate(timeout=110) for p in procs]
    for proc, (_, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "database is locked" not in err
    reported = [int(line) for out, _ in outputs for line in out.split()]
    assert len(reported) == WRITERS * RUNS_PER_WRITER and len(set(reported)) == 1
    with HeadwaterInstance.from_url(sql_url) as instance:
        runs = instance.get_runs()
        assert len(runs) == WRITERS * RUNS_PER_WRITER
        assert all(r.status is HeadwaterRunStatus.SUCCESS for r in runs)
        records = [r for run in runs for r in instance.get_records_for_run(run.run_id).records]
        assert len(records) == sum(reported)
        ids = [r.storage_id for r in records]
        assert len(set(ids)) == len(ids)
        assert instance.get_materialized_partitions("table") == {
            f"p{i}" for i in range(RUNS_PER_WRITER)}
        for run in runs:
            logs = instance.all_logs(run.run_id)
            assert [e.user_message for e in logs if not e.is_headwater_event] == ["reading", "writing"]


KILLED = textwrap.dedent("""
    import sys
    from headwater import AssetKey, AssetMaterialization, HeadwaterEvent, HeadwaterEventType as ET
    from headwater import HeadwaterInstance
    from headwater.execution.event import MaterializationData

    with HeadwaterInstance.from_url(sys.argv[1]) as instance:
        print("ready", flush=True)
        i = 0
        while True:
            instance.store_events(
                HeadwaterEvent(ET.ASSET_MATERIALIZATION, "", "", float(i * 50 + j),
                               asset_key=AssetKey("a"), partition=f"p{i}-{j}",
                               payload=MaterializationData(AssetMaterialization("a", partition=f"p{i}-{j}")))
                for j in range(50))
            i += 1
""")


def test_writer_killed_mid_write_leaves_the_database_consistent(tmp_path):
    """SIGKILL during batched writes: whole batches only, index in step, file intact."""
    url = f"sqlite:///{tmp_path}/headwater.db"
    HeadwaterInstance.from_url(url).dispose()
    proc = subprocess.Popen([sys.executable, "-c", KILLED, url], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    engine = sa.create_engine(url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT count(*) FROM event_logs").scalar() >= 2000:
                break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        events = connection.exec_driver_sql("SELECT count(*) FROM event_logs").scalar()
        indexed = connection.exec_driver_sql("SELECT count(*) FROM asset_partitions").scalar()
    engine.dispose()
    assert events >= 2000 and events % 50 == 0
    assert indexed == events
    with HeadwaterInstance.from_url(url) as instance:
        before = instance.get_materialized_partitions("a")
        instance.storage.reindex()
        assert instance.get_materialized_partitions("a") == before
        assert len(before) == events
