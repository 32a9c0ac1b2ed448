"""Blocking asset checks in every executor, and re-execution from a failed check.

A blocking check that fails with ERROR severity fails its step, so the assets that read the
checked asset are not materialized and the run fails; with WARN severity nothing is held
back. The same holds in process, in the multiprocess pool and on a dask LocalCluster.
"""

from __future__ import annotations

import os
import sys

import pytest

import headwater as hw
from headwater import HeadwaterEventType, ReexecutionOptions, execute_job, reconstructable

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
sys.path.insert(0, FIXTURES)

import check_jobs  # noqa: E402


def _materialized(instance, run_id) -> list[str]:
    return sorted(e.headwater_event.asset_key.to_user_string()
                  for e in instance.all_logs(run_id, of_type=HeadwaterEventType.ASSET_MATERIALIZATION))


def _evaluations(instance, run_id):
    return [e.headwater_event.asset_check_evaluation_data
            for e in instance.all_logs(run_id, of_type=HeadwaterEventType.ASSET_CHECK_EVALUATION)]


def _run(kind, instance, config):
    if kind == "in_process":
        return check_jobs.checked.execute_in_process(run_config=config, instance=instance,
                                                     raise_on_error=False)
    if kind == "multiprocess":
        return execute_job(reconstructable(check_jobs.checked), instance, run_config=config)
    from distributed import LocalCluster  # the dev extra installs dask[distributed]

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:
        config = {**config, "execution": {"config": {"cluster": {"existing": {
            "address": cluster.scheduler_address}}}}}
        return execute_job(reconstructable(check_jobs.checked_on_dask), instance,
                           run_config=config)


EXECUTORS = ["in_process", "multiprocess", "dask"]


@pytest.mark.parametrize("kind", EXECUTORS)
def test_failed_blocking_error_check_holds_back_downstream(kind, tmp_path):
    (tmp_path / "fail").write_text("")
    with hw.instance_for_test() as instance:
        result = _run(kind, instance, check_jobs.check_config(tmp_path))
        assert not result.success
        assert _materialized(instance, result.run_id) == ["raw"]
        (evaluation,) = _evaluations(instance, result.run_id)
        assert (evaluation.check_name, evaluation.passed, evaluation.blocking) == \
            ("raw_not_empty", False, True)
        assert evaluation.metadata["rows"].value == 3
        failures = instance.all_logs(result.run_id, of_type=HeadwaterEventType.STEP_FAILURE)
        assert [e.step_key for e in failures] == ["raw_raw_not_empty"]
        assert "blocking asset check" in failures[0].headwater_event.step_failure_data.error.message


@pytest.mark.parametrize("kind", EXECUTORS)
def test_failed_blocking_warn_check_does_not_block(kind, tmp_path):
    (tmp_path / "fail").write_text("")
    with hw.instance_for_test() as instance:
        result = _run(kind, instance, check_jobs.check_config(tmp_path, severity="WARN"))
        assert result.success
        assert _materialized(instance, result.run_id) == ["raw", "report"]
        (evaluation,) = _evaluations(instance, result.run_id)
        assert not evaluation.passed and evaluation.severity is hw.AssetCheckSeverity.WARN


def test_reexecution_from_failure_reruns_the_failed_check(tmp_path):
    """From failure re-runs the failed check step and what it held back, not the asset."""
    (tmp_path / "fail").write_text("")
    with hw.instance_for_test() as instance:
        first = execute_job(reconstructable(check_jobs.checked), instance,
                            run_config=check_jobs.check_config(tmp_path))
        assert not first.success
        (tmp_path / "fail").unlink()
        options = ReexecutionOptions.from_failure(first.run_id, instance)
        assert sorted(options.step_selection) == ["raw_raw_not_empty", "report"]
        second = execute_job(reconstructable(check_jobs.checked), instance,
                             reexecution_options=options)
        assert second.success
        assert _materialized(instance, second.run_id) == ["report"]
        (evaluation,) = _evaluations(instance, second.run_id)
        assert evaluation.passed
        # the check evaluated the materialization of the parent run
        assert evaluation.target_materialization_data.run_id == first.run_id
