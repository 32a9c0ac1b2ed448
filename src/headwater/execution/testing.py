"""The test builders: contexts for calling an op, asset, resource, IO manager or hook
function directly in a test (`build_op_context`, `build_asset_context`,
`build_init_resource_context`, `build_output_context`, `build_input_context`,
`build_hook_context`).

Each builds the same context a run hands user code, from plain values instead of a step;
resources given to `build_op_context`/`build_asset_context` are initialised here and torn
down when the context is closed. Nothing in a run imports this module. Imports
`headwater.definitions` and this layer's `context`, `resources`, `retry` (HookContext).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from headwater.definitions.key import to_asset_key
from headwater.definitions.ops.graph import GraphDefinition, NodeInvocation
from headwater.errors import HeadwaterInvalidConfigError, HeadwaterInvalidInvocationError
from headwater.execution.context import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    InputContext,
    OpExecutionContext,
    OpNode,
    OutputContext,
    RunInfo,
)
from headwater.execution.resources import InitResourceContext, Resources, build_resource_values
from headwater.execution.retry import HookContext


def _resources_from(resources: Mapping[str, Any] | None, resources_config: Any) -> tuple[Resources, Any]:
    unknown = sorted(set(resources_config or {}) - set(resources or {}))
    if unknown:
        raise HeadwaterInvalidConfigError(
            f'Received unexpected config entry "{unknown[0]}" at the root. resources_config may '
            f"only configure the resources given: {sorted(resources or {})}.",
        )
    if not resources:
        return Resources(), None
    values, teardown = build_resource_values(dict(resources), resources_config or {})
    return Resources(values), teardown


def _finish_test_context(ctx: OpExecutionContext, resources: Mapping[str, Any] | None,
                         resources_config: Any, teardown: Any) -> None:
    ctx._teardown = teardown
    ctx._built_for_test = True
    ctx._resources_config = dict(resources_config or {})
    ctx._needs_with = any(_needs_teardown(r) for r in (resources or {}).values())
    ctx._run.run_config = {"resources": dict(resources_config or {})}


def _needs_teardown(resource: Any) -> bool:
    """Generator and context-manager resources: their context must be used in a with block."""
    fn = getattr(resource, "resource_fn", None)
    if fn is None:
        return False
    fn = getattr(fn, "__wrapped__", fn)
    return inspect.isgeneratorfunction(fn)


def build_op_context(
    resources: Mapping[str, Any] | None = None,
    op_config: Any = None,
    resources_config: Mapping[str, Any] | None = None,
    instance: Any = None,
    config: Any = None,
    partition_key: str | None = None,
    partition_key_range: Any = None,
    mapping_key: str | None = None,
    run_tags: Mapping[str, str] | None = None,
    event_loop: Any = None,
) -> OpExecutionContext:
    """A context for calling an op's function directly in a test."""
    if op_config is not None and config is not None:
        raise HeadwaterInvalidInvocationError("Pass op_config= or config=, not both.")
    res, teardown = _resources_from(resources, resources_config)
    ctx = OpExecutionContext(
        op_config=op_config if op_config is not None else config,
        resources=res,
        instance=instance,
        partition_key=partition_key,
        partition_key_range=partition_key_range,
        mapping_key=mapping_key,
        run=RunInfo("EPHEMERAL", "ephemeral_headwater_job", dict(run_tags or {}), {}),
    )
    _finish_test_context(ctx, resources, resources_config, teardown)
    return ctx


def build_asset_context(
    resources: Mapping[str, Any] | None = None,
    resources_config: Mapping[str, Any] | None = None,
    asset_config: Any = None,
    instance: Any = None,
    partition_key: str | None = None,
    partition_key_range: Any = None,
    run_tags: Mapping[str, str] | None = None,
    event_loop: Any = None,
) -> AssetExecutionContext:
    """A context for calling an asset's function directly in a test."""
    res, teardown = _resources_from(resources, resources_config)
    ctx = AssetExecutionContext(
        op_config=asset_config,
        resources=res,
        instance=instance,
        partition_key=partition_key,
        partition_key_range=partition_key_range,
        run=RunInfo("EPHEMERAL", "ephemeral_headwater_job", dict(run_tags or {}), {}),
    )
    _finish_test_context(ctx, resources, resources_config, teardown)
    return ctx


def build_asset_check_context(
    resources: Mapping[str, Any] | None = None,
    resources_config: Mapping[str, Any] | None = None,
    asset_config: Any = None,
    instance: Any = None,
) -> AssetCheckExecutionContext:
    """A context for calling an asset check's function directly in a test."""
    res, teardown = _resources_from(resources, resources_config)
    ctx = AssetCheckExecutionContext(
        op_config=asset_config, resources=res, instance=instance,
        run=RunInfo("EPHEMERAL", "ephemeral_headwater_job", {}, {}),
    )
    _finish_test_context(ctx, resources, resources_config, teardown)
    return ctx


def build_init_resource_context(config: Any = None, resources: Mapping[str, Any] | None = None,
                                instance: Any = None) -> InitResourceContext:
    """A context for calling a resource's init function directly in a test."""
    return InitResourceContext(resource_config=config, resources=resources, instance=instance)


def build_output_context(
    step_key: str | None = None,
    name: str | None = None,
    definition_metadata: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    mapping_key: str | None = None,
    config: Any = None,
    headwater_type: Any = None,
    version: str | None = None,
    resource_config: Any = None,
    resources: Mapping[str, Any] | None = None,
    op_def: Any = None,
    asset_key: Any = None,
    partition_key: str | None = None,
    instance: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> OutputContext:
    """An OutputContext for testing an IO manager's handle_output."""
    return OutputContext(
        step_key=step_key, name=name, run_id=run_id,
        definition_metadata=definition_metadata or metadata, mapping_key=mapping_key,
        config=config, headwater_type=headwater_type, version=version,
        resource_config=resource_config, resources=resources, op_def=op_def,
        asset_key=to_asset_key(asset_key) if asset_key is not None else None,
        partition_key=partition_key, instance=instance,
    )


def build_input_context(
    name: str | None = None,
    config: Any = None,
    definition_metadata: Mapping[str, Any] | None = None,
    upstream_output: OutputContext | None = None,
    headwater_type: Any = None,
    resource_config: Any = None,
    resources: Mapping[str, Any] | None = None,
    op_def: Any = None,
    asset_key: Any = None,
    partition_key: str | None = None,
    instance: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> InputContext:
    """An InputContext for testing an IO manager's load_input."""
    return InputContext(
        name=name, config=config, definition_metadata=definition_metadata or metadata,
        upstream_output=upstream_output, headwater_type=headwater_type,
        resource_config=resource_config, resources=resources, op_def=op_def,
        asset_key=to_asset_key(asset_key) if asset_key is not None else None,
        partition_key=partition_key, instance=instance,
    )


def build_hook_context(resources: Any = None, op: Any = None, run_id: str | None = None,
                       job_name: str | None = None, op_exception: BaseException | None = None,
                       instance: Any = None) -> HookContext:
    """A HookContext for calling a hook function directly in a test; `op` (an op, or an
    aliased op) is placed alone in a graph, as `context.op.graph_definition`."""
    if op is not None and not isinstance(op, OpNode):
        op_def = getattr(op, "node_def", op)
        name = getattr(op, "given_alias", None) or op_def.name
        graph = GraphDefinition(name=f"{name}_graph", node_defs=[op_def],
                                dependencies={NodeInvocation(op_def.name, alias=name): {}})
        op = OpNode(name, op_def, getattr(op, "tags", None) or None, graph)
    ctx = HookContext(resources=resources, op=op, run_id=run_id, job_name=job_name,
                      op_exception=op_exception, instance=instance)
    ctx._built_for_test = True
    return ctx
