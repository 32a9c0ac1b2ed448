"""A tumor classifier as a headwater project: data -> DuckDB features -> model -> gated deploy.

The data is scikit-learn's bundled breast cancer table (569 tumors, 30 measurements, no
download). The assets:

    raw_tumors -> tumor_features -> train_set / test_set -> trained_model -> model_evaluation
                                                                                  |
                                                   model_quality_gate (blocking check)
                                                                                  v
                                                                           deployed_model

- `raw_tumors` and `tumor_features` are DuckDB tables (`headwater_duckdb.DuckDBResource`);
  the features are computed in SQL.
- `train_set` / `test_set` come from one stratified split (`SplitConfig`).
- `trained_model` is a random forest (`ModelConfig` holds the hyper-parameters); the default
  IO manager pickles it. Its parameters and training accuracy are materialization metadata,
  with a feature-importance plot.
- `model_evaluation` scores the held-out rows: accuracy, ROC AUC, precision, recall, F1 as
  metadata, the confusion matrix and the ROC curve as PNG files (path and inline image).
- `model_quality_gate` is a blocking check on `model_evaluation`: when the chosen metric is
  under the threshold (`GateConfig`), the check fails and `deployed_model` does not run.
- `deployed_model` copies the model into a versioned registry directory.
- Both model steps log to MLflow through `headwater_mlflow.mlflow_tracking` (a SQLite store
  in the data directory); `retrain_job` runs everything weekly via `weekly_retrain`.

Files go under $ML_EXAMPLE_DIR (default: <tmp>/headwater-ml).
Run it:  headwater dev -f examples/ml/tumor_classifier.py
"""

from __future__ import annotations

import base64
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from ml_plots import confusion_matrix_png, feature_importance_png, roc_curve_png
from pydantic import Field
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import train_test_split

from headwater import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetOut,
    AssetSelection,
    Config,
    ConfigurableResource,
    Definitions,
    FilesystemIOManager,
    MaterializeResult,
    MetadataValue,
    Output,
    ScheduleDefinition,
    asset,
    asset_check,
    define_asset_job,
    multi_asset,
)
from headwater_duckdb import DuckDBResource
from headwater_mlflow import end_mlflow_on_run_finished, mlflow_tracking

LABEL = "is_malignant"
CLASS_NAMES = ("benign", "malignant")


def data_dir() -> Path:
    """Where the example keeps its database, pickles, plots, registry and MLflow store."""
    return Path(os.environ.get("ML_EXAMPLE_DIR") or Path(tempfile.gettempdir()) / "headwater-ml")


# --- resources and config ------------------------------------------------------------------


class ArtifactStore(ConfigurableResource):
    """A directory for the files a person looks at: plots and the model registry."""

    root: str = Field(description="Directory that holds plots/ and registry/.")

    def plot_path(self, name: str, run_id: str) -> Path:
        # One file per run, so the metadata of an older materialization keeps its picture.
        return Path(self.root) / "plots" / f"{name}-{run_id[:8]}.png"

    def registry(self) -> Path:
        path = Path(self.root) / "registry"
        path.mkdir(parents=True, exist_ok=True)
        return path


class SplitConfig(Config):
    test_fraction: float = Field(0.25, gt=0, lt=1, description="Share of rows held out.")
    seed: int = Field(7, description="Seed of the shuffle, so a split can be repeated.")


class ModelConfig(Config):
    n_estimators: int = Field(60, ge=1, description="Trees in the forest.")
    max_depth: int | None = Field(5, ge=1, description="Depth limit of each tree; None: none.")
    min_samples_leaf: int = Field(2, ge=1, description="Fewest training rows in a leaf.")
    seed: int = Field(7, description="Seed of the forest's randomness.")


Metric = Literal["accuracy", "roc_auc", "precision", "recall", "f1"]


class GateConfig(Config):
    metric: Metric = Field("roc_auc", description="Metric of model_evaluation the gate reads.")
    threshold: float = Field(0.95, description="Lowest value of `metric` that may deploy.")


# --- data and features ---------------------------------------------------------------------


@asset(group_name="data", kinds={"duckdb"})
def raw_tumors(duckdb: DuckDBResource) -> MaterializeResult:
    """The breast cancer measurements as shipped with scikit-learn, one row per tumor."""
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.rename(columns=lambda name: name.replace(" ", "_"))
    # scikit-learn codes benign as 1; the label here says what is being detected.
    frame[LABEL] = 1 - frame.pop("target")
    frame.insert(0, "tumor_id", np.arange(len(frame)))
    Path(duckdb.database).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.get_connection() as connection:
        connection.execute("CREATE OR REPLACE TABLE raw_tumors AS SELECT * FROM frame")
    return MaterializeResult(metadata={
        "row_count": len(frame),
        "malignant_share": float(frame[LABEL].mean()),
        "table": "raw_tumors",
    })


FEATURE_SQL = f"""
CREATE OR REPLACE TABLE tumor_features AS
SELECT
    tumor_id,
    mean_radius, mean_texture, mean_smoothness, mean_compactness, mean_concavity,
    mean_concave_points, mean_symmetry, mean_fractal_dimension,
    worst_radius, worst_texture, worst_concavity, worst_concave_points,
    radius_error, texture_error,
    -- how much the worst cell deviates from the mean one
    worst_radius / mean_radius AS radius_spread,
    worst_concave_points / nullif(mean_concave_points, 0) AS concave_points_spread,
    -- a round cell has area close to perimeter^2 / (4 pi)
    mean_area * 4 * pi() / (mean_perimeter * mean_perimeter) AS roundness,
    {LABEL}
FROM raw_tumors
"""


@asset(deps=[raw_tumors], group_name="data", kinds={"duckdb"})
def tumor_features(duckdb: DuckDBResource) -> MaterializeResult:
    """Model inputs derived in SQL: chosen measurements plus spread and roundness ratios."""
    with duckdb.get_connection() as connection:
        connection.execute(FEATURE_SQL)
        rows = connection.execute("SELECT count(*) FROM tumor_features").fetchone()[0]
        columns = [c[0] for c in connection.execute("DESCRIBE tumor_features").fetchall()]
    return MaterializeResult(metadata={
        "row_count": rows,
        "features": MetadataValue.json([c for c in columns if c not in ("tumor_id", LABEL)]),
    })


@multi_asset(
    outs={"train_set": AssetOut(group_name="model"), "test_set": AssetOut(group_name="model")},
    deps=[tumor_features],
)
def split_tumors(config: SplitConfig, duckdb: DuckDBResource):
    """Rows of tumor_features split once, stratified on the label, into train and test."""
    with duckdb.get_connection() as connection:
        frame = connection.execute("SELECT * FROM tumor_features ORDER BY tumor_id").df()
    train, test = train_test_split(frame, test_size=config.test_fraction,
                                   random_state=config.seed, stratify=frame[LABEL])
    for name, part in (("train_set", train), ("test_set", test)):
        yield Output(part.reset_index(drop=True), output_name=name, metadata={
            "row_count": len(part), "malignant_share": float(part[LABEL].mean())})


def _data_uri(png: Path) -> str:
    """The picture inlined, so markdown metadata shows it wherever the metadata is read."""
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()


def _xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=["tumor_id", LABEL]), frame[LABEL]


# --- model -----------------------------------------------------------------------------------


@asset(group_name="model", required_resource_keys={"mlflow"})
def trained_model(context: AssetExecutionContext, config: ModelConfig, train_set: pd.DataFrame,
                  artifacts: ArtifactStore) -> Output[RandomForestClassifier]:
    """A random forest fitted on the training rows; pickled by the IO manager."""
    features, labels = _xy(train_set)
    model = RandomForestClassifier(
        n_estimators=config.n_estimators, max_depth=config.max_depth,
        min_samples_leaf=config.min_samples_leaf, random_state=config.seed, n_jobs=1,
    ).fit(features, labels)
    params = config.model_dump()
    train_accuracy = float(accuracy_score(labels, model.predict(features)))
    context.resources.mlflow.log_params(params)
    context.resources.mlflow.log_metric("train_accuracy", train_accuracy)
    plot = feature_importance_png(list(features.columns), model.feature_importances_,
                                  artifacts.plot_path("feature_importance", context.run_id))
    return Output(model, metadata={
        "params": MetadataValue.json(params),
        "train_accuracy": train_accuracy,
        "train_rows": len(train_set),
        "feature_importance_plot": MetadataValue.path(str(plot)),
        "mlflow_run_id": context.resources.mlflow.run_id,
    })


@asset(group_name="model", required_resource_keys={"mlflow"})
def model_evaluation(context: AssetExecutionContext, trained_model: RandomForestClassifier,
                     test_set: pd.DataFrame, artifacts: ArtifactStore) -> Output[dict]:
    """Scores of the model on the held-out rows, with its confusion matrix and ROC curve."""
    features, labels = _xy(test_set)
    predicted = trained_model.predict(features)
    scores = trained_model.predict_proba(features)[:, 1]
    metrics: dict[str, float] = {
        "accuracy": float(accuracy_score(labels, predicted)),
        "roc_auc": float(roc_auc_score(labels, scores)),
        "precision": float(precision_score(labels, predicted)),
        "recall": float(recall_score(labels, predicted)),
        "f1": float(f1_score(labels, predicted)),
    }
    context.resources.mlflow.log_metrics(metrics)
    matrix_png = confusion_matrix_png(confusion_matrix(labels, predicted), CLASS_NAMES,
                                      artifacts.plot_path("confusion_matrix", context.run_id))
    false_positive_rate, true_positive_rate, _ = roc_curve(labels, scores)
    roc_png = roc_curve_png(false_positive_rate, true_positive_rate, metrics["roc_auc"],
                            artifacts.plot_path("roc_curve", context.run_id))
    return Output(metrics, metadata={
        **metrics,
        "test_rows": len(test_set),
        "confusion_matrix_plot": MetadataValue.path(str(matrix_png)),
        "roc_curve_plot": MetadataValue.path(str(roc_png)),
        "plots": MetadataValue.md(f"![confusion matrix]({_data_uri(matrix_png)})\n\n"
                                  f"![ROC curve]({_data_uri(roc_png)})"),
    })


@asset_check(asset=model_evaluation, blocking=True,
             description="The model scores at least the threshold on the held-out rows.")
def model_quality_gate(config: GateConfig, model_evaluation: dict[str, Any]) -> AssetCheckResult:
    """Passes when model_evaluation[config.metric] >= config.threshold."""
    value = model_evaluation[config.metric]
    return AssetCheckResult(passed=value >= config.threshold, metadata={
        "metric": config.metric, "value": value, "threshold": config.threshold,
    })


@asset(group_name="model")
def deployed_model(context: AssetExecutionContext, trained_model: RandomForestClassifier,
                   model_evaluation: dict[str, Any], artifacts: ArtifactStore) -> Output[dict]:
    """The model that passed the gate, written into the registry as its next version."""
    registry = artifacts.registry()
    version = len(list(registry.glob("model-v*.pkl"))) + 1
    path = registry / f"model-v{version}.pkl"
    path.write_bytes(pickle.dumps(trained_model))
    context.log.info(f"Deployed model version {version} to {path}.")
    deployment = {"version": version, "path": str(path), **model_evaluation}
    return Output(deployment, metadata={"version": version,
                                        "registry_path": MetadataValue.path(str(path)),
                                        "roc_auc": model_evaluation["roc_auc"]})


# --- definitions -----------------------------------------------------------------------------

retrain_job = define_asset_job("retrain_job", selection=AssetSelection.all(),
                               hooks={end_mlflow_on_run_finished})
weekly_retrain = ScheduleDefinition(job=retrain_job, cron_schedule="0 3 * * 1")


def build_defs(root: Path | None = None, mlflow_tracking_uri: str | None = None) -> Definitions:
    """The project's definitions with all files under `root` (default: data_dir()), MLflow
    runs included unless `mlflow_tracking_uri` points elsewhere."""
    root = root or data_dir()
    return Definitions(
        assets=[raw_tumors, tumor_features, split_tumors, trained_model, model_evaluation,
                deployed_model],
        asset_checks=[model_quality_gate],
        jobs=[retrain_job],
        schedules=[weekly_retrain],
        resources={
            "duckdb": DuckDBResource(database=str(root / "warehouse.duckdb")),
            "artifacts": ArtifactStore(root=str(root)),
            "io_manager": FilesystemIOManager(base_dir=str(root / "storage")),
            "mlflow": mlflow_tracking.configured({
                "experiment_name": "tumor-classifier",
                "mlflow_tracking_uri": mlflow_tracking_uri or f"sqlite:///{root / 'mlflow.db'}",
            }),
        },
    )


defs = build_defs()
