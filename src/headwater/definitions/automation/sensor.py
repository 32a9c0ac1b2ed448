"""Sensors: functions evaluated every `minimum_interval_seconds` that request runs when
something happened (a file landed, an asset was materialized, a run failed).

`SensorDefinition` (built by `@sensor` or `@asset_sensor`) holds the evaluation function and
its target (a job, several jobs, or an asset selection). The function gets a
`SensorEvaluationContext` with a cursor it may advance (`context.update_cursor`, or
`SensorResult(cursor=...)`), and returns RunRequest(s), a SkipReason or a SensorResult.
Run-status sensors are in run_status_sensor.py, multi-asset sensors in multi_asset_sensor.py.
Imports `errors` and `definitions` only.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from headwater.definitions.assets.job import UnresolvedAssetJobDefinition
from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.automation.evaluation import (
    inspect_evaluation_fn,
    invoke_evaluation_fn,
    validate_owners,
)
from headwater.definitions.automation.tick_context import TickContext
from headwater.definitions.automation.tick_result import (
    SensorResult,
    TickEvaluation,
    normalize_result,
)
from headwater.definitions.key import to_asset_key
from headwater.definitions.keywords import check_keywords, keyword_names
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.job import JobDefinition
from headwater.definitions.run_request import RunRequest
from headwater.errors import (
    HeadwaterDeprecationWarning,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
)

DEFAULT_SENSOR_INTERVAL = 30


class DefaultSensorStatus(Enum):
    """Whether a sensor runs as soon as it is deployed, before anyone starts or stops it.

    RUNNING: the daemon ticks it from its first deployment. STOPPED (the default): it waits
    until someone starts it in the UI or with the CLI. A start or stop recorded on the
    instance overrides either.
    """

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class SensorEvaluationContext(TickContext):
    """What a sensor's function receives: its cursor, the instance, resources, a log.

    The daemon builds one per tick; in tests build one with `build_sensor_context`. The cursor
    is a string the function stores with `update_cursor` and reads on the next tick;
    `update_cursor` with a non-string raises HeadwaterInvalidInvocationError.

    Args:
        instance_ref: an `InstanceRef` (`instance.get_ref()`), when the instance itself is
            not given: `context.instance` opens it on first use, and the context, used in
            a `with` block, disposes it; `context.instance_ref` returns it.
        last_tick_completion_time: when the previous tick finished (epoch seconds).
        last_run_key: the run key of the last run the sensor requested.
        cursor: the cursor stored by the previous tick.
        repository_name: the name of the code location's repository.
        repository_def: the repository the sensor belongs to.
        instance: the instance the sensor reads events and runs from.
        sensor_name: the name of the sensor being evaluated.
        resources: resources the function takes as parameters.
        definitions: the Definitions the sensor belongs to.
        last_sensor_start_time: when the sensor was last started.

    Example:
        ```python
        from headwater import SensorEvaluationContext

        context = SensorEvaluationContext(cursor="41", sensor_name="new_files")
        context.update_cursor(str(int(context.cursor) + 1))
        assert context.cursor == "42"
        ```
    """

    _kind = "sensor"

    def __init__(self, instance_ref: Any = None, last_tick_completion_time: float | None = None,
                 last_run_key: str | None = None, cursor: str | None = None,
                 repository_name: str | None = None, repository_def: Any = None,
                 instance: Any = None, sensor_name: str | None = None,
                 resources: Mapping[str, Any] | None = None, definitions: Any = None,
                 last_sensor_start_time: float | None = None):
        super().__init__(instance=instance, resources=resources, definitions=definitions,
                         repository_def=repository_def, instance_ref=instance_ref)
        self._cursor = cursor
        self._cursor_updated = False
        self._last_tick_completion_time = last_tick_completion_time
        self._last_run_key = last_run_key
        self._repository_name = repository_name
        self._sensor_name = sensor_name
        self._last_sensor_start_time = last_sensor_start_time
        self._run_reactions: list[Any] = []  # run-status sensors: runs reacted to this tick

    @property
    def cursor(self) -> str | None:
        """The cursor stored by the last tick (None on the first)."""
        return self._cursor

    def update_cursor(self, cursor: str | None) -> None:
        """Store `cursor` for the next tick (once this tick finishes)."""
        if cursor is not None and not isinstance(cursor, str):
            raise HeadwaterInvalidInvocationError(
                f"update_cursor expects a string, got {type(cursor).__name__}; serialize it "
                "(e.g. json.dumps(...)).")
        self._cursor = cursor
        self._cursor_updated = True

    @property
    def last_tick_completion_time(self) -> float | None:
        return self._last_tick_completion_time

    @property
    def last_completion_time(self) -> float | None:
        return self._last_tick_completion_time

    @property
    def last_sensor_start_time(self) -> float | None:
        return self._last_sensor_start_time

    @property
    def last_run_key(self) -> str | None:
        return self._last_run_key

    @property
    def sensor_name(self) -> str | None:
        return self._sensor_name

    @property
    def repository_name(self) -> str | None:
        return self._repository_name or super().repository_name


def build_sensor_context(instance: Any = None, cursor: str | None = None,
                         repository_name: str | None = None, repository_def: Any = None,
                         sensor_name: str | None = None, resources: Mapping[str, Any] | None = None,
                         definitions: Any = None, instance_ref: Any = None,
                         last_sensor_start_time: float | None = None,
                         last_tick_completion_time: float | None = None) -> SensorEvaluationContext:
    """Build a context for evaluating or invoking a sensor in a test.

    Call the sensor with it (`my_sensor(context)`) to get what one tick would return; pass an
    instance to let the sensor read events and runs.

    Args:
        instance: the instance the sensor reads; None for a sensor that does not read it.
        cursor: the cursor as stored by a previous tick.
        repository_name: the name of the code location's repository.
        repository_def: the repository the sensor belongs to.
        sensor_name: the name of the sensor.
        resources: resources the sensor function takes as parameters.
        definitions: the Definitions the sensor belongs to.
        instance_ref: an `InstanceRef` (`instance.get_ref()`), when the instance itself is
            not given: `context.instance` opens it on first use, and the context, used in
            a `with` block, disposes it; `context.instance_ref` returns it.
        last_sensor_start_time: when the sensor was last started.
        last_tick_completion_time: when the previous tick finished (epoch seconds).

    Example:
        ```python
        from headwater import RunRequest, build_sensor_context, job, op, sensor

        @op
        def process() -> None:
            pass

        @job
        def process_file():
            process()

        @sensor(job=process_file)
        def new_file_sensor(context):
            seen = int(context.cursor or 0)
            context.update_cursor(str(seen + 1))
            return RunRequest(run_key=f"file-{seen + 1}")

        request = new_file_sensor(build_sensor_context(cursor="4"))
        assert request.run_key == "file-5"
        ```
    """
    return SensorEvaluationContext(
        instance=instance, instance_ref=instance_ref, cursor=cursor, repository_name=repository_name,
        repository_def=repository_def, sensor_name=sensor_name, resources=resources,
        definitions=definitions, last_sensor_start_time=last_sensor_start_time,
        last_tick_completion_time=last_tick_completion_time)


def _coerce_job(value: Any) -> Any:
    if isinstance(value, GraphDefinition):
        warnings.warn(
            f"Passing GraphDefinition '{value.name}' as a sensor target is deprecated; pass "
            "graph.to_job() instead.", HeadwaterDeprecationWarning, stacklevel=4)
        return value.to_job()
    return value


class SensorDefinition:
    """A function evaluated periodically that requests runs of its targets.

    The daemon calls it every `minimum_interval_seconds` (30 by default) while the sensor is
    running; the function returns or yields RunRequests, a SkipReason, or a SensorResult
    (runs plus cursor and dynamic partition changes). Usually built by `@sensor`. A missing
    `evaluation_fn`, or more than one of `job`/`jobs`/`job_name`, raises
    HeadwaterInvalidDefinitionError.

    Args:
        name: the sensor's name; defaults to the function's name.
        evaluation_fn: the function called at each tick with the context.
        job_name: the name of the job to run, resolved in Definitions.
        minimum_interval_seconds: the least time between two ticks.
        description: shown in the UI.
        job: the job to run.
        jobs: several jobs, when requests name their job.
        default_status: whether it runs from its first deployment (STOPPED by default).
        asset_selection: assets to materialize instead of a job.
        required_resource_keys: resources reached through `context.resources`.
        tags: the sensor's tags.
        metadata: metadata of the sensor.
        target: a job, assets or an AssetSelection to run, instead of `job`/`asset_selection`.
        owners: people or teams owning the sensor.

    Example:
        ```python
        from headwater import SensorDefinition, SkipReason, asset, build_sensor_context

        @asset
        def inbox() -> int:
            return 0

        def check_inbox(context):
            return SkipReason("no new mail")

        watcher = SensorDefinition("inbox_watcher", evaluation_fn=check_inbox, target=[inbox],
                                   minimum_interval_seconds=60)
        assert watcher(build_sensor_context()).skip_message == "no new mail"
        ```
    """

    def __init__(self, name: str | None = None, *,
                 evaluation_fn: Callable[..., Any] | None = None,
                 job_name: str | None = None, minimum_interval_seconds: int | None = None,
                 description: str | None = None, job: Any = None, jobs: Sequence[Any] | None = None,
                 default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
                 asset_selection: Any = None, required_resource_keys: set[str] | None = None,
                 tags: Mapping[str, str] | None = None, metadata: Mapping[str, Any] | None = None,
                 target: Any = None, owners: Sequence[str] | None = None):
        if evaluation_fn is None:
            raise HeadwaterInvalidDefinitionError(
                "Must provide evaluation_fn to SensorDefinition: the function called at each tick.")
        self.name = name or getattr(evaluation_fn, "__name__", None) or "sensor"
        owner = f"sensor '{self.name}'"
        if target is not None:
            if isinstance(target, (JobDefinition, UnresolvedAssetJobDefinition, GraphDefinition)):
                job = job or target
            elif asset_selection is None:
                asset_selection = target if isinstance(target, (list, tuple, AssetSelection)) \
                    else [target]
        if sum(x is not None for x in (job, jobs, job_name)) > 1:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: pass only one of job=, jobs= and job_name=.")
        self._jobs = [_coerce_job(j) for j in (jobs or ([job] if job is not None else []))]
        self._job_name = job_name
        self.asset_selection = (AssetSelection.from_coercible(asset_selection)
                                if asset_selection is not None else None)
        self.minimum_interval_seconds = minimum_interval_seconds
        if minimum_interval_seconds is not None and minimum_interval_seconds < 0:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: minimum_interval_seconds must be 0 or more, got "
                f"{minimum_interval_seconds}.")
        self.description = description
        self.default_status = default_status
        self.tags = dict(tags or {})
        self.metadata = normalize_metadata(metadata or {}, allow_invalid=True)
        self.owners = validate_owners(owner, owners)
        self._evaluation_fn = evaluation_fn
        self._signature = inspect_evaluation_fn(evaluation_fn)
        self.required_resource_keys = set(required_resource_keys or ()) | set(
            self._signature.resource_params)

    # --- targets ----------------------------------------------------------------------------
    @property
    def jobs(self) -> list[Any]:
        return list(self._jobs)

    @property
    def targets(self) -> list[Any]:
        if self._jobs:
            return list(self._jobs)
        if self._job_name:
            return [self._job_name]
        return [self.asset_selection] if self.asset_selection is not None else []

    @property
    def has_jobs(self) -> bool:
        return bool(self._jobs) or self._job_name is not None

    @property
    def job(self) -> Any:
        if len(self._jobs) > 1:
            raise HeadwaterInvalidDefinitionError(
                f"Sensor '{self.name}': Job property not available when SensorDefinition has "
                "multiple jobs; use .jobs.")
        if not self._jobs:
            raise HeadwaterInvalidDefinitionError(
                f"Sensor '{self.name}': No job was provided to SensorDefinition. Pass job=, "
                "jobs= or job_name=.")
        return self._jobs[0]

    @property
    def job_name(self) -> str | None:
        if self._job_name is not None:
            return self._job_name
        return self.job.name

    @property
    def job_names(self) -> list[str]:
        names = [j.name for j in self._jobs]
        return names or ([self._job_name] if self._job_name else [])

    @property
    def sensor_type(self) -> str:
        return "STANDARD"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, jobs={self.job_names!r})"

    # --- variants ---------------------------------------------------------------------------
    def with_updated_job(self, new_job: Any) -> SensorDefinition:
        return self.with_updated_jobs([new_job])

    def with_updated_jobs(self, new_jobs: Sequence[Any]) -> SensorDefinition:
        updated = copy.copy(self)
        updated._jobs = [_coerce_job(j) for j in new_jobs]
        updated._job_name = None
        return updated

    def with_attributes(self, **changes: Any) -> SensorDefinition:
        updated = copy.copy(self)
        for key, value in changes.items():
            if key == "metadata":
                value = normalize_metadata(value or {}, allow_invalid=True)
            if key in ("jobs", "job_name"):
                key = f"_{key}"
            setattr(updated, key, value)
        return updated

    # --- evaluation -------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result, _ = invoke_evaluation_fn("sensor", self.name, self._evaluation_fn,
                                         self._signature, args, kwargs, self._default_context,
                                         self.required_resource_keys)
        return result

    def _default_context(self) -> Any:
        return build_sensor_context(sensor_name=self.name)

    def _call_for_tick(self, context: Any) -> Any:
        result, _ = invoke_evaluation_fn("sensor", self.name, self._evaluation_fn,
                                         self._signature, (context,), {}, lambda: context,
                                         self.required_resource_keys)
        return result

    def evaluate_tick(self, context: Any = None) -> TickEvaluation:
        """Evaluate once: the run requests (with their targets checked), skip message and the
        cursor to store."""
        context = context if context is not None else self._default_context()
        owner = f"sensor '{self.name}'"
        result = self._call_for_tick(context)
        evaluation = normalize_result(result, owner, None)
        results = result if isinstance(result, (list, tuple)) else [result]
        returned_cursor = any(isinstance(r, SensorResult) and r.cursor is not None for r in results)
        updated = getattr(context, "_cursor_updated", False)
        if returned_cursor and updated:
            raise HeadwaterInvariantViolationError(
                f"{owner}: SensorResult.cursor cannot be set if context.update_cursor() was "
                "called in the same evaluation. Move the cursor one way only: either update it "
                "on the context or return it in the result.")
        if not returned_cursor:
            evaluation.cursor = getattr(context, "cursor", None)
        evaluation.headwater_run_reactions = list(getattr(context, "_run_reactions", ()))
        for request in evaluation.run_requests:
            self._check_target(request)
        graph = _asset_graph_of(context) if self.asset_selection is not None else None
        evaluation.run_requests = [self._finish_request(r, graph)
                                   for r in evaluation.run_requests]
        return evaluation

    def _check_target(self, request: RunRequest) -> None:
        if request.job_name is not None:
            if self.has_jobs and request.job_name not in self.job_names:
                raise HeadwaterInvalidDefinitionError(
                    f"sensor '{self.name}' requested a run of job '{request.job_name}', which it "
                    f"does not target (its jobs: {', '.join(self.job_names)}). Add the job to "
                    "@sensor(jobs=[...]) or fix RunRequest(job_name=...).")
            return
        if request.asset_selection is not None:
            return
        if not self.has_jobs and self.asset_selection is None:
            raise HeadwaterInvalidDefinitionError(
                f"sensor '{self.name}': Sensor evaluation function returned a RunRequest for a "
                "sensor lacking a specified target (no job, and no assets in the request). Give "
                "the sensor a job with @sensor(job=...), jobs=[...] or job_name=..., or name "
                "assets in RunRequest(asset_selection=[...]).")
        if len(self.job_names) > 1:
            raise HeadwaterInvalidDefinitionError(
                f"sensor '{self.name}' targets several jobs, so each RunRequest must name one "
                f"with job_name= (one of {', '.join(self.job_names)}).")

    def _finish_request(self, request: RunRequest, graph: Any = None) -> RunRequest:
        """Give a request that names no target the sensor's own: its job, or the assets of
        its asset selection (resolved when the tick knows the definitions)."""
        if request.job_name is None and request.asset_selection is None:
            if len(self.job_names) == 1:
                request = request.with_replaced_attrs(job_name=self.job_names[0])
            elif self.asset_selection is not None and graph is not None:
                request = request.with_replaced_attrs(
                    asset_selection=sorted(self.asset_selection.resolve(graph)))
        if request.asset_check_keys and self.asset_selection is not None and graph is not None:
            targeted = self.asset_selection.resolve_checks(graph)
            outside = [k for k in request.asset_check_keys if k not in targeted]
            if outside:
                warnings.warn(
                    f"sensor '{self.name}' requested a run with asset check keys "
                    f"{[k.to_user_string() for k in outside]} that its asset_selection does not "
                    "target. This is deprecated and will become an error: add the checks (or "
                    "their assets) to the sensor's asset_selection.",
                    DeprecationWarning, stacklevel=3)
        return request


def _asset_graph_of(context: Any) -> Any:
    definitions = getattr(context, "definitions", None)
    return definitions.resolve_asset_graph() if definitions is not None else None


def sensor(job_name: str | None = None, *, name: str | None = None,
           minimum_interval_seconds: int | None = None, description: str | None = None,
           job: Any = None, jobs: Sequence[Any] | None = None,
           default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
           asset_selection: Any = None, required_resource_keys: set[str] | None = None,
           tags: Mapping[str, str] | None = None, metadata: Mapping[str, Any] | None = None,
           target: Any = None, owners: Sequence[str] | None = None,
           ) -> Callable[[Callable[..., Any]], SensorDefinition]:
    """Make a sensor from a function of the context (and resources).

    The decorated function is called at each tick and returns or yields RunRequests, a
    SkipReason, or a SensorResult. Give the job (or assets) it runs with `job`, `jobs` or
    `target`. The sensor starts STOPPED unless `default_status` says RUNNING.

    Args:
        job_name: the name of the job to run, resolved in Definitions.
        name: the sensor's name; defaults to the function's name.
        minimum_interval_seconds: the least time between two ticks (30 by default).
        description: shown in the UI; defaults to the function's docstring.
        job: the job to run.
        jobs: several jobs, when requests name their job.
        default_status: whether it runs from its first deployment.
        asset_selection: assets to materialize instead of a job.
        required_resource_keys: resources reached through `context.resources`.
        tags: the sensor's tags.
        metadata: metadata of the sensor.
        target: a job, assets or an AssetSelection to run.
        owners: people or teams owning the sensor.

    Example:
        ```python
        from pathlib import Path

        from headwater import RunRequest, SkipReason, asset, build_sensor_context, sensor

        @asset
        def imported_files() -> int:
            return len(list(Path("inbox").glob("*.csv")))

        @sensor(target=[imported_files], minimum_interval_seconds=60)
        def inbox_sensor(context):
            files = sorted(p.name for p in Path("inbox").glob("*.csv"))
            if not files:
                return SkipReason("inbox is empty")
            return [RunRequest(run_key=name) for name in files]

        Path("inbox").mkdir()
        Path("inbox/a.csv").write_text("id")
        [request] = inbox_sensor(build_sensor_context())
        assert request.run_key == "a.csv"
        ```
    """
    def decorate(fn: Callable[..., Any]) -> SensorDefinition:
        return SensorDefinition(
            name=name or fn.__name__, evaluation_fn=fn, job_name=job_name,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description or fn.__doc__, job=job, jobs=jobs,
            default_status=default_status, asset_selection=asset_selection,
            required_resource_keys=required_resource_keys, tags=tags, metadata=metadata,
            target=target, owners=owners)
    return decorate


class AssetSensorDefinition(SensorDefinition):
    """A sensor called once for each new materialization of one asset.

    Built by `@asset_sensor`. At each tick it looks at the asset's latest materialization and
    calls the function when it is newer than the one seen last (the cursor, managed for you).

    Args:
        name: the sensor's name.
        asset_key: the watched asset.
        evaluation_fn: `fn(context, asset_event)`, returning RunRequests or a SkipReason.

    Example:
        ```python
        from headwater import AssetSensorDefinition, RunRequest, asset

        @asset
        def orders() -> int:
            return 1

        def on_orders(context, asset_event):
            return RunRequest(run_key=context.cursor)

        watcher = AssetSensorDefinition("orders_sensor", "orders", on_orders, target=[orders])
        assert watcher.asset_key == orders.key
        ```
    """

    def __init__(self, name: str, asset_key: Any, evaluation_fn: Callable[..., Any], **kwargs: Any):
        check_keywords("AssetSensorDefinition", kwargs,
                       keyword_names(SensorDefinition.__init__))  # before any other check
        self.asset_key = to_asset_key(asset_key)
        self._user_fn = evaluation_fn
        user_sig = inspect_evaluation_fn(evaluation_fn)
        self._event_param = _event_param(evaluation_fn, user_sig)
        super().__init__(name=name, evaluation_fn=evaluation_fn, **kwargs)

    @property
    def sensor_type(self) -> str:
        return "ASSET"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        context = args[0] if args else next(iter(kwargs.values()), None)
        return self._call_for_tick(context if context is not None else self._default_context())

    def _call_for_tick(self, context: Any) -> Any:
        instance = context.instance
        page = instance.fetch_materializations(self.asset_key, limit=1)
        records = list(getattr(page, "records", page) or [])
        if not records:
            return None
        record = records[0]
        cursor = int(context.cursor) if context.cursor and context.cursor.isdigit() else None
        if cursor is not None and record.storage_id <= cursor:
            return None
        extra = {self._event_param: record.event_log_entry} if self._event_param else {}
        result, _ = invoke_evaluation_fn("sensor", self.name, _bind(self._user_fn, extra),
                                         self._signature, (context,), {}, lambda: context,
                                         self.required_resource_keys)
        for item in result if isinstance(result, (list, tuple)) else (result,):
            if isinstance(item, SensorResult) and item.cursor is not None:
                raise HeadwaterInvariantViolationError(
                    f"asset sensor '{self.name}' returned SensorResult(cursor=...). The cursor "
                    "is managed by the asset sensor (it records the last materialization seen); "
                    "drop cursor=, or use a @multi_asset_sensor or @sensor to manage a cursor "
                    "yourself.")
        context.update_cursor(str(record.storage_id))
        context._cursor_updated = False
        return result


def _event_param(fn: Callable[..., Any], sig: Any) -> str | None:
    params = [p.name for p in inspect.signature(fn).parameters.values()
              if p.name not in sig.resource_params]
    return params[1] if len(params) > 1 else None


def _bind(fn: Callable[..., Any], extra: Mapping[str, Any]) -> Callable[..., Any]:
    def bound(**kwargs: Any) -> Any:
        return fn(**kwargs, **extra)
    return bound


def asset_sensor(asset_key: Any, *, job_name: str | None = None, name: str | None = None,
                 minimum_interval_seconds: int | None = None, description: str | None = None,
                 job: Any = None, jobs: Sequence[Any] | None = None,
                 default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
                 required_resource_keys: set[str] | None = None,
                 tags: Mapping[str, str] | None = None, metadata: Mapping[str, Any] | None = None,
                 target: Any = None, owners: Sequence[str] | None = None,
                 ) -> Callable[[Callable[..., Any]], AssetSensorDefinition]:
    """Make a sensor whose function runs for each new materialization of `asset_key`.

    The function, `fn(context, asset_event)`, gets the latest materialization since the last
    tick and returns RunRequests or a SkipReason. It must not set the cursor: the sensor keeps
    it (returning SensorResult(cursor=...) raises HeadwaterInvariantViolationError).

    Args:
        asset_key: the watched asset.
        job_name: the name of the job to run, resolved in Definitions.
        name: the sensor's name; defaults to the function's name.
        minimum_interval_seconds: the least time between two ticks.
        description: shown in the UI; defaults to the function's docstring.
        job: the job to run.
        jobs: several jobs, when requests name their job.
        default_status: whether it runs from its first deployment.
        required_resource_keys: resources reached through `context.resources`.
        tags: the sensor's tags.
        metadata: metadata of the sensor.
        target: a job, assets or an AssetSelection to run.
        owners: people or teams owning the sensor.

    Example:
        ```python
        from headwater import (HeadwaterInstance, RunRequest, asset, asset_sensor,
                               build_sensor_context, materialize)

        @asset
        def orders() -> int:
            return 1

        @asset
        def order_report() -> str:
            return "report"

        @asset_sensor(asset_key=orders.key, target=[order_report])
        def orders_updated(context, asset_event):
            return RunRequest(run_key=asset_event.run_id)

        instance = HeadwaterInstance.ephemeral()
        run = materialize([orders], instance=instance)
        request = orders_updated(build_sensor_context(instance=instance))
        assert request.run_key == run.run_id
        ```
    """
    def decorate(fn: Callable[..., Any]) -> AssetSensorDefinition:
        return AssetSensorDefinition(
            name or fn.__name__, asset_key, fn, job_name=job_name,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description or fn.__doc__, job=job, jobs=jobs,
            default_status=default_status, required_resource_keys=required_resource_keys,
            tags=tags, metadata=metadata, target=target, owners=owners)
    return decorate
