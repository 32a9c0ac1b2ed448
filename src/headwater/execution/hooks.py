"""Running hooks after a step: the HookContext and the trigger rules.

Imports `headwater.definitions` and this layer's `context`, `event`, `log`.
"""

from __future__ import annotations

from typing import Any

from headwater.execution import event as ev
from headwater.execution.context import Resources
from headwater.execution.log import LogManager


class HookContext:
    """What a hook receives: the step, the op, its output values, resources and the log."""

    def __init__(self, *, step_key: str | None = None, op: Any = None, job_name: str | None = None,
                 run_id: str | None = None, resources: Any = None, hook_def: Any = None,
                 op_output_values: dict[str, Any] | None = None, op_exception: BaseException | None = None,
                 op_config: Any = None, log: LogManager | None = None, instance: Any = None):
        self.step_key = step_key
        self.op = op
        self.job_name = job_name
        self.run_id = run_id
        self.resources = resources if isinstance(resources, Resources) else Resources(resources)
        self.hook_def = hook_def
        self.op_output_values = op_output_values or {}
        self.op_exception = op_exception
        self.op_config = op_config
        self.log = log or LogManager()
        self.instance = instance

    @property
    def required_resource_keys(self) -> frozenset[str]:
        return self.hook_def.required_resource_keys if self.hook_def else frozenset()


def build_hook_context(resources: Any = None, op: Any = None, run_id: str | None = None,
                       job_name: str | None = None, op_exception: BaseException | None = None,
                       instance: Any = None) -> HookContext:
    """A HookContext for calling a hook function directly in a test."""
    return HookContext(resources=resources, op=op, run_id=run_id, job_name=job_name,
                       op_exception=op_exception, instance=instance)


def run_hooks(run: Any, step: Any, key: str, ctx: Any, failed: bool) -> None:
    """Call the step's hooks whose trigger matches; a hook's error is an event, not a failure."""
    step_events = [e for e in run.events if e.step_key == key]
    outputs = {name: value for (skey, name, _mk), value in run.captured.items() if skey == step.key}
    exc = run.errors.get(key)
    user_exc = getattr(exc, "user_exception", None) or exc
    for hook in sorted(step.hook_defs, key=lambda h: h.name):
        if hook.trigger == "success" and failed or hook.trigger == "failure" and not failed:
            run.emit(ev.HeadwaterEventType.HOOK_SKIPPED, key,
                     f'Skipped the execution of hook "{hook.name}".', ev.HookData(hook.name))
            continue
        hook_ctx = HookContext(step_key=key, op=step.op_def, job_name=run.job.name,
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
                     f'Error occurred during the execution of hook "{hook.name}": {error}',
                     ev.HookData(hook.name, ev.SerializableError.from_exception(error)))
            continue
        if getattr(outcome, "is_skipped", False):
            run.emit(ev.HeadwaterEventType.HOOK_SKIPPED, key,
                     f'Skipped the execution of hook "{hook.name}".', ev.HookData(hook.name))
            continue
        run.emit(ev.HeadwaterEventType.HOOK_COMPLETED, key,
                 f'Finished the execution of hook "{hook.name}".', ev.HookData(hook.name))
