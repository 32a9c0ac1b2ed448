"""One run: its state, resources, the scheduler over its steps, and its run events.

`execute_job(job, ...)` builds the plan, initialises resources once (when steps execute in
this process), hands the steps to the scheduler and the run's executor (in this process by
default; a worker pool or a dask cluster otherwise), tears resources down even when a step
failed, and returns the run with its events and captured outputs. Imports
`headwater.definitions` and this layer's `plan`, `executor`, `scheduler`, `event`,
`context`, `resources`, `log`.
"""

from __future__ import annotations

import pickle
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from headwater.definitions.assets.staleness import AssetGraphStaleness, StalenessResolver
from headwater.definitions.checks.definition import AssetChecksDefinition
from headwater.definitions.checks.result import (
    AssetCheckEvaluation,
    AssetCheckEvaluationPlanned,
    AssetCheckResult,
)
from headwater.definitions.checks.spec import AssetCheckSeverity
from headwater.definitions.config.fs_io_manager import (
    PickledObjectFilesystemIOManager,
    fs_io_manager,
)
from headwater.definitions.config.io_manager import InMemoryIOManager
from headwater.definitions.config.run_config import validate_run_config
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.metadata.types import HeadwaterTypeLoaderContext, TypeCheckContext
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.tags import (
    PARTITION_TAG,
    RANGE_START_TAG,
    SKIP_UNCHANGED_METADATA,
    SKIP_UNCHANGED_TAG,
)
from headwater.errors import (
    HeadwaterAssetCheckFailedError,
    HeadwaterError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvariantViolationError,
    HeadwaterStepOutputNotFoundError,
)
from headwater.execution import event as ev
from headwater.execution.context import OutputContext, RunInfo
from headwater.execution.executor import (
    NO_WATCH,
    Executor,
    InProcessExecutor,
    NoWatch,
    RunWatch,
    StepReport,
    execute_plan,
)
from headwater.execution.log import LogManager, with_job_loggers
from headwater.execution.partition import check_run_partition
from headwater.execution.plan import (
    FromAsset,
    FromCollect,
    FromStep,
    FromValue,
    Plan,
    Step,
    build_plan,
)
from headwater.execution.resources import Resources, build_resource_values

_RUN_END_STATUS = {ev.HeadwaterEventType.RUN_SUCCESS: "SUCCESS",
                   ev.HeadwaterEventType.RUN_FAILURE: "FAILURE",
                   ev.HeadwaterEventType.RUN_CANCELED: "CANCELED"}


RUN_PARTITION: Any = object()  # emit(): the event is for the run's partition
_CHECK_EVENTS = frozenset({ev.HeadwaterEventType.ASSET_CHECK_EVALUATION,
                           ev.HeadwaterEventType.ASSET_CHECK_EVALUATION_PLANNED})


class Run:
    """The state of one run while it executes."""

    def __init__(self, job: Any, plan: Plan, run_id: str, run_config: Mapping[str, Any],
                 tags: Mapping[str, str], instance: ev.RunInstance | None, partition_key: str | None,
                 on_event: Callable[[ev.HeadwaterEvent], None] | None):
        self.job = job
        self.plan = plan
        self.run_id = run_id
        self.run_config = dict(run_config)
        self.tags = dict(tags)
        self.instance = instance
        self.partition_key = partition_key
        self.info = RunInfo(run_id, job.name, self.tags, self.run_config)
        self.events: list[ev.HeadwaterEvent] = []
        self.on_event = on_event
        self.resources: dict[str, Any] = {}
        self.resource_view = Resources()
        # key -> the config each resource was built with (IO manager contexts show theirs)
        self.resource_configs: dict[str, Any] = {}
        self.produced: set[tuple[str, str, str | None]] = set()
        self.output_contexts: dict[tuple[str, str, str | None], Any] = {}
        # Output values the result reports (see keep_output); values the filesystem IO
        # manager stored are read back from their files instead.
        self.captured: dict[tuple[str, str, str | None], Any] = {}
        # Values of the step whose hooks are about to run, released after them.
        self.hook_values: dict[tuple[str, str, str | None], Any] = {}
        self.mapping_keys: dict[tuple[str, str], list[str]] = {}
        self.mapped_steps: set[str] = {s.key for s in plan.steps if s.is_mapped}
        self.op_configs: dict[str, Any] = {}
        self.resolved_config: dict[str, Any] = self.run_config
        self.failed: list[str] = []
        self.skipped: set[str] = set()
        self.succeeded: set[str] = set()
        self.step_status: dict[str, str] = {}
        self._resource_views: dict[str, Resources] = {}
        self.errors: dict[str, BaseException] = {}
        self.fatal_error: HeadwaterError | None = None  # the run could not start its steps
        self.steps_to_execute: set[str] | None = None  # None: every step (re-execution narrows)
        # mapped steps of which re-execution runs only some copies: those mapping keys
        self.mapping_keys_to_execute: dict[str, set[str]] = {}
        # re-execution of selected steps: a step whose input no run produced fails (not skips)
        self.loads_missing_inputs_strictly = False
        self.canceled = False
        # heartbeats, notices a cancel and interrupts user code (a persistent instance's run)
        self.watch: RunWatch | NoWatch = NO_WATCH
        self.reconstructable: Any = None  # where a worker process loads the job from
        self.output_run_ids: dict[tuple[str, str, str | None], str] = {}  # from parent runs
        # the latest materialization event of each asset partition this run wrote: a step's
        # provenance reads its parents' records from here instead of querying the storage
        self.materialized_here: dict[AssetKey, dict[str | None, ev.HeadwaterEvent]] = {}
        self._staleness_graph: AssetGraphStaleness | None = None

    # --- events -------------------------------------------------------------------------
    def emit(self, event_type: ev.HeadwaterEventType, step_key: str | None, message: str,
             payload: Any = None, asset_key: AssetKey | None = None,
             partition: Any = RUN_PARTITION) -> ev.HeadwaterEvent:
        event = ev.HeadwaterEvent(
            event_type=event_type, run_id=self.run_id, job_name=self.job.name,
            timestamp=time.time(), step_key=step_key,
            node_name=step_key.split("[", 1)[0] if step_key else None,
            asset_key=asset_key,
            partition=self._event_partition(event_type, partition, asset_key),
            message=message, payload=payload,
        )
        self.watch.hold()  # an interrupt waits until the event is recorded
        try:
            self.events.append(event)
            if event_type is ev.HeadwaterEventType.ASSET_MATERIALIZATION and asset_key is not None:
                self.materialized_here.setdefault(asset_key, {})[event.partition] = event
            if event_type in _RUN_END_STATUS:
                self.info.status = _RUN_END_STATUS[event_type]
            if self.on_event is not None:
                self.on_event(event)
        finally:
            self.watch.release()
        return event

    def _event_partition(self, event_type: ev.HeadwaterEventType, partition: Any,
                         asset_key: AssetKey | None = None) -> str | None:
        """The run's partition unless the event names one; a check's event names exactly
        its own (None for an unpartitioned check in a partitioned run), and an event of an
        asset this job knows to be unpartitioned names none."""
        if partition is RUN_PARTITION or (partition is None and event_type not in _CHECK_EVENTS):
            return self.asset_partition(asset_key) if asset_key is not None else self.partition_key
        return partition

    def asset_partition(self, asset_key: AssetKey) -> str | None:
        """The run's partition key as it applies to one asset: None for an asset of this job
        without a partitions definition (a partitioned run may also materialize those)."""
        if self.partition_key is None:
            return None
        assets_def = self.job.asset_layer.assets_def_for_key(asset_key)
        if assets_def is not None and getattr(assets_def, "partitions_def", None) is None:
            return None
        return self.partition_key

    def forward(self, event: ev.HeadwaterEvent) -> None:
        """Record an event emitted by this run's step in another process."""
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def absorb(self, report: StepReport) -> None:
        """Take in what a step executed elsewhere produced and how it ended."""
        for ref in report.produced or ():
            self.produced.add(ref)
            self.record_mapping_key(ref[0], ref[1], ref[2])
        key = report.task.key
        self.step_status[key] = report.outcome
        if report.outcome == "SUCCESS":
            self.succeeded.add(key)
        elif report.outcome == "SKIPPED":
            self.skipped.add(key)
        else:
            self.failed.append(key)
        for event in report.events or ():
            self.forward(event)

    def executes(self, step_key: str, mapping_key: str | None = None) -> bool:
        """Whether this run executes the step (the copy of `mapping_key`, for a mapped one)."""
        if self.steps_to_execute is None:
            return True
        if step_key not in self.steps_to_execute:
            return False
        keys = self.mapping_keys_to_execute.get(step_key)
        return keys is None or mapping_key in keys

    def selected_step_keys(self) -> list[str]:
        """The keys of the steps this run executes, `name[key]` for copies chosen one by one."""
        selected = []
        for step in self.plan.steps:
            if self.steps_to_execute is not None and step.key not in self.steps_to_execute:
                continue
            keys = self.mapping_keys_to_execute.get(step.key)
            selected.extend([f"{step.key}[{k}]" for k in sorted(keys)] if keys else [step.key])
        return selected

    def add_known_outputs(self, known: Any) -> None:
        """Record outputs produced outside this process: (ref, id of the run that wrote it)."""
        for ref, run_id in known:
            if ref in self.output_contexts and run_id != self.run_id:
                continue  # what this run wrote wins over what an earlier run did
            self.produced.add(ref)
            self.record_mapping_key(ref[0], ref[1], ref[2])
            self.output_contexts[ref] = self.output_context_for(ref, run_id)

    def output_context_for(self, ref: tuple[str, str, str | None], run_id: str) -> OutputContext:
        """The context an output was handled with, rebuilt to load it (written by `run_id`)."""
        step_key, name, mapping_key = ref
        step = self.plan.by_key[step_key]
        out_def = step.op_def.output_dict[name]
        asset_key = step.asset_keys_by_output.get(name)
        spec = step.assets_def.specs_by_key.get(asset_key) if asset_key is not None else None
        ctx = OutputContext(
            step_key=step_key, name=name, job_name=self.job.name, run_id=run_id,
            definition_metadata={**(spec.metadata if spec else {}), **out_def.metadata},
            mapping_key=mapping_key,
            headwater_type=out_def.headwater_type,
            config=step.config.outputs.get(name),
            log=self.log_for(None), resources=self.resource_view, op_def=step.op_def,
            asset_key=asset_key, partition_key=self.partition_key,
            assets_def=step.assets_def, instance=self.instance,
        )
        ctx._manager_key = out_def.io_manager_key  # type: ignore[attr-defined]
        ctx.resource_config = self.resource_configs.get(out_def.io_manager_key)
        return ctx

    def keep_output(self, step: Step, ref: tuple[str, str, str | None], value: Any,
                    manager: Any) -> None:
        """Hold an output value for the result, unless its IO manager can give it back.

        The in-memory IO manager keeps the object anyway (holding it here costs nothing);
        a user's IO manager may not be able to load after the run's resources are torn
        down, so its values are held as Dagster holds them. The filesystem IO manager's
        files outlive the run: its values are released as soon as no step needs them and
        `result.output_for_node` reads them back.
        """
        if not isinstance(manager, PickledObjectFilesystemIOManager):
            self.captured[ref] = value
        elif step.hook_defs:
            self.hook_values[ref] = value

    def load_stored_output(self, ref: tuple[str, str, str | None]) -> Any:
        """An output's value read back from the file the filesystem IO manager wrote."""
        ctx: Any = self.output_contexts.get(ref) or self.output_context_for(ref, self.run_id)
        manager = self.resources.get(ctx._manager_key)
        if not isinstance(manager, PickledObjectFilesystemIOManager):
            if self.job.resource_defs.get(ctx._manager_key) is not fs_io_manager:
                raise HeadwaterInvariantViolationError(
                    f"Output '{ref[1]}' of step '{ref[0]}' was stored in another process by IO "
                    f"manager '{ctx._manager_key}'; load it with that IO manager (e.g. "
                    "Definitions.load_asset_value for an asset)."
                )
            manager = PickledObjectFilesystemIOManager()  # the run's steps ran elsewhere
        with open(manager.get_path(ctx), "rb") as handle:
            return pickle.load(handle)

    def log_sink(self, step_key: str | None) -> Callable[[int, str], None]:
        def sink(level: int, message: str) -> None:
            self.emit(ev.HeadwaterEventType.LOG, step_key, message, ev.LogData(level))

        return sink

    def log_for(self, step_key: str | None) -> LogManager:
        return LogManager(self.log_sink(step_key))

    def type_check_context(self, htype: Any, log: LogManager) -> TypeCheckContext:
        """A type check's context: it sees the resources its type declares."""
        resources = Resources(self.resources, owner=f"type '{htype.display_name}'",
                              keys=htype.required_resource_keys)
        return TypeCheckContext(log=log, resources=resources, run_id=self.run_id)

    def type_loader_context(self, loader: Any, input_name: str, op_def: Any,
                            log: LogManager) -> HeadwaterTypeLoaderContext:
        """A type loader's context: it sees the resources the loader declares."""
        resources = Resources(self.resources, owner=f"the loader of input '{input_name}'",
                              keys=loader.required_resource_keys)
        return HeadwaterTypeLoaderContext(log, resources, op_def, self.run_id)

    def resources_for(self, step: Step) -> Resources:
        view = self._resource_views.get(step.key)
        if view is None:
            view = Resources(self.resources, owner=f"op '{step.op_def.name}'",
                             keys=step_resource_keys(self.job, step))
            self._resource_views[step.key] = view
        return view

    # --- versions and skip-unchanged ------------------------------------------------------
    def versions(self, for_key: AssetKey | None = None) -> StalenessResolver | None:
        """What the instance records now about the assets' versions (None for a job that is
        not built from an asset graph). A new resolver per question: the run keeps writing."""
        graph, instance = self._staleness_graph, self.instance
        if instance is None:
            return None
        if graph is None:
            asset_graph = self.job.asset_layer.asset_graph
            if asset_graph is None:
                return None
            graph = self._staleness_graph = AssetGraphStaleness(asset_graph, instance)
        resolver = StalenessResolver(graph, instance)
        record_of = getattr(instance, "record_of", None)
        if record_of is not None and for_key is not None and self.materialized_here:
            # the parents of `for_key` this run materialized: their records are known here
            for parent in graph.parents(for_key):
                for partition, event in self.materialized_here.get(parent, {}).items():
                    record = record_of(event)
                    if record is not None:
                        resolver.prime(parent, partition, record)
        return resolver

    def unchanged(self, step: Step) -> ev.StepUnchangedData | None:
        """The evidence that `step` need not run (skip-unchanged), or None to run it.

        Opt-in: the run's tag `headwater/skip_unchanged: "true"`, or every asset of the step
        with metadata `headwater/skip_unchanged: True`. A step is skipped when each asset
        it materializes was materialized before, declares a code_version equal to the one
        recorded, reads at least one parent, and every parent's data version is the one it
        was computed from. Steps evaluating checks, graph-backed assets, observations and
        runs over a partition range always run.
        """
        assets_def = step.assets_def
        if assets_def is None or not step.asset_keys_by_output or assets_def.is_observable \
                or assets_def.check_specs or isinstance(assets_def.node_def, GraphDefinition) \
                or isinstance(assets_def, AssetChecksDefinition):
            return None
        keys = [k for k in step.asset_keys_by_output.values() if k in assets_def.keys]
        metadata = [assets_def.specs_by_key[k].metadata for k in keys]
        if self.tags.get(SKIP_UNCHANGED_TAG, "").lower() != "true" and not all(
                getattr(m.get(SKIP_UNCHANGED_METADATA), "value", m.get(SKIP_UNCHANGED_METADATA))
                is True for m in metadata):
            return None
        if self.partition_key is None and self.tags.get(RANGE_START_TAG) is not None:
            return None
        if any(isinstance(self.resources.get(o.io_manager_key), InMemoryIOManager)
               for o in step.op_def.output_dict.values()):
            return None  # values kept in memory do not outlive a run: nothing to reuse
        resolver = self.versions()
        if resolver is None:
            return None
        storage_ids, run_ids, code_versions, inputs = [], [], [], {}
        for key in keys:
            code_version = resolver.graph.code_version(key)
            record = resolver.latest_record(key, self.partition_key)
            parents = list(resolver.graph.parents(key))
            if code_version is None or record is None or not parents \
                    or resolver.own_causes(key, self.partition_key):
                return None
            storage_ids.append(record.storage_id)
            run_ids.append(record.run_id)
            code_versions.append(code_version)
            for parent, version in resolver.input_versions(key, self.partition_key).items():
                inputs[parent.to_user_string()] = version.data_version.value
        return ev.StepUnchangedData(tuple(keys), tuple(storage_ids), tuple(run_ids),
                                    tuple(code_versions), inputs)

    def reuse_stored_outputs(self, step: Step, evidence: ev.StepUnchangedData) -> None:
        """Record the step's outputs as produced by the runs that materialized them, so that
        downstream steps load the stored values through the IO manager."""
        run_by_key = dict(zip(evidence.asset_keys, evidence.run_ids))
        for name, key in step.asset_keys_by_output.items():
            if key not in run_by_key:
                continue
            ref = (step.key, name, None)
            self.output_contexts[ref] = self.output_context_for(ref, run_by_key[key])
            self.produced.add(ref)

    # --- dynamic outputs ----------------------------------------------------------------
    def is_mapped(self, step_key: str) -> bool:
        return step_key in self.mapped_steps

    def record_mapping_key(self, step_key: str, output_name: str, mapping_key: str | None) -> None:
        if mapping_key is not None:
            self.mapping_keys.setdefault((step_key, output_name), []).append(mapping_key)

    def keys_for_source(self, source: tuple[str, str]) -> list[str]:
        return list(dict.fromkeys(self.mapping_keys.get(source, [])))

    def collect_refs(self, step_key: str, output_name: str) -> list[tuple[str, str, str | None]]:
        step = self.plan.by_key[step_key]
        out = step.op_def.output_dict[output_name]
        if out.is_dynamic:
            keys = self.keys_for_source((step_key, output_name))
        else:
            keys = self.keys_for_source(step.dynamic_source) if step.dynamic_source else []
        return [(step_key, output_name, k) for k in keys if (step_key, output_name, k) in self.produced]

    def upstream_ref(self, source: FromStep, mapping_key: str | None) -> tuple[str, str, str | None]:
        """The output an input reads: the same mapping key's copy when both are mapped."""
        upstream_mk = mapping_key if source.mapped and self.is_mapped(source.step_key) else None
        if source.mapped and self.plan.by_key[source.step_key].op_def.output_dict[
                source.output_name].is_dynamic:
            upstream_mk = mapping_key
        return (source.step_key, source.output_name, upstream_mk)

    def collect_skipped(self, source: FromCollect) -> bool:
        """Whether a collected input is absent: the step with the dynamic output was skipped,
        an optional dynamic output yielded nothing (a required one collects to []), or every
        copy of the mapped step ran without yielding the output."""
        plan = self.plan
        out = plan.by_key[source.step_key].op_def.output_dict[source.output_name]
        origin = (source.step_key, source.output_name) if out.is_dynamic \
            else plan.by_key[source.step_key].dynamic_source
        if origin is None:
            return False
        if origin[0] in self.skipped:
            return True
        if not self.keys_for_source(origin):
            return not plan.by_key[origin[0]].op_def.output_dict[origin[1]].is_required
        return not out.is_dynamic and \
            not self.collect_refs(source.step_key, source.output_name)

    # --- asset checks ---------------------------------------------------------------------
    def check_partition(self, step: Step, spec: Any) -> str | None:
        """The partition a check evaluates: the run's, when the check or its asset's step is
        partitioned; none for an unpartitioned check of a partitioned asset."""
        if self.partition_key is None:
            return None
        if spec.partitions_def is not None or getattr(step.assets_def, "partitions_def", None):
            return self.partition_key
        return None

    def emit_checks_planned(self) -> None:
        """One ASSET_CHECK_EVALUATION_PLANNED per check the run's steps will evaluate."""
        for step in self.plan.steps:
            if step.assets_def is None or step.key != step.top_node:
                continue
            if self.steps_to_execute is not None and step.key not in self.steps_to_execute:
                continue
            for spec in step.assets_def.check_specs:
                partition = self.check_partition(step, spec)
                self.emit(ev.HeadwaterEventType.ASSET_CHECK_EVALUATION_PLANNED, step.key,
                          f"Asset check '{spec.key.to_user_string()}' will be evaluated.",
                          AssetCheckEvaluationPlanned(spec.asset_key, spec.name, partition),
                          asset_key=spec.asset_key, partition=partition)

    def handle_check_result(self, step: Step, ctx: Any, result: Any) -> None:
        """Record a check's result as an evaluation of the check it names (or the step's one
        check), with the materialization it saw."""
        if not isinstance(result, AssetCheckResult):
            raise HeadwaterInvariantViolationError(
                f"op '{step.key}' produced a {type(result).__name__} ({result!r}) where an "
                "AssetCheckResult was expected. Return AssetCheckResult(passed=...)."
            )
        specs = {s.key: s for s in step.assets_def.check_specs} if step.assets_def else {}
        named = AssetCheckKey(result.asset_key, result.check_name) \
            if result.asset_key is not None and result.check_name else None
        if step.assets_def is not None and named in step.assets_def.check_specs_by_key:
            # a check of the node left out of this run, named in full: recorded all the same
            specs[named] = step.assets_def.check_specs_by_key[named]
        key = _check_key_for(step, specs, result)
        if key in ctx.check_evaluations:
            raise HeadwaterInvariantViolationError(
                f"op '{step.key}' produced two results for asset check "
                f"'{key.to_user_string()}'. Return one AssetCheckResult per check."
            )
        spec = specs[key]
        partition = self.check_partition(step, spec)
        target = None
        finder = getattr(self.instance, "latest_materialization_target", None)
        if finder is not None:
            target = finder(key.asset_key, partition)
        evaluation = AssetCheckEvaluation(
            asset_key=key.asset_key, check_name=key.name, passed=result.passed,
            metadata=result.metadata, target_materialization_data=target,
            severity=result.severity, description=result.description, blocking=spec.blocking,
            partition=partition,
        )
        ctx.check_evaluations[key] = evaluation
        outcome = "passed" if result.passed else f"failed ({result.severity.value})"
        self.emit(ev.HeadwaterEventType.ASSET_CHECK_EVALUATION, ctx.step_key,
                  f"Asset check '{key.to_user_string()}' {outcome}.", evaluation,
                  asset_key=key.asset_key, partition=partition)

    def finish_checks(self, step: Step, ctx: Any) -> None:
        """After the step's body: every selected check has a result, and no blocking check
        failed with ERROR severity (else the step fails, so its downstream does not run)."""
        if step.assets_def is None or not step.assets_def.check_keys:
            return
        standalone = isinstance(step.assets_def, AssetChecksDefinition)
        # a node that can be subset decides what it evaluates: its checks are optional
        if step.key == step.top_node and not standalone and not step.assets_def.can_subset \
                and not isinstance(step.assets_def.node_def, GraphDefinition):
            missing = sorted(k for k in step.assets_def.check_keys if k not in ctx.check_evaluations)
            if missing:
                names = ", ".join(f"'{k.to_user_string()}'" for k in missing)
                raise HeadwaterStepOutputNotFoundError(
                    f"op '{step.key}' evaluates asset check(s) {names} but returned no "
                    "AssetCheckResult for them. Return or yield AssetCheckResult(check_name=...) "
                    "for each (an asset may return MaterializeResult(check_results=[...])).",
                    step_key=step.key, output_name=missing[0].name,
                )
        failed = [e for e in ctx.check_evaluations.values()
                  if e.blocking and not e.passed and e.severity is AssetCheckSeverity.ERROR]
        if failed:
            lines = "\n".join(f"{e.asset_key.to_user_string()}: {e.check_name}" for e in failed)
            raise HeadwaterAssetCheckFailedError(
                f"{len(failed)} blocking asset check(s) failed with ERROR severity, so the "
                f"assets downstream of them are not materialized:\n{lines}"
            )


def _check_key_for(step: Step, specs: Mapping[AssetCheckKey, Any], result: Any) -> AssetCheckKey:
    """The check a result is for: the one it names, or the step's only check."""
    targeted = sorted({k.asset_key.to_user_string() for k in specs})
    if result.asset_key is not None and all(k.asset_key != result.asset_key for k in specs):
        raise HeadwaterInvariantViolationError(
            f"Received unexpected AssetCheckResult. It targets asset "
            f"'{result.asset_key.to_user_string()}' which is not targeted by any of the checks "
            f"currently being evaluated. Targeted assets: {targeted}."
        )
    candidates = [k for k in specs
                  if (result.asset_key is None or k.asset_key == result.asset_key)
                  and (result.check_name is None or k.name == result.check_name)]
    if len(candidates) == 1:
        return candidates[0]
    declared = sorted(k.to_user_string() for k in specs)
    if not specs:
        raise HeadwaterInvariantViolationError(
            f"op '{step.key}' returned an AssetCheckResult, but it evaluates no asset checks. "
            "Declare the check (check_specs=[AssetCheckSpec(...)] on the asset), or evaluate it "
            "in its own step with @asset_check."
        )
    if not candidates:
        named = (f"'{result.asset_key.to_user_string()}:{result.check_name}'"
                 if result.asset_key is not None else f"'{result.check_name}'")
        raise HeadwaterInvariantViolationError(
            f"op '{step.key}' returned an AssetCheckResult for check {named}, which it does not "
            f"evaluate; it evaluates {declared}. Fix check_name/asset_key, or declare the check "
            "(check_specs=, or specs= of @multi_asset_check)."
        )
    raise HeadwaterInvariantViolationError(
        f"op '{step.key}' evaluates several asset checks ({declared}), so its AssetCheckResult "
        "must say which one: set asset_key= and check_name=."
    )


def new_run_id() -> str:
    return str(uuid.uuid4())


def execute_job(
    job: Any,
    run_config: Mapping[str, Any] | None = None,
    instance: ev.RunInstance | None = None,
    partition_key: str | None = None,
    run_id: str | None = None,
    input_values: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    on_event: Callable[[ev.HeadwaterEvent], None] | None = None,
    executor: Callable[[Run], Executor] | None = None,
    prepare: Callable[[Run], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Run:
    """Run every step of `job`; never raise for a step failure.

    The run is recorded in `instance` (a fresh ephemeral one when None), so that
    `context.instance` always answers and every event lands in one store. `executor(run)` builds the executor once the run config is resolved (default: in this
    process); `prepare(run)` adjusts the run before it starts (re-execution narrows its
    steps and loads its parent's outputs); `should_cancel()` is asked before every step.
    A run recorded in a persistent instance is watched while it executes (`RunWatch`):
    its process and heartbeat are recorded, and a cancel request interrupts its step.
    """
    if instance is None:
        instance = ev.ephemeral_instance()
    if on_event is None:
        on_event = instance.store_event
    # The config as given is what the run records; the job's own config (defaults, a
    # mapping) applies in the one validation below, which the plan and the steps read.
    run_config = dict(run_config or {})
    partition_key = check_run_partition(job, partition_key, tags, instance)
    resolved = validate_run_config(job, run_config)
    plan = build_plan(job, input_values, resolved)
    base_tags = job.tags if job.run_tags is None else job.run_tags
    all_tags = {**{k: str(v) for k, v in base_tags.items()}, **dict(tags or {})}
    if partition_key is not None:
        all_tags[PARTITION_TAG] = partition_key
    run_id = run_id or new_run_id()
    on_event = with_job_loggers(job, resolved, run_id, on_event)
    run = Run(job, plan, run_id, run_config, all_tags, instance, partition_key, on_event)
    run.resolved_config = resolved
    if prepare is not None:
        prepare(run)
    instance.register_run(run)
    watch = RunWatch.start_for(instance, run_id)
    if watch is None:
        return _execute(run, job, instance, executor, should_cancel)
    run.watch = watch
    try:
        return _execute(run, job, instance, executor, watch.should_cancel(should_cancel))
    except KeyboardInterrupt:
        if run.info.status not in _RUN_END_STATUS.values():
            run.emit(ev.HeadwaterEventType.RUN_FAILURE, None,
                     f'Run of job "{job.name}" was interrupted (KeyboardInterrupt).')
        raise
    finally:
        watch.stop()


def _execute(run: Run, job: Any, instance: ev.RunInstance,
             executor: Callable[[Run], Executor] | None,
             should_cancel: Callable[[], bool] | None) -> Run:
    """The registered run's steps, from its RUN_START to its end event."""
    try:
        # An executor the run cannot have (e.g. processes without a shared instance) means
        # the run never starts: its one event is the failure.
        step_executor = executor(run) if executor is not None else InProcessExecutor()
    except HeadwaterError as exc:
        return _failed_to_start(run, job, exc)
    run.emit(ev.HeadwaterEventType.RUN_START, None, f'Run of job "{job.name}" started.')
    if job.asset_layer.selected_check_keys:
        run.emit_checks_planned()
    teardown: Callable[[], None] = _noop
    try:
        try:
            # Steps executed elsewhere build their resources there.
            teardown = init_resources(run, job, instance, build=step_executor.executes_in_process)
            if run.output_run_ids:
                run.add_known_outputs(run.output_run_ids.items())
        except HeadwaterError as exc:
            return _failed_to_start(run, job, exc)
        execute_plan(run, step_executor, should_cancel)
    finally:
        teardown()
    if run.canceled:
        ended = getattr(run.watch, "reason", "").startswith("the run was ended")
        run.emit(ev.HeadwaterEventType.RUN_CANCELED, None,
                 f'Run of job "{job.name}" ' + (f"stopped: {run.watch.reason}." if ended  # type: ignore[union-attr]
                                                else "was canceled."))
        return run
    if run.failed:
        run.emit(ev.HeadwaterEventType.RUN_FAILURE, None,
                 f'Run of job "{job.name}" failed: step(s) {", ".join(run.failed)} failed.',
                 ev.RunFailureData(_first_step_error(run), failed_steps=tuple(run.failed)))
    else:
        run.emit(ev.HeadwaterEventType.RUN_SUCCESS, None, f'Run of job "{job.name}" succeeded.')
    return run


def _failed_to_start(run: Run, job: Any, exc: HeadwaterError) -> Run:
    run.emit(ev.HeadwaterEventType.RUN_FAILURE, None, f'Run of job "{job.name}" failed: {exc}',
             ev.RunFailureData(ev.SerializableError.from_exception(exc)))
    run.fatal_error = exc
    return run


def _noop() -> None:
    return None


def _first_step_error(run: Run) -> ev.SerializableError | None:
    """The error of the run's first failed step: a run failure sensor reads what went wrong
    (the user's exception is its cause) from the run failure event."""
    for event in run.events:
        if event.event_type is ev.HeadwaterEventType.STEP_FAILURE:
            error = getattr(event.payload, "error", None)
            if error is not None:
                return error
    return None


def init_resources(run: Run, job: Any, instance: ev.RunInstance | None,
                   build: bool = True) -> Callable[[], None]:
    """Initialise the run's resources (the default IO manager included); the teardown.

    With `build=False` only the resource definitions are settled and checked, for a run
    whose steps execute (and initialise resources) in other processes.
    """
    resource_defs = dict(job.resource_defs)
    if "io_manager" not in resource_defs:
        # As in Dagster: values are pickled under the instance's storage directory (a
        # temporary one for an ephemeral instance); execute_in_process and
        # materialize_to_memory bind the in-memory IO manager before they get here.
        resource_defs["io_manager"] = fs_io_manager
        # context.job_def shows the resources the run really uses.
        run.job = job._copy(resource_defs=resource_defs)
    needed = _needed_resources(job, run.plan, resource_defs)
    if not build:
        return _noop
    values, teardown = build_resource_values(
        resource_defs, run.resolved_config.get("resources", {}) or {}, needed,
        log=run.log_for(None), run_id=run.run_id, instance=instance,
        configs=run.resource_configs,
    )
    run.resources = values
    run.resource_view = Resources(values)
    return teardown


def step_resource_keys(job: Any, step: Step) -> set[str]:
    """The resources a step uses: its op's, its IO and input managers (its inputs' upstream
    ones too), its types' and loaders', its hooks'. Its context sees these."""
    keys = set(step.op_def.required_resource_keys)
    for out in step.op_def.output_dict.values():
        keys.add(out.io_manager_key)
        keys |= out.headwater_type.required_resource_keys
    for name, input_def in step.op_def.input_dict.items():
        if input_def.input_manager_key:
            keys.add(input_def.input_manager_key)
        keys |= input_def.headwater_type.required_resource_keys
        loader = input_def.headwater_type.loader
        source = step.inputs.get(name)
        if loader is not None and isinstance(source, FromValue) and source.from_config:
            keys |= loader.required_resource_keys
    for asset_key in step.asset_keys_by_input.values():
        assets_def = job.asset_layer.assets_def_for_key(asset_key)
        if assets_def is not None:
            keys.add(getattr(assets_def, "io_manager_key", None)
                     or assets_def.get_io_manager_key_for_asset_key(asset_key))
    for source in step.inputs.values():
        assets_def = getattr(source, "assets_def", None)  # a SourceAsset passed in a graph
        if isinstance(source, FromAsset) and assets_def is not None:
            keys.add(getattr(assets_def, "io_manager_key", None)
                     or assets_def.get_io_manager_key_for_asset_key(source.asset_key))
    for hook in [*step.hook_defs, *job.hook_defs]:
        keys |= set(getattr(hook, "required_resource_keys", ()))
    return keys


def _needed_resources(job: Any, plan: Plan, defs: Mapping[str, Any]) -> set[str]:
    needed: set[str] = set()
    for step in plan.steps:
        needed |= step_resource_keys(job, step)
    needed.add("io_manager")
    missing = sorted(k for k in needed if k not in defs)
    if missing:
        owners = []
        for key in missing:
            users = sorted({s.op_def.name for s in plan.steps
                            if key in s.op_def.required_resource_keys
                            or any(o.io_manager_key == key for o in s.op_def.output_dict.values())})
            who = ", ".join(f"op '{u}'" for u in users) or "the job"
            owners.append(f"resource with key '{key}' required by {who} was not provided")
        raise HeadwaterInvalidDefinitionError(
            f"In job '{job.name}', {'; '.join(owners)}. Provide "
            + ", ".join(f"'{k}'" for k in missing) + " in resources= (or resource_defs= of the job)."
        )
    return needed
