"""The hook that closes the MLflow run of a headwater run whose step failed.

`end_mlflow_on_run_finished` (alias `end_mlflow_run_on_pipeline_finished`) sees the events
of each step it is attached to. When a step fails, it ends the run's MLflow run with status
FAILED, so the MLflow UI shows the failure instead of a run left RUNNING. When steps succeed
there is nothing for it to do: the `mlflow_tracking` resource ends the MLflow run as FINISHED
when it is torn down, after the last step of the headwater run -- the moment the run really
finishes, whichever step comes last.

Imports `mlflow` and headwater's public API only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlflow.entities import RunStatus

from headwater import HookContext, HookDefinition, HookExecutionResult, event_list_hook


def _end_mlflow_run_hook(name: str) -> HookDefinition:
    @event_list_hook(name=name, required_resource_keys={"mlflow"})
    def end_mlflow_run(context: HookContext, event_list: Sequence[Any]) -> HookExecutionResult:
        failed = any(event.is_step_failure for event in event_list)
        if failed:
            context.resources.mlflow.end_run(status=RunStatus.to_string(RunStatus.FAILED))
        return HookExecutionResult(hook_name=name, is_skipped=not failed)

    return end_mlflow_run


end_mlflow_on_run_finished = _end_mlflow_run_hook("end_mlflow_on_run_finished")
# The older name, kept so that projects written against it port unchanged.
end_mlflow_run_on_pipeline_finished = _end_mlflow_run_hook("end_mlflow_run_on_pipeline_finished")
