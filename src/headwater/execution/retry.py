"""One step to its end: attempts, retries (RetryPolicy, RetryRequested), hooks, step events.

`run_step_with_retries(run, runner, step, mapping_key)` is what every executor calls where
the step executes (in the run's process or in a worker). Once the step is done, its hooks
run here too (`run_hooks`, with the `HookContext` they receive): the last thing a step does.
Imports `headwater.definitions` and this layer's `event`, `context`, `resources`, `log`, `plan`, `step`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from headwater.definitions.metadata.value import normalize_metadata
from headwater.errors import (
    Failure,
    HeadwaterExecutionStepExecutionError,
    HeadwaterInvariantViolationError,
    HeadwaterResourceFunctionError,
    HeadwaterStepOutputNotFoundError,
    RetryRequested,
)
from headwater.execution import event as ev
from headwater.execution.context import OpNode
from headwater.execution.log import LogManager
from headwater.execution.plan import FromCollect, FromStep
from headwater.execution.resources import Resources
from headwater.execution.step import StepRunner, StepSkipped


def run_step_with_retries(run: Any, runner: StepRunner, step: Any, mapping_key: str | None,
                          setup: Callable[[], None] | None = None, first_attempt: int = 0) -> str:
    """Run the step (retrying as its policy says); SUCCESS, FAILURE or SKIPPED.

    `setup()` runs first in every attempt: a worker whose resources could not be built
    builds them again there, so that a failing resource counts as a failed attempt that
    the step's RetryPolicy may retry. `first_attempt` is the number of the attempt to make
    when earlier ones were made elsewhere (a worker that died mid-step): the retries they
    used count, and the executor that resubmitted the step announced the restart.
    """
    key = f"{step.key}[{mapping_key}]" if mapping_key else step.key
    if mapping_key is None and step.assets_def is not None:
        evidence = run.unchanged(step)
        if evidence is not None:
            return _skip_unchanged(run, step, key, evidence)
    missing = runner.unproduced_input(step, mapping_key)
    unloadable = _from_unexecuted_step(run, runner, step, missing, mapping_key)
    if missing is not None and unloadable is None:
        return _skip(run, key, missing)
    policy = step.retry_policy
    attempt = first_attempt
    while True:
        if attempt == 0:  # a retry announces itself with STEP_RESTARTED instead
            run.emit(ev.HeadwaterEventType.STEP_START, key, f'Step "{key}" started.')
        started = monotonic_ms()
        try:
            if unloadable is not None:
                raise HeadwaterStepOutputNotFoundError(
                    f'Step "{key}" cannot run: its input "{missing}" reads an output of step '
                    f'"{unloadable}", which this re-execution does not run and no earlier run '
                    "of its chain produced. Select that step too, or re-execute from failure.",
                    step_key=unloadable, output_name=missing)
            if setup is not None:
                setup()
            ctx = runner.attempt(step, mapping_key, attempt)
        except StepSkipped as skipped:
            return _skip(run, key, skipped.args[0])
        except Exception as exc:
            request = retry_request(exc)
            max_retries, wait = _retry_plan(policy, request, exc, attempt)
            if attempt < max_retries:
                attempt += 1
                run.emit(ev.HeadwaterEventType.STEP_UP_FOR_RETRY, key,
                         f'Step "{key}" failed and asked for a retry'
                         + (f"; retrying in {wait} seconds." if wait else "; retrying now."),
                         ev.StepRetryData(ev.SerializableError.from_exception(exc), attempt, wait))
                if wait:
                    time.sleep(wait)
                run.emit(ev.HeadwaterEventType.STEP_RESTARTED, key,
                         f'Step "{key}" restarted (attempt {attempt + 1}).')
                continue
            run.failed.append(key)
            run.step_status[key] = "FAILURE"
            payload = failure_payload(exc)
            run.emit(ev.HeadwaterEventType.STEP_FAILURE, key,
                     f'Step "{key}" failed.', payload)
            run.errors[key] = exc
            if step.hook_defs:
                run_hooks(run, step, key, None, True)
            return "FAILURE"
        duration = monotonic_ms() - started
        run.succeeded.add(key)
        run.step_status[key] = "SUCCESS"
        run.emit(ev.HeadwaterEventType.STEP_SUCCESS, key,
                 f'Step "{key}" succeeded in {duration:.2f}ms.',
                 ev.StepSuccessData(duration))
        if step.hook_defs:
            run_hooks(run, step, key, ctx, False)
        return "SUCCESS"


def _from_unexecuted_step(run: Any, runner: StepRunner, step: Any, name: str | None,
                          mapping_key: str | None) -> str | None:
    """When input `name` has no value and comes from a step this re-execution of selected
    steps does not run, that step's key: the step fails, as its input cannot be loaded."""
    if name is None or not run.loads_missing_inputs_strictly:
        return None
    source = step.inputs[name]
    if isinstance(source, FromStep):
        up_key, _, up_mk = run.upstream_ref(source, mapping_key)
    elif isinstance(source, FromCollect):
        up_key, up_mk = source.step_key, None
    else:
        return None
    if run.executes(up_key, up_mk):
        return None
    return f"{up_key}[{up_mk}]" if up_mk else up_key


def _skip(run: Any, key: str, input_name: str) -> str:
    run.skipped.add(key)
    run.step_status[key] = "SKIPPED"
    run.emit(ev.HeadwaterEventType.STEP_SKIPPED, key,
             f'Skipped execution of step "{key}": its input "{input_name}" was not '
             "produced upstream.")
    return "SKIPPED"


def _skip_unchanged(run: Any, step: Any, key: str, evidence: ev.StepUnchangedData) -> str:
    """Record why the step did not run, and let its downstream read what it stored."""
    run.reuse_stored_outputs(step, evidence)
    run.skipped.add(key)
    run.step_status[key] = "SKIPPED"
    kept = ", ".join(f"{k.to_user_string()} (event {sid}, run {rid[:8]})" for k, sid, rid
                     in zip(evidence.asset_keys, evidence.storage_ids, evidence.run_ids))
    versions = ", ".join(f"{k} at {v[:12]}" for k, v in sorted(evidence.input_data_versions.items()))
    code = ", ".join(sorted(set(evidence.code_versions)))
    run.emit(ev.HeadwaterEventType.STEP_SKIPPED, key,
             f'Skipped step "{key}" as unchanged: its code version ({code}) and the data versions '
             f"of its inputs ({versions}) are those its latest materialization was computed "
             f"from, so it keeps {kept}; downstream steps load that stored value.", evidence)
    return "SKIPPED"


def _retry_plan(policy: Any, request: Any, exc: BaseException, attempt: int) -> tuple[int, float | None]:
    if request is not None:
        return (request.max_retries or 0), request.seconds_to_wait
    inner = exc.__cause__ if isinstance(exc, HeadwaterExecutionStepExecutionError) else exc
    if isinstance(inner, Failure) and not inner.allow_retries:
        return 0, None
    if policy is None or not isinstance(exc, (HeadwaterExecutionStepExecutionError, Failure,
                                              HeadwaterResourceFunctionError)):
        return 0, None
    return policy.max_retries, policy.calculate_delay(attempt + 1) or None


# --- hooks ----------------------------------------------------------------------------


class HookContext:
    """What a hook function gets as `context`: the step that ran, its outputs or error, resources.

    The engine builds it after each step the hook is attached to; build one with
    `build_hook_context` in tests.

    Args:
        step_key: the step that ran.
        op: the op that ran (`context.op.name` is its name in the graph).
        job_name: the job of the run.
        run_id: the run.
        resources: the resources the hook requires.
        hook_def: the hook being run.
        op_output_values: the values the step produced, by output name.
        op_exception: the error the step raised, for a failed step.
        op_config: the op's config.
        log: the run's log, as `context.log`.
        instance: the instance of the run.
        op_output_metadata: the metadata the step attached to its outputs.

    Example:
        ```python
        from headwater import job, op, success_hook

        totals = []

        @success_hook
        def keep_total(context):
            totals.append((context.op.name, context.op_output_values["result"]))

        @op
        def count() -> int:
            return 3

        @job(hooks={keep_total})
        def counting():
            count()

        counting.execute_in_process()
        assert totals == [("count", 3)]
        ```
    """

    _built_for_test = False

    def __init__(self, *, step_key: str | None = None, op: Any = None, job_name: str | None = None,
                 run_id: str | None = None, resources: Any = None, hook_def: Any = None,
                 op_output_values: dict[str, Any] | None = None, op_exception: BaseException | None = None,
                 op_config: Any = None, log: LogManager | None = None, instance: Any = None,
                 op_output_metadata: dict[str, Any] | None = None):
        self.step_key = step_key
        self.op = op
        self.job_name = job_name
        self.run_id = run_id
        self.resources = resources if isinstance(resources, Resources) else Resources(resources)
        self.hook_def = hook_def
        self.op_output_values = op_output_values or {}
        self.op_output_metadata = op_output_metadata or {}
        self.op_exception = op_exception
        self.op_config = op_config
        self.log = log or LogManager()
        self._instance = instance

    @property
    def instance(self) -> Any:
        if self._instance is None and self._built_for_test:
            raise HeadwaterInvariantViolationError(
                "Tried to access the HookContext instance, but no instance was provided to "
                "`build_hook_context`. Pass build_hook_context(instance=...)."
            )
        return self._instance

    @property
    def required_resource_keys(self) -> frozenset[str]:
        return self.hook_def.required_resource_keys if self.hook_def else frozenset()


def _graph_holding(graph: Any, handle: str) -> Any:
    """The graph in which the node at `handle` ("outer.inner.op") is placed."""
    for name in handle.split(".")[:-1]:
        graph = graph.invocations[name].node_def
    return graph


def run_hooks(run: Any, step: Any, key: str, ctx: Any, failed: bool) -> None:
    """Call the step's hooks whose trigger matches; a hook's error is an event, not a failure."""
    step_events = [e for e in run.events if e.step_key == key]
    outputs, metadata = _outputs_of(run, step, key, step_events)
    run.hook_values.clear()  # the hooks below hold what they need
    exc = run.errors.get(key)
    user_exc = getattr(exc, "user_exception", None) or exc
    for hook in sorted(step.hook_defs, key=lambda h: h.name):
        if hook.trigger == "success" and failed or hook.trigger == "failure" and not failed:
            run.emit(ev.HeadwaterEventType.HOOK_SKIPPED, key,
                     f'Hook "{hook.name}" skipped.', ev.HookData(hook.name))
            continue
        node = OpNode(step.node_name, step.op_def, step.tags, _graph_holding(run.job.graph, step.node_name))
        hook_ctx = HookContext(step_key=key, op=node,
                               job_name=run.job.name, op_output_metadata=metadata,
                               run_id=run.run_id, resources=run.resource_view, hook_def=hook,
                               op_output_values=outputs, op_exception=user_exc,
                               op_config=run.op_configs.get(step.key), log=run.log_for(key),
                               instance=run.instance)
        try:
            if hook.trigger == "events":
                outcome = hook.hook_fn(hook_ctx, step_events)
            else:
                outcome = hook.hook_fn(hook_ctx)
        except Exception as error:
            run.emit(ev.HeadwaterEventType.HOOK_ERRORED, key,
                     f'Hook "{hook.name}" raised an error: {error}',
                     ev.HookData(hook.name, ev.SerializableError.from_exception(error)))
            continue
        if getattr(outcome, "is_skipped", False):
            run.emit(ev.HeadwaterEventType.HOOK_SKIPPED, key,
                     f'Hook "{hook.name}" skipped.', ev.HookData(hook.name))
            continue
        run.emit(ev.HeadwaterEventType.HOOK_COMPLETED, key,
                 f'Hook "{hook.name}" finished.', ev.HookData(hook.name))


def _outputs_of(run: Any, step: Any, key: str, step_events: list[Any]) -> tuple[dict, dict]:
    """Output values and metadata of one step; a dynamic output's are dicts by mapping key."""
    mapping_key = key[len(step.key) + 1:-1] if key != step.key else None
    values: dict[str, Any] = {}
    for (skey, name, mk), value in [*run.captured.items(), *run.hook_values.items()]:
        if skey != step.key:
            continue
        if mapping_key is not None:
            if mk == mapping_key:
                values[name] = value
        elif mk is None:
            values[name] = value
        else:
            values.setdefault(name, {})[mk] = value
    metadata: dict[str, Any] = {}
    for event in step_events:
        if event.event_type is not ev.HeadwaterEventType.STEP_OUTPUT:
            continue
        data = event.payload
        if data.mapping_key is not None and mapping_key is None:
            metadata.setdefault(data.output_name, {})[data.mapping_key] = dict(data.metadata)
        else:
            metadata[data.output_name] = dict(data.metadata)
    return values, metadata


def failure_payload(exc: BaseException) -> ev.StepFailureData:
    user = exc.__cause__ if isinstance(exc, HeadwaterExecutionStepExecutionError) else exc
    if isinstance(user, Failure):
        return ev.StepFailureData(ev.SerializableError.from_exception(exc), user.description,
                                  normalize_metadata(user.metadata))
    source = "USER_CODE_ERROR" if isinstance(exc, HeadwaterExecutionStepExecutionError) else "FRAMEWORK_ERROR"
    return ev.StepFailureData(ev.SerializableError.from_exception(exc), error_source=source)


def retry_request(exc: BaseException) -> RetryRequested | None:
    inner = exc.__cause__ if isinstance(exc, HeadwaterExecutionStepExecutionError) else exc
    return inner if isinstance(inner, RetryRequested) else None


def monotonic_ms() -> float:
    return time.perf_counter() * 1000.0
