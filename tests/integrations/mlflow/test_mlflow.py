"""headwater_mlflow against a real MLflow tracking store (SQLite in a temporary directory)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import mlflow
import pytest
from mlflow.tracking import MlflowClient

import headwater as hw
from headwater_mlflow import (
    end_mlflow_on_run_finished,
    end_mlflow_run_on_pipeline_finished,
    mlflow_tracking,
)
from headwater_mlflow.resources import MlFlow

FIXTURES = str(Path(__file__).resolve().parents[2] / "fixtures")
if FIXTURES not in sys.path:
    sys.path.insert(0, FIXTURES)

import mlflow_jobs  # noqa: E402  (worker processes import the job from tests/fixtures)


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory):
    """One SQLite store for the module (creating one runs seconds of migrations); each test
    uses its own experiment in it."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def experiment(request):
    return request.node.name


@pytest.fixture
def client(tracking_uri):
    return MlflowClient(tracking_uri=tracking_uri)


@pytest.fixture(autouse=True)
def no_run_left_active():
    """Each test starts, and must end, with no MLflow run active in the process."""
    assert mlflow.active_run() is None
    yield
    leftover = mlflow.active_run()
    while mlflow.active_run() is not None:
        mlflow.end_run()
    assert leftover is None, "a test left an MLflow run active"


def _config(tracking_uri, experiment, **extra):
    return {"resources": {"mlflow": {"config": {
        "experiment_name": experiment, "mlflow_tracking_uri": tracking_uri, **extra}}}}


def _runs(client, experiment):
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id]) if found else []


@hw.op(required_resource_keys={"mlflow"})
def fit(context):
    context.resources.mlflow.log_params({f"p{i}": i for i in range(150)})
    context.resources.mlflow.log_metric("loss", 0.25)
    return 3


@hw.op(required_resource_keys={"mlflow"})
def score(context, value):
    context.resources.mlflow.log_metric("score", value / 4)
    context.resources.mlflow.set_tag("stage", "scored")


@hw.op(required_resource_keys={"mlflow"})
def explode(context, value):
    raise ValueError("the model diverged")


@hw.job(resource_defs={"mlflow": mlflow_tracking})
def training():
    score(fit())


@end_mlflow_on_run_finished
@hw.job(resource_defs={"mlflow": mlflow_tracking})
def broken_training():
    explode(fit())


def test_one_mlflow_run_per_headwater_run_named_tagged_and_finished(tracking_uri, experiment,
                                                                    client, monkeypatch):
    """Both steps log into one MLflow run: named after the job, tagged with the headwater run
    id, extra tags and env tags; FINISHED when the headwater run ends; env put back."""
    monkeypatch.setenv("IMAGE_TAG", "v1.2")
    monkeypatch.delenv("HW_MLFLOW_TEST_SECRET", raising=False)
    result = training.execute_in_process(run_config=_config(
        tracking_uri, experiment, extra_tags={"team": "ml"}, env_to_tag=["IMAGE_TAG"],
        env={"HW_MLFLOW_TEST_SECRET": "s3cret"}))
    assert result.success
    (run,) = _runs(client, experiment)
    assert run.info.status == "FINISHED" and run.info.run_name == "training"
    assert run.data.tags["headwater_run_id"] == result.run_id
    assert (run.data.tags["team"], run.data.tags["IMAGE_TAG"]) == ("ml", "v1.2")
    assert run.data.tags["stage"] == "scored"
    assert len(run.data.params) == 150 and run.data.params["p149"] == "149"
    assert run.data.metrics == {"loss": 0.25, "score": 0.75}
    assert "HW_MLFLOW_TEST_SECRET" not in os.environ


def test_each_headwater_run_gets_its_own_mlflow_run(tracking_uri, experiment, client):
    """Two runs of one job in one process record two MLflow runs, one per headwater run id."""
    first = training.execute_in_process(run_config=_config(tracking_uri, experiment))
    second = training.execute_in_process(run_config=_config(tracking_uri, experiment))
    tagged = {r.data.tags["headwater_run_id"] for r in _runs(client, experiment)}
    assert tagged == {first.run_id, second.run_id}


def test_the_hook_marks_the_mlflow_run_failed_when_a_step_fails(tracking_uri, experiment, client):
    """end_mlflow_on_run_finished ends the MLflow run as FAILED at the failing step; on the
    steps that succeed it has nothing to do and says it skipped."""
    result = broken_training.execute_in_process(run_config=_config(tracking_uri, experiment),
                                                raise_on_error=False)
    assert not result.success
    (run,) = _runs(client, experiment)
    assert run.info.status == "FAILED" and run.data.metrics == {"loss": 0.25}
    hooks = {(e.step_key, e.event_type_value) for e in result.all_events
             if e.event_type_value.startswith("HOOK_")}
    assert hooks == {("fit", "HOOK_SKIPPED"), ("explode", "HOOK_COMPLETED")}


def test_without_the_hook_a_failed_run_still_ends_failed(tracking_uri, experiment, client):
    """The resource's teardown reads the run's failed steps from the instance."""

    @hw.job(resource_defs={"mlflow": mlflow_tracking})
    def unhooked():
        explode(fit())

    result = unhooked.execute_in_process(run_config=_config(tracking_uri, experiment),
                                         raise_on_error=False)
    assert not result.success
    (run,) = _runs(client, experiment)
    assert run.info.status == "FAILED"


def test_the_older_hook_name_does_the_same(tracking_uri, experiment, client):
    """end_mlflow_run_on_pipeline_finished is the same hook under its older name."""

    @end_mlflow_run_on_pipeline_finished
    @hw.job(resource_defs={"mlflow": mlflow_tracking})
    def legacy():
        explode(fit())

    result = legacy.execute_in_process(run_config=_config(tracking_uri, experiment),
                                       raise_on_error=False)
    (run,) = _runs(client, experiment)
    assert run.info.status == "FAILED"
    assert any(e.event_type_value == "HOOK_COMPLETED" and "end_mlflow_run_on_pipeline_finished"
               in e.message for e in result.all_events)


def test_parent_run_id_nests_the_run_and_leaves_the_parent_alone(tracking_uri, experiment,
                                                                 client):
    """With parent_run_id the MLflow run is a child of that run; the parent is not ended."""
    parent = client.create_run(client.create_experiment(f"{experiment}-parent"))
    result = training.execute_in_process(run_config=_config(
        tracking_uri, experiment, parent_run_id=parent.info.run_id))
    (child,) = _runs(client, experiment)
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.data.tags["headwater_run_id"] == result.run_id
    assert child.info.status == "FINISHED"
    assert client.get_run(parent.info.run_id).info.status == "RUNNING"


def test_an_mlflow_run_already_active_in_the_process_is_a_clear_error(tracking_uri, experiment):
    """A run the user started and did not end is named in the error, with both fixes."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as mine, pytest.raises(hw.HeadwaterResourceFunctionError) as error:
        training.execute_in_process(run_config=_config(tracking_uri, experiment))
    message = str(error.value.__cause__)
    assert f"MLflow run {mine.info.run_id} is already active" in message
    assert "mlflow.end_run()" in message and f"parent_run_id: {mine.info.run_id}" in message


def test_nesting_under_the_run_active_in_the_process_leaves_it_active(tracking_uri, experiment,
                                                                      client):
    """The fix the error above suggests works: parent_run_id set to the active run nests the
    headwater run's MLflow run under it, and the user's run stays active and RUNNING."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as mine:
        result = training.execute_in_process(run_config=_config(
            tracking_uri, experiment, parent_run_id=mine.info.run_id))
        assert mlflow.active_run().info.run_id == mine.info.run_id
        assert client.get_run(mine.info.run_id).info.status == "RUNNING"
    (child,) = [r for r in _runs(client, experiment) if r.info.run_id != mine.info.run_id]
    assert child.data.tags["mlflow.parentRunId"] == mine.info.run_id
    assert child.data.tags["headwater_run_id"] == result.run_id
    assert child.info.status == "FINISHED"


def test_a_failing_resource_start_puts_the_environment_back(tracking_uri, experiment,
                                                            monkeypatch):
    """`env` is undone even when the resource cannot start its MLflow run."""
    monkeypatch.delenv("HW_MLFLOW_TEST_SECRET", raising=False)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(), pytest.raises(hw.HeadwaterResourceFunctionError):
        training.execute_in_process(run_config=_config(
            tracking_uri, experiment, env={"HW_MLFLOW_TEST_SECRET": "s3cret"}))
    assert "HW_MLFLOW_TEST_SECRET" not in os.environ


def test_a_second_process_of_the_same_run_resumes_its_mlflow_run(tracking_uri, experiment,
                                                                 client):
    """Built twice for one headwater run id (as each worker process of a run does), the
    resource logs into the one MLflow run tagged with that id."""
    run_config = _config(tracking_uri, experiment)["resources"]
    same_run = SimpleNamespace(run_id="0000-run-of-two-workers")
    for worker in (1, 2):
        with hw.build_resources({"mlflow": mlflow_tracking}, resource_config=run_config,
                                headwater_run=same_run) as resources:
            resources.mlflow.log_metric(f"worker_{worker}", worker)
    (run,) = _runs(client, experiment)
    assert run.data.metrics == {"worker_1": 1, "worker_2": 2}
    assert run.data.tags["headwater_run_id"] == same_run.run_id


def test_worker_processes_of_one_run_share_its_mlflow_run(tracking_uri, experiment, client):
    """Multiprocess executor, two ops in parallel then a join: each worker builds the resource,
    and all of them log into the one MLflow run of the headwater run."""
    with hw.instance_for_test() as instance:
        result = hw.execute_job(hw.reconstructable(mlflow_jobs.fan_in), instance,
                                run_config=_config(tracking_uri, experiment))
    assert result.success
    (run,) = _runs(client, experiment)
    assert run.data.metrics == {"left": 1, "right": 2, "total": 3}
    assert run.info.status == "FINISHED" and run.data.tags["headwater_run_id"] == result.run_id


def test_assets_log_through_the_resource_and_the_asset_job_hook(tracking_uri, experiment, client):
    """Assets use the resource like ops; define_asset_job(hooks=...) attaches the hook."""

    @hw.asset(required_resource_keys={"mlflow"})
    def model(context):
        context.resources.mlflow.log_param("depth", 4)
        return "m"

    job = hw.define_asset_job("train_assets", hooks={end_mlflow_on_run_finished})
    defs = hw.Definitions(assets=[model], jobs=[job], resources={
        "mlflow": mlflow_tracking.configured(
            {"experiment_name": experiment, "mlflow_tracking_uri": tracking_uri})})
    result = defs.resolve_job_def("train_assets").execute_in_process()
    (run,) = _runs(client, experiment)
    assert run.info.run_name == "train_assets" and run.data.params == {"depth": "4"}
    assert run.data.tags["headwater_run_id"] == result.run_id


def test_experiment_name_is_required():
    """Without experiment_name the run does not start; the error names the field."""
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="experiment_name"):
        training.execute_in_process(run_config={"resources": {"mlflow": {"config": {}}}})


def test_mlflow_names_pass_through_and_params_are_sent_in_batches():
    """Names the resource lacks are mlflow's own; chunks() cuts params into batches of 100."""
    assert MlFlow.__getattr__(object.__new__(MlFlow), "log_metric") is mlflow.log_metric
    params = {f"p{i}": i for i in range(250)}
    batches = list(MlFlow.chunks(params))
    assert [len(b) for b in batches] == [100, 100, 50]
    assert {k: v for b in batches for k, v in b.items()} == params


def test_a_tracking_store_that_cannot_open_fails_the_run_before_any_step(tmp_path, experiment):
    """A SQLite path under a file: the run fails building resources, naming URI and fix."""
    (tmp_path / "a_file").write_text("not a directory")
    uri = f"sqlite:///{tmp_path / 'a_file' / 'mlflow.db'}"
    result = training.execute_in_process(run_config=_config(uri, experiment),
                                         raise_on_error=False)
    assert not result.success
    assert not any(e.event_type_value == "STEP_START" for e in result.all_events)
    (failure,) = [e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"]
    assert f"tracking store at {uri} could not select experiment '{experiment}'" in failure.message
    assert "Check mlflow_tracking_uri" in failure.message
