"""The entry points: materialize, materialize_to_memory, execute_in_process, direct calls.

Imports `headwater.definitions` and this layer's `run`, `result`, `context`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.definitions import _runtime
from headwater.definitions.asset import AssetsDefinition
from headwater.definitions.asset_graph import AssetGraph
from headwater.definitions.asset_job import build_asset_job, flatten_assets
from headwater.definitions.config import process_config
from headwater.definitions.io_manager import IOManagerDefinition, IOManager, mem_io_manager
from headwater.definitions.output import NO_VALUE, Output
from headwater.definitions.selection import AssetSelection
from headwater.definitions.types import TypeCheckContext
from headwater.errors import (
    DefinitionError,
    HeadwaterError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
    HeadwaterTypeCheckDidNotPass,
    HeadwaterUserCodeExecutionError,
)
from headwater.execution.context import AssetExecutionContext, OpExecutionContext, Resources
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
    run_config = _as_run_config(run_config)
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


# --- direct invocation ------------------------------------------------------------------


def invoke_directly(definition: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call an op's or asset's function as a plain function, with type checks on inputs."""
    assets_def = definition if isinstance(definition, AssetsDefinition) else None
    op_def = definition.node_def if assets_def is not None else definition
    sig = op_def.signature
    args = list(args)
    kwargs = dict(kwargs)
    ctx = None
    if sig.context_arg is not None:
        if args and isinstance(args[0], OpExecutionContext):
            ctx = args.pop(0)
        elif sig.context_arg in kwargs:
            ctx = kwargs.pop(sig.context_arg)
        elif args and args[0] is None:
            args.pop(0)
        else:
            ctx = None
        if ctx is None:
            ctx = (AssetExecutionContext if assets_def is not None else OpExecutionContext)()
    elif args and isinstance(args[0], OpExecutionContext):
        raise HeadwaterInvalidInvocationError(
            f"Compute function of op '{op_def.name}' has no context argument, but context "
            "was provided when invoking."
        )
    elif "context" in kwargs and isinstance(kwargs["context"], OpExecutionContext):
        ctx = kwargs.pop("context")
    bound = _bind_context(ctx, op_def, assets_def)
    values = _bind_inputs(op_def, args, kwargs)
    for name, value in values.items():
        input_def = op_def.input_dict.get(name)
        if input_def is None or input_def.headwater_type.is_any:
            continue
        check = input_def.headwater_type.type_check(TypeCheckContext(log=bound.log), value)
        if not check.success:
            raise HeadwaterTypeCheckDidNotPass(
                f'Type check failed for op "{op_def.name}" input "{name}" - expected type '
                f'"{input_def.headwater_type.display_name}". Description: {check.description}',
                metadata=check.metadata, headwater_type=input_def.headwater_type,
            )
    call_kwargs = {k: v for k, v in values.items() if not op_def.input_dict[k].headwater_type.is_nothing}
    if sig.config_arg is not None:
        if sig.config_arg in kwargs:
            call_kwargs[sig.config_arg] = kwargs.pop(sig.config_arg)
        else:
            call_kwargs[sig.config_arg] = sig.config_class._from_run_config(
                bound.op_config, path=f"ops.{op_def.name}.config")
    for param, resource_key in sig.resource_args.items():
        if param in kwargs:
            call_kwargs[param] = kwargs.pop(param)
        else:
            call_kwargs[param] = getattr(bound.resources, resource_key)
    call_args = (bound,) if sig.context_arg is not None else ()
    result = op_def.compute_fn(*call_args, **call_kwargs)
    if inspect.isgenerator(result) or inspect.iscoroutine(result) or inspect.isasyncgen(result):
        return result
    _check_direct_output(op_def, result, bound)
    return result


def _bind_context(ctx: Any, op_def: Any, assets_def: Any) -> OpExecutionContext:
    if ctx is None:
        ctx = (AssetExecutionContext if assets_def is not None else OpExecutionContext)()
    if getattr(ctx, "_bound_to", None) is not None and ctx._bound_to is not op_def:
        raise HeadwaterInvalidInvocationError(
            f"This context is already bound to op '{ctx._bound_to.name}'; build a new context "
            f"for '{op_def.name}'."
        )
    config = ctx._op_config
    if op_def.config_schema is not None:
        config = process_config(op_def.config_schema, config, f"ops.{op_def.name}.config")
    missing = sorted(op_def.required_resource_keys - set(ctx.resources._asdict()))
    if missing and op_def.required_resource_keys and not op_def.signature.resource_args:
        raise HeadwaterInvalidInvocationError(
            f"op '{op_def.name}' requires resources {missing}, which the context does not "
            f"provide: build_op_context(resources={{'{missing[0]}': ...}})."
        )
    ctx._op_def = op_def
    ctx._node_name = op_def.name
    ctx._step_key = op_def.name
    ctx._op_config = config
    if assets_def is not None:
        ctx._assets_def = assets_def
        ctx._asset_keys_by_output = dict(assets_def.keys_by_output_name)
        ctx._asset_keys_by_input = dict(assets_def.keys_by_input_name)
    ctx.outputs_seen = set()
    return ctx


def _bind_inputs(op_def: Any, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    names = list(op_def.signature.input_args)
    if len(args) > len(names):
        raise HeadwaterInvalidInvocationError(
            f"Too many input arguments were provided for op '{op_def.name}'. This may be because "
            f"an argument was provided for the context parameter, but no context parameter was "
            f"defined for the op. It takes inputs {names}."
        )
    values: dict[str, Any] = dict(zip(names, args))
    for name in list(kwargs):
        if name in op_def.input_dict:
            if name in values:
                raise HeadwaterInvalidInvocationError(
                    f"op '{op_def.name}' got input '{name}' both positionally and by name."
                )
            values[name] = kwargs.pop(name)
    for name, input_def in op_def.input_dict.items():
        if name in values or input_def.headwater_type.is_nothing:
            continue
        if input_def.default_value is not NO_VALUE:
            values[name] = input_def.default_value
            continue
        raise HeadwaterInvalidInvocationError(
            f'No value provided for required input "{name}" when invoking op '
            f"'{op_def.name}' directly."
        )
    unknown = [k for k in kwargs if k not in op_def.signature.resource_args
               and k != op_def.signature.config_arg]
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"op '{op_def.name}' has no inputs named {unknown}; its inputs are {names}."
        )
    return values


def _check_direct_output(op_def: Any, result: Any, ctx: OpExecutionContext) -> None:
    outputs = op_def.output_dict
    if len(outputs) != 1:
        return
    (name, out), = outputs.items()
    if out.is_dynamic or out.headwater_type.is_any:
        return
    value = result.value if isinstance(result, Output) else result
    if out.headwater_type.is_nothing and value is None:
        return
    check = out.headwater_type.type_check(TypeCheckContext(log=ctx.log), value)
    if not check.success:
        raise HeadwaterTypeCheckDidNotPass(
            f'Type check failed for op "{op_def.name}" output "{name}" - expected type '
            f'"{out.headwater_type.display_name}". Description: {check.description}',
            metadata=check.metadata, headwater_type=out.headwater_type,
        )




def install() -> None:
    """Register the engine with the declarations layer (see definitions/_runtime.py)."""
    _runtime.execute_job_in_process = execute_job_in_process
    _runtime.invoke_directly = invoke_directly
