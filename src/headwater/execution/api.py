"""The entry points: materialize, materialize_to_memory, execute_in_process, execute_job.

`execute_job(reconstructable(job), instance)` runs with the job's executor (multiprocess
by default) against a persistent instance, and re-executes earlier runs. Imports
`headwater.definitions` and this layer's `event`, `executor`, `invocation`, `multiprocess`,
`partition`, `reconstruct`, `reexecution`, `resources`, `result`, `run`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.definitions import _runtime
from headwater.definitions.assets.graph import AssetGraph
from headwater.definitions.assets.job import (
    build_asset_job,
    flatten_assets,
    selected_asset_keys,
    subset_asset_job,
)
from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.config.executor import InitExecutorContext, multi_or_in_process_executor
from headwater.definitions.config.io_manager import IOManager, IOManagerDefinition, mem_io_manager
from headwater.definitions.config.run_config import as_run_config_dict
from headwater.definitions.tags import PARTITION_TAG
from headwater.errors import (
    DefinitionError,
    HeadwaterError,
    HeadwaterExecutionStepExecutionError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
    HeadwaterUserCodeExecutionError,
)
from headwater.execution.event import RunInstance, ephemeral_instance
from headwater.execution.executor import Executor, InProcessExecutor, create_executor
from headwater.execution.invocation import asset_value_loader, invoke_directly
from headwater.execution.partition import resolve_partitioned_run
from headwater.execution.reconstruct import ReconstructableJob, reconstructable
from headwater.execution.reexecution import ReexecutionOptions, preparer, reexecution_tags
from headwater.execution.resources import build_resource_values
from headwater.execution.result import ExecuteInProcessResult
from headwater.execution.run import Run
from headwater.execution.run import execute_job as run_job

EPHEMERAL_JOB = "__ephemeral_asset_job__"


def execute_job_in_process(
    job: Any,
    run_config: Any = None,
    instance: RunInstance | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    asset_selection: Sequence[Any] | None = None,
    run_id: str | None = None,
    input_values: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    keep_values_in_memory: bool = True,
) -> ExecuteInProcessResult:
    """Run `job` in this process and return its result (raising the first error if asked).

    As in Dagster, `execute_in_process` keeps outputs in memory unless the job binds its own
    `io_manager`; `materialize` passes `keep_values_in_memory=False`, so that a persistent
    instance stores values under its storage directory for later runs to load. Without
    `instance=`, the run is recorded in a fresh ephemeral instance (`result.instance`).
    """
    if instance is None:
        instance = ephemeral_instance()
    if keep_values_in_memory and "io_manager" not in job.resource_defs:
        job = _with_in_memory_io_manager(job)
    if asset_selection:
        job = subset_asset_job(job, asset_selection)
    # None lets the job's own config= apply; an explicit run_config replaces it.
    run_config = None if run_config is None else as_run_config_dict(run_config)
    run_config, partition_key, tags = resolve_partitioned_run(job, run_config, partition_key, tags,
                                                              instance)
    run = run_job(job, run_config, instance, partition_key, run_id, input_values, tags)
    result = ExecuteInProcessResult(run)
    if raise_on_error:
        _raise_first_error(run)
    return result


def _with_in_memory_io_manager(job: Any) -> Any:
    """The job with the in-memory IO manager bound, made once per job and kept on it, so that
    repeated `execute_in_process()` calls share one job and build its config schema once."""
    variant = job._in_memory_variant
    if variant is None:
        variant = job._copy(resource_defs={**job.resource_defs, "io_manager": mem_io_manager})
        job._in_memory_variant = variant
    return variant


class JobExecutionResult(ExecuteInProcessResult):
    """The result of a run started by `execute_job`: its success, events and outputs.

    Dagster's name for the base of `ExecuteJobResult`; it reads like `ExecuteInProcessResult`.

    Args:
        run: the finished run the result reads (built by `execute_job`, not by users).

    Example:
        ```python
        from headwater import JobExecutionResult, execute_job, in_process_executor
        from headwater import instance_for_test, job, op

        @op
        def one() -> int:
            return 1

        @job(executor_def=in_process_executor)
        def tiny():
            one()

        with instance_for_test() as instance:
            result = execute_job(tiny, instance=instance)
            assert isinstance(result, JobExecutionResult) and result.success
        ```
    """


class ExecuteJobResult(JobExecutionResult):
    """What `execute_job` returns: the run's success and events, and its outputs while open.

    Open it as a context manager to read output values (`output_for_node`, `asset_value`);
    outside the `with` block they raise `HeadwaterInvariantViolationError`, while `success`
    and the events stay readable.

    Args:
        run: the finished run the result reads (built by `execute_job`, not by users).

    Example:
        ```python
        from headwater import execute_job, in_process_executor, instance_for_test, job, op

        @op
        def one() -> int:
            return 1

        @job(executor_def=in_process_executor)
        def tiny():
            one()

        with instance_for_test() as instance:
            with execute_job(tiny, instance=instance) as result:
                assert result.output_for_node("one") == 1
            assert result.success
        ```
    """

    _opened = False
    _closed = False

    def __enter__(self) -> ExecuteJobResult:
        self._opened = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if not self._opened:
            raise HeadwaterInvariantViolationError(
                f"The outputs of run {self.run_id} are read from an open result: it must be "
                "opened as a context manager first (`with execute_job(...) as result:`); its "
                "events and status are readable without."
            )
        if self._closed:
            raise HeadwaterInvariantViolationError(
                f"The outputs of run {self.run_id} were released when its `with execute_job(...) "
                "as result:` block exited; read them inside that block."
            )

    def output_for_node(self, node_name: str, output_name: str = "result") -> Any:
        self._check_open()
        return super().output_for_node(node_name, output_name)

    def output_value(self, output_name: str = "result") -> Any:
        self._check_open()
        return super().output_value(output_name)

    def asset_value(self, asset_key: Any) -> Any:
        self._check_open()
        return super().asset_value(asset_key)


def execute_job(
    job: Any,
    instance: Any,
    run_config: Any = None,
    tags: Mapping[str, Any] | None = None,
    raise_on_error: bool = False,
    op_selection: Sequence[str] | None = None,
    reexecution_options: ReexecutionOptions | None = None,
    asset_selection: Sequence[Any] | None = None,
    run_id: str | None = None,
    should_cancel: Any = None,
) -> ExecuteJobResult:
    """Run a job with its own executor, recorded in a persistent instance.

    Unlike `execute_in_process`, the job's executor is used, so pass `reconstructable(job)`
    when steps run in other processes (the multiprocess default). The run is stored in
    `instance`, where the UI and later re-executions find it.

    Args:
        job: a `JobDefinition` or, for out-of-process executors, `reconstructable(job)`.
        instance: where the run is recorded (`HeadwaterInstance.get()`, `instance_for_test()`).
        run_config: config for the run; the job's own `config=` applies when omitted.
        tags: tags put on the run.
        raise_on_error: raise the first step error instead of returning a failed result.
        op_selection: names of ops to run (a subset of the job, e.g. `["load*"]`).
        reexecution_options: re-run a previous run, all of it or from its failures.
        asset_selection: asset keys to materialize, for an asset job.
        run_id: the run's id; a new one is made when omitted.
        should_cancel: a callable polled between steps; returning True cancels the run.

    Example:
        ```python
        from headwater import execute_job, in_process_executor, instance_for_test, job, op

        @op
        def one() -> int:
            return 1

        @job(executor_def=in_process_executor)
        def tiny():
            one()

        with instance_for_test() as instance:
            result = execute_job(tiny, instance=instance, tags={"team": "data"})
            assert result.success
            assert instance.get_run_by_id(result.run_id).tags["team"] == "data"
        ```
    """
    if instance is None:
        raise HeadwaterInvalidInvocationError(
            "execute_job(job, instance) needs an instance: pass HeadwaterInstance.get() or "
            "instance_for_test()."
        )
    if op_selection and asset_selection:
        raise HeadwaterInvalidInvocationError(
            "execute_job got both op_selection= and asset_selection=; pass one of them."
        )
    if reexecution_options is not None and not op_selection and not asset_selection:
        # a re-execution runs the job as its parent did, narrowed to the same ops
        parent_run = instance.get_run_by_id(reexecution_options.parent_run_id)
        op_selection = getattr(parent_run, "op_selection", None) or None
    recon = job if isinstance(job, ReconstructableJob) else _maybe_reconstructable(job)
    if recon is not None and asset_selection:
        recon = recon.with_asset_selection(asset_selection)
    if recon is not None and op_selection:
        recon = recon.with_op_selection(op_selection)
    job_def = recon.get() if recon is not None else job
    if recon is None and asset_selection:
        job_def = subset_asset_job(job_def, asset_selection)
    if recon is None and op_selection:
        job_def = job_def.get_subset(op_selection=op_selection)
    run_config = None if run_config is None else as_run_config_dict(run_config)
    all_tags = {k: str(v) for k, v in (tags or {}).items()}
    prepare = None
    if reexecution_options is not None:
        parent = instance.get_run_by_id(reexecution_options.parent_run_id)
        prepare = preparer(reexecution_options, instance)  # raises for an unknown run
        if run_config is None:
            run_config = dict(parent.run_config)
        all_tags = {**reexecution_tags(parent, reexecution_options), **all_tags}
    executor_def = job_def.executor_def or multi_or_in_process_executor

    def make_executor(run: Any) -> Any:
        run.reconstructable = recon
        return create_executor(executor_def, job_def, run.run_config, instance, recon)

    run = run_job(job_def, run_config, instance, all_tags.get(PARTITION_TAG), run_id,
                  None, all_tags, instance.store_event, executor=make_executor, prepare=prepare,
                  should_cancel=should_cancel)
    instance.flush()
    result = ExecuteJobResult(run)
    if raise_on_error:
        _raise_first_error(run)
        if run.failed:
            raise HeadwaterExecutionStepExecutionError(
                f"Run {run.run_id} of job '{job_def.name}' failed: steps {run.failed} failed. "
                "See the run's events for the errors."
            )
    return result


def _maybe_reconstructable(job: Any) -> ReconstructableJob | None:
    try:
        return reconstructable(job)
    except HeadwaterError:
        return None  # fine for the in-process executor; others say what they need


def _raise_first_error(run: Run) -> None:
    if run.fatal_error is not None:
        raise run.fatal_error
    for key in run.failed:
        exc = run.errors.get(key)
        if exc is None:
            continue
        if isinstance(exc, HeadwaterUserCodeExecutionError) and exc.user_exception is not None:
            raise exc.user_exception
        raise exc


def materialize(
    assets: Sequence[Any],
    run_config: Any = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: Any = None,
) -> ExecuteInProcessResult:
    """Materialize assets in this process and return the result; the way to run assets in tests.

    Every executable asset given is materialized unless `selection` narrows it; external
    assets (`AssetSpec`, `SourceAsset`) given alongside feed the others' inputs. Values go
    through the IO managers: the default one stores them as files under the instance.

    Args:
        assets: assets, asset specs and source assets (and checks) to run together.
        run_config: config for the run, e.g. `RunConfig(ops={"orders": OrdersConfig()})`.
        instance: where to record the run; a fresh ephemeral instance when omitted.
        resources: resources by key, for the assets that need them.
        partition_key: the partition to materialize, for partitioned assets.
        raise_on_error: raise the first error (True) or return a failed result (False).
        tags: tags put on the run.
        selection: which of `assets` to materialize (an `AssetSelection`, keys or strings).

    Example:
        ```python
        from headwater import asset, materialize

        @asset
        def orders() -> list[int]:
            return [3, 4]

        @asset
        def order_total(orders: list[int]) -> int:
            return sum(orders)

        result = materialize([orders, order_total])
        assert result.success and result.asset_value("order_total") == 7
        ```
    """
    job = _ephemeral_job(assets, resources, selection)
    return execute_job_in_process(job, run_config=run_config, instance=instance,
                                  partition_key=partition_key, raise_on_error=raise_on_error,
                                  tags=tags, keep_values_in_memory=False)


def materialize_to_memory(
    assets: Sequence[Any],
    run_config: Any = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: Any = None,
) -> ExecuteInProcessResult:
    """Materialize assets in this process, keeping every value in memory; for tests.

    Same as `materialize`, except that each IO manager the assets use is replaced by an
    in-memory one, so nothing is written to disk. Passing an IO manager in `resources`
    raises `HeadwaterInvariantViolationError`: it would have no effect.

    Args:
        assets: assets, asset specs and source assets (and checks) to run together.
        run_config: config for the run.
        instance: where to record the run; a fresh ephemeral instance when omitted.
        resources: resources by key (no IO managers).
        partition_key: the partition to materialize, for partitioned assets.
        raise_on_error: raise the first error (True) or return a failed result (False).
        tags: tags put on the run.
        selection: which of `assets` to materialize (an `AssetSelection`, keys or strings).

    Example:
        ```python
        from headwater import asset, materialize_to_memory

        @asset
        def words() -> list[str]:
            return ["a", "bb"]

        @asset
        def longest(words: list[str]) -> str:
            return max(words, key=len)

        result = materialize_to_memory([words, longest])
        assert result.asset_value("longest") == "bb"
        ```
    """
    for key, value in (resources or {}).items():
        if isinstance(value, (IOManagerDefinition, IOManager)):
            raise HeadwaterInvariantViolationError(
                f"materialize_to_memory(resources=...) got an IO manager under '{key}'. It keeps "
                "every output in memory, which an IO manager passed here would undo for all "
                f"assets; drop '{key}' from resources, or call materialize(...) to use it."
            )
    assets_defs = flatten_assets(list(assets))
    io_keys = {k for a in assets_defs for k in a.io_manager_keys.values()} | {"io_manager"}
    memory = {k: mem_io_manager for k in io_keys}
    return materialize(assets_defs, run_config=run_config, instance=instance,
                       resources={**(resources or {}), **memory}, partition_key=partition_key,
                       raise_on_error=raise_on_error, tags=tags, selection=selection)


def observe(
    assets: Sequence[Any],
    run_config: Any = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
) -> ExecuteInProcessResult:
    """Observe source assets in this process: run their observation functions, record each.

    Each observable source asset among `assets` records an `AssetObservation` carrying the
    `DataVersion` its function returned. Other assets are ignored; with no observable source
    asset at all, `HeadwaterInvariantViolationError` is raised.

    Args:
        assets: the assets to observe (observable source assets, with any others).
        run_config: config for the run.
        instance: where to record the observations; a fresh ephemeral instance when omitted.
        resources: resources by key, for the observation functions that need them.
        partition_key: the partition to observe, for partitioned source assets.
        raise_on_error: raise the first error (True) or return a failed result (False).
        tags: tags put on the run.

    Example:
        ```python
        from headwater import DataVersion, observable_source_asset, observe

        @observable_source_asset
        def raw_orders():
            return DataVersion("v7")

        result = observe([raw_orders])
        [event] = result.get_asset_observation_events()
        assert event.asset_observation_data.asset_observation.data_version == "v7"
        ```
    """
    assets_defs = flatten_assets(list(assets))
    graph = AssetGraph(assets_defs)
    keys = {k for a in assets_defs if getattr(a, "is_observable", False) for k in a.keys}
    if not keys:
        names = ", ".join(sorted(k.to_user_string() for a in assets_defs for k in a.keys))
        raise HeadwaterInvariantViolationError(
            f"observe() got no observable source asset (got: {names or 'nothing'}). Declare "
            "one with @observable_source_asset, or call materialize() for computed assets.")
    job = build_asset_job(EPHEMERAL_JOB, graph, keys, dict(resources or {}), selected_checks=set())
    return execute_job_in_process(job, run_config=run_config, instance=instance,
                                  partition_key=partition_key, raise_on_error=raise_on_error,
                                  tags=tags, keep_values_in_memory=False)


def _ephemeral_job(assets: Sequence[Any], resources: Mapping[str, Any] | None, selection: Any) -> Any:
    assets_defs = flatten_assets(list(assets))
    computed = {k for a in assets_defs if a.is_executable for k in a.keys}
    for assets_def in assets_defs:
        # Definitions let an external declaration stand beside the asset that computes it;
        # the list given to one materialize() call names each asset once.
        both = sorted(k for k in assets_def.keys if k in computed) if not assets_def.is_executable else []
        if both:
            raise HeadwaterInvalidDefinitionError(
                f"Duplicate asset key: {both[0]!r} is passed to materialize() both as an asset "
                "that computes it and as an external asset (AssetSpec or SourceAsset); pass "
                "only the computed one.")
    graph = AssetGraph(assets_defs)
    problems = graph.find_problems()
    if problems:
        raise DefinitionError(problems)
    if selection is not None:
        keys = selected_asset_keys(graph, selection)
        checks = AssetSelection.from_coercible(selection).resolve_checks(graph)
    else:
        keys = {k for a in assets_defs if a.is_executable for k in a.keys}
        checks = set(graph.check_keys())
    return build_asset_job(EPHEMERAL_JOB, graph, keys, dict(resources or {}),
                           selected_checks=checks)


def create_builtin_executor(kind: str, context: InitExecutorContext) -> Executor:
    """The executor of a built-in `ExecutorDefinition` (in_process, multiprocess, or either).
    The multiprocess executor's module (subprocess, sockets, multiprocessing) is imported
    only when a job builds one, so that a run worker of an in-process job starts without it."""
    config = dict(context.executor_config or {})
    if kind == "multi_or_in_process":
        (kind, config), = (config or {"multiprocess": {}}).items()
        config = dict(config or {})
    executor: Executor
    if kind == "in_process":
        executor = InProcessExecutor()
    else:
        from headwater.execution.multiprocess import MultiprocessExecutor

        max_concurrent = config.get("max_concurrent") or os.cpu_count() or 1
        executor = MultiprocessExecutor(
            max_concurrent=int(max_concurrent),
            tag_concurrency_limits=config.get("tag_concurrency_limits") or ())
    dependency = config.get("step_dependency_config") or {}
    executor.require_upstream_step_success = dependency.get("require_upstream_step_success", True)
    return executor


class _Engine:
    """What the declarations layer may ask of the engine (`definitions._runtime.Engine`)."""

    execute_job_in_process = staticmethod(execute_job_in_process)
    invoke_directly = staticmethod(invoke_directly)  # from execution/invocation.py
    create_executor = staticmethod(create_builtin_executor)
    build_resource_values = staticmethod(build_resource_values)  # from execution/resources.py
    asset_value_loader = staticmethod(asset_value_loader)  # from execution/invocation.py


def install() -> None:
    """Register the engine with the declarations layer (see definitions/_runtime.py)."""
    _runtime.register(_Engine())
