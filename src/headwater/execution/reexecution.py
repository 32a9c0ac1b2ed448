"""Re-execution: run again all, the failed part, or selected steps of an earlier run.

`ReexecutionOptions(parent_run_id, step_selection)` names the steps to run (Dagster's
selection syntax: `name`, `*name` with everything upstream, `name*` with everything
downstream, `+name`/`name+` one level). A copy of a mapped step is `name[mapping_key]`;
`name[?]` is every copy. `ReexecutionOptions.from_failure(run_id, instance)` selects the
steps, and the copies of mapped steps, that failed or never ran.

The child run loads what the steps it does not execute produced through the IO manager,
from the run that last finished each step (the parent, or an ancestor when the parent was
itself a re-execution); the mapping keys of a dynamic output it does not execute are the
ones that run produced. A step the selection names whose input no earlier run produced
fails (the user asked for a step that cannot run); a step picked by `from_failure` is
skipped instead, as it would have been had the parent run gone on. The instance is used
duck-typed (`get_run_by_id`, `all_logs`). Imports `headwater.definitions` and this layer's
`event`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    HeadwaterInvariantViolationError,
    HeadwaterRunNotFoundError,
)
from headwater.execution import event as ev

_ET = ev.HeadwaterEventType
_DONE = (_ET.STEP_SUCCESS, _ET.STEP_SKIPPED)
Ref = tuple[str, str, "str | None"]  # (step, output, mapping key)


@dataclass(frozen=True)
class ReexecutionOptions:
    """Which run to re-execute, and which of its steps: for `execute_job(reexecution_options=...)`.

    The new run reuses the outputs its parent stored for the steps it does not run.
    `ReexecutionOptions.from_failure(run_id, instance)` selects the steps of a failed run
    that failed or did not run; an unknown run raises `HeadwaterRunNotFoundError`.

    Args:
        parent_run_id: the run to re-execute.
        step_selection: the steps to run again (keys or queries); all of them when None.
        from_failure_of: set by `from_failure`: the selection is the failed run's unfinished
            steps.

    Example:
        ```python
        from headwater import ReexecutionOptions, execute_job, in_process_executor
        from headwater import instance_for_test, job, op

        warehouse = {"up": False}

        @op
        def extract() -> int:
            return 2

        @op
        def load(n: int) -> int:
            if not warehouse["up"]:
                raise ConnectionError("warehouse down")
            return n

        @job(executor_def=in_process_executor)
        def etl():
            load(extract())

        with instance_for_test() as instance:
            first = execute_job(etl, instance=instance)
            assert not first.success
            warehouse["up"] = True
            options = ReexecutionOptions.from_failure(first.run_id, instance)
            with execute_job(etl, instance=instance, reexecution_options=options) as second:
                assert second.output_for_node("load") == 2
                assert [e.step_key for e in second.get_step_success_events()] == ["load"]
        ```
    """

    parent_run_id: str
    step_selection: Sequence[str] | None = None
    from_failure_of: bool = False

    @staticmethod
    def from_failure(run_id: str, instance: Any) -> ReexecutionOptions:
        """The steps of run `run_id` that failed or did not run (the run must have failed)."""
        parent = _get_run(instance, run_id)
        if parent.status.value not in ("FAILURE", "CANCELED"):
            raise HeadwaterInvariantViolationError(
                f"Cannot re-execute from failure a run that is not failed: run {run_id} has "
                f"status {parent.status.value}. Re-execute all of it, or select steps."
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


def _split_key(text: str) -> tuple[str, str | None]:
    """"a[k]" -> ("a", "k"); "a[?]" and "a" -> ("a", None)."""
    if not text.endswith("]") or "[" not in text:
        return text, None
    template, mapping_key = text[:-1].split("[", 1)
    return template, None if mapping_key == "?" else mapping_key


def steps_not_done(instance: Any, parent: Any) -> list[str]:
    """Steps of `parent` that failed, were not run, or never started; for a mapped step whose
    copies ran, the copies that did not finish (`name[key]`)."""
    done: set[str] = set()
    copies: dict[str, list[str]] = {}
    for entry in instance.all_logs(parent.run_id, of_type=[*_DONE, _ET.STEP_FAILURE,
                                                           _ET.STEP_START]):
        key = entry.step_key or ""
        if entry.headwater_event_type in _DONE:
            done.add(key)
        if "[" in key:
            copies.setdefault(_template(key), []).append(key)
    not_done: list[str] = []
    for key in parent.step_keys_to_execute or ():
        if key in done:
            continue
        ran = copies.get(key)
        if ran:  # a mapped step: its copies that did not finish
            not_done.extend(k for k in dict.fromkeys(ran) if k not in done)
        else:
            not_done.append(key)
    return not_done


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
    """Step keys named by `selection` (Dagster's `*a`, `a*`, `+a`, `a+` syntax): a step's
    key for all of it, `name[key]` for one copy of a mapped step."""
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
        name, mapping_key = _split_key(text.strip("+*"))
        step = plan.by_key.get(name)
        if step is None or (mapping_key is not None and not step.is_mapped):
            unknown.append(raw)
            continue
        up = None if text.startswith("*") else up_depth
        down = None if text.endswith("*") else down_depth
        reached = {name} | _walk(name, lambda k: plan.by_key[k].upstream, up) \
            | _walk(name, lambda k: children.get(k, ()), down)
        for key in reached:
            # the copies up- and downstream of one copy are those of its mapping key
            same_copy = mapping_key is not None and \
                plan.by_key[key].dynamic_source == step.dynamic_source
            chosen.add(f"{key}[{mapping_key}]" if same_copy else key)
    if unknown:
        raise HeadwaterExecutionStepNotFoundError(
            f"Step selection names unknown steps {unknown}; the steps of this job are "
            f"{', '.join(plan.step_keys())} (a copy of a mapped step is name[mapping_key], "
            "all its copies name[?]).", unknown,
        )
    return {k for k in chosen if "[" not in k or _template(k) not in chosen}


def split_selection(chosen: set[str]) -> tuple[set[str], dict[str, set[str]]]:
    """The steps that execute, and for mapped ones executed in part, their mapping keys."""
    whole = {k for k in chosen if "[" not in k}
    copies: dict[str, set[str]] = {}
    for key in chosen - whole:
        template, mapping_key = _split_key(key)
        copies.setdefault(template, set()).add(mapping_key or "")
    return whole | set(copies), copies


def _walk(start: str, neighbours: Any, depth: int | None) -> set[str]:
    seen: set[str] = set()
    frontier = {start}
    level = 0
    while frontier and (depth is None or level < depth):
        frontier = {n for k in frontier for n in neighbours(k)} - seen
        seen |= frontier
        level += 1
    return seen


def outputs_from_ancestors(instance: Any, parent: Any,
                           executes: Callable[[Ref], bool]) -> dict[Ref, str]:
    """The outputs of earlier runs this run may load, and the run that wrote each: for each
    step (each copy of a mapped step), those of the most recent run that finished it, so
    that an optional output a later run did not yield is not taken from an older run.
    Outputs of the steps this run executes (`executes(ref)`) are left out."""
    found: dict[Ref, str] = {}
    settled: set[str] = set()
    run = parent
    while run is not None:
        finished: set[str] = set()
        outputs: list[tuple[str, Ref]] = []
        for entry in instance.all_logs(run.run_id, of_type=[*_DONE, _ET.STEP_OUTPUT]):
            key = entry.step_key or ""
            if key in settled:
                continue
            if entry.headwater_event_type is _ET.STEP_OUTPUT:
                data = entry.get_headwater_event().payload
                outputs.append((key, (_template(key), data.output_name, data.mapping_key)))
            else:
                finished.add(key)
        for key, ref in outputs:
            if key in finished and not executes(ref):
                found.setdefault(ref, run.run_id)
        settled |= finished
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
                         if not allowed or _template(k) in allowed}
        whole, copies = split_selection(selected)
        run.steps_to_execute = whole
        run.mapping_keys_to_execute = copies
        run.loads_missing_inputs_strictly = not options.from_failure_of
        run.output_run_ids = outputs_from_ancestors(
            instance, parent, lambda ref: run.executes(ref[0], ref[2]))
        if options.from_failure_of:
            _add_unstarted_copies(run, instance, parent, copies)
        _check_mapping_keys(run, copies)

    return prepare


def _add_unstarted_copies(run: Any, instance: Any, parent: Any,
                          copies: dict[str, set[str]]) -> None:
    """From failure: the copies of a mapped step that the parent meant to run whole but never
    started (it was canceled or its process died) run too, beside those that failed."""
    done = {e.step_key for e in instance.all_logs(parent.run_id, of_type=list(_DONE))}
    for template in parent.step_keys_to_execute or ():
        step = run.plan.by_key.get(template)
        if step is None or step.dynamic_source is None or template in run.steps_to_execute \
                and template not in copies or step.dynamic_source[0] in run.steps_to_execute:
            continue
        source = step.dynamic_source
        unstarted = {ref[2] for ref in run.output_run_ids if (ref[0], ref[1]) == source
                     and ref[2] is not None and f"{template}[{ref[2]}]" not in done}
        if unstarted:
            copies.setdefault(template, set()).update(unstarted)
            run.steps_to_execute.add(template)


def _check_mapping_keys(run: Any, copies: dict[str, set[str]]) -> None:
    """Copies selected of a mapped step whose dynamic output this run does not execute must
    be among the mapping keys that output had."""
    for template, keys in copies.items():
        source = run.plan.by_key[template].dynamic_source
        if source is None:
            continue
        if source[0] in run.steps_to_execute:
            named = sorted(f"{template}[{k}]" for k in keys)
            raise HeadwaterExecutionStepNotFoundError(
                f"Step selection names {', '.join(named)} by mapping key, but also re-executes "
                f"step '{source[0]}', whose dynamic output decides the mapping keys anew: "
                f"select {template}[?] for every copy.", named,
            )
        known = {ref[2] for ref in run.output_run_ids if (ref[0], ref[1]) == source}
        missing = sorted(f"{template}[{k}]" for k in keys - known)
        if missing:
            raise HeadwaterExecutionStepNotFoundError(
                f"Step selection names {', '.join(missing)}, but the run being re-executed has "
                f"no such copy: output '{source[1]}' of step '{source[0]}' produced mapping keys "
                f"{sorted(k for k in known if k is not None)}.", missing,
            )
