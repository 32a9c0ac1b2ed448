"""Re-execution: run again all, the failed part, or selected steps of an earlier run.

`ReexecutionOptions(parent_run_id, step_selection)` names the steps to run (Dagster's
selection syntax: `name`, `*name` with everything upstream, `name*` with everything
downstream, `+name`/`name+` one level). `ReexecutionOptions.from_failure(run_id, instance)`
selects the steps that failed or never ran. The child run loads what the steps it skips
produced through the IO manager, from the run that wrote each output (the parent, or an
ancestor when the parent was itself a re-execution). The instance is used duck-typed
(`get_run_by_id`, `all_logs`). Imports `headwater.definitions` and this layer's `event`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.tags import (
    PARENT_RUN_ID_TAG,
    PARTITION_TAG,
    RESUME_RETRY_TAG,
    ROOT_RUN_ID_TAG,
    STEP_SELECTION_TAG,
    SYSTEM_TAG_PREFIX,
)
from headwater.errors import (
    HeadwaterExecutionStepNotFoundError,
    HeadwaterInvalidInvocationError,
    HeadwaterRunNotFoundError,
)
from headwater.execution import event as ev

_ET = ev.HeadwaterEventType
_DONE = (_ET.STEP_SUCCESS, _ET.STEP_SKIPPED)


@dataclass(frozen=True)
class ReexecutionOptions:
    """Which run to re-execute and which of its steps (None: all of them)."""

    parent_run_id: str
    step_selection: Sequence[str] | None = None
    from_failure_of: bool = False

    @staticmethod
    def from_failure(run_id: str, instance: Any) -> ReexecutionOptions:
        """The steps of run `run_id` that failed or did not run (the run must have failed)."""
        parent = _get_run(instance, run_id)
        if parent.status.value not in ("FAILURE", "CANCELED"):
            raise HeadwaterInvalidInvocationError(
                f"Cannot re-execute run {run_id} from failure: it did not fail (status "
                f"{parent.status.value}). Re-execute all of it, or select steps."
            )
        return ReexecutionOptions(run_id, tuple(steps_not_done(instance, parent)), True)


def _get_run(instance: Any, run_id: str) -> Any:
    run = instance.get_run_by_id(run_id) if instance is not None else None
    if run is None:
        raise HeadwaterRunNotFoundError(
            f"No run with id {run_id} in the instance: check the id with `headwater run list`."
        )
    return run


def _template(step_key: str) -> str:
    return step_key.split("[", 1)[0]


def steps_not_done(instance: Any, parent: Any) -> list[str]:
    """Steps of `parent` that failed, were not run, or never started."""
    done: set[str] = set()
    failed: set[str] = set()
    for entry in instance.all_logs(parent.run_id, of_type=[*_DONE, _ET.STEP_FAILURE]):
        template = _template(entry.step_key or "")
        event_type = entry.headwater_event_type
        (failed if event_type is _ET.STEP_FAILURE else done).add(template)
    keys = parent.step_keys_to_execute or ()
    return [k for k in keys if k in failed or k not in done]


def reexecution_tags(parent: Any, options: ReexecutionOptions) -> dict[str, str]:
    tags = {k: v for k, v in parent.tags.items() if not k.startswith(SYSTEM_TAG_PREFIX)
            or k == PARTITION_TAG}
    tags[PARENT_RUN_ID_TAG] = parent.run_id
    tags[ROOT_RUN_ID_TAG] = parent.get_root_run_id() or parent.run_id
    if options.from_failure_of:
        tags[RESUME_RETRY_TAG] = "true"
    if options.step_selection is not None:
        tags[STEP_SELECTION_TAG] = ",".join(options.step_selection)
    return tags


def select_steps(plan: Any, selection: Sequence[str]) -> set[str]:
    """Step keys named by `selection` (Dagster's `*a`, `a*`, `+a`, `a+` syntax)."""
    children: dict[str, set[str]] = {}
    for step in plan.steps:
        for up in step.upstream:
            children.setdefault(up, set()).add(step.key)
    chosen: set[str] = set()
    unknown = []
    for raw in selection:
        text = raw.strip()
        up_depth = len(text) - len(text.lstrip("+*"))
        down_depth = len(text) - len(text.rstrip("+*"))
        name = _template(text.strip("+*"))
        if name not in plan.by_key:
            unknown.append(raw)
            continue
        chosen.add(name)
        up = None if text.startswith("*") else up_depth
        down = None if text.endswith("*") else down_depth
        chosen |= _walk(name, lambda k: plan.by_key[k].upstream, up)
        chosen |= _walk(name, lambda k: children.get(k, ()), down)
    if unknown:
        raise HeadwaterExecutionStepNotFoundError(
            f"Step selection {unknown} names no step of this job; its steps are "
            f"{', '.join(plan.step_keys())}.", step_keys=list(unknown))
    return chosen


def _walk(start: str, neighbours: Any, depth: int | None) -> set[str]:
    seen: set[str] = set()
    frontier = {start}
    level = 0
    while frontier and (depth is None or level < depth):
        frontier = {n for k in frontier for n in neighbours(k)} - seen
        seen |= frontier
        level += 1
    return seen


def outputs_from_ancestors(instance: Any, parent: Any, wanted: set[str]) -> dict[Any, str]:
    """For steps in `wanted` (not re-executed), the run that wrote each of their outputs."""
    found: dict[Any, str] = {}
    missing = set(wanted)
    run = parent
    while run is not None and missing:
        here: set[str] = set()
        for entry in instance.all_logs(run.run_id, of_type=_ET.STEP_OUTPUT):
            template = _template(entry.step_key or "")
            if template not in missing:
                continue
            data = entry.get_headwater_event().payload
            found[(template, data.output_name, data.mapping_key)] = run.run_id
            here.add(template)
        missing -= here
        parent_id = run.parent_run_id or run.tags.get(PARENT_RUN_ID_TAG)
        run = instance.get_run_by_id(parent_id) if parent_id else None
    return found


def preparer(options: ReexecutionOptions, instance: Any) -> Any:
    """A `prepare(run)` for execute_job: narrow the run's steps, point at parent outputs."""
    parent = _get_run(instance, options.parent_run_id)

    def prepare(run: Any) -> None:
        if options.step_selection is None:
            return
        selected = select_steps(run.plan, options.step_selection)
        if options.from_failure_of:
            # Whatever ran downstream of a failed step (it may have, with
            # require_upstream_step_success=False) runs again, within the parent's steps.
            allowed = {_template(k) for k in parent.step_keys_to_execute or ()}
            selected |= {k for k in select_steps(run.plan, [f"{k}*" for k in selected])
                         if not allowed or k in allowed}
        run.steps_to_execute = selected
        upstream = {u for k in selected for u in run.plan.by_key[k].upstream} - selected
        run.output_run_ids = outputs_from_ancestors(instance, parent, upstream)

    return prepare
