"""Resources in a run: what user code sees (`Resources`, `InitResourceContext`), and
building them for a run (or a test context) and tearing them down.

Resources are initialised once, in dependency order, from their definitions and the
`resources:` section of run config; generator and context-manager resources are torn
down in reverse order, also when a step failed. A resource function decorated with
`@asynccontextmanager` is entered and exited on the event loop the caller hands in
(`build_op_context(event_loop=...)`, `build_resources(event_loop=...)`); without one it is
refused, since a run has no loop that outlives a step. `context.py` hands the built
`Resources` to ops and IO managers, so this module sits below it and never imports it.
Imports `headwater.definitions` and this layer's `log`.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import ExitStack, contextmanager
from typing import Any

from headwater.definitions.config.resource import ResourceDefinition, as_resource_definition
from headwater.definitions.config.schema import config_is_required, process_config
from headwater.errors import (
    HeadwaterError,
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
    HeadwaterResourceFunctionError,
    HeadwaterUnknownResourceError,
)
from headwater.execution.log import LogManager


class Resources:
    """`context.resources`: resources by attribute, unknown names fail with a clear error.

    An op, a type check or a type loader sees only the resources it declares (`keys`): code
    that uses a resource it did not ask for fails in every run, not only in the runs where
    something else happened to initialise that resource. The engine reads the whole set
    through `_unscoped()` (an IO manager an asset value is loaded with, for instance).
    """

    def __init__(self, values: Mapping[str, Any] | None = None, owner: str | None = None,
                 keys: Iterable[str] | None = None):
        everything = dict(values or {})
        visible = everything if keys is None else {
            k: v for k, v in everything.items() if k in set(keys)}
        object.__setattr__(self, "_values", visible)
        object.__setattr__(self, "_all", everything)
        object.__setattr__(self, "_owner", owner)

    def _resource(self, name: str) -> Any:
        """The resource itself, for a parameter typed with its class (never the object it
        attaches to `context.resources`)."""
        values = object.__getattribute__(self, "_values")
        return values[name] if name in values else self.__getattr__(name)

    def _unscoped(self) -> Resources:
        return Resources(object.__getattribute__(self, "_all"),
                         object.__getattribute__(self, "_owner"))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return _attached(values[name])
        if name.startswith("__"):
            raise AttributeError(name)
        raise HeadwaterUnknownResourceError(name, object.__getattribute__(self, "_owner"))

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __contains__(self, name: str) -> bool:
        return name in object.__getattribute__(self, "_values")

    def __setattr__(self, name: str, value: Any) -> None:
        raise HeadwaterInvariantViolationError("context.resources is read-only.")

    def _asdict(self) -> dict[str, Any]:
        return dict(object.__getattribute__(self, "_values"))

    def original_resource_dict(self) -> dict[str, Any]:
        return self._asdict()

    def __repr__(self) -> str:
        return f"Resources({sorted(object.__getattribute__(self, '_values'))})"



def _attached(value: Any) -> Any:
    """What `context.resources.<key>` holds for a resource: itself, or the object an
    IAttachDifferentObjectToOpContext resource attaches. (Looked up in sys.modules: only a
    process that defined pythonic resources has loaded pydantic and that class.)"""
    module = sys.modules.get("headwater.definitions.config.configurable")
    if module is not None and isinstance(value, module.IAttachDifferentObjectToOpContext):
        return value.get_object_to_set_on_execution_context()
    return value


class InitResourceContext:
    """What a `@resource` function gets as `context`: its config, the other resources, the log.

    `resource_config` is the resource's config; `resources` holds the resources it
    requires. Build one with `build_init_resource_context` in tests.

    Args:
        resource_config: the resource's config (`context.resource_config`).
        resources: the resources it requires, by key.
        instance: the instance of the run, if any.
        resource_def: the resource definition being initialised.
        run_id: the id of the run, if any.
        log: the run's log, as `context.log`.
        all_resource_defs: every resource definition of the job, by key.

    Example:
        ```python
        from headwater import asset, materialize, resource

        @resource(config_schema={"prefix": str})
        def labeller(context):
            context.log.info("labeller ready")
            return lambda text: context.resource_config["prefix"] + text

        @asset(required_resource_keys={"labeller"})
        def label(context) -> str:
            return context.resources.labeller("orders")

        result = materialize([label], resources={"labeller": labeller},
                             run_config={"resources": {"labeller": {"config": {"prefix": "v1-"}}}})
        assert result.asset_value("label") == "v1-orders"
        ```
    """

    def __init__(self, resource_config: Any = None, resources: Any = None,
                 instance: Any = None, resource_def: Any = None, run_id: str | None = None,
                 log: LogManager | None = None, all_resource_defs: Any = None):
        self.resource_config = resource_config
        self.resources = resources if isinstance(resources, Resources) else Resources(resources)
        self.instance = instance
        self.resource_def = resource_def
        self.run_id = run_id
        self.log = log or LogManager()
        self.log_manager = self.log
        self.all_resource_defs = all_resource_defs
        # shared with the contexts `with_config` derives, so that the outermost one learns the
        # config the resource function finally saw (a `configured` resource replaces its own)
        self._final_config: list[Any] = [resource_config]

    @property
    def final_config(self) -> Any:
        """The config the resource's own function was called with."""
        return self._final_config[0]

    def with_config(self, config: Any) -> InitResourceContext:
        derived = InitResourceContext(config, self.resources, self.instance, self.resource_def,
                                      self.run_id, self.log)
        derived._final_config = self._final_config
        self._final_config[0] = config
        return derived

    replace_config = with_config

    @property
    def headwater_run(self) -> Any:
        """The run the resource is built for, as the instance records it; None outside a run
        (or when the instance does not know the run)."""
        if self.instance is None or self.run_id is None:
            return None
        return self.instance.get_run_by_id(self.run_id)

    def __enter__(self) -> InitResourceContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def invoke_resource(definition: ResourceDefinition, args: tuple[Any, ...],
                    kwargs: Mapping[str, Any]) -> Any:
    """`my_resource(context)`: a resource's init function called directly, as tests do.

    The context may be None for a resource that needs neither resources nor config without
    a default; its config is checked and defaults filled as in a run."""
    fn_name = getattr(definition.resource_fn, "__name__", "resource")
    if not definition.takes_context:
        if args or kwargs:
            raise HeadwaterInvalidInvocationError(
                f"Resource function '{fn_name}' takes no context argument, but one was passed. "
                "Call it with no argument, or give the function a context parameter."
            )
        return definition.resource_fn()
    param = next(iter(inspect.signature(definition.resource_fn).parameters))
    unknown = sorted(set(kwargs) - {param})
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"Resource initialization expected argument '{param}' (its context), got "
            f"{unknown}. Call {fn_name}({param}=build_init_resource_context(...))."
        )
    if len(args) + len(kwargs) != 1:
        raise HeadwaterInvalidInvocationError(
            "Resource initialization function has context argument, but no context argument "
            "was provided when invoking: pass build_init_resource_context(...)."
        )
    context = args[0] if args else kwargs[param]
    needs = sorted(definition.required_resource_keys)
    schema = definition.config_schema
    if context is None:
        if needs:
            raise HeadwaterInvalidInvocationError(
                f"Resource '{fn_name}' needs resources {needs}, but it was called with None "
                f"for its context. Pass build_init_resource_context(resources={{...}})."
            )
        if schema is not None and config_is_required(schema):
            raise HeadwaterInvalidInvocationError(
                f"Resource '{fn_name}' has config without defaults, but it was called with None "
                "for its context. Pass build_init_resource_context(config=...)."
            )
        context = InitResourceContext(resource_def=definition)
    elif isinstance(context, InitResourceContext):
        for key in needs:
            if key not in context.resources:
                raise HeadwaterInvalidDefinitionError(
                    f"resource with key '{key}' required was not provided to the context of "
                    f"resource '{fn_name}'. Pass build_init_resource_context(resources="
                    f"{{'{key}': ...}})."
                )
    if schema is not None and isinstance(context, InitResourceContext):
        try:
            config = process_config(schema, context.resource_config, "config")
        except HeadwaterInvalidConfigError as exc:
            raise HeadwaterInvalidConfigError(
                f"Error in config for resource '{fn_name}':", exc.errors, context.resource_config,
            ) from None
        context = context.with_config(config)
    return definition.resource_fn(context)


def resource_argument(resources: Any, key: str) -> Any:
    """The value of a parameter that takes the resource `key` (typed with its class)."""
    if isinstance(resources, Resources):
        return resources._resource(key)
    return getattr(resources, key)


def build_resource_values(
    resource_defs: Mapping[str, Any],
    resources_config: Mapping[str, Any],
    keys: set[str] | None = None,
    log: LogManager | None = None,
    run_id: str | None = None,
    instance: Any = None,
    reuse: Mapping[str, Any] | None = None,
    configs: dict[str, Any] | None = None,
    event_loop: Any = None,
) -> tuple[dict[str, Any], Callable[[], None]]:
    """Initialise the resources named by `keys` (all by default); return values and teardown.

    Values in `reuse` are taken as they are instead of being initialised again (and are not
    torn down here); `configs`, when given, receives the config each initialised resource's
    function saw (after `configured`), which IO manager contexts show as `resource_config`.
    `event_loop` enters (and at teardown exits) `@asynccontextmanager` resources.
    """
    by_id = {id(v): k for k, v in resource_defs.items()}
    defs = {k: as_resource_definition(v, by_id) for k, v in resource_defs.items()}
    wanted = set(defs) if keys is None else set(keys)
    reuse = reuse or {}
    order = _dependency_order(defs, wanted, set(reuse))
    stack = ExitStack()
    values: dict[str, Any] = {}
    try:
        for key in order:
            if key in reuse:
                values[key] = reuse[key]
                continue
            values[key] = _init_one(key, defs[key], resources_config.get(key, {}) or {}, values,
                                    stack, log, run_id, instance, configs, event_loop)
    except BaseException:
        stack.close()
        raise
    return values, stack.close


def _dependency_order(defs: Mapping[str, ResourceDefinition], wanted: set[str],
                      done: AbstractSet[str] = frozenset()) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(key: str, path: list[str]) -> None:
        if state.get(key) == 2:
            return
        if key in done:  # already built: its own dependencies are too
            state[key] = 2
            order.append(key)
            return
        if state.get(key) == 1:
            cycle = " -> ".join([*path[path.index(key):], key])
            raise HeadwaterInvalidDefinitionError(f"Resources depend on each other in a cycle: {cycle}.")
        if key not in defs:
            owner = path[-1] if path else None
            who = f"resource '{owner}'" if owner else "the run"
            raise HeadwaterInvalidDefinitionError(
                f"{who} requires resource '{key}', which is not provided. Add it to "
                "resources={...} (or resource_defs= of the job)."
            )
        state[key] = 1
        for dep in sorted(defs[key].required_resource_keys):
            visit(dep, [*path, key])
        state[key] = 2
        order.append(key)

    for key in sorted(wanted):
        visit(key, [])
    return order


def _init_one(key: str, definition: ResourceDefinition, config_entry: Any, values: Mapping[str, Any],
              stack: ExitStack, log: LogManager | None, run_id: str | None, instance: Any,
              configs: dict[str, Any] | None = None, event_loop: Any = None) -> Any:
    raw = config_entry.get("config") if isinstance(config_entry, Mapping) else None
    schema = definition.config_schema
    if schema is not None:
        if raw is None and config_is_required(schema):
            raise HeadwaterInvalidConfigError(
                f"Missing required config for resource '{key}':",
                [f"resources.{key}.config: required; pass run_config={{'resources': "
                 f"{{'{key}': {{'config': ...}}}}}}."],
            )
        config = process_config(schema, raw, f"resources.{key}.config")
    else:
        config = raw
    deps = {k: values[k] for k in definition.required_resource_keys}
    ctx = InitResourceContext(resource_config=config, resources=Resources(deps),
                              resource_def=definition, run_id=run_id, log=log, instance=instance)
    # The key names the resource in config errors.
    ctx._resource_key = key  # type: ignore[attr-defined]
    try:
        value = definition.resource_fn(ctx) if definition.takes_context else definition.resource_fn()
        if inspect.isgenerator(value):
            gen = value
            value = next(gen)
            stack.callback(_finish_generator, gen, key)
        elif hasattr(value, "__enter__") and hasattr(value, "__exit__") and getattr(
            definition, "enter_context", True
        ) and _is_context_manager_result(definition, value):
            value = stack.enter_context(value)
        elif type(value).__name__ == "_AsyncGeneratorContextManager":
            value = _enter_async(key, value, stack, event_loop)
        # read once the resource is set up: a generator (a Pythonic resource) sets its final
        # config only when it runs to its yield
        if configs is not None:
            configs[key] = ctx.final_config
    except HeadwaterError:
        raise
    except Exception as exc:
        raise HeadwaterResourceFunctionError(
            f"Error executing resource_fn on ResourceDefinition {key}: initializing resource "
            f"'{key}' raised {type(exc).__name__}: {exc}",
            user_exception=exc,
        ) from exc
    return value


def _is_context_manager_result(definition: ResourceDefinition, value: Any) -> bool:
    """A resource function decorated with @contextmanager returns a context manager to enter."""
    return type(value).__name__ == "_GeneratorContextManager"


def _enter_async(key: str, manager: Any, stack: ExitStack, event_loop: Any) -> Any:
    """Enter an @asynccontextmanager resource on the caller's loop; exit it there at teardown."""
    if event_loop is None:
        raise HeadwaterInvalidInvocationError(
            f"Resource '{key}' is an @asynccontextmanager function, which needs an event loop "
            "to enter and exit it: pass event_loop= to build_op_context, build_asset_context "
            "or build_resources. In a run, write it as a generator or a @contextmanager "
            "function instead.")
    value = event_loop.run_until_complete(manager.__aenter__())
    stack.callback(lambda: event_loop.run_until_complete(manager.__aexit__(None, None, None)))
    return value


def _finish_generator(gen: Any, key: str) -> None:
    try:
        next(gen)
    except StopIteration:
        return
    raise HeadwaterInvalidDefinitionError(
        f"Resource '{key}' yielded more than once; a generator resource yields its value once "
        "and tears down after the yield."
    )


@contextmanager
def build_resources(
    resources: Mapping[str, Any],
    instance: Any = None,
    resource_config: Mapping[str, Any] | None = None,
    headwater_run: Any = None,
    log_manager: LogManager | None = None,
    event_loop: Any = None,
) -> Iterator[Resources]:
    """Initialise resources outside a run, for scripts and notebooks; tear them down after.

    A context manager yielding the initialised resources by attribute. Configure them as
    run config would (`{"db": {"config": {...}}}`); config for a key not in `resources`
    raises `HeadwaterInvalidConfigError`.

    Args:
        resources: resources by key (instances or definitions).
        instance: the instance `context.instance` returns to them.
        resource_config: config by resource key, as in run config.
        headwater_run: the run they pretend to belong to (for `context.run_id`).
        log_manager: where their `context.log` messages go.
        event_loop: an asyncio event loop; resources whose function is an
            `@asynccontextmanager` are entered on it, and exited on it when the block ends.
            Without one such resources are refused.

    Example:
        ```python
        from headwater import ConfigurableResource, build_resources

        class Greeter(ConfigurableResource):
            greeting: str

            def greet(self, name: str) -> str:
                return f"{self.greeting}, {name}"

        with build_resources({"greeter": Greeter(greeting="hi")}) as resources:
            assert resources.greeter.greet("ada") == "hi, ada"
        ```
    """
    unknown = sorted(set(resource_config or {}) - set(resources))
    if unknown:
        raise HeadwaterInvalidConfigError(
            f"build_resources: resource_config names {unknown}, which resources= lacks. "
            f"Resources: {sorted(resources)}."
        )
    run_id = getattr(headwater_run, "run_id", None)
    values, teardown = build_resource_values(resources, resource_config or {}, log=log_manager,
                                             run_id=run_id, instance=instance,
                                             event_loop=event_loop)
    try:
        yield Resources(values)
    finally:
        teardown()
