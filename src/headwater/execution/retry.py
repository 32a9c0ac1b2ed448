"""One step to its end: attempts, retries (RetryPolicy, RetryRequested), hooks, step events.

`run_step_with_retries(run, runner, step, mapping_key)` is what every executor calls where
the step executes (in the run's process or in a worker). Imports `headwater.definitions`
and this layer's `event`, `hooks`, `step`.
"""

from __future__ import annotations

import time
from typing import Any

from headwater.errors import Failure, HeadwaterExecutionStepExecutionError
from headwater.execution import event as ev
from headwater.execution.hooks import run_hooks
from headwater.execution.step import (
    StepRunner,
    StepSkipped,
    failure_payload,
    monotonic_ms,
    retry_request,
)


def run_step_with_retries(run: Any, runner: StepRunner, step: Any, mapping_key: str | None) -> str:
    """Run the step (retrying as its policy says); SUCCESS, FAILURE or SKIPPED."""
    key = f"{step.key}[{mapping_key}]" if mapping_key else step.key
    policy = step.retry_policy
    attempt = 0
    while True:
        run.emit(ev.HeadwaterEventType.STEP_START, key, f'Step "{key}" started.')
        started = monotonic_ms()
        try:
            ctx = runner.attempt(step, mapping_key, attempt)
        except StepSkipped as skipped:
            run.skipped.add(key)
            run.step_status[key] = "SKIPPED"
            run.emit(ev.HeadwaterEventType.STEP_SKIPPED, key,
                     f'Skipped execution of step "{key}": its input "{skipped.args[0]}" was not '
                     "produced upstream.")
            return "SKIPPED"
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


def _retry_plan(policy: Any, request: Any, exc: BaseException, attempt: int) -> tuple[int, float | None]:
    if request is not None:
        return (request.max_retries or 0), request.seconds_to_wait
    inner = exc.__cause__ if isinstance(exc, HeadwaterExecutionStepExecutionError) else exc
    if isinstance(inner, Failure) and not inner.allow_retries:
        return 0, None
    if policy is None or not isinstance(exc, (HeadwaterExecutionStepExecutionError, Failure)):
        return 0, None
    return policy.max_retries, policy.calculate_delay(attempt + 1) or None
