"""headwater_mlflow: MLflow experiment tracking for headwater runs (Dagster's `dagster_mlflow`).

- `mlflow_tracking` (resources.py): a resource that starts one MLflow run per headwater run,
  tagged `headwater_run_id`, and gives steps the whole `mlflow` module through it (its value
  is a `headwater_mlflow.resources.MlFlow`, as in `dagster_mlflow.resources`).
- `end_mlflow_on_run_finished` / `end_mlflow_run_on_pipeline_finished` (hooks.py): a hook
  that marks the MLflow run FAILED when a step fails.

Needs the `headwater[mlflow]` extra (MLflow itself; `mlflow-skinny` is enough). Imports
`mlflow` and headwater's public API; headwater itself never imports this package.
"""

from headwater._extras import needs_extra

with needs_extra("mlflow", "headwater_mlflow"):
    from headwater_mlflow.hooks import (
        end_mlflow_on_run_finished,
        end_mlflow_run_on_pipeline_finished,
    )
    from headwater_mlflow.resources import mlflow_tracking

__all__ = [
    "end_mlflow_on_run_finished",
    "end_mlflow_run_on_pipeline_finished",
    "mlflow_tracking",
]
