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
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.wiring import NodeInvocation
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


def _resources_from(resources: Mapping[str, Any] | None, resources_config: Any,
                    event_loop: Any = None) -> tuple[Resources, Any]:
    unknown = sorted(set(resources_config or {}) - set(resources or {}))
    if unknown:
        raise HeadwaterInvalidConfigError(
            f'Received unexpected config entry "{unknown[0]}" at the root. resources_config may '
            f"only configure the resources given: {sorted(resources or {})}.",
        )
    if not resources:
        return Resources(), None
    values, teardown = build_resource_values(dict(resources), resources_config or {},
                                             event_loop=event_loop)
    return Resources(values), teardown


def _finish_test_context(ctx: OpExecutionContext, resources: Mapping[str, Any] | None,
                         resources_config: Any, teardown: Any) -> None:
    ctx._teardown = teardown
    ctx._built_for_test = True
    ctx._resources_config = dict(resources_config or {})
    ctx._needs_with = any(_needs_teardown(r) for r in (resources or {}).values())
    ctx._run.run_config = {"resources": dict(resources_config or {})}


def _needs_teardown(resource: Any) -> bool:
    """Generator and (async) context-manager resources: their context must be used in a with
    block."""
    fn = getattr(resource, "resource_fn", None)
    if fn is None:
        return False
    fn = getattr(fn, "__wrapped__", fn)
    return inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)


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
    """Build the context an op receives, to call the op's function directly in a test.

    Resources given are initialised now; those with teardown (generator resources) need the
    context used as `with build_op_context(...) as context:` so they are torn down after.

    Args:
        resources: resources by key, as `context.resources` (instances or definitions).
        op_config: the op's config, as `context.op_config` (a dict or a `Config` object).
        resources_config: config for the resources given, by resource key.
        instance: the instance `context.instance` returns; an ephemeral one when omitted.
        config: another name for `op_config`; pass one of the two.
        partition_key: the partition the op pretends to run for.
        partition_key_range: a range of partitions, for ops of a backfill run at once.
        mapping_key: the mapping key, for ops downstream of a `DynamicOut`.
        run_tags: tags of the pretend run, as `context.run.tags`.
        event_loop: an asyncio event loop; resources given whose function is an
            `@asynccontextmanager` are entered on it now and exited on it when the context
            closes (use the context in a `with` block). Without one such resources are refused.

    Example:
        ```python
        from headwater import OpExecutionContext, build_op_context, op

        @op
        def scaled(context: OpExecutionContext) -> int:
            return 10 * int(context.partition_key)

        context = build_op_context(partition_key="4")
        assert scaled(context) == 40
        ```
    """
    if op_config is not None and config is not None:
        raise HeadwaterInvalidInvocationError("Pass op_config= or config=, not both.")
    res, teardown = _resources_from(resources, resources_config, event_loop)
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
    """Build the context an asset receives, to call the asset's function directly in a test.

    Resources given are initialised now; those with teardown (generator resources) need the
    context used as `with build_asset_context(...) as context:`.

    Args:
        resources: resources by key, as `context.resources` (instances or definitions).
        resources_config: config for the resources given, by resource key.
        asset_config: the asset's config, as `context.op_config`.
        instance: the instance `context.instance` returns; an ephemeral one when omitted.
        partition_key: the partition the asset pretends to materialize.
        partition_key_range: a range of partitions, for a backfill run at once.
        run_tags: tags of the pretend run, as `context.run.tags`.
        event_loop: an asyncio event loop; resources given whose function is an
            `@asynccontextmanager` are entered on it now and exited on it when the context
            closes (use the context in a `with` block). Without one such resources are refused.

    Example:
        ```python
        from headwater import AssetExecutionContext, asset, build_asset_context

        @asset
        def greeting(context: AssetExecutionContext) -> str:
            return f"hello {context.run.tags['who']}"

        assert greeting(build_asset_context(run_tags={"who": "ada"})) == "hello ada"
        ```
    """
    res, teardown = _resources_from(resources, resources_config, event_loop)
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
    """Build the context an asset check receives, to call the check's function in a test.

    Args:
        resources: resources by key, as `context.resources`.
        resources_config: config for the resources given, by resource key.
        asset_config: the check's config, as `context.op_config`.
        instance: the instance `context.instance` returns; an ephemeral one when omitted.

    Example:
        ```python
        from headwater import AssetCheckResult, ConfigurableResource, asset_check
        from headwater import build_asset_check_context

        class Limits(ConfigurableResource):
            max_rows: int

        @asset_check(asset="orders")
        def not_too_big(limits: Limits) -> AssetCheckResult:
            return AssetCheckResult(passed=120 <= limits.max_rows)

        context = build_asset_check_context(resources={"limits": Limits(max_rows=100)})
        assert not_too_big(context).passed is False
        ```
    """
    res, teardown = _resources_from(resources, resources_config)
    ctx = AssetCheckExecutionContext(
        op_config=asset_config, resources=res, instance=instance,
        run=RunInfo("EPHEMERAL", "ephemeral_headwater_job", {}, {}),
    )
    _finish_test_context(ctx, resources, resources_config, teardown)
    return ctx


def build_init_resource_context(config: Any = None, resources: Mapping[str, Any] | None = None,
                                instance: Any = None) -> InitResourceContext:
    """Build the context a `@resource` function receives, to call it directly in a test.

    Args:
        config: the resource's config, as `context.resource_config`.
        resources: the other resources it requires, as `context.resources`.
        instance: the instance `context.instance` returns.

    Example:
        ```python
        from headwater import build_init_resource_context, resource

        @resource(config_schema={"url": str})
        def database(context):
            return {"connected_to": context.resource_config["url"]}

        context = build_init_resource_context(config={"url": "sqlite://"})
        assert database(context) == {"connected_to": "sqlite://"}
        ```
    """
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
    """Build an `OutputContext`, to call an IO manager's `handle_output` directly in a test.

    Every field is optional: give those your IO manager reads.

    Args:
        step_key: the key of the step that produced the output.
        name: the output's name (`"result"` for a single output).
        definition_metadata: the metadata declared on the output or asset.
        run_id: the id of the run that produced it.
        mapping_key: the mapping key, for a dynamic output.
        config: the output's config.
        headwater_type: the output's type.
        version: the code version of the output.
        resource_config: the IO manager's own config.
        resources: resources the IO manager requires.
        op_def: the op that produced the output.
        asset_key: the asset the output is (a key or a string).
        partition_key: the partition being stored.
        instance: the instance of the run.
        metadata: another name for `definition_metadata`.

    Example:
        ```python
        from headwater import IOManager, build_output_context

        class DictIOManager(IOManager):
            def __init__(self):
                self.values = {}

            def handle_output(self, context, obj):
                self.values[tuple(context.asset_key.path)] = obj

            def load_input(self, context):
                return self.values[tuple(context.asset_key.path)]

        manager = DictIOManager()
        manager.handle_output(build_output_context(asset_key="orders"), [1, 2])
        assert manager.values == {("orders",): [1, 2]}
        ```
    """
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
    """Build an `InputContext`, to call an IO manager's `load_input` directly in a test.

    Every field is optional: give those your IO manager reads; `upstream_output` (from
    `build_output_context`) describes the output the input is loaded from.

    Args:
        name: the input's name.
        config: the input's config.
        definition_metadata: the metadata declared on the input.
        upstream_output: the context of the output that produced the value.
        headwater_type: the input's type.
        resource_config: the IO manager's own config.
        resources: resources the IO manager requires.
        op_def: the op that takes the input.
        asset_key: the asset the input loads (a key or a string).
        partition_key: the partition being loaded.
        instance: the instance of the run.
        metadata: another name for `definition_metadata`.

    Example:
        ```python
        from headwater import IOManager, build_input_context

        class ConstantIOManager(IOManager):
            def handle_output(self, context, obj):
                pass

            def load_input(self, context):
                return f"rows of {context.asset_key.to_user_string()}"

        context = build_input_context(asset_key="orders")
        assert ConstantIOManager().load_input(context) == "rows of orders"
        ```
    """
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
    """Build a `HookContext`, to call a hook's function directly in a test.

    `op` (an op, or an aliased op) is placed alone in a graph, as `context.op`'s graph.

    Args:
        resources: resources by key, as `context.resources`.
        op: the op the hook pretends to run after.
        run_id: the id of the pretend run.
        job_name: the name of the pretend job.
        op_exception: the error the op raised, for failure hooks.
        instance: the instance `context.instance` returns.

    Example:
        ```python
        from headwater import build_hook_context, failure_hook, op

        @op
        def load():
            pass

        alerts = []

        @failure_hook
        def alert(context):
            alerts.append(f"{context.op.name}: {context.op_exception}")

        alert(build_hook_context(op=load, op_exception=ValueError("no rows")))
        assert alerts == ["load: no rows"]
        ```
    """
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
