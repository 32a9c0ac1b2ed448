"""The scheduler: a run's steps handed to its executor as soon as their upstream finished.

State is a few dicts over step keys: how many upstream steps each still waits for, a ready
heap ordered by plan position (so with one step at a time the order is exactly the plan's,
priorities included), and how many parts of each step are still out (a mapped step is
expanded into one task per mapping key once its dynamic source finished). A step whose
upstream failed is not run; its downstream neither (unless the executor was configured with
`require_upstream_step_success: false` and every output the step reads was produced). Limits: the executor's
`max_concurrent` and its `tag_concurrency_limits` over op tags. Between steps the
scheduler asks `should_cancel()`; on cancel the executor stops its in-flight tasks.
Imports this layer's `event`, `executor`, `plan`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from headwater.errors import HeadwaterInvalidConfigError
from headwater.execution import event as ev
from headwater.execution.executor import Executor, StepReport, StepTask, limits_allow
from headwater.execution.plan import FromCollect, FromFanIn, FromStep

_ET = ev.HeadwaterEventType


def execute_plan(run: Any, executor: Executor,
                 should_cancel: Callable[[], bool] | None = None) -> None:
    """Run every step of `run.plan` (or of `run.steps_to_execute`) on `executor`."""
    steps = run.plan.steps
    index = {s.key: i for i, s in enumerate(steps)}
    remaining = {s.key: len(s.upstream) for s in steps}
    children: dict[str, list[str]] = {}
    for s in steps:
        for up in s.upstream:
            children.setdefault(up, []).append(s.key)
    selected = run.steps_to_execute
    heap: list[tuple[int, int, str, str | None]] = [
        (index[k], 0, k, None) for k, n in remaining.items() if n == 0]
    outstanding: dict[str, int] = {}
    failed_steps: set[str] = set()
    blocked: set[str] = set()
    limits = list(executor.tag_concurrency_limits or ())
    running: dict[int, int] = {}
    held: dict[str, list[int]] = {}
    max_concurrent = max(1, executor.max_concurrent)
    inflight = 0

    def complete(key: str) -> None:
        for child in children.get(key, ()):
            remaining[child] -= 1
            if remaining[child] == 0:
                heapq.heappush(heap, (index[child], 0, child, None))

    def on_done(report: StepReport) -> None:
        nonlocal inflight
        inflight -= 1
        task = report.task
        for i in held.pop(task.key, ()):
            running[i] -= 1
        if report.produced is not None:
            run.absorb(report)
        if report.outcome == "FAILURE":
            failed_steps.add(task.step_key)
        outstanding[task.step_key] -= 1
        if outstanding[task.step_key] == 0:
            if task.step_key in failed_steps and executor.require_upstream_step_success:
                blocked.add(task.step_key)
            complete(task.step_key)

    executor.start(run)
    try:
        while heap or inflight:
            if should_cancel is not None and should_cancel():
                _cancel(run, executor)
                return
            deferred = []
            while heap and inflight < max_concurrent:
                if should_cancel is not None and inflight == 0 and should_cancel():
                    break  # an executor that runs steps inline finishes them in this loop
                entry = heapq.heappop(heap)
                idx, part, key, mapping_key = entry
                step = steps[idx]
                if part == 0:
                    if selected is not None and key not in selected:
                        complete(key)  # its outputs come from the parent run
                        continue
                    failed_up = [u for u in step.upstream if u in blocked or (
                        u in failed_steps and not _reads_only_produced(run, step, u))]
                    if failed_up:
                        blocked.add(key)
                        run.step_status[key] = "NOT_RUN"
                        run.emit(_ET.ENGINE_EVENT, key,
                                 f"Dependencies for step {key} failed "
                                 f"({', '.join(sorted(failed_up))}), so it was not run.")
                        complete(key)
                        continue
                    if step.dynamic_source is not None:
                        keys = [k for k in run.keys_for_source(step.dynamic_source)
                                if run.executes(key, k)]
                        if not keys:
                            complete(key)
                            continue
                        outstanding[key] = len(keys)
                        for j, mk in enumerate(keys, 1):
                            heapq.heappush(heap, (idx, j, key, mk))
                        continue
                    outstanding[key] = 1
                task = StepTask(key, mapping_key, f"{key}[{mapping_key}]" if mapping_key else key,
                                step.tags, frozenset(run.skipped))
                if limits:
                    hit = limits_allow(limits, running, step.tags)
                    if hit is None:
                        deferred.append(entry)
                        continue
                    for i in hit:
                        running[i] = running.get(i, 0) + 1
                    held[task.key] = hit
                inflight += 1
                executor.submit(task, on_done)
            for entry in deferred:
                heapq.heappush(heap, entry)
            if inflight:
                executor.wait()
            elif deferred:
                raise HeadwaterInvalidConfigError(
                    f"tag_concurrency_limits {limits} allow no step with tags "
                    f"{dict(steps[deferred[0][0]].tags)} to run: give each limit a value of at "
                    "least 1.", [],
                )
    finally:
        executor.shutdown()


def _reads_only_produced(run: Any, step: Any, upstream: str) -> bool:
    """Whether every output `step` reads from the (failed) step `upstream` was produced
    before it failed; what is read from a mapped or dynamic output counts as missing."""
    sources = list(step.inputs.values())
    while sources:
        source = sources.pop()
        if isinstance(source, FromFanIn):
            sources.extend(source.sources)
            continue
        if getattr(source, "step_key", None) != upstream:
            continue
        if isinstance(source, FromCollect) or (isinstance(source, FromStep) and (
                source.mapped or (upstream, source.output_name, None) not in run.produced)):
            return False
    return True


def _cancel(run: Any, executor: Executor) -> None:
    for task in executor.terminate():
        run.failed.append(task.key)
        run.step_status[task.key] = "FAILURE"
        run.emit(_ET.STEP_FAILURE, task.key,
                 f'Step "{task.key}" was stopped: the run was canceled.',
                 ev.StepFailureData(None, error_source="INTERRUPT"))
    run.canceled = True
