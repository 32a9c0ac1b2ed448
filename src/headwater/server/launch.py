"""Starting, canceling and re-executing runs from the API, through the run launcher.

The webserver never runs user code. To launch, it asks the location's code server to store
the run (its `create_run` call: `code.run.create_run` needs the job to check the config and
plan the steps), then submits it here (`daemon.launcher.submit_run`: queued, or started
at once in a run-worker subprocess). `RunLauncher` is that adapter; `create_app(launcher=None)`
makes a webserver that refuses to launch (503, and says so).
Imports `code`, `daemon`, `storage` and this package.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.code.client import CodeServerError
from headwater.daemon import launcher as run_launcher
from headwater.definitions.assets.job import IMPLICIT_JOB
from headwater.definitions.tags import PARTITION_TAG
from headwater.errors import HeadwaterError
from headwater.server.state import ApiError, ServerState
from headwater.storage.record import HeadwaterRunStatus


class RunLauncher:
    """Create a run in a location's code server and hand it to the run coordinator."""

    def launch(self, state: ServerState, location: str, **params: Any) -> str:
        """Store and submit a run; `params` as the code server's `create_run` takes them."""
        instance = state.instance
        try:
            ref = dataclasses.asdict(instance.get_ref())
        except HeadwaterError as exc:
            raise ApiError(400, f"Cannot launch runs on this instance: {exc}") from exc
        try:
            run_id = state.workspace.client(location).call(
                "create_run", {"instance": ref, **params})
        except CodeServerError as exc:
            raise ApiError(400, f"Code location {location!r} refused the run: "
                                f"{exc.error.get('message') or exc}") from exc
        run_launcher.submit_run(instance, run_id)
        return str(run_id)

    def cancel(self, state: ServerState, run_id: str) -> None:
        run_launcher.cancel_run(state.instance, run_id, "Cancel requested from the webserver.")


def _launcher(state: ServerState, doing: str) -> Any:
    if state.launcher is None:
        raise ApiError(503, f"Cannot {doing}: this webserver has no run launcher (it was "
                            "created with launcher=None).")
    return state.launcher


def _error(exc: Exception, doing: str) -> ApiError:
    return ApiError(400, f"Cannot {doing}: {exc}")


def launch_assets(state: ServerState, location: str, keys: Sequence[str],
                  partition_key: str | None) -> str:
    launcher = _launcher(state, "materialize assets")
    tags = {PARTITION_TAG: partition_key} if partition_key is not None else {}
    try:
        return launcher.launch(state, location, job_name=IMPLICIT_JOB, run_config={},
                               tags=tags, asset_selection=list(keys))
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, "materialize assets") from exc


def launch_checks(state: ServerState, location: str, check_keys: Sequence[str],
                  partition_key: str | None) -> str:
    """A run of the location's asset job that evaluates the checks `check_keys` ("a/b:name")
    and materializes nothing."""
    launcher = _launcher(state, "run checks")
    tags = {PARTITION_TAG: partition_key} if partition_key is not None else {}
    try:
        return launcher.launch(state, location, job_name=IMPLICIT_JOB, run_config={},
                               tags=tags, asset_check_selection=list(check_keys))
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, f"run checks {', '.join(check_keys)}") from exc


def launch_job(state: ServerState, location: str, job_name: str,
               run_config: Mapping[str, Any], tags: Mapping[str, str]) -> str:
    launcher = _launcher(state, f"launch job {job_name!r}")
    try:
        return launcher.launch(state, location, job_name=job_name,
                               run_config=dict(run_config), tags=dict(tags))
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, f"launch job {job_name!r}") from exc


def cancel(state: ServerState, run_id: str) -> dict[str, Any]:
    """Cancel a run: a run no worker picked up yet is marked canceled here."""
    record = state.instance.get_run_record_by_id(run_id)
    if record is None:
        raise ApiError(404, f"No run {run_id!r}.")
    run = record.headwater_run
    if not run.is_cancelable:
        raise ApiError(409, f"Run {run_id} is {run.status.value} and cannot be canceled.")
    if run.status in (HeadwaterRunStatus.QUEUED, HeadwaterRunStatus.NOT_STARTED):
        state.instance.report_run_canceled(run, "Canceled from the webserver before it started.")
        return {"run_id": run_id, "status": "CANCELED"}
    launcher = _launcher(state, f"cancel run {run_id}")
    launcher.cancel(state, run_id)
    current = state.instance.get_run_by_id(run_id)
    return {"run_id": run_id, "status": current.status.value if current else "CANCELED"}


def reexecute(state: ServerState, run_id: str, strategy: str,
              step_keys: Sequence[str] | None) -> str:
    record = state.instance.get_run_record_by_id(run_id)
    if record is None:
        raise ApiError(404, f"No run {run_id!r}.")
    run = record.headwater_run
    if not run.is_finished:
        raise ApiError(409, f"Run {run_id} is {run.status.value}: re-execute it once it "
                            "has finished (or cancel it first).")
    if strategy == "from_failure" and not run.is_failure_or_canceled:
        raise ApiError(409, f"Run {run_id} did not fail ({run.status.value}): re-execute "
                            "'all' or 'selected' steps instead of 'from_failure'.")
    if strategy == "selected" and not step_keys:
        raise ApiError(400, "strategy 'selected' needs step_keys: the steps to run again.")
    location = _location_of_job(state, run.job_name, run)
    launcher = _launcher(state, f"re-execute run {run_id}")
    try:
        return launcher.launch(state, location, job_name=run.job_name, run_config=None,
                               parent_run_id=run_id, strategy=strategy,
                               step_keys=list(step_keys or []) or None)
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, f"re-execute run {run_id}") from exc


def _location_of_job(state: ServerState, job_name: str, run: Any) -> str:
    index = state.workspace.index
    if job_name in index.jobs:
        return index.jobs[job_name][0]
    for key in run.asset_selection or ():
        found = index.assets.get(key.to_user_string())
        if found is not None:
            return found[0]
    names = state.workspace.names
    if len(names) == 1:
        return names[0]
    raise ApiError(409, f"Job {job_name!r} of this run is in no loaded code location; reload "
                        "the location that defines it.")
