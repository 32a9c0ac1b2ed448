"""Using definitions outside a run: calling an op's or asset's function directly, as tests do
(`my_op(context, x=1)`), and loading an asset's stored value (`Definitions.load_asset_value`).

The call binds the given (or a fresh) context to the op for as long as the body runs --
until a generator is exhausted or a coroutine finishes -- so one context cannot serve two
bodies at once. Inputs and outputs are type-checked like in a run; generator bodies yield
their outputs and events to the caller.

Loading a stored value builds only the asset's IO manager (and the resources it needs), asks it
to load the value as if a downstream step read it, and tears the resources down. Both are
served to the declarations layer through `definitions/_runtime.py`. Imports
`headwater.definitions` and this layer's `context` and `resources`.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition
from headwater.definitions.checks.definition import AssetChecksDefinition
from headwater.definitions.config.fs_io_manager import fs_io_manager
from headwater.definitions.config.schema import process_config
from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.metadata.types import TypeCheckContext
from headwater.definitions.ops.output import NO_VALUE, DynamicOutput, MaterializeResult, Output
from headwater.errors import (
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
    HeadwaterTypeCheckDidNotPass,
)
from headwater.execution.context import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    InputContext,
    OpExecutionContext,
    OutputContext,
)
from headwater.execution.resources import Resources, build_resource_values

_NOTHING_HINT = (
    "This may be because you attempted to provide a value for a nothing dependency. Nothing "
    "dependencies are ignored when directly invoking ops."
)
_CONTEXT_HINT = (
    "This may be because an argument was provided for the context parameter, but no context "
    "parameter was defined for the op."
)


def invoke_directly(definition: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call an op's or asset's function as a plain function, with type checks on inputs."""
    assets_def = definition if isinstance(definition, AssetsDefinition) else None
    op_def = definition.node_def if assets_def is not None else definition
    sig = op_def.signature
    arg_list = list(args)
    kwargs = dict(kwargs)
    ctx, given = _take_context(op_def, arg_list, kwargs)
    if sig.context_arg is not None and not given:
        raise HeadwaterInvalidInvocationError(
            f"Decorated function '{_fn_name(op_def)}' has context argument, but no context was "
            "provided when invoking. Pass one: "
            f"{op_def.name}(build_{_context_kind(assets_def)}_context(), ...)."
        )
    arg_list = _take_config_and_resources(op_def, arg_list, kwargs)
    values, extra = _bind_inputs(op_def, arg_list, kwargs)
    given_resources = {sig.resource_args[p] for p in extra if p in sig.resource_args}
    config_given = extra.get(sig.config_arg) if sig.config_arg is not None else None
    ctx = _bind_context(ctx, op_def, assets_def, given_resources, config_given)
    try:
        for name, value in values.items():
            _type_check(op_def, ctx, "input", name, op_def.input_dict[name].headwater_type, value)
        call_kwargs = {**values, **extra}
        if sig.config_arg is not None and sig.config_class is None:
            call_kwargs[sig.config_arg] = ctx.op_config  # `config: str`: the value itself
        elif sig.config_arg is not None and (
                sig.config_arg not in call_kwargs
                or not isinstance(call_kwargs[sig.config_arg], sig.config_class)):
            # Config given as a plain dict (or through the context) is built into the class.
            call_kwargs[sig.config_arg] = sig.config_class._from_run_config(
                ctx.op_config, path=f"ops.{op_def.name}.config")
        for param, resource_key in sig.resource_args.items():
            if param not in call_kwargs:
                call_kwargs[param] = getattr(ctx.resources, resource_key)
        call_args = (ctx,) if sig.context_arg is not None else ()
        result = op_def.compute_fn(*call_args, **call_kwargs)
    except BaseException:
        _unbind(ctx)
        raise
    if inspect.isgenerator(result):
        return _outputs_of(op_def, ctx, result)
    if inspect.isasyncgen(result):
        return _async_outputs_of(op_def, ctx, result)
    if inspect.iscoroutine(result):
        return _awaited(op_def, ctx, result)
    try:
        _check_returned(op_def, ctx, result)
    finally:
        _unbind(ctx)
    return result


def _context_kind(assets_def: Any) -> str:
    if isinstance(assets_def, AssetChecksDefinition):
        return "asset_check"
    return "asset" if assets_def is not None else "op"


def _fn_name(op_def: Any) -> str:
    return getattr(op_def.compute_fn, "__name__", op_def.name)


def _take_context(op_def: Any, args: list[Any], kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """Pull the context out of the arguments; return it and whether one was given."""
    sig = op_def.signature
    if sig.context_arg is not None:
        if args and (args[0] is None or isinstance(args[0], OpExecutionContext)):
            return args.pop(0), True
        if sig.context_arg in kwargs:
            value = kwargs.pop(sig.context_arg)
            return (value if isinstance(value, OpExecutionContext) else None), True
        return None, False
    # A body without a context parameter still accepts one (for its resources) and drops it.
    if args and isinstance(args[0], OpExecutionContext):
        return args.pop(0), True
    if isinstance(kwargs.get("context"), OpExecutionContext) and "context" not in op_def.input_dict:
        return kwargs.pop("context"), True
    return None, False


def _take_config_and_resources(op_def: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    """Move positional values that fill the config or a resource parameter into `kwargs`, so
    `my_asset(MyConfig(...))` and `my_op(context, fake_db)` bind as the signature reads; the
    input values left keep their order."""
    sig = op_def.signature
    special = set(sig.resource_args) | ({sig.config_arg} if sig.config_arg else set())
    if not special or not args:
        return args
    order = sig.positional or sig.input_args
    rest: list[Any] = []
    for index, value in enumerate(args):
        name = order[index] if index < len(order) else ""
        if name not in special:
            rest.append(value)
            continue
        if name in kwargs:
            raise HeadwaterInvalidInvocationError(
                f"op '{op_def.name}' got '{name}' both positionally and by name. Pass it once."
            )
        kwargs[name] = value
    return rest


def _bind_inputs(op_def: Any, args: list[Any], kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Match arguments to inputs; return input values and extra keyword arguments."""
    sig = op_def.signature
    nothing = [n for n, d in op_def.input_dict.items() if d.headwater_type.is_nothing]
    for name in kwargs:
        if name in nothing:
            raise HeadwaterInvalidInvocationError(
                f"Attempted to provide value for nothing input '{name}'. Nothing dependencies are "
                "ignored when directly invoking ops."
            )
    special = set(sig.resource_args) | ({sig.config_arg} if sig.config_arg else set())
    given = len(args) + len([k for k in kwargs if k not in special])
    if given > len(op_def.input_dict) - len(nothing):
        raise HeadwaterInvalidInvocationError(
            f"Too many input arguments were provided for op '{op_def.name}'. "
            f"{_NOTHING_HINT if nothing else _CONTEXT_HINT} Its inputs are "
            f"{[n for n in op_def.input_dict if n not in nothing]}."
        )
    names = list(sig.input_args)
    if len(args) > len(names):
        raise HeadwaterInvalidInvocationError(
            f"op '{op_def.name}' has {len(names)} positional inputs, but {len(args)} positional "
            "inputs were provided. Pass the others by name."
        )
    values: dict[str, Any] = dict(zip(names, args))
    for name in list(kwargs):
        if name in op_def.input_dict:
            if name in values:
                raise HeadwaterInvalidInvocationError(
                    f"op '{op_def.name}' got input '{name}' both positionally and by name."
                )
            values[name] = kwargs.pop(name)
    for name in names:
        if name in values:
            continue
        default = op_def.input_dict[name].default_value
        if default is not NO_VALUE:
            values[name] = default
            continue
        raise HeadwaterInvalidInvocationError(
            f'No value provided for required input "{name}" when invoking op '
            f"'{op_def.name}' directly."
        )
    unknown = [k for k in kwargs if k not in special]
    if unknown and not sig.var_kwargs:
        raise HeadwaterInvalidInvocationError(
            f"op '{op_def.name}' has no inputs named {unknown}; its inputs are {names}."
        )
    return values, kwargs


def _bind_context(ctx: Any, op_def: Any, assets_def: Any,
                  given_resources: frozenset[str] | set[str] = frozenset(),
                  config_given: Any = None) -> OpExecutionContext:
    if ctx is None:
        ctx = (OpExecutionContext if assets_def is None else
               AssetCheckExecutionContext if isinstance(assets_def, AssetChecksDefinition)
               else AssetExecutionContext)()
        ctx._built_for_test = True  # type: ignore[attr-defined]
    bound = getattr(ctx, "_bound_to", None)
    if bound is not None:
        raise HeadwaterInvalidInvocationError(
            f"This context is currently being used to execute '{bound}'. The context cannot be "
            f"used to execute another asset until '{bound}' has finished executing. Build one "
            f"context per concurrent invocation of '{op_def.name}'."
        )
    if getattr(ctx, "_needs_with", False) and not getattr(ctx, "_entered", False):
        raise HeadwaterInvariantViolationError(
            f"op '{op_def.name}' was invoked with a context whose resources need teardown "
            "(generator or context-manager resources). Build it in a with block: "
            "`with build_op_context(resources=...) as context:`."
        )
    context_config = getattr(ctx, "_given_op_config", ctx._op_config)
    given_config = context_config
    if config_given is not None:
        if context_config is not None:
            raise HeadwaterInvalidInvocationError(
                f"op '{op_def.name}' got config twice: in its context (op_config=...) and as "
                f"the '{op_def.signature.config_arg}' argument. Pass it one way."
            )
        # The context reports the config the body was given (context.op_config).
        given_config = (config_given._to_run_config_value()
                        if hasattr(config_given, "_to_run_config_value") else config_given)
    # A copy made by `op.configured(...)` maps the config it is given (none, usually) onto
    # the original op's config, as a run does.
    mapping = getattr(op_def, "config_mapping", None)
    if mapping is not None:
        given_config = mapping.resolve_from_unvalidated_config(given_config)
    config = given_config
    if op_def.config_schema is not None:
        try:
            config = process_config(op_def.config_schema, given_config,
                                    f"ops.{op_def.name}.config")
        except HeadwaterInvalidConfigError as exc:
            raise HeadwaterInvalidConfigError(
                f"Error in config for op '{op_def.name}' (pass it with "
                "build_op_context(op_config=...)):", exc.errors, given_config,
            ) from None
    if op_def.signature.context_arg is not None:
        _add_definition_resources(ctx, op_def, assets_def)
        missing = sorted(op_def.required_resource_keys - set(ctx.resources._asdict())
                         - given_resources)
        if missing:
            raise HeadwaterInvalidDefinitionError(
                f"resource with key '{missing[0]}' required by op '{op_def.name}' was not "
                f"provided. Pass it with build_op_context(resources={{'{missing[0]}': ...}})."
            )
    ctx._given_op_config = context_config  # type: ignore[attr-defined]
    ctx._bound_to = op_def.name  # type: ignore[attr-defined]
    ctx._op_def = op_def
    ctx._node_name = op_def.name
    ctx._step_key = op_def.name
    ctx._op_config = config
    if getattr(ctx, "_built_for_test", False):
        run_config: dict[str, Any] = {"resources": dict(getattr(ctx, "_resources_config", {}))}
        if given_config is not None:
            run_config["ops"] = {op_def.name: {"config": given_config}}
        ctx._run.run_config = run_config
    if assets_def is not None:
        ctx._assets_def = assets_def
        ctx._asset_keys_by_output = dict(assets_def.keys_by_output_name)
        ctx._asset_keys_by_input = dict(assets_def.keys_by_input_name)
    ctx.outputs_seen = set()
    ctx.output_metadata = {}
    ctx.user_events = []
    return ctx


def _add_definition_resources(ctx: Any, op_def: Any, assets_def: Any) -> None:
    """The resources an asset binds itself (`@asset(resource_defs=...)`) join the context
    for this call, as a run gives them; one also given by the context is ambiguous."""
    own = dict(getattr(assets_def, "resource_defs", None) or {})
    own = {k: v for k, v in own.items() if k in op_def.required_resource_keys}
    if not own:
        return
    given = ctx.resources._asdict()
    both = sorted(set(own) & set(given))
    if both:
        raise HeadwaterInvalidInvocationError(
            f"resource '{both[0]}' provided on both the definition and invocation context of "
            f"'{op_def.name}'. Drop it from build_asset_context(resources=...) to use the "
            "asset's own, or from the asset's resource_defs to override it in tests."
        )
    values, teardown = build_resource_values(own, {}, set(own), instance=ctx._instance)
    ctx._resources_before_call = ctx._resources
    ctx._definition_teardown = teardown
    ctx._resources = Resources({**given, **values})


def _unbind(ctx: Any) -> None:
    ctx._bound_to = None
    before = getattr(ctx, "_resources_before_call", None)
    if before is not None:
        teardown = ctx._definition_teardown
        ctx._resources, ctx._resources_before_call, ctx._definition_teardown = before, None, None
        teardown()


def _type_check(op_def: Any, ctx: Any, kind: str, name: str, htype: Any, value: Any) -> None:
    if htype.is_any or (htype.is_nothing and value is None):
        return
    check = htype.type_check(TypeCheckContext(log=ctx.log, resources=ctx.resources), value)
    if not check.success:
        raise HeadwaterTypeCheckDidNotPass(
            f'Type check failed for op "{op_def.name}" {kind} "{name}" - expected type '
            f'"{htype.display_name}". Description: {check.description}',
            metadata=check.metadata, headwater_type=htype,
        )


def _check_result_key(ctx: Any, item: Any) -> None:
    """A MaterializeResult that names an asset names one of the definition's, as in a run."""
    assets_def = getattr(ctx, "_assets_def", None)
    if not isinstance(item, MaterializeResult) or item.asset_key is None or assets_def is None:
        return
    if item.asset_key not in assets_def.keys:
        raise HeadwaterInvariantViolationError(
            f"Asset key {item.asset_key.to_user_string()} not found in AssetsDefinition "
            f"'{assets_def.node_def.name}' (it computes "
            f"{', '.join(k.to_user_string() for k in assets_def.keys)})."
        )


def _check_returned(op_def: Any, ctx: Any, result: Any) -> None:
    for item in result if isinstance(result, tuple) else (result,):
        _check_result_key(ctx, item)
    outputs = op_def.output_dict
    if len(outputs) != 1:
        return
    (name, out), = outputs.items()
    if out.is_dynamic:
        return
    value = result.value if isinstance(result, Output) else result
    _type_check(op_def, ctx, "output", name, out.headwater_type, value)


def _see(op_def: Any, ctx: Any, item: Any) -> None:
    """Record a yielded output (so late metadata is refused) and type-check it."""
    _check_result_key(ctx, item)
    if not isinstance(item, Output):
        return
    mapping_key = item.mapping_key if isinstance(item, DynamicOutput) else None
    ctx.outputs_seen.add((item.output_name, mapping_key))
    out = op_def.output_dict.get(item.output_name)
    if out is not None:
        _type_check(op_def, ctx, "output", item.output_name, out.headwater_type, item.value)


def _outputs_of(op_def: Any, ctx: Any, gen: Iterator[Any]) -> Iterator[Any]:
    try:
        for item in gen:
            _see(op_def, ctx, item)
            yield item
    finally:
        _unbind(ctx)


async def _async_outputs_of(op_def: Any, ctx: Any, gen: AsyncIterator[Any]) -> AsyncIterator[Any]:
    try:
        async for item in gen:
            _see(op_def, ctx, item)
            yield item
    finally:
        _unbind(ctx)


async def _awaited(op_def: Any, ctx: Any, coro: Any) -> Any:
    try:
        result = await coro
        _check_returned(op_def, ctx, result)
        return result
    finally:
        _unbind(ctx)


def load_asset_value(defs: Any, key: AssetKey, *, python_type: Any = None, instance: Any = None,
                     partition_key: str | None = None) -> Any:
    """The value the asset's IO manager has stored for `key` (and `partition_key`).

    `python_type` reaches the IO manager as the input's type (`context.headwater_type`), as
    the type of a downstream input would; the built-in pickling managers need no hint.
    """
    graph = defs.resolve_asset_graph()
    assets_def = graph.assets_def_by_key.get(key)
    if assets_def is None:
        raise HeadwaterInvalidInvocationError(
            f"Definitions has no asset {key.to_user_string()!r} to load a value for."
        )
    io_key = getattr(assets_def, "io_manager_key", None) or \
        assets_def.get_io_manager_key_for_asset_key(key)
    resource_defs = {**defs.resources, **assets_def.resource_defs}
    if io_key not in resource_defs:
        # An ephemeral instance (e.g. `result.instance` of materialize()) has a storage
        # directory too, for as long as it lives.
        if io_key != "io_manager" or instance is None:
            raise HeadwaterInvalidInvocationError(
                f"Cannot load {key.to_user_string()!r}: its IO manager '{io_key}' is not among "
                "the resources, and values of the default IO manager live only in a persistent "
                "instance. Pass instance=HeadwaterInstance.get(), or bind "
                f"resources={{'{io_key}': ...}}."
            )
        resource_defs[io_key] = fs_io_manager
    values, teardown = build_resource_values(resource_defs, {}, {io_key}, instance=instance)
    try:
        spec = assets_def.specs_by_key[key]
        node = assets_def.node_def
        upstream = OutputContext(
            step_key=node.name if node is not None else None,
            name=assets_def.output_name_by_key.get(key, "result"),
            definition_metadata=spec.metadata, asset_key=key, partition_key=partition_key,
            assets_def=assets_def, resources=Resources(values), instance=instance,
        )
        context = InputContext(
            name=key.to_python_identifier(), definition_metadata=spec.metadata,
            upstream_output=upstream, asset_key=key, partition_key=partition_key,
            resources=Resources(values), instance=instance,
            headwater_type=resolve_headwater_type(python_type) if python_type is not None else None,
        )
        return values[io_key].load_input(context)
    finally:
        teardown()
