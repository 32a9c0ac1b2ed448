"""Tests for headwater.storage.instance: instance_for_test and HeadwaterInstance.get()."""

from __future__ import annotations

import os

import pytest

import headwater as hw
from headwater import HeadwaterInstance, HeadwaterRunStatus
from headwater.errors import HeadwaterInvalidInvocationError


@hw.asset
def upstream(context):
    context.log.info("computing upstream")
    return 1


def test_instance_for_test_sets_home_and_restores_it():
    """instance_for_test yields a fresh SQLite instance with HEADWATER_HOME set to a temp dir."""
    before = os.environ.get("HEADWATER_HOME")
    with hw.instance_for_test() as instance:
        assert os.environ["HEADWATER_HOME"] == instance.root_directory
        assert os.path.isdir(instance.root_directory)
        assert not instance.is_ephemeral
        assert os.path.exists(os.path.join(instance.root_directory, "headwater.db"))
        assert instance.get_runs() == []
        assert hw.materialize([upstream], instance=instance).success
        assert instance.get_runs_count() == 1
    assert os.environ.get("HEADWATER_HOME") == before


def test_instance_for_test_overrides_become_settings():
    """instance_for_test(overrides=) sections are returned by get_settings, {} otherwise."""
    with hw.instance_for_test(overrides={"sensors": {"num_workers": 4}}) as instance:
        assert instance.get_settings("sensors") == {"num_workers": 4}
        assert instance.get_settings("schedules") == {}


def test_get_persists_runs_and_events_across_a_restart(tmp_path, monkeypatch):
    """materialize(instance=HeadwaterInstance.get()) survives a new instance object."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    with HeadwaterInstance.get() as instance:
        assert not instance.is_ephemeral
        assert instance.root_directory == str(tmp_path)
        assert instance.storage_directory() == str(tmp_path / "storage")
        result = hw.materialize([upstream], instance=instance)
    with HeadwaterInstance.get() as restarted:
        run = restarted.get_run_by_id(result.run_id)
        assert run.status is HeadwaterRunStatus.SUCCESS
        logs = restarted.all_logs(result.run_id)
        assert len(logs) == len(result.all_records)
        assert [e.user_message for e in logs if not e.is_headwater_event] == ["computing upstream"]
        assert restarted.get_latest_materialization_event("upstream").run_id == result.run_id
    assert (tmp_path / "headwater.db").exists()


def test_get_reads_the_url_from_headwater_yaml_and_the_environment(tmp_path, monkeypatch):
    """headwater.yaml's storage.url picks the database; HEADWATER_DATABASE_URL overrides it."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    monkeypatch.setenv("MY_DB", f"sqlite:///{tmp_path}/from-env-var.db")
    (tmp_path / "headwater.yaml").write_text(
        "storage:\n  url: {env: MY_DB}\nschedules:\n  use_threads: true\n")
    with HeadwaterInstance.get() as instance:
        assert instance.get_settings("schedules") == {"use_threads": True}
        assert "from-env-var.db" in instance.storage.url
    monkeypatch.setenv("HEADWATER_DATABASE_URL", f"sqlite:///{tmp_path}/override.db")
    with HeadwaterInstance.get() as instance:
        assert instance.storage.url.endswith("override.db")


def test_bad_headwater_yaml_names_the_file_and_fix(tmp_path, monkeypatch):
    """A storage section without a URL names the file, the section and what to write."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    (tmp_path / "headwater.yaml").write_text("storage:\n  mysql: {}\n")
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"headwater.yaml: storage has none"):
        HeadwaterInstance.get()
    monkeypatch.setenv("HEADWATER_DATABASE_URL", "mysql://x")
    with pytest.raises(HeadwaterInvalidInvocationError, match="postgresql://"):
        HeadwaterInstance.get()


def test_ephemeral_refuses_a_preload_it_cannot_load():
    """HeadwaterInstance.ephemeral(preload=[...]) is refused with what to do instead."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError,
                       match=r"ephemeral\(preload=...\).*instance.add_run"):
        hw.HeadwaterInstance.ephemeral(preload=[object()])
    assert hw.HeadwaterInstance.ephemeral(preload=[]).get_runs_count() == 0


def test_create_run_for_job_records_the_resolved_op_selection():
    """create_run_for_job(resolved_op_selection=) is the run's op_selection (the ops it runs)."""
    @hw.op
    def first() -> int:
        return 1

    @hw.op
    def second(value: int) -> int:
        return value

    @hw.job
    def pair():
        second(first())

    instance = HeadwaterInstance.ephemeral()
    run = instance.create_run_for_job(pair, op_selection=["*second"],
                                      resolved_op_selection={"second", "first"})
    assert instance.get_run_by_id(run.run_id).op_selection == ("first", "second")


def test_create_run_for_job_refuses_dagster_origin_objects():
    """create_run_for_job(job_code_origin=...) is refused, naming what records an origin;
    a misspelled keyword is a TypeError, not silently swallowed."""
    @hw.op
    def only() -> int:
        return 1

    @hw.job
    def single():
        only()

    instance = HeadwaterInstance.ephemeral()
    with pytest.raises(HeadwaterInvalidInvocationError,
                       match=r"create_run_for_job\(job_code_origin=...\).*code.run.create_run"):
        instance.create_run_for_job(single, job_code_origin=object())
    with pytest.raises(TypeError):
        instance.create_run_for_job(single, tag={"a": "b"})  # type: ignore[call-arg]
