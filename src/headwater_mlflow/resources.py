"""The `mlflow_tracking` resource: one MLflow run for each headwater run.

When the resource is built for a run it points MLflow at the configured tracking server,
selects (or creates) the experiment, and starts an MLflow run tagged `headwater_run_id` with
the headwater run's id -- or resumes the MLflow run already carrying that tag, so that steps
executed by several worker processes of one headwater run log into the same MLflow run. Steps
then call MLflow through the resource (`context.resources.mlflow.log_metric(...)`): every
name of the `mlflow` module is available on it. When the resource is torn down, at the end of
the run, the MLflow run it started is ended if nothing else ended it before: FAILED when the
instance recorded a failed step of the run, FINISHED otherwise. (The
`end_mlflow_on_run_finished` hook ends it as FAILED at the moment a step fails.)

Imports `mlflow` and headwater's public API only.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from types import ModuleType
from typing import Any

import mlflow
from mlflow.entities import RunStatus
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from headwater import (
    Field,
    HeadwaterEventType,
    InitResourceContext,
    Noneable,
    Permissive,
    StringSource,
    resource,
)

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

#: The MLflow tag that holds the id of the headwater run an MLflow run belongs to.
RUN_ID_TAG = "headwater_run_id"
#: MLflow takes at most this many params in one call.
PARAMS_PER_CALL = 100

CONFIG_SCHEMA = {
    "experiment_name": Field(StringSource, is_required=True,
                             description="The MLflow experiment the runs are recorded in; "
                                         "created when it does not exist."),
    "mlflow_tracking_uri": Field(Noneable(StringSource), default_value=None, is_required=False,
                                 description="Where MLflow records runs (a server URL, "
                                             "sqlite:///path.db, ...). Unset: MLflow's own "
                                             "default (MLFLOW_TRACKING_URI)."),
    "parent_run_id": Field(Noneable(str), default_value=None, is_required=False,
                           description="Start each run nested under this existing MLflow run."),
    "env": Field(Permissive(), description="Environment variables set while the run executes "
                                           "(credentials of an artifact store, for example)."),
    "env_to_tag": Field(Noneable(list), default_value=None, is_required=False,
                        description="Names of environment variables whose values become tags "
                                    "of the MLflow run."),
    "extra_tags": Field(Permissive(), description="More tags for the MLflow run, name: value."),
}


@contextmanager
def _machine_lock(key: str) -> Iterator[None]:
    """Held by one process of this machine at a time for `key` (a file lock in the temporary
    directory; no lock where `fcntl` is missing, on Windows)."""
    if fcntl is None:
        yield
        return
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"headwater-mlflow-{digest}.lock")
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class MlFlow:
    """The value of the `mlflow_tracking` resource: MLflow, bound to this headwater run.

    Any attribute not defined here is looked up on the `mlflow` module, so
    `context.resources.mlflow.log_metric("auc", 0.93)` is `mlflow.log_metric(...)` inside the
    MLflow run of this headwater run. `tracking_client` is an `MlflowClient` for the same
    tracking server.
    """

    def __init__(self, context: InitResourceContext):
        config = context.resource_config or {}
        self.log = context.log
        self.headwater_run_id: str | None = context.run_id
        self._instance = context.instance
        run = context.headwater_run
        self.run_name: str | None = run.job_name if run is not None else None
        self.tracking_uri: str | None = config.get("mlflow_tracking_uri")
        self.parent_run_id: str | None = config.get("parent_run_id")
        self.experiment_name: str = config["experiment_name"]
        self.env_tags_to_log: list[str] = list(config.get("env_to_tag") or [])
        self.extra_tags: dict[str, Any] = dict(config.get("extra_tags") or {})
        self.env_vars: dict[str, str] = {k: str(v) for k, v in (config.get("env") or {}).items()}
        self._saved_env = {name: os.environ.get(name) for name in self.env_vars}
        os.environ.update(self.env_vars)
        try:
            if self.tracking_uri:
                mlflow.set_tracking_uri(self.tracking_uri)
            # Worker processes of one run start together: one at a time, each finds the run
            # the first one created (and only one of them creates a fresh SQLite store).
            with _machine_lock(mlflow.get_tracking_uri()):
                self._connect()
                self.tracking_client = MlflowClient()
                self.run_id: str = self._start_or_resume()
                mlflow.set_tags(self._tags())
        except BaseException:
            self._restore_env()
            raise

    def _connect(self) -> None:
        try:
            self.experiment = mlflow.set_experiment(self.experiment_name)
        except (MlflowException, OSError) as error:
            raise RuntimeError(
                f"resource 'mlflow_tracking': the MLflow tracking store at "
                f"{mlflow.get_tracking_uri()} could not select experiment "
                f"'{self.experiment_name}': {error} -- Check mlflow_tracking_uri (a "
                "reachable server, or sqlite:///<path> in a writable directory)."
            ) from error

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class lacks: the whole mlflow module passes through.
        return getattr(mlflow, name)

    def __repr__(self) -> str:
        return (f"MlFlow(experiment_name={self.experiment_name!r}, run_id={self.run_id!r}, "
                f"headwater_run_id={self.headwater_run_id!r})")

    # --- the MLflow run of this headwater run -----------------------------------------

    def _existing_run_id(self) -> str | None:
        """The MLflow run already tagged with this headwater run's id (another worker
        process of the same run started it), if any."""
        if self.headwater_run_id is None:
            return None
        found = self.tracking_client.search_runs(
            experiment_ids=[self.experiment.experiment_id],
            filter_string=f"tags.{RUN_ID_TAG} = '{self.headwater_run_id}'",
            max_results=1,
        )
        return found[0].info.run_id if found else None

    def _start_or_resume(self) -> str:
        existing = self._existing_run_id()
        active = mlflow.active_run()
        if active is not None and active.info.run_id != self.parent_run_id:
            if active.info.run_id == existing:
                self.log.info(f"MLflow run {existing} of this run is already active.")
                return existing
            raise RuntimeError(
                f"resource 'mlflow_tracking': MLflow run {active.info.run_id} is already active "
                f"in this process, so the run of headwater run {self.headwater_run_id} cannot "
                "start. End it first with mlflow.end_run(), or nest under it by setting "
                f"parent_run_id: {active.info.run_id} in the resource config."
            )
        if existing is not None:
            run = mlflow.start_run(run_id=existing, nested=active is not None)
            self.log.info(f"Resumed MLflow run {existing} in experiment '{self.experiment_name}'.")
        else:
            tags = {RUN_ID_TAG: self.headwater_run_id} if self.headwater_run_id else None
            run = mlflow.start_run(run_name=self.run_name, parent_run_id=self.parent_run_id,
                                   nested=self.parent_run_id is not None, tags=tags)
            self.log.info(f"Started MLflow run {run.info.run_id} in experiment "
                          f"'{self.experiment_name}'.")
        return run.info.run_id

    def _tags(self) -> dict[str, Any]:
        tags: dict[str, Any] = {name: os.environ.get(name) for name in self.env_tags_to_log}
        missing = [name for name, value in tags.items() if value is None]
        if missing:
            self.log.warning(f"env_to_tag: environment variables {missing} are not set; their "
                             "tags are recorded as empty strings.")
        tags = {name: "" if value is None else value for name, value in tags.items()}
        if self.headwater_run_id is not None:
            tags[RUN_ID_TAG] = self.headwater_run_id
        tags.update(self.extra_tags)
        return tags

    def is_active(self) -> bool:
        """Whether this headwater run's MLflow run is the active run of this process."""
        active = mlflow.active_run()
        return active is not None and active.info.run_id == self.run_id

    def end_run(self, status: str = RunStatus.to_string(RunStatus.FINISHED)) -> None:
        """End this headwater run's MLflow run with `status` (FINISHED, FAILED, KILLED)."""
        if self.is_active():
            mlflow.end_run(status=status)
        else:
            self.tracking_client.set_terminated(self.run_id, status=status)

    def cleanup_on_error(self) -> None:
        """End the MLflow run as FAILED (KILLED for a keyboard interrupt) when called while an
        exception is being handled; do nothing otherwise."""
        error = sys.exc_info()[1]
        if error is None:
            return
        status = RunStatus.KILLED if isinstance(error, KeyboardInterrupt) else RunStatus.FAILED
        self.end_run(status=RunStatus.to_string(status))

    def _step_failed(self) -> bool:
        """Whether the instance recorded a failed step for this headwater run."""
        if self._instance is None or self.headwater_run_id is None:
            return False
        return bool(self._instance.all_logs(self.headwater_run_id,
                                            of_type=HeadwaterEventType.STEP_FAILURE))

    def _teardown(self) -> None:
        """At the end of the headwater run: end the MLflow run if it is still active here --
        FAILED when a step of the run failed, FINISHED otherwise -- and put back the
        environment variables that `env` changed."""
        try:
            if self.is_active():
                failed = self._step_failed()
                mlflow.end_run(status=RunStatus.to_string(
                    RunStatus.FAILED if failed else RunStatus.FINISHED))
        finally:
            self._restore_env()

    def _restore_env(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    # --- MLflow calls that need more than passing through ---------------------------

    @staticmethod
    def log_params(params: Mapping[str, Any]) -> None:
        """`mlflow.log_params`, in batches small enough for MLflow however many there are."""
        for batch in MlFlow.chunks(params, PARAMS_PER_CALL):
            mlflow.log_params(batch)

    @staticmethod
    def chunks(params: Mapping[str, Any], size: int = PARAMS_PER_CALL) -> Iterator[dict[str, Any]]:
        """`params` as consecutive dicts of at most `size` entries."""
        keys = iter(params)
        while batch := {key: params[key] for key in islice(keys, size)}:
            yield batch


@resource(config_schema=CONFIG_SCHEMA)
def mlflow_tracking(context: InitResourceContext) -> Iterator[MlFlow]:
    """One MLflow run for each headwater run, shared by all its steps.

    ```python
    from headwater import Definitions, asset
    from headwater_mlflow import end_mlflow_on_run_finished, mlflow_tracking

    @asset(required_resource_keys={"mlflow"})
    def model(context):
        context.resources.mlflow.log_params({"depth": 4})
        ...

    defs = Definitions(
        assets=[model],
        resources={"mlflow": mlflow_tracking.configured({
            "experiment_name": "churn",
            "mlflow_tracking_uri": "sqlite:///mlflow.db",
        })},
    )
    ```

    Config: `experiment_name` (required), `mlflow_tracking_uri`, `parent_run_id` (nest each
    run under this MLflow run), `env` (environment variables set during the run), `env_to_tag`
    (environment variables recorded as tags), `extra_tags`. The MLflow run is named after the
    job and tagged `headwater_run_id`.
    """
    tracker = MlFlow(context)
    try:
        yield tracker
    except BaseException:
        tracker.cleanup_on_error()
        raise
    finally:
        tracker._teardown()
