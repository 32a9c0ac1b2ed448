"""Run-status sensors: react when runs reach a status (`@run_status_sensor`), or fail
(`@run_failure_sensor`), e.g. to alert or to launch a follow-up job.

At each tick the sensor reads the run-status events stored since its cursor (a storage id;
the first tick starts from "now", so history is not replayed) and calls the function once
per event of a monitored job: those `monitored_jobs` names, else the jobs of the sensor's own
definitions (its code location), or every job with `monitor_all_code_locations=True` (and
in a test tick given no definitions). Imports `errors` and `definitions` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headwater.definitions.automation.evaluation import invoke_evaluation_fn
from headwater.definitions.automation.selectors import watches
from headwater.definitions.automation.sensor import DefaultSensorStatus, SensorDefinition
from headwater.definitions.automation.tick_context import TickContext
from headwater.definitions.automation.tick_result import RunReaction, SkipReason
from headwater.definitions.run_request import RunRequest
from headwater.definitions.tags import PARTITION_TAG
from headwater.errors import HeadwaterInvalidDefinitionError

# HeadwaterRunStatus value -> the run event that marks it
_EVENT_FOR_STATUS = {"SUCCESS": "RUN_SUCCESS", "FAILURE": "RUN_FAILURE",
                     "CANCELED": "RUN_CANCELED", "STARTED": "RUN_START",
                     "STARTING": "RUN_STARTING", "QUEUED": "RUN_ENQUEUED",
                     "CANCELING": "RUN_CANCELING"}


class RunStatusSensorContext(TickContext):
    """What a run-status sensor's function receives: the run and the event.

    `headwater_run` is the run that reached the status, `headwater_event` the event that
    recorded it. In tests build one with `build_run_status_sensor_context`.

    Args:
        sensor_name: the name of the sensor being evaluated.
        headwater_run: the run that reached the status.
        headwater_event: the run-status event.
        instance: the instance the run belongs to.
        resources: resources the function takes as parameters.
        repository_def: the repository the sensor belongs to.
        logger: the logger of `context.log`.
        partition_key: the run's partition, if any.

    Example:
        ```python
        from headwater import HeadwaterInstance, RunStatusSensorContext, job, op

        @op
        def work() -> None:
            pass

        @job
        def nightly():
            work()

        instance = HeadwaterInstance.ephemeral()
        result = nightly.execute_in_process(instance=instance)
        context = RunStatusSensorContext(sensor_name="watch", headwater_run=result.headwater_run,
                                         instance=instance)
        assert context.headwater_run.job_name == "nightly"
        ```
    """

    _kind = "run_status_sensor"

    def __init__(self, sensor_name: str | None = None, headwater_run: Any = None,
                 headwater_event: Any = None, instance: Any = None,
                 resources: Mapping[str, Any] | None = None, repository_def: Any = None,
                 logger: Any = None, partition_key: str | None = None):
        super().__init__(instance=instance, resources=resources, repository_def=repository_def)
        self._sensor_name = sensor_name
        self._run = headwater_run
        self._event = headwater_event
        self._partition_key = partition_key
        self._logger = logger  # `context.log`; the sensor's own logger when None
        self._cursor: str | None = None
        self._cursor_updated = False

    @property
    def sensor_name(self) -> str | None:
        return self._sensor_name

    @property
    def headwater_run(self) -> Any:
        return self._run

    @property
    def headwater_event(self) -> Any:
        return self._event

    @property
    def partition_key(self) -> str | None:
        if self._partition_key is not None:
            return self._partition_key
        tags = getattr(self._run, "tags", None) or {}
        return tags.get(PARTITION_TAG)

    @property
    def cursor(self) -> str | None:
        return self._cursor

    def update_cursor(self, cursor: str | None) -> None:
        self._cursor = cursor
        self._cursor_updated = True

    def for_run_failure(self) -> RunFailureSensorContext:
        return RunFailureSensorContext(
            sensor_name=self._sensor_name, headwater_run=self._run, headwater_event=self._event,
            instance=self._instance, resources=self._resource_defs,
            repository_def=self._definitions, partition_key=self._partition_key,
            logger=self._logger)


class RunFailureSensorContext(RunStatusSensorContext):
    """A run-status context for a failed run, with `failure_event`.

    What a `@run_failure_sensor` function receives; `get_step_failure_events` lists the
    failures of the run's steps.

    Args:
        sensor_name: the name of the sensor being evaluated.
        headwater_run: the failed run.
        headwater_event: the run-failure event.
        instance: the instance the run belongs to.
        resources: resources the function takes as parameters.
        repository_def: the repository the sensor belongs to.
        logger: the logger of `context.log`.
        partition_key: the run's partition, if any.

    Example:
        ```python
        from headwater import HeadwaterInstance, RunFailureSensorContext, job, op

        @op
        def broken() -> None:
            raise ValueError("bad input")

        @job
        def nightly():
            broken()

        instance = HeadwaterInstance.ephemeral()
        result = nightly.execute_in_process(instance=instance, raise_on_error=False)
        context = RunFailureSensorContext(sensor_name="alerts", headwater_run=result.headwater_run,
                                          instance=instance)
        [failure] = context.get_step_failure_events()
        print(failure.headwater_event.step_key)
        ```
    """

    @property
    def failure_event(self) -> Any:
        return self._event

    def get_step_failure_events(self) -> list[Any]:
        instance = self._instance
        if instance is None or self._run is None:
            return []
        return [e for e in instance.all_logs(self._run.run_id)
                if getattr(e, "headwater_event", None) is not None
                and e.headwater_event.event_type_value == "STEP_FAILURE"]


def build_run_status_sensor_context(sensor_name: str, headwater_event: Any,
                                    headwater_instance: Any, headwater_run: Any,
                                    context: Any = None, resources: Mapping[str, Any] | None = None,
                                    partition_key: str | None = None,
                                    repository_def: Any = None) -> RunStatusSensorContext:
    """Build a context for invoking a run-status sensor in a test.

    Call the sensor with it to check what it does for one run.

    Args:
        sensor_name: the sensor's name.
        headwater_event: the run-status event (e.g. the last event of the run).
        headwater_instance: the instance the run belongs to.
        headwater_run: the run that reached the status.
        context: the sensor context the sensor was called with, if any; the run status
            context logs through its `log`.
        resources: resources the sensor function takes as parameters.
        partition_key: the run's partition, if any.
        repository_def: the repository the sensor belongs to.

    Example:
        ```python
        from headwater import (HeadwaterInstance, HeadwaterRunStatus, build_run_status_sensor_context,
                               job, op, run_status_sensor)

        @op
        def work() -> None:
            pass

        @job
        def nightly():
            work()

        @run_status_sensor(run_status=HeadwaterRunStatus.SUCCESS, monitored_jobs=[nightly])
        def announce(context):
            print(f"{context.headwater_run.job_name} succeeded")

        instance = HeadwaterInstance.ephemeral()
        result = nightly.execute_in_process(instance=instance)
        event = instance.all_logs(result.run_id)[-1].headwater_event
        announce(build_run_status_sensor_context(
            sensor_name="announce", headwater_event=event, headwater_instance=instance,
            headwater_run=result.headwater_run))
        ```
    """
    return RunStatusSensorContext(sensor_name=sensor_name, headwater_run=headwater_run,
                                  headwater_event=headwater_event, instance=headwater_instance,
                                  resources=resources, repository_def=repository_def,
                                  partition_key=partition_key,
                                  logger=context.log if context is not None else None)


def _status_value(status: Any) -> str:
    return str(getattr(status, "value", status))


class RunStatusSensorDefinition(SensorDefinition):
    """A sensor called once for each run that reached `run_status`.

    Built by `@run_status_sensor` and `@run_failure_sensor`. Its first tick starts watching
    from then on (past runs are not replayed); each later tick calls the function once per
    run of a monitored job that reached the status since, skipping runs of the jobs it
    requests itself.

    Args:
        name: the sensor's name.
        run_status: the HeadwaterRunStatus to react to (SUCCESS, FAILURE, ...).
        run_status_sensor_fn: the function called with a RunStatusSensorContext per run.
        monitored_jobs: jobs or selectors to watch; when empty, the jobs of the sensor's
            own code location.
        monitor_all_code_locations: True watches every run of the instance, whatever
            its code location; refused together with `monitored_jobs`.
        request_job: a job the function may request runs of.
        request_jobs: several jobs the function may request runs of.

    Example:
        ```python
        from headwater import HeadwaterRunStatus, RunStatusSensorDefinition

        def log_success(context):
            context.log.info(f"run {context.headwater_run.run_id} succeeded")

        sensor = RunStatusSensorDefinition("log_success", HeadwaterRunStatus.SUCCESS, log_success)
        assert sensor.sensor_type == "RUN_STATUS"
        ```
    """

    def __init__(self, name: str, run_status: Any, run_status_sensor_fn: Callable[..., Any],
                 monitored_jobs: Sequence[Any] | None = None,
                 monitor_all_code_locations: bool = False,
                 request_job: Any = None, request_jobs: Sequence[Any] | None = None,
                 **kwargs: Any):
        self.run_status = run_status
        self._status = _status_value(run_status)
        self._monitored = [j if hasattr(j, "matches") else getattr(j, "name", j)
                           for j in (monitored_jobs or [])]
        if monitor_all_code_locations and self._monitored:
            raise HeadwaterInvalidDefinitionError(
                f"Run status sensor '{name}': monitor_all_code_locations=True watches every run "
                "of the instance, so monitored_jobs= cannot narrow it; pass one of the two.")
        self.monitor_all_code_locations = monitor_all_code_locations
        jobs = list(request_jobs or ([request_job] if request_job is not None else []))
        super().__init__(name=name, evaluation_fn=run_status_sensor_fn,
                         jobs=jobs or None, **kwargs)

    @property
    def sensor_type(self) -> str:
        return "RUN_STATUS"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result, _ = invoke_evaluation_fn("run status sensor", self.name, self._evaluation_fn,
                                         self._signature, args, kwargs, lambda: None)
        return result

    def _own_jobs(self, context: Any) -> set[str] | None:
        """Without monitored_jobs, the jobs of the sensor's own definitions (its code
        location), unless it monitors all code locations; None (every job) also when the
        tick has no definitions, as in a test."""
        defs = context.repository_def
        if self._monitored or self.monitor_all_code_locations or defs is None:
            return None
        repo = defs.get_repository_def() if hasattr(defs, "get_repository_def") else defs
        return set(repo.job_names)

    def _call_for_tick(self, context: Any) -> Any:
        instance = context.instance
        event_type = _EVENT_FOR_STATUS.get(self._status, self._status)
        cursor = context.cursor
        if cursor is None:  # first tick: start from now, do not replay history
            latest = instance.fetch_run_status_changes(event_type, limit=1)
            records = list(latest.records)
            context.update_cursor(str(records[0].storage_id) if records else "0")
            return SkipReason(f"Sensor '{self.name}' starts watching for {self._status} runs now.")
        page = instance.fetch_run_status_changes(event_type, limit=100, cursor=cursor,
                                                 ascending=True)
        requests: list[Any] = []
        reactions: list[RunReaction] = []
        last = cursor
        own = self._own_jobs(context)
        for record in page.records:
            last = str(record.storage_id)
            entry = record.event_log_entry
            run = instance.get_run_by_id(entry.run_id)
            if run is None or not watches(self._monitored, run.job_name) or (
                    own is not None and run.job_name not in own):
                continue
            if run.job_name in self.job_names:  # never react to the runs it launched itself
                continue
            status_context = RunStatusSensorContext(
                sensor_name=self.name, headwater_run=run, headwater_event=entry.headwater_event,
                instance=instance, resources=context._resource_defs, logger=context.log)
            if self._status == "FAILURE":
                status_context = status_context.for_run_failure()
            result = self(status_context)
            found = result if isinstance(result, (list, tuple)) else [result]
            requests.extend(r for r in found if isinstance(r, RunRequest))
            reactions.append(RunReaction(run, run.status))
        context._run_reactions = reactions
        context.update_cursor(last)
        context._cursor_updated = False
        return requests or SkipReason(f"No new {self._status} runs.")


def run_status_sensor(run_status: Any, name: str | None = None,
                      minimum_interval_seconds: int | None = None,
                      description: str | None = None,
                      monitored_jobs: Sequence[Any] | None = None,
                      job_selection: Sequence[Any] | None = None,
                      monitor_all_code_locations: bool | None = None,
                      default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
                      request_job: Any = None, request_jobs: Sequence[Any] | None = None,
                      monitor_all_repositories: bool | None = None,
                      tags: Mapping[str, str] | None = None,
                      metadata: Mapping[str, Any] | None = None,
                      required_resource_keys: set[str] | None = None,
                      ) -> Callable[[Callable[..., Any]], RunStatusSensorDefinition]:
    """Make a sensor whose function runs for each run of a monitored job reaching `run_status`.

    Use it to notify, or to start a downstream job (`request_job`) when another job
    succeeds. The function receives a RunStatusSensorContext and may return RunRequests of
    the request jobs.

    Args:
        run_status: the HeadwaterRunStatus to react to.
        name: the sensor's name; defaults to the function's name.
        minimum_interval_seconds: the least time between two ticks.
        description: shown in the UI.
        monitored_jobs: jobs or selectors to watch; when empty, the jobs of the sensor's
            own code location.
        job_selection: older spelling of `monitored_jobs`.
        monitor_all_code_locations: True watches every run of the instance, whatever
            its code location; refused together with `monitored_jobs`.
        default_status: whether it runs from its first deployment (STOPPED by default).
        request_job: a job the function may request runs of.
        request_jobs: several jobs the function may request runs of.
        monitor_all_repositories: older spelling of `monitor_all_code_locations`.
        tags: the sensor's tags.
        metadata: metadata of the sensor.
        required_resource_keys: resources reached through `context.resources`.

    Example:
        ```python
        from headwater import HeadwaterRunStatus, RunRequest, job, op, run_status_sensor

        @op
        def step() -> None:
            pass

        @job
        def extract():
            step()

        @job
        def report():
            step()

        @run_status_sensor(run_status=HeadwaterRunStatus.SUCCESS, monitored_jobs=[extract],
                           request_job=report)
        def report_after_extract(context):
            return RunRequest(run_key=context.headwater_run.run_id)

        assert report_after_extract.job_names == ["report"]
        ```
    """
    def decorate(fn: Callable[..., Any]) -> RunStatusSensorDefinition:
        return RunStatusSensorDefinition(
            name or fn.__name__, run_status, fn,
            monitored_jobs=monitored_jobs or job_selection,
            monitor_all_code_locations=bool(monitor_all_code_locations or
                                            monitor_all_repositories),
            request_job=request_job, request_jobs=request_jobs,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description or fn.__doc__, default_status=default_status, tags=tags,
            metadata=metadata, required_resource_keys=required_resource_keys)
    return decorate


def run_failure_sensor(fn: Callable[..., Any] | None = None, *, name: str | None = None,
                       minimum_interval_seconds: int | None = None,
                       description: str | None = None,
                       monitored_jobs: Sequence[Any] | None = None,
                       job_selection: Sequence[Any] | None = None,
                       monitor_all_code_locations: bool | None = None,
                       default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
                       request_job: Any = None, request_jobs: Sequence[Any] | None = None,
                       monitor_all_repositories: bool | None = None,
                       tags: Mapping[str, str] | None = None,
                       metadata: Mapping[str, Any] | None = None,
                       required_resource_keys: set[str] | None = None) -> Any:
    """Make a sensor whose function runs for each failed run of a monitored job.

    The usual place for alerts: the function receives a RunFailureSensorContext with the
    run, its failure event and its step failures. Usable bare or called.

    Args:
        fn: the decorated function, when used bare.
        name: the sensor's name; defaults to the function's name.
        minimum_interval_seconds: the least time between two ticks.
        description: shown in the UI.
        monitored_jobs: jobs or selectors to watch; when empty, the jobs of the sensor's
            own code location.
        job_selection: older spelling of `monitored_jobs`.
        monitor_all_code_locations: True watches every run of the instance, whatever
            its code location; refused together with `monitored_jobs`.
        default_status: whether it runs from its first deployment (STOPPED by default).
        request_job: a job the function may request runs of.
        request_jobs: several jobs the function may request runs of.
        monitor_all_repositories: older spelling of `monitor_all_code_locations`.
        tags: the sensor's tags.
        metadata: metadata of the sensor.
        required_resource_keys: resources reached through `context.resources`.

    Example:
        ```python
        from headwater import run_failure_sensor

        alerts = []

        @run_failure_sensor
        def record_failures(context):
            alerts.append(f"{context.headwater_run.job_name} failed")

        assert record_failures.sensor_type == "RUN_STATUS"
        ```
    """
    def decorate(inner: Callable[..., Any]) -> RunStatusSensorDefinition:
        return run_status_sensor(
            "FAILURE", name=name or inner.__name__,
            minimum_interval_seconds=minimum_interval_seconds, description=description,
            monitored_jobs=monitored_jobs, job_selection=job_selection,
            monitor_all_code_locations=monitor_all_code_locations,
            default_status=default_status, request_job=request_job, request_jobs=request_jobs,
            monitor_all_repositories=monitor_all_repositories, tags=tags, metadata=metadata,
            required_resource_keys=required_resource_keys)(inner)
    return decorate(fn) if fn is not None else decorate
