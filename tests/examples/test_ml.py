"""examples/ml: the tumor classifier materialized for real, gate and MLflow included."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import duckdb
import pytest

import headwater as hw

ML_DIR = Path(__file__).resolve().parents[2] / "examples" / "ml"
if str(ML_DIR) not in sys.path:
    sys.path.insert(0, str(ML_DIR))

import mlflow  # noqa: E402
import tumor_classifier as tc  # noqa: E402  (found through the path set just above)

GATE = "model_evaluation_model_quality_gate"  # the check's op: <asset>_<check>
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def mlflow_db(tmp_path_factory):
    """One MLflow SQLite store for the module: creating one costs seconds of migrations."""
    return tmp_path_factory.mktemp("mlflow") / "mlflow.db"


@pytest.fixture
def defs(tmp_path, mlflow_db):
    return tc.build_defs(tmp_path / "ml", mlflow_tracking_uri=f"sqlite:///{mlflow_db}")


def _retrain(defs, run_config=None):
    job = defs.resolve_job_def("retrain_job")
    return job.execute_in_process(run_config=run_config, raise_on_error=False)


def _metadata(result, key):
    (event,) = [e for e in result.get_asset_materialization_events()
                if e.asset_key == hw.AssetKey(key)]
    return {name: getattr(value, "value", value)
            for name, value in event.materialization.metadata.items()}


def _mlflow_run(mlflow_db, run_id):
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow_db}")
    experiment = client.get_experiment_by_name("tumor-classifier")
    (run,) = client.search_runs([experiment.experiment_id],
                                filter_string=f"tags.headwater_run_id = '{run_id}'")
    return run


def test_the_whole_project_materializes_with_metrics_plots_and_a_deployed_model(defs, tmp_path,
                                                                                mlflow_db):
    """Every asset materializes; params, metrics and plot paths are metadata; MLflow has them."""
    hw.Definitions.validate_loadable(defs)
    result = _retrain(defs)
    assert result.success
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {
        "raw_tumors", "tumor_features", "train_set", "test_set", "trained_model",
        "model_evaluation", "deployed_model"}
    assert _metadata(result, "raw_tumors")["row_count"] == 569
    with duckdb.connect(str(tmp_path / "ml" / "warehouse.duckdb"), read_only=True) as connection:
        rows, malignant = connection.execute(
            "SELECT count(*), sum(is_malignant) FROM tumor_features").fetchone()
    assert (rows, malignant) == (569, 212)
    assert "roundness" in _metadata(result, "tumor_features")["features"]
    split = _metadata(result, "train_set")["row_count"], _metadata(result, "test_set")["row_count"]
    assert split == (426, 143)

    model = _metadata(result, "trained_model")
    assert model["params"] == {"n_estimators": 60, "max_depth": 5, "min_samples_leaf": 2,
                               "seed": 7}
    evaluation = _metadata(result, "model_evaluation")
    assert evaluation["roc_auc"] > 0.95 and 0.9 < evaluation["accuracy"] <= 1
    for plot in (model["feature_importance_plot"], evaluation["confusion_matrix_plot"],
                 evaluation["roc_curve_plot"]):
        assert Path(plot).read_bytes().startswith(PNG_MAGIC)
        assert Path(plot).is_relative_to(tmp_path)
    roc_png = base64.b64encode(Path(evaluation["roc_curve_plot"]).read_bytes()).decode()
    assert f"![ROC curve](data:image/png;base64,{roc_png})" in evaluation["plots"]

    (gate,) = result.get_asset_check_evaluations()
    assert gate.passed and gate.metadata["threshold"].value == 0.95
    deployed = _metadata(result, "deployed_model")
    assert deployed["version"] == 1 and Path(deployed["registry_path"]).is_file()
    assert result.output_for_node("deployed_model")["roc_auc"] == evaluation["roc_auc"]

    run = _mlflow_run(mlflow_db, result.run_id)
    assert run.info.status == "FINISHED" and run.info.run_id == model["mlflow_run_id"]
    assert run.data.params["n_estimators"] == "60"
    assert run.data.metrics["roc_auc"] == pytest.approx(evaluation["roc_auc"])


def test_hyper_parameters_come_from_run_config(defs):
    """ModelConfig fields set in run config reach the forest and its recorded params."""
    result = _retrain(defs, {"ops": {"trained_model": {"config": {"n_estimators": 5, "max_depth": 2}},
                                     GATE: {"config": {"threshold": 0.5}}}})
    assert result.success
    assert _metadata(result, "trained_model")["params"]["n_estimators"] == 5
    assert len(result.output_for_node("trained_model").estimators_) == 5


def test_a_threshold_the_model_misses_fails_the_gate_and_blocks_the_deploy(defs, tmp_path,
                                                                          mlflow_db):
    """Gate under threshold: the check fails, deployed_model is not built, MLflow says FAILED."""
    result = _retrain(defs, {"ops": {GATE: {"config": {"threshold": 0.999}}}})
    assert not result.success
    (gate,) = result.get_asset_check_evaluations()
    assert not gate.passed
    assert gate.metadata["value"].value < gate.metadata["threshold"].value == 0.999
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "model_evaluation" in materialized and "deployed_model" not in materialized
    assert not (tmp_path / "ml" / "registry").exists() or \
        list((tmp_path / "ml" / "registry").iterdir()) == []
    assert _mlflow_run(mlflow_db, result.run_id).info.status == "FAILED"


def test_a_gate_on_a_metric_that_is_not_computed_is_a_config_error_naming_the_choices(defs):
    """GateConfig.metric must name a computed metric; the run does not start otherwise."""
    with pytest.raises(hw.HeadwaterInvalidConfigError) as error:
        _retrain(defs, {"ops": {GATE: {"config": {"metric": "auc"}}}})
    message = str(error.value)
    assert f"ops.{GATE}.config.metric" in message
    assert "'roc_auc'" in message and "got 'auc'" in message
