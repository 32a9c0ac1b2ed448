"""Executors: the multiprocess pool, tag limits, requirements, re-execution, dask."""

from __future__ import annotations

import json
import os
import sys

import pytest

import headwater as hw
from headwater import HeadwaterEventType, ReexecutionOptions, execute_job, reconstructable

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
sys.path.insert(0, FIXTURES)

import run_jobs  # noqa: E402


def _intervals(directory: str, *names: str) -> list[tuple[float, float, int]]:
    out = []
    for name in names:
        with open(os.path.join(directory, f"{name}.json")) as f:
            data = json.load(f)
        out.append((data["start"], data["end"], data["pid"]))
    return out


def _dir_config(directory: str, *ops: str) -> dict:
    return {"ops": {name: {"config": {"dir": str(directory)}} for name in ops}}


def test_multiprocess_steps_overlap_in_separate_processes(tmp_path):
    """Two independent steps run at the same time, in two worker processes (each waits for the
    other to start, so a run that serialised them would fail)."""
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(run_jobs.meeting_job), instance,
                             run_config=_dir_config(tmp_path, "left", "right"))
        assert result.success
        (s1, e1, p1), (s2, e2, p2) = _intervals(tmp_path, "left", "right")
        assert s1 < e2 and s2 < e1  # the intervals intersect
        assert p1 != p2 and os.getpid() not in (p1, p2)
        run = instance.get_run_by_id(result.run_id)
        assert run.status is hw.HeadwaterRunStatus.SUCCESS
        kinds = [e.headwater_event_type for e in instance.all_logs(result.run_id)]
        assert kinds.count(HeadwaterEventType.STEP_SUCCESS) == 3


def test_tag_concurrency_limit_serialises_tagged_steps(tmp_path):
    """A tag limit of 1 keeps the two tagged steps from overlapping."""
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(run_jobs.limited_job), instance,
                             run_config=_dir_config(tmp_path, "left", "right"))
        assert result.success
        (s1, e1, _), (s2, e2, _) = sorted(_intervals(tmp_path, "left", "right"))
        assert e1 <= s2


def test_workers_are_pooled_across_steps(tmp_path):
    """With one worker, every step of the run executes in that same process."""
    with hw.instance_for_test() as instance:
        config = {**_dir_config(tmp_path, "left", "right"),
                  "execution": {"config": {"max_concurrent": 1}}}
        result = execute_job(reconstructable(run_jobs.parallel_job), instance, run_config=config)
        assert result.success
        (_, _, p1), (_, _, p2) = _intervals(tmp_path, "left", "right")
        assert p1 == p2 != os.getpid()


def test_multiprocess_needs_a_persistent_instance():
    """An ephemeral instance is refused with a message naming the fix."""
    instance = hw.HeadwaterInstance.ephemeral()
    with pytest.raises(hw.HeadwaterUnmetExecutorRequirementsError, match="persistent instance"):
        execute_job(reconstructable(run_jobs.parallel_job), instance, raise_on_error=True,
                    run_config=_dir_config("/tmp", "left", "right"))


def test_reexecution_from_failure_reuses_upstream_outputs(tmp_path):
    """Only the failed and not-run steps run again; upstream values load from the parent."""
    config = _dir_config(tmp_path, "extract", "transform", "load")
    (tmp_path / "fail").write_text("")
    with hw.instance_for_test() as instance:
        first = execute_job(reconstructable(run_jobs.etl_job), instance, run_config=config)
        assert not first.success
        (tmp_path / "fail").unlink()
        options = ReexecutionOptions.from_failure(first.run_id, instance)
        assert sorted(options.step_selection) == ["load", "transform"]
        second = execute_job(reconstructable(run_jobs.etl_job), instance,
                             reexecution_options=options)
        assert second.success
        assert (tmp_path / "extract.count").read_text() == "1"
        assert (tmp_path / "transform.count").read_text() == "2"
        assert (tmp_path / "load.count").read_text() == "1"
        child = instance.get_run_by_id(second.run_id)
        assert child.parent_run_id == first.run_id and child.root_run_id == first.run_id
        assert child.step_keys_to_execute == ("transform", "load")


def test_reexecution_of_selected_steps_in_process(tmp_path):
    """Selected steps re-run in process, loading the rest from an ancestor run."""
    config = _dir_config(tmp_path, "extract", "transform", "load")
    with hw.instance_for_test() as instance:
        first = execute_job(reconstructable(run_jobs.etl_inprocess), instance, run_config=config)
        second = execute_job(reconstructable(run_jobs.etl_inprocess), instance,
                             reexecution_options=ReexecutionOptions(first.run_id, ["transform*"]))
        third = execute_job(reconstructable(run_jobs.etl_inprocess), instance,
                            reexecution_options=ReexecutionOptions(second.run_id, ["load"]))
        assert first.success and second.success and third.success
        assert (tmp_path / "extract.count").read_text() == "1"
        assert (tmp_path / "transform.count").read_text() == "2"
        assert (tmp_path / "load.count").read_text() == "3"
        assert instance.get_run_by_id(third.run_id).root_run_id == first.run_id
        loaded = [e for e in third.all_events if e.event_type is HeadwaterEventType.LOADED_INPUT]
        assert len(loaded) == 1  # transform's output, written by the second run


def test_unknown_step_selection_is_named():
    """A step selection naming no step lists the job's steps."""
    with hw.instance_for_test() as instance:
        first = execute_job(reconstructable(run_jobs.etl_inprocess), instance,
                            run_config=_dir_config("/nonexistent", "extract", "transform", "load"))
        with pytest.raises(hw.HeadwaterInvalidInvocationError, match="unknown steps"):
            execute_job(reconstructable(run_jobs.etl_inprocess), instance,
                        reexecution_options=ReexecutionOptions(first.run_id, ["nope"]))


def test_dask_executor_runs_a_job_on_a_local_cluster(tmp_path):
    """Steps run as dask tasks on a LocalCluster; values pass through the IO manager."""
    from distributed import LocalCluster  # the dev extra installs dask[distributed]

    from headwater.integrations.dask import dask_executor

    config = {**_dir_config(tmp_path, "extract", "transform", "load")}
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, hw.instance_for_test() as instance:
        config["execution"] = {"config": {"cluster": {"existing": {"address": cluster.scheduler_address}}}}
        recon = reconstructable(run_jobs.dask_etl)
        assert run_jobs.dask_etl.executor_def is dask_executor
        import headwater_dask  # what `from dagster_dask import dask_executor` ports to

        assert headwater_dask.dask_executor is dask_executor
        result = execute_job(recon, instance, run_config=config)
        assert result.success
        assert [e.step_key for e in result.get_step_success_events()] == \
            ["extract", "transform", "load"]
        assert (tmp_path / "load.count").read_text() == "1"


def test_execute_job_runs_an_op_selection_in_worker_processes(tmp_path):
    """op_selection narrows the job before its multiprocess workers load it again; the run
    records the selection."""
    config = _dir_config(tmp_path, "extract", "transform")
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(run_jobs.etl_job), instance, run_config=config,
                             op_selection=["extract", "transform"])
        assert result.success
        assert (tmp_path / "extract.count").read_text() == "1"
        assert (tmp_path / "transform.count").read_text() == "1"
        assert not (tmp_path / "load.count").exists()
        assert instance.get_run_by_id(result.run_id).op_selection == ("extract", "transform")
        with pytest.raises(hw.HeadwaterInvalidInvocationError, match="pass one of them"):
            execute_job(reconstructable(run_jobs.etl_job), instance, op_selection=["extract"],
                        asset_selection=["a"])


def test_execute_in_process_runs_an_op_selection(tmp_path):
    """job.execute_in_process(op_selection=...) runs only the selected ops and records them."""
    config = _dir_config(tmp_path, "extract")
    result = run_jobs.etl_inprocess.execute_in_process(run_config=config, op_selection=["extract"])
    assert result.success
    assert [e.step_key for e in result.all_events
            if e.event_type is HeadwaterEventType.STEP_SUCCESS] == ["extract"]
    assert result.instance.get_run_by_id(result.run_id).op_selection == ("extract",)
