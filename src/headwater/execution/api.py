"""The entry points: materialize, materialize_to_memory, execute_in_process, direct calls.

Imports `headwater.definitions` and this layer's `run`, `result`, `context`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater.definitions import _runtime
from headwater.definitions.asset_graph import AssetGraph
from headwater.definitions.asset_job import build_asset_job, flatten_assets
from headwater.definitions.io_manager import IOManager, IOManagerDefinition, mem_io_manager
from headwater.definitions.selection import AssetSelection
from headwater.errors import (
    DefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
    HeadwaterUserCodeExecutionError,
)
from headwater.execution.invocation import invoke_directly
from headwater.execution.result import ExecuteInProcessResult
from headwater.execution.run import execute_job

EPHEMERAL_JOB = "__ephemeral_asset_job__"


def execute_job_in_process(
    job: Any,
    run_config: Any = None,
    instance: Any = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    asset_selection: Sequence[Any] | None = None,
    run_id: str | None = None,
    input_values: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> ExecuteInProcessResult:
    """Run `job` in this process and return its result (raising the first error if asked)."""
    if asset_selection:
        job = _subset_asset_job(job, asset_selection)
    # None lets the job's own config= apply; an explicit run_config replaces it.
    run_config = None if run_config is None else _as_run_config(run_config)
    on_event = getattr(instance, "store_event", None) if instance is not None else None
    run = execute_job(job, run_config, instance, partition_key, run_id, input_values, tags, on_event)
    result = ExecuteInProcessResult(run)
    if raise_on_error:
        _raise_first_error(run)
    return result


def _as_run_config(run_config: Any) -> dict[str, Any]:
    if run_config is None:
        return {}
    to_dict = getattr(run_config, "to_config_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if isinstance(run_config, Mapping):
        return dict(run_config)
    raise HeadwaterInvalidInvocationError(
        f"run_config must be a dict or RunConfig, got {type(run_config).__name__}."
    )


def _raise_first_error(run: Any) -> None:
    fatal = getattr(run, "fatal_error", None)
    if fatal is not None:
        raise fatal
    for key in run.failed:
        exc = run.errors.get(key)
        if exc is None:
            continue
        if isinstance(exc, HeadwaterUserCodeExecutionError) and exc.user_exception is not None:
            raise exc.user_exception
        raise exc


def _subset_asset_job(job: Any, selection: Sequence[Any]) -> Any:
    layer = job.asset_layer
    graph = AssetGraph(layer.assets_defs)
    keys = AssetSelection.from_coercible(list(selection)).resolve(graph)
    return build_asset_job(job.name, graph, keys, job.resource_defs, config=job.config,
                           tags=job.tags, executor_def=job.executor_def)


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
    """Materialize assets in this process; external assets among them feed their inputs."""
    job = _ephemeral_job(assets, resources, selection)
    return execute_job_in_process(job, run_config=run_config, instance=instance,
                                  partition_key=partition_key, raise_on_error=raise_on_error,
                                  tags=tags)


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
    """Like materialize, with every output kept in memory (no IO manager may be given)."""
    for key, value in (resources or {}).items():
        if isinstance(value, (IOManagerDefinition, IOManager)):
            raise HeadwaterInvariantViolationError(
                f"Attempted to call `materialize_to_memory` with a resource provided for io "
                f"manager key '{key}'. Do not provide resources for io manager keys when calling "
                "`materialize_to_memory`, as it will override io management behavior for all keys."
            )
    assets_defs = flatten_assets(list(assets))
    io_keys = {k for a in assets_defs for k in a.io_manager_keys.values()} | {"io_manager"}
    memory = {k: mem_io_manager for k in io_keys}
    return materialize(assets_defs, run_config=run_config, instance=instance,
                       resources={**(resources or {}), **memory}, partition_key=partition_key,
                       raise_on_error=raise_on_error, tags=tags, selection=selection)


def _ephemeral_job(assets: Sequence[Any], resources: Mapping[str, Any] | None, selection: Any) -> Any:
    assets_defs = flatten_assets(list(assets))
    graph = AssetGraph(assets_defs)
    problems = graph.find_problems()
    if problems:
        raise DefinitionError(problems)
    if selection is not None:
        keys = AssetSelection.from_coercible(selection).resolve(graph)
        keys = {k for k in keys if k in graph.executable_keys}
    else:
        keys = {k for a in assets_defs if a.is_executable for k in a.keys}
    return build_asset_job(EPHEMERAL_JOB, graph, keys, dict(resources or {}))


def install() -> None:
    """Register the engine with the declarations layer (see definitions/_runtime.py)."""
    _runtime.execute_job_in_process = execute_job_in_process
    _runtime.invoke_directly = invoke_directly  # from execution/invocation.py
