"""Using definitions outside a run: calling an op's or asset's function directly, as tests do
(`my_op(context, x=1)`), and loading an asset's stored value (`Definitions.load_asset_value`).

The call binds the given (or a fresh) context to the op for as long as the body runs --
until a generator is exhausted or a coroutine finishes -- so one context cannot serve two
bodies at once. Inputs and outputs are type-checked like in a run; generator bodies yield
their outputs and events to the caller.

Loading a stored value (`AssetValueLoader`) builds only the asset's IO manager (and the
resources it needs), asks it to load the value as if a downstream step read it, and tears the
resources down when the loader closes. Both are
served to the declarations layer through `definitions/_runtime.py`. Imports
`headwater.definitions` and this layer's `context` and `resources`.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import ExitStack
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition
from headwater.definitions.checks.definition import AssetChecksDefinition
from headwater.definitions.config.fs_io_manager import fs_io_manager
from headwater.definitions.config.resource import ResourceDefinition
from headwater.definitions.config.schema import process_config
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.metadata.types import TypeCheckContext
from headwater.definitions.ops.output import (
    NO_VALUE,
    DynamicOutput,
    MaterializeResult,
    ObserveResult,
    Output,
    multiple_outputs_error,
)
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
from headwater.execution.resources import (
    Resources,
    build_resource_values,
    invoke_resource,
    resource_argument,
)

_NOTHING_HINT = (
    "This may be because you attempted to provide a value for a nothing dependency. Nothing "
    "dependencies are ignored when directly invoking ops."
)
_CONTEXT_HINT = (
    "This may be because an argument was provided for the context parameter, but no context "
    "parameter was defined for the op."
)


def invoke_directly(definition: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call an op's or asset's function as a plain function, with type checks on inputs
    (a resource's init function: see `resources.invoke_resource`)."""
    if isinstance(definition, ResourceDefinition):
        return invoke_resource(definition, args, kwargs)
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
                call_kwargs[param] = resource_argument(ctx.resources, resource_key)
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
                    f"op {op_def.name} got multiple values for argument '{name}': input '{name}' "
                    "was passed both positionally and by name."
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
        ctx._asset_keys_by_output = dict(assets_def.node_keys_by_output_name)
        ctx._asset_keys_by_input = dict(assets_def.node_keys_by_input_name)
    ctx.outputs_seen = set()
    ctx.output_metadata = {}
    ctx.partition_metadata = {}
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
    """A returned value checked as a run checks it: one value per output, each of its
    output's type; a dynamic output's list holds DynamicOutputs."""
    for item in result if isinstance(result, tuple) else (result,):
        _check_result_key(ctx, item)
    outputs = op_def.output_dict
    if len(outputs) > 1 and result is None and not all(
            o.is_nothing and o.is_required for o in outputs.values()):
        raise multiple_outputs_error(op_def.name, outputs, result)
    if len(outputs) == 1:
        (name, out), = outputs.items()
        _check_output_value(op_def, ctx, name, out, result)
        return
    if len(outputs) < 2 or not isinstance(result, tuple) or getattr(ctx, "_assets_def", None):
        return
    if len(result) != len(outputs):
        raise HeadwaterInvariantViolationError(
            f"Length mismatch: op '{op_def.name}' has {len(outputs)} outputs "
            f"({', '.join(outputs)}) but returned a tuple of {len(result)} values. Return one "
            "value per output, in order.")
    for (name, out), value in zip(outputs.items(), result):
        _check_output_value(op_def, ctx, name, out, value)


def _check_output_value(op_def: Any, ctx: Any, name: str, out: Any, value: Any) -> None:
    if out.is_dynamic:
        if value is None:
            raise HeadwaterInvariantViolationError(
                f"op '{op_def.name}': dynamic output '{name}' expected a list of DynamicOutput "
                "objects, but the op returned None. Return [DynamicOutput(value, "
                "mapping_key=...), ...] (an empty list for none), or yield each one.")
        for index, item in enumerate(value if isinstance(value, (list, tuple)) else ()):
            if not isinstance(item, DynamicOutput):
                raise HeadwaterInvariantViolationError(
                    f"op '{op_def.name}': item {index} returned for dynamic output '{name}' is "
                    f"a {type(item)}, not a DynamicOutput. Wrap each element: "
                    "DynamicOutput(value, mapping_key=...).")
            _type_check(op_def, ctx, "output", name, out.headwater_type, item.value)
        return
    # a result object reports the asset's materialization or observation: what it carries
    # as the output's value is its `value` (an ObserveResult carries none)
    if isinstance(value, ObserveResult):
        value = None
    elif isinstance(value, (Output, MaterializeResult)):
        value = value.value
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


class AssetValueLoader:
    """Loads stored asset values through their IO managers, outside any run.

    ```python
    with defs.get_asset_value_loader(instance) as loader:
        first = loader.load_asset_value("orders", partition_key="2024-01-01")
        second = loader.load_asset_value("customers")
    ```
    A resource is initialised on the first load that needs it and kept for the later ones (two
    IO managers that need the same resource share one), until the `with` block ends, which
    tears them all down. Loads that pass their own `resource_config` get resources built with
    that config, kept apart from those of the other loads.
    """

    def __init__(self, assets_defs_by_key: Mapping[AssetKey, Any], resources: Mapping[str, Any],
                 instance: Any = None):
        self._assets_defs_by_key = assets_defs_by_key
        self._resources = dict(resources)
        self._instance = instance
        self._stack = ExitStack()
        # resource config (as a stable string) -> {key: (definition, value)} built with it,
        # and the config each resource function saw
        self._built: dict[str, tuple[dict[str, tuple[Any, Any]], dict[str, Any]]] = {}

    def __enter__(self) -> AssetValueLoader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Tear down every resource the loads initialised."""
        self._built.clear()
        self._stack.close()

    def load_asset_value(self, asset_key: Any, *, python_type: Any = None,
                         partition_key: str | None = None,
                         input_definition_metadata: Mapping[str, Any] | None = None,
                         resource_config: Mapping[str, Any] | None = None,
                         metadata: Mapping[str, Any] | None = None) -> Any:
        """The value the asset's IO manager has stored for `asset_key` (and `partition_key`).

        The IO manager's `load_input` gets a context as a downstream input reading the asset
        would: `python_type` becomes its `headwater_type`, `input_definition_metadata` (or its
        older name `metadata`) its `definition_metadata`, and `resource_config` configures the
        resources like the `resources` section of run config.
        """
        key = to_asset_key(asset_key)
        assets_def = self._assets_defs_by_key.get(key)
        if assets_def is None:
            raise HeadwaterInvalidInvocationError(
                f"There is no asset {key.to_user_string()!r} to load a value for; the assets "
                "are those of Definitions(assets=[...]) (or of the repository).")
        io_key = getattr(assets_def, "io_manager_key", None) or \
            assets_def.get_io_manager_key_for_asset_key(key)
        values, configs = self._resources_for(key, assets_def, io_key, resource_config or {})
        spec = assets_def.specs_by_key[key]
        node = getattr(assets_def, "node_def", None)
        partitions_def = getattr(assets_def, "partitions_def", None)
        keys = [partition_key] if partition_key is not None else None
        upstream = OutputContext(
            step_key=node.name if node is not None else None,
            name=assets_def.output_name_by_key.get(key, "result"),
            definition_metadata=spec.metadata, op_def=node, asset_key=key,
            partition_key=partition_key, asset_partitions_def=partitions_def,
            asset_partition_keys=keys, assets_def=assets_def, resources=Resources(values),
            resource_config=configs.get(io_key), instance=self._instance,
        )
        context = InputContext(
            name=key.to_python_identifier(),
            definition_metadata=input_definition_metadata if input_definition_metadata is not None
            else metadata, upstream_output=upstream, asset_key=key,
            partition_key=partition_key, asset_partitions_def=partitions_def,
            asset_partition_keys=keys, resources=Resources(values),
            resource_config=configs.get(io_key), instance=self._instance,
            headwater_type=resolve_headwater_type(Any if python_type is None else python_type),
        )
        return values[io_key].load_input(context)

    def _resources_for(self, key: AssetKey, assets_def: Any, io_key: str,
                       resource_config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The IO manager `io_key` and what it needs, initialised (or reused) for this load."""
        resource_defs = {**self._resources, **getattr(assets_def, "resource_defs", {})}
        if io_key not in resource_defs:
            # An ephemeral instance (e.g. `result.instance` of materialize()) has a storage
            # directory too, for as long as it lives.
            if io_key != "io_manager" or self._instance is None:
                raise HeadwaterInvalidInvocationError(
                    f"Cannot load {key.to_user_string()!r}: its IO manager '{io_key}' is not "
                    "among the resources, and values of the default IO manager live only in a "
                    "persistent instance. Pass instance=HeadwaterInstance.get(), or bind "
                    f"resources={{'{io_key}': ...}}."
                )
            resource_defs[io_key] = fs_io_manager
        built, configs = self._built.setdefault(repr(sorted(resource_config.items())), ({}, {}))
        # An asset's own resource_defs may bind a key differently than the top level does:
        # reuse only what was built from the same definition.
        reuse = {k: value for k, (definition, value) in built.items()
                 if resource_defs.get(k) is definition}
        values, teardown = build_resource_values(resource_defs, resource_config, {io_key},
                                                 instance=self._instance, reuse=reuse,
                                                 configs=configs)
        self._stack.callback(teardown)
        built.update({k: (resource_defs[k], v) for k, v in values.items()})
        return values, configs


def asset_value_loader(assets_defs_by_key: Mapping[AssetKey, Any], resources: Mapping[str, Any],
                       instance: Any = None) -> AssetValueLoader:
    """The engine's answer to `Definitions.get_asset_value_loader` (see `_runtime`)."""
    return AssetValueLoader(assets_defs_by_key, resources, instance)
