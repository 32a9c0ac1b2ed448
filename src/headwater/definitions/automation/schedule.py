"""Schedules: run a job on a cron schedule, in a timezone, DST-correct.

`ScheduleDefinition` (and the `@schedule` decorator that builds one) holds a cron string,
the job, and either fixed run config/tags or an evaluation function returning RunRequest(s),
a SkipReason or a run-config dict. `evaluate_tick(context)` runs it once; direct invocation
calls the function as a test would. `build_schedule_from_partitioned_job` makes a schedule
that requests the latest partition of a partitioned job at each tick. Tick times live in
`cron.py`. Imports `errors` and `definitions` only.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from headwater.definitions.automation.evaluation import (
    inspect_evaluation_fn,
    invoke_evaluation_fn,
    validate_owners,
)
from headwater.definitions.automation.tick_context import TickContext
from headwater.definitions.automation.tick_result import (
    SkipReason,
    TickEvaluation,
    normalize_result,
)
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.partitions.cron import (
    cron_ticks,
    previous_tick,
    resolve_timezone,
    validate_cron_string,
)
from headwater.definitions.run_request import RunRequest
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError


class DefaultScheduleStatus(Enum):
    """Whether a schedule runs as soon as it is deployed, before anyone starts or stops it.

    RUNNING: the daemon ticks it from its first deployment. STOPPED (the default): it waits
    until someone starts it in the UI or with the CLI. A start or stop recorded on the
    instance overrides either.
    """

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class ScheduleEvaluationContext(TickContext):
    """What a schedule's function receives: the tick's time, the instance, resources, a log.

    The daemon builds one per tick; in tests build one with `build_schedule_context`. A
    naive `scheduled_execution_time` is taken as UTC.

    Args:
        instance: the instance, for schedules that read runs or events.
        scheduled_execution_time: the time of the tick being evaluated.
        resources: resources the function takes as parameters.
        repository_def: the repository the schedule belongs to.
        schedule_name: the name of the schedule being evaluated.
        definitions: the Definitions the schedule belongs to.
        instance_ref: an `InstanceRef`, when no instance is given: `context.instance` opens
            it on first use, and the context, used in a `with` block, disposes it.

    Example:
        ```python
        from datetime import datetime

        from headwater import ScheduleEvaluationContext

        context = ScheduleEvaluationContext(scheduled_execution_time=datetime(2024, 5, 1, 6))
        assert context.scheduled_execution_time.isoformat() == "2024-05-01T06:00:00+00:00"
        ```
    """

    _kind = "schedule"

    def __init__(self, instance: Any = None, scheduled_execution_time: datetime | None = None,
                 resources: Mapping[str, Any] | None = None, repository_def: Any = None,
                 schedule_name: str | None = None, definitions: Any = None,
                 instance_ref: Any = None):
        super().__init__(instance=instance, resources=resources, definitions=definitions,
                         repository_def=repository_def, instance_ref=instance_ref)
        if scheduled_execution_time is not None and scheduled_execution_time.tzinfo is None:
            scheduled_execution_time = scheduled_execution_time.replace(tzinfo=timezone.utc)
        self._scheduled_execution_time = scheduled_execution_time
        self._schedule_name = schedule_name

    @property
    def scheduled_execution_time(self) -> datetime:
        if self._scheduled_execution_time is None:
            return datetime.now(timezone.utc)
        return self._scheduled_execution_time

    @property
    def schedule_name(self) -> str | None:
        return self._schedule_name


def build_schedule_context(instance: Any = None, scheduled_execution_time: datetime | None = None,
                           resources: Mapping[str, Any] | None = None,
                           repository_def: Any = None, instance_ref: Any = None,
                           definitions: Any = None) -> ScheduleEvaluationContext:
    """Build a context for evaluating or invoking a schedule in a test.

    Call the schedule with it (`my_schedule(context)`) to get the run requests one tick
    would make.

    Args:
        instance: the instance the schedule reads, if it reads one.
        scheduled_execution_time: the tick's time (naive times are UTC).
        resources: resources the schedule function takes as parameters.
        repository_def: the repository the schedule belongs to.
        instance_ref: an `InstanceRef` (`instance.get_ref()`), when the instance itself is
            not given: `context.instance` opens it on first use, and the context, used in
            a `with` block, disposes it; `context.instance_ref` returns it.
        definitions: the Definitions the schedule belongs to.

    Example:
        ```python
        from datetime import datetime

        from headwater import RunRequest, asset, build_schedule_context, schedule

        @asset
        def report() -> str:
            return "ok"

        @schedule(cron_schedule="0 6 * * *", target=[report])
        def morning(context):
            day = context.scheduled_execution_time.strftime("%Y-%m-%d")
            return RunRequest(run_key=day, tags={"day": day})

        request = morning(build_schedule_context(scheduled_execution_time=datetime(2024, 5, 1, 6)))
        assert request.run_key == "2024-05-01"
        ```
    """
    return ScheduleEvaluationContext(instance=instance, instance_ref=instance_ref,
                                     scheduled_execution_time=scheduled_execution_time,
                                     resources=resources, repository_def=repository_def,
                                     definitions=definitions)


def _job_name(job: Any) -> str | None:
    name = getattr(job, "name", None)
    return name if isinstance(name, str) else None


class ScheduleDefinition:
    """Run a job (or assets) at every tick of `cron_schedule` in `execution_timezone`.

    The daemon evaluates it at each tick while it is running; by default one run with
    `run_config` and `tags` is launched per tick. `execution_fn` (what `@schedule` sets)
    instead returns RunRequests, a SkipReason or run config. An invalid cron string or
    timezone raises HeadwaterInvalidDefinitionError.

    Args:
        name: the schedule's name; defaults to "<job>_schedule".
        cron_schedule: a cron string, or several whose ticks are merged.
        job_name: the name of the job to run, resolved in Definitions.
        run_config: the run config of each run.
        run_config_fn: a function of the context returning the run config.
        tags: tags of the schedule's runs.
        tags_fn: a function of the context returning the run tags.
        should_execute: a function of the context; False skips the tick.
        environment_vars: kept as `.environment_vars` for code that reads it; headwater
            sets no environment for a schedule or its runs: set variables where the daemon
            and the run workers start.
        execution_timezone: the timezone of the cron string (UTC by default).
        execution_fn: a function of the context returning RunRequests or run config.
        description: shown in the UI.
        job: the job to run.
        default_status: whether it runs from its first deployment (STOPPED by default).
        required_resource_keys: resources reached through `context.resources`.
        target: a job, assets or an AssetSelection to run, instead of `job`.
        owners: people or teams owning the schedule.
        metadata: metadata of the schedule.
        run_tags: tags put on each run the schedule launches.

    Example:
        ```python
        from headwater import (DefaultScheduleStatus, Definitions, ScheduleDefinition, asset,
                               define_asset_job)

        @asset
        def stock_prices() -> int:
            return 1

        refresh = define_asset_job("refresh_prices", selection=[stock_prices])
        hourly = ScheduleDefinition(job=refresh, cron_schedule="0 * * * *",
                                    execution_timezone="Europe/Paris",
                                    default_status=DefaultScheduleStatus.RUNNING)
        defs = Definitions(assets=[stock_prices], jobs=[refresh], schedules=[hourly])
        assert defs.resolve_schedule_def("refresh_prices_schedule").cron_schedule == "0 * * * *"
        ```
    """

    def __init__(self, name: str | None = None, *, cron_schedule: str | Sequence[str] | None = None,
                 job_name: str | None = None, run_config: Any = None,
                 run_config_fn: Callable[..., Any] | None = None,
                 tags: Mapping[str, Any] | None = None,
                 tags_fn: Callable[..., Any] | None = None,
                 should_execute: Callable[..., bool] | None = None,
                 environment_vars: Mapping[str, str] | None = None,
                 execution_timezone: str | None = None,
                 execution_fn: Callable[..., Any] | None = None,
                 description: str | None = None, job: Any = None,
                 default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
                 required_resource_keys: set[str] | None = None, target: Any = None,
                 owners: Sequence[str] | None = None, metadata: Mapping[str, Any] | None = None,
                 run_tags: Mapping[str, Any] | None = None):
        job = job if job is not None else target
        if isinstance(job, GraphDefinition):
            warnings.warn(
                f"Passing GraphDefinition '{job.name}' as the job of a ScheduleDefinition is "
                f"deprecated: pass a JobDefinition, e.g. {job.name}.to_job().",
                DeprecationWarning, stacklevel=2)
            job = job.to_job()  # a graph
        self.job = job
        self._job_name = job_name or _job_name(job)
        name = name or (f"{self._job_name}_schedule" if self._job_name else None)
        if not name:
            raise HeadwaterInvalidDefinitionError(
                "ScheduleDefinition needs a name= (or a job= to name it after).")
        self.name: str = name
        owner = f"schedule '{self.name}'"
        if cron_schedule is None:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: cron_schedule is required, e.g. cron_schedule='0 0 * * *'.")
        validate_cron_string(cron_schedule, owner)
        self.cron_schedule = cron_schedule if isinstance(cron_schedule, str) else list(cron_schedule)
        if execution_timezone:
            resolve_timezone(execution_timezone, owner)
        self.execution_timezone = execution_timezone
        if run_config is not None and (execution_fn is not None or run_config_fn is not None):
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: pass run_config= or an evaluation function, not both.")
        self.description = description
        self.default_status = default_status
        self.environment_vars = dict(environment_vars or {})
        self.tags = dict(tags or {})
        self.run_tags = dict(run_tags or {})
        self.metadata = normalize_metadata(metadata or {}, allow_invalid=True)
        self.owners = validate_owners(owner, owners)
        self._run_config = run_config
        self._run_config_fn = run_config_fn
        self._tags_fn = tags_fn
        self._should_execute = should_execute
        self._execution_fn = execution_fn
        self._decorated_fn: Callable[..., Any] | None = None
        # set by build_schedule_from_partitioned_job for an asset job resolved later
        self._rebuild: Callable[[Any], ScheduleDefinition] | None = None
        self._signature = inspect_evaluation_fn(execution_fn) if execution_fn else None
        extra = set(self._signature.resource_params) if self._signature else set()
        self.required_resource_keys = set(required_resource_keys or ()) | extra

    # --- attributes ------------------------------------------------------------------------
    @property
    def job_name(self) -> str | None:
        return self._job_name

    @property
    def target(self) -> Any:
        return self.job

    @property
    def has_job(self) -> bool:
        return self.job is not None

    def __repr__(self) -> str:
        return (f"ScheduleDefinition(name={self.name!r}, cron_schedule={self.cron_schedule!r}, "
                f"job_name={self.job_name!r})")

    def with_updated_job(self, new_job: Any) -> ScheduleDefinition:
        updated = copy.copy(self)
        updated.job = new_job
        updated._job_name = _job_name(new_job)
        return updated

    def with_attributes(self, **changes: Any) -> ScheduleDefinition:
        updated = copy.copy(self)
        for key, value in changes.items():
            if key == "metadata":
                value = normalize_metadata(value or {}, allow_invalid=True)
            setattr(updated, key, value)
        return updated

    def _with_definitions(self, defs: Any) -> ScheduleDefinition:
        """This schedule with its job resolved against `defs` (an asset job's selection)."""
        if self.job is None or not self._job_name or hasattr(self.job, "execute_in_process"):
            return self
        try:
            resolved = defs.resolve_job_def(self._job_name)
        except HeadwaterInvalidDefinitionError:
            return self
        if self._rebuild is not None:
            return self._rebuild(resolved)
        return self.with_updated_job(resolved)

    # --- ticks ----------------------------------------------------------------------------
    def next_tick_times(self, after: float) -> Iterator[datetime]:
        """Tick times after the timestamp `after`, in the execution timezone."""
        return cron_ticks(self.cron_schedule, after, self.execution_timezone)

    # --- evaluation -----------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = self._execution_fn
        if fn is None or self._signature is None:
            raise HeadwaterInvalidDefinitionError(
                f"Schedule '{self.name}' has no evaluation function to call; it was built from "
                "run_config=. Call evaluate_tick(build_schedule_context(...)) instead.")
        result, _ = invoke_evaluation_fn("schedule", self.name, fn, self._signature, args, kwargs,
                                         lambda: build_schedule_context())
        return result

    def evaluate_tick(self, context: ScheduleEvaluationContext | None = None) -> TickEvaluation:
        """Run the schedule once for `context.scheduled_execution_time`."""
        context = context or build_schedule_context()
        context._evaluating = self  # type: ignore[attr-defined]
        owner = f"schedule '{self.name}'"
        if self._should_execute is not None and not self._should_execute(context):
            return TickEvaluation(skip_message="should_execute returned False for this tick.")
        with_schedule_tags = True
        if self._execution_fn is not None:
            assert self._signature is not None
            result, _ = invoke_evaluation_fn("schedule", self.name, self._execution_fn,
                                             self._signature, (context,), {}, lambda: context)
            evaluation = normalize_result(result, owner, None)
            # The schedule's own tags go to the runs it builds itself (from a returned run
            # config), not onto the RunRequests its function built.
            found = result if isinstance(result, (list, tuple)) else [result]
            with_schedule_tags = any(isinstance(r, Mapping) for r in found)
        elif self._run_config_fn is not None:
            evaluation = TickEvaluation(run_requests=[RunRequest(
                run_key=None, run_config=self._run_config_fn(context))])
        else:
            evaluation = TickEvaluation(run_requests=[RunRequest(run_key=None,
                                                                 run_config=self._run_config)])
        if not evaluation.run_requests and evaluation.skip_message is None:
            evaluation.skip_message = f"{owner} requested no runs at this tick."
        tags = {**(self.tags if with_schedule_tags else {}), **self.run_tags}
        if self._tags_fn is not None and with_schedule_tags:
            tags.update(self._tags_fn(context) or {})
        evaluation.run_requests = [self._finish_request(r, tags) for r in evaluation.run_requests]
        return evaluation

    def _finish_request(self, request: RunRequest, tags: Mapping[str, Any]) -> RunRequest:
        if request.job_name is None and self._job_name is None and \
                request.asset_selection is None:
            raise HeadwaterInvariantViolationError(
                f"Schedule '{self.name}' returned a RunRequest but has no job; pass job= to the "
                "schedule or job_name= to the RunRequest.")
        merged = {**{k: str(v) for k, v in tags.items()}, **request.tags}
        if request.partition_key is not None and self.job is not None:
            from_partition = _partition_run(self.job, request.partition_key)
            if from_partition is not None and not request.run_config:
                request = request.with_replaced_attrs(run_config=from_partition[0])
            if from_partition is not None:
                merged = {**from_partition[1], **merged}
        return request.with_replaced_attrs(tags=merged)


def _partition_run(job: Any, partition_key: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """(run config, tags) a partitioned config gives for a partition key, if the job has one."""
    config = getattr(job, "partitioned_config", None) or getattr(job, "config", None)
    run_config_for = getattr(config, "get_run_config_for_partition_key", None)
    if not callable(run_config_for):
        return None
    tags_for = getattr(config, "get_tags_for_partition_key", None)
    return (dict(run_config_for(partition_key) or {}),
            dict(tags_for(partition_key) or {}) if callable(tags_for) else {})


def schedule(cron_schedule: str | Sequence[str] | None = None, *, job_name: str | None = None,
             name: str | None = None, tags: Mapping[str, Any] | None = None,
             tags_fn: Callable[..., Any] | None = None, metadata: Mapping[str, Any] | None = None,
             should_execute: Callable[..., bool] | None = None,
             environment_vars: Mapping[str, str] | None = None,
             execution_timezone: str | None = None, description: str | None = None,
             job: Any = None, default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
             required_resource_keys: set[str] | None = None, target: Any = None,
             owners: Sequence[str] | None = None, run_tags: Mapping[str, Any] | None = None,
             ) -> Callable[[Callable[..., Any]], ScheduleDefinition]:
    """Make a schedule from a function of the context that returns RunRequest(s), a
    SkipReason, or the run config of the run to launch.

    Use it when each tick needs its own config or tags (e.g. the day it covers). Give the job
    (or assets) it runs with `job` or `target`.

    Args:
        cron_schedule: a cron string, or several whose ticks are merged.
        job_name: the name of the job to run, resolved in Definitions.
        name: the schedule's name; defaults to the function's name.
        tags: tags of the schedule's runs.
        tags_fn: a function of the context returning the run tags.
        metadata: metadata of the schedule.
        should_execute: a function of the context; False skips the tick.
        environment_vars: kept as `.environment_vars` for code that reads it; headwater
            sets no environment for a schedule or its runs: set variables where the daemon
            and the run workers start.
        execution_timezone: the timezone of the cron string (UTC by default).
        description: shown in the UI; defaults to the function's docstring.
        job: the job to run.
        default_status: whether it runs from its first deployment (STOPPED by default).
        required_resource_keys: resources reached through `context.resources`.
        target: a job, assets or an AssetSelection to run.
        owners: people or teams owning the schedule.
        run_tags: tags put on each run the schedule launches.

    Example:
        ```python
        from datetime import datetime

        from headwater import SkipReason, asset, build_schedule_context, schedule

        @asset
        def weekday_report() -> str:
            return "ok"

        @schedule(cron_schedule="0 8 * * *", target=[weekday_report])
        def weekdays(context):
            if context.scheduled_execution_time.weekday() >= 5:
                return SkipReason("weekend")
            return {}

        saturday = build_schedule_context(scheduled_execution_time=datetime(2024, 6, 1, 8))
        assert isinstance(weekdays(saturday), SkipReason)
        ```
    """
    def decorate(fn: Callable[..., Any]) -> ScheduleDefinition:
        definition = ScheduleDefinition(
            name=name or fn.__name__, cron_schedule=cron_schedule, job_name=job_name,
            tags=tags, tags_fn=tags_fn, should_execute=should_execute,
            environment_vars=environment_vars, execution_timezone=execution_timezone,
            execution_fn=fn, description=description or fn.__doc__, job=job,
            default_status=default_status, required_resource_keys=required_resource_keys,
            target=target, owners=owners, metadata=metadata, run_tags=run_tags)
        definition._decorated_fn = fn
        return definition
    return decorate


# --- partitioned jobs -------------------------------------------------------------------------
def _partitions_def(job: Any) -> Any:
    found = getattr(job, "partitions_def", None)
    if found is None:
        found = getattr(getattr(job, "config", None), "partitions_def", None)
    if found is None:
        found = getattr(getattr(job, "partitioned_config", None), "partitions_def", None)
    return found


def _time_dimension(partitions_def: Any) -> tuple[Any, str | None]:
    """(the time-window partitions, its dimension name if multi-dimensional) or (None, None)."""
    if hasattr(partitions_def, "get_cron_schedule"):
        return partitions_def, None
    dimension = getattr(partitions_def, "time_window_dimension", None)
    if dimension is not None and hasattr(dimension.partitions_def, "get_cron_schedule"):
        return dimension.partitions_def, dimension.name
    return None, None


def build_schedule_from_partitioned_job(
        job: Any, description: str | None = None, name: str | None = None,
        minute_of_hour: int | None = None, hour_of_day: int | None = None,
        day_of_week: int | None = None, day_of_month: int | None = None,
        default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
        tags: Mapping[str, Any] | None = None, cron_schedule: str | None = None,
        execution_timezone: str | None = None, metadata: Mapping[str, Any] | None = None,
        owners: Sequence[str] | None = None) -> ScheduleDefinition:
    """Build a schedule that, at each tick, requests the partition(s) whose window just ended.

    For a job over time-partitioned assets (or with a time-partitioned config): a daily job
    runs each day just after midnight for the day that ended. The cron comes from the
    partitions (their cadence and offsets) unless `cron_schedule` or the `*_of_*` arguments
    say otherwise. A job without time partitions raises HeadwaterInvalidDefinitionError.

    Args:
        job: the partitioned job.
        description: shown in the UI.
        name: the schedule's name; defaults to "<job>_schedule".
        minute_of_hour: the minute of the tick, overriding the partitions' own.
        hour_of_day: the hour of the tick (daily and coarser partitions).
        day_of_week: the weekday of the tick, 0 being Sunday (weekly partitions).
        day_of_month: the day of the tick (monthly partitions).
        default_status: whether it runs from its first deployment (STOPPED by default).
        tags: tags of the schedule's runs.
        cron_schedule: an explicit cron string, instead of the one the partitions imply.
        execution_timezone: the timezone of the ticks; defaults to that of the partitions.
        metadata: metadata of the schedule.
        owners: people or teams owning the schedule.

    Example:
        ```python
        from headwater import (DailyPartitionsDefinition, asset,
                               build_schedule_from_partitioned_job, define_asset_job)

        @asset(partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"))
        def daily_events() -> int:
            return 0

        job = define_asset_job("daily_events_job", selection=[daily_events],
                               partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"))
        schedule = build_schedule_from_partitioned_job(job, hour_of_day=2)
        assert schedule.cron_schedule == "0 2 * * *"
        ```
    """
    given_cron, given_tz = cron_schedule, execution_timezone
    partitions_def = _partitions_def(job)
    job_name = _job_name(job)
    schedule_name = name or f"{job_name}_schedule"
    validate_owners(f"schedule '{schedule_name}'", owners)
    if partitions_def is not None:
        time_def, _ = _time_dimension(partitions_def)
        dims = getattr(partitions_def, "partitions_defs", None)
        if time_def is None and dims is not None:
            raise HeadwaterInvalidDefinitionError(
                f"build_schedule_from_partitioned_job: job '{job_name}' is partitioned by several "
                "dimensions, none of them by time; a schedule needs a time-window dimension.")
        if time_def is not None and cron_schedule is None:
            cron_schedule = time_def.get_cron_schedule(minute_of_hour, hour_of_day, day_of_week,
                                                       day_of_month)
            execution_timezone = execution_timezone or getattr(time_def, "timezone", None)
    if cron_schedule is None:
        if partitions_def is None and not hasattr(job, "execute_in_process"):
            cron_schedule = "0 0 * * *"  # resolved against the asset graph when evaluated
        else:
            raise HeadwaterInvalidDefinitionError(
                f"build_schedule_from_partitioned_job: job '{job_name}' is not partitioned by "
                "time; pass cron_schedule= to say when to run it.")

    def evaluate(context: ScheduleEvaluationContext) -> Any:
        target = getattr(context, "_evaluating", holder).job
        defs = context.repository_def
        if not hasattr(target, "execute_in_process") and defs is not None:
            target = defs.resolve_job_def(job_name)
        current = _partitions_def(target)
        if current is None:
            return SkipReason(f"Job '{job_name}' has no partitions.")
        time_def, time_dim = _time_dimension(current)
        when = context.scheduled_execution_time
        store = context._instance
        if time_def is None:
            keys = list(current.get_partition_keys(current_time=when,
                                                   dynamic_partitions_store=store))
        else:
            last = time_def.get_last_partition_key(current_time=when)
            previous = previous_tick(getattr(context, "_evaluating", holder).cron_schedule,
                                     when.timestamp(), inclusive=False,
                                     tz_name=getattr(context, "_evaluating", holder)
                                     .execution_timezone)
            before = (time_def.get_last_partition_key(current_time=previous)
                      if previous is not None else None)
            if last is None or last == before:  # nothing new ended (or it is excluded)
                return SkipReason(f"No new partition of job '{job_name}' ended by "
                                  f"{when.isoformat()}.")
            if time_dim is None:
                keys = [last]
            else:
                keys = list(current.get_multipartition_keys_with_dimension_value(
                    time_dim, last, dynamic_partitions_store=store))
        if not keys:
            return SkipReason(f"Job '{job_name}' has no partitions at {when.isoformat()}.")
        return [RunRequest(run_key=None, partition_key=key,
                           run_config=(_partition_run(target, key) or ({}, {}))[0])
                for key in keys]

    holder = ScheduleDefinition(
        name=schedule_name, cron_schedule=cron_schedule, job_name=job_name, job=job,
        execution_fn=evaluate, execution_timezone=execution_timezone,
        description=description, default_status=default_status, tags=tags,
        metadata=metadata, owners=owners)
    if not hasattr(job, "execute_in_process"):  # an asset job: rebuilt once it is resolved
        holder._rebuild = lambda resolved: build_schedule_from_partitioned_job(
            resolved, description=description, name=schedule_name,
            minute_of_hour=minute_of_hour, hour_of_day=hour_of_day, day_of_week=day_of_week,
            day_of_month=day_of_month, default_status=default_status, tags=tags,
            cron_schedule=given_cron, execution_timezone=given_tz, metadata=metadata,
            owners=owners)
    return holder
