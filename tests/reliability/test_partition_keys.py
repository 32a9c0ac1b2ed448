"""Partition keys: a run over a partition its target lacks is refused before anything exists.

The invariant every test here holds: a partition key given to something unpartitioned, a key
the partitions definition lacks, or a dynamic key not added yet is refused, at every entry
point (Python, the CLI, the webserver's API, sensor ticks, backfills), with an error naming
the key and the asset or job, and nothing is recorded: no run, no event, no stored file.
Keys the filesystem cannot hold as one file name ('', '/', '\\', '..') are refused by the IO
managers before they write, and a stale directory left where an asset's file belongs (by
the old bug, which wrote `storage/a/red` for unpartitioned `a`) is an error naming the path
to remove, not a bare IsADirectoryError on every later run. Definitions:
tests/fixtures/partition_keys_defs.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import headwater as hw
from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon
from headwater.daemon.instigation import RUNNING, origin_id, set_status
from headwater.daemon.launcher import wait_for_run
from headwater.definitions.tags import PARTITION_TAG
from headwater.storage.instance import HeadwaterInstance

DEFS = Path(__file__).resolve().parents[1] / "fixtures" / "partition_keys_defs.py"


def _load_defs() -> Any:
    spec = importlib.util.spec_from_file_location("partition_keys_defs", DEFS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


d = _load_defs()


@pytest.fixture
def instance(database_url: str, tmp_path: Path) -> Iterator[HeadwaterInstance]:
    """A persistent instance on SQLite or PostgreSQL, its storage directory under tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    inst = HeadwaterInstance.from_url(database_url, str(home))
    yield inst
    inst.dispose()


def _stored_files(instance: Any) -> list[str]:
    root = instance.storage_directory()
    return [os.path.join(top, f) for top, _, names in os.walk(root) for f in names]


def _assert_nothing_recorded(instance: Any) -> None:
    assert instance.get_runs() == []
    for key in ("plain", "colors", "files"):
        assert instance.get_materialized_partitions(hw.AssetKey(key)) == set()
        assert instance.get_latest_materialization_event(hw.AssetKey(key)) is None
    assert _stored_files(instance) == []


def test_python_entry_points_refuse_partitions_their_target_lacks(instance: Any) -> None:
    """materialize, execute_in_process (asset and op jobs) refuse a partition on an
    unpartitioned target, an unknown key and a dynamic key not added yet; nothing is
    recorded, and the assets still materialize afterwards."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError,
                       match=r"partition 'red' of asset 'plain': it is not partitioned"):
        hw.materialize([d.plain], partition_key="red", instance=instance)
    with pytest.raises(hw.HeadwaterInvalidInvocationError,
                       match=r"partition 'red' of job 'plain_job': it is not partitioned"):
        d.plain_job.execute_in_process(partition_key="red", instance=instance)
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="not partitioned"):
        d.plain_job.execute_in_process(tags={PARTITION_TAG: "red"}, instance=instance)
    with pytest.raises(hw.HeadwaterUnknownPartitionError,
                       match=r"`purple` of asset 'colors'.*'red', 'green'"):
        hw.materialize([d.colors], partition_key="purple", instance=instance)
    colors_job = d.defs.resolve_job_def("colors_job")
    with pytest.raises(hw.HeadwaterUnknownPartitionError, match=r"`purple` of job 'colors_job'"):
        colors_job.execute_in_process(partition_key="purple", instance=instance)
    with pytest.raises(hw.HeadwaterUnknownPartitionError,
                       match=r"add_dynamic_partitions\('files', \['f9'\]\)"):
        hw.materialize([d.files], partition_key="f9", instance=instance)
    _assert_nothing_recorded(instance)
    assert hw.materialize([d.plain], instance=instance).success
    instance.add_dynamic_partitions("files", ["f9"])
    assert hw.materialize([d.files], partition_key="f9", instance=instance).success
    assert instance.get_materialized_partitions(hw.AssetKey("files")) == {"f9"}
    assert instance.get_materialized_partitions(hw.AssetKey("plain")) == set()


@pytest.mark.parametrize("key", ["", "a/b", "..", "x\\y", "."])
def test_filesystem_io_manager_refuses_keys_it_cannot_store(key: str) -> None:
    """A dynamic key that is not one file name fails its run at the IO manager, naming the
    key, the asset and the fix, before any file is written or any materialization recorded."""
    with hw.instance_for_test() as instance:
        instance.add_dynamic_partitions("files", [key])
        with pytest.raises(hw.HeadwaterInvalidDefinitionError) as info:
            hw.materialize([d.files], partition_key=key, instance=instance)
        message = str(info.value)
        assert f"partition {key!r} of asset 'files'" in message
        assert "Nothing was written" in message and "Rename the partition" in message
        assert _stored_files(instance) == []
        assert instance.get_materialized_partitions(hw.AssetKey("files")) == set()


def test_dynamic_partitions_refuse_the_keys_dagster_refuses() -> None:
    """add_dynamic_partitions refuses '...' and control characters (as Dagster does), naming
    the key; nothing is added."""
    with hw.instance_for_test() as instance:
        for key in ("a...b", "nul\x00", "tab\t"):
            with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="may not contain"):
                instance.add_dynamic_partitions("files", ["ok", key])
        assert instance.get_dynamic_partitions("files") == []


def test_a_stale_directory_is_named_not_a_bare_is_a_directory_error() -> None:
    """`storage/plain/red` left by the old bug fails the run of `plain` with the path to
    remove; once removed, `plain` materializes. A file where a partitioned asset's
    directory belongs is named the same way."""
    with hw.instance_for_test() as instance:
        stale = os.path.join(instance.storage_directory(), "plain")
        os.makedirs(os.path.join(stale, "red"))
        with pytest.raises(hw.HeadwaterInvariantViolationError,
                           match=r"a directory is there.*rm -r") as info:
            hw.materialize([d.plain], instance=instance)
        assert stale in str(info.value) and "asset 'plain'" in str(info.value)
        assert os.listdir(stale) == ["red"]
        shutil.rmtree(stale)
        assert hw.materialize([d.plain], instance=instance).success
        with open(os.path.join(instance.storage_directory(), "colors"), "wb") as handle:
            handle.write(b"old unpartitioned value")
        with pytest.raises(hw.HeadwaterInvariantViolationError, match=r"colors is a file"):
            hw.materialize([d.colors], partition_key="red", instance=instance)


def _headwater(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    here = os.path.dirname(os.path.dirname(hw.__file__))
    env = {**os.environ, "HEADWATER_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_refuses_partitions_before_storing_a_run(tmp_path: Path) -> None:
    """asset materialize, job execute, job launch (--partition or the partition tag) and
    backfill launch exit 1 naming the key; the instance holds no run and no backfill."""
    f = ("-f", str(DEFS))
    cases = [
        (("asset", "materialize", *f, "--select", "plain", "--partition", "red"), "red"),
        (("job", "execute", *f, "-j", "plain_job", "--partition", "red"),
         "job 'plain_job': it is not partitioned"),
        (("job", "execute", *f, "-j", "colors_job", "--partition", "purple"), "`purple`"),
        (("job", "launch", *f, "-j", "plain_job", "--partition", "red"), "not partitioned"),
        (("job", "launch", *f, "-j", "colors_job", "--tag", f"{PARTITION_TAG}=purple"),
         "`purple`"),
        (("asset", "materialize", *f, "--select", "files", "--partition", "f9"), "`f9`"),
        (("backfill", "launch", *f, "--assets", "colors", "--partitions", "red,purple,blue"),
         "purple"),
    ]
    for args, expected in cases:
        result = _headwater(tmp_path, *args)
        out = result.stdout + result.stderr
        assert result.returncode != 0, (args, out)
        assert expected in out, (args, out)
        assert "Traceback" not in out, (args, out)
    instance = HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/headwater.db", str(tmp_path)) \
        if (tmp_path / "headwater.db").exists() else None
    if instance is not None:
        assert instance.get_runs() == []
        assert instance.storage.get_backfills() == []
        instance.dispose()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from headwater.server import create_app

    inst = HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/headwater.db", str(tmp_path))
    app = create_app(inst, [CodeLocationOrigin(python_file=str(DEFS))])
    with TestClient(app, base_url="http://127.0.0.1",
                    headers={"X-Headwater-Request": "1"}) as c:
        c.instance = inst
        yield c
    inst.dispose()


def test_api_refuses_partitions_before_storing_a_run(client: Any) -> None:
    """Materialize, job launch (partition_key or the partition tag) and backfill requests
    over partitions the target lacks are 4xx naming the key; no run or backfill is stored."""
    cases = [
        ("/api/assets/materialize", {"keys": ["plain"], "partition_key": "red"}, "red"),
        ("/api/assets/materialize", {"keys": ["colors"], "partition_key": "purple"}, "purple"),
        ("/api/assets/materialize", {"keys": ["files"], "partition_key": "f9"}, "f9"),
        ("/api/jobs/plain_job/launch", {"tags": {PARTITION_TAG: "red"}}, "not partitioned"),
        ("/api/jobs/colors_job/launch", {"tags": {PARTITION_TAG: "purple"}}, "purple"),
        ("/api/backfills", {"keys": ["colors"], "partition_keys": ["red", "purple", "blue"]},
         "'purple', 'blue'"),
    ]
    for url, body, expected in cases:
        response = client.post(url, json=body)
        assert response.status_code in (400, 422), (url, body, response.text)
        assert expected in response.json()["detail"], (url, body, response.text)
    assert client.instance.get_runs() == []
    assert client.instance.storage.get_backfills() == []


def test_sensor_ticks_refuse_partitions_their_target_lacks(instance: Any) -> None:
    """A sensor requesting an unknown key, or a key for an unpartitioned job, ends its tick
    FAILURE naming the sensor and the key, and creates no run; a sensor that adds a dynamic
    partition and requests it in the same tick launches its run."""
    location = CodeLocationOrigin(python_file=str(DEFS)).resolved().name
    for name in ("unknown_color_sensor", "unpartitioned_sensor", "new_file_sensor"):
        set_status(instance, location, name, "SENSOR", RUNNING)
    Daemon(instance, [CodeLocationOrigin(python_file=str(DEFS))]).run(once=True)

    def tick(name: str) -> Any:
        ticks = instance.storage.get_ticks(origin_id(location, name))
        assert len(ticks) == 1, ticks
        return ticks[0]

    bad = tick("unknown_color_sensor")
    assert bad.status == "FAILURE"
    assert "Sensor 'unknown_color_sensor' requested a run of partition 'purple'" in \
        bad.body["error"]["message"]
    unpartitioned = tick("unpartitioned_sensor")
    assert unpartitioned.status == "FAILURE"
    message = unpartitioned.body["error"]["message"]
    assert "'unpartitioned_sensor'" in message and "'red'" in message
    assert "not partitioned" in message
    added = tick("new_file_sensor")
    assert added.status == "SUCCESS", added.body
    runs = instance.get_runs()
    assert [r.tags.get(PARTITION_TAG) for r in runs] == ["f1"]
    deadline = time.monotonic() + 90
    run = wait_for_run(instance, runs[0].run_id, timeout=max(1.0, deadline - time.monotonic()))
    assert run.status is hw.HeadwaterRunStatus.SUCCESS


def test_a_dynamic_partition_deleted_before_the_worker_starts_fails_the_run(
        tmp_path: Path) -> None:
    """The run worker checks the partition again: a run whose dynamic key was deleted after
    it was stored ends FAILURE naming the key, and materializes nothing."""
    from headwater.code.run import create_run
    from headwater.daemon.launcher import submit_run
    from headwater.definitions.assets.job import IMPLICIT_JOB

    instance = HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/headwater.db", str(tmp_path))
    try:
        origin = CodeLocationOrigin(python_file=str(DEFS))
        instance.add_dynamic_partitions("files", ["f1"])
        run = create_run(instance, origin, origin.load().resolve_job_def(IMPLICIT_JOB),
                         tags={PARTITION_TAG: "f1"}, asset_selection=["files"])
        instance.delete_dynamic_partition("files", "f1")
        submit_run(instance, run.run_id)
        finished = wait_for_run(instance, run.run_id, timeout=90)
        assert finished.status is hw.HeadwaterRunStatus.FAILURE
        last = instance.all_logs(run.run_id)[-1]
        assert "`f1`" in last.message and "add_dynamic_partitions" in last.message
        assert instance.get_materialized_partitions(hw.AssetKey("files")) == set()
    finally:
        instance.dispose()
