"""Resources: objects injected into ops and assets (connections, clients, IO managers).

This module holds the function style (`@resource`, ResourceDefinition) that the core
engine needs; the pydantic style (ConfigurableResource) builds on it. Imports `errors`.
"""

from __future__ import annotations

import copy
import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any

from headwater.definitions import _runtime
from headwater.definitions.config.schema import Field, process_config, resolve_config_schema
from headwater.errors import HeadwaterInvalidConfigError


class ResourceDefinition:
    """How to build a resource from its config; a generator function may tear it down.

    The function-style resource, usually made with `@resource`. Its `resource_fn` gets an
    InitResourceContext (`resource_config`, `resources`, `log`) and returns the value ops
    receive; a generator function yields the value and runs its code after the yield when
    the run's resources close, also after a failure. `configured(config)` fixes the config;
    `hardcoded_resource(value)`, `mock_resource()`, `none_resource()` and
    `string_resource()` build common ones. Calling the definition with an init context
    builds the resource directly, for tests. A ConfigurableResource becomes one at launch.

    Args:
        resource_fn: `fn(init_context) -> value` (or `fn()`), or a generator yielding it.
        config_schema: the schema of `resources.<key>.config`; None takes no config.
            A malformed schema raises where it is declared.
        description: shown in the UI.
        required_resource_keys: other resources this one reads from `context.resources`.
        version: the resource's version, as `.version`, and shown with the resource in the code
            server's snapshot (`resources[].version`). It changes no run: Dagster read it only
            for its deprecated op memoization, and data versions follow an asset's
            `code_version` instead.

    Example:
        ```python
        from headwater import ResourceDefinition, asset, materialize

        def connect(init_context):
            url = init_context.resource_config["url"]
            yield {"url": url, "open": True}  # teardown code would follow the yield

        database = ResourceDefinition(connect, config_schema={"url": str})

        @asset(required_resource_keys={"database"})
        def users(context) -> str:
            return context.resources.database["url"]

        result = materialize(
            [users],
            resources={"database": database},
            run_config={"resources": {"database": {"config": {"url": "sqlite://"}}}},
        )
        assert result.output_for_node("users") == "sqlite://"
        assert ResourceDefinition.hardcoded_resource(7)(None) == 7
        ```
    """

    #: set by pythonic resources (configurable.py): validates `resources.<key>.config`
    config_class: Any = None

    def __init__(
        self,
        resource_fn: Callable[..., Any],
        config_schema: Any = None,
        description: str | None = None,
        required_resource_keys: Iterable[str] | None = None,
        version: str | None = None,
    ):
        self.resource_fn = resource_fn
        if config_schema is not None:
            resolve_config_schema(config_schema)  # a malformed schema fails where it is declared
        self.config_schema = config_schema
        self.description = description
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.version = version
        params = list(inspect.signature(resource_fn).parameters.values())
        self.takes_context = bool(params)

    @staticmethod
    def hardcoded_resource(value: Any, description: str | None = None) -> ResourceDefinition:
        """A resource that is always `value`."""
        return ResourceDefinition(lambda _ctx: value, description=description)

    @staticmethod
    def mock_resource(description: str | None = None) -> ResourceDefinition:
        from unittest import mock

        return ResourceDefinition.hardcoded_resource(mock.MagicMock(), description)

    @staticmethod
    def none_resource(description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition.hardcoded_resource(None, description)

    @staticmethod
    def string_resource(description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition(lambda ctx: ctx.resource_config, config_schema=str,
                                  description=description)

    def configured(self, config: Any) -> ResourceDefinition:
        """The same resource with its config fixed (a function maps the new config to it)."""
        outer_fn = self.resource_fn
        takes_context = self.takes_context
        inner_schema = self.config_schema
        name = getattr(outer_fn, "__name__", "resource")

        def configured_fn(ctx: Any) -> Any:
            value = config(ctx.resource_config) if callable(config) else config
            if inner_schema is not None:
                # the mapped config is the original resource's config: check it (and fill
                # its defaults) as run config would be
                try:
                    value = process_config(inner_schema, value, "config")
                except HeadwaterInvalidConfigError as exc:
                    raise HeadwaterInvalidConfigError(
                        f"Error when applying config mapping for resource '{name}' "
                        "(configured): the config it produces does not fit the resource.",
                        exc.errors, value,
                    ) from None
            # derived even for a function without context: the init context records the
            # config the function was built with (IO manager contexts show it)
            inner = ctx.with_config(value) if hasattr(ctx, "with_config") else ctx
            return outer_fn(inner) if takes_context else outer_fn()

        new = copy.copy(self)
        new.resource_fn = configured_fn
        new.config_schema = None
        new.config_class = None
        new.takes_context = True
        # the version named the resource as configured by run config; fixed config is another
        # resource, whose version nobody declared
        new.version = None
        return new

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Build the resource directly, for tests: `my_resource(build_init_resource_context())`
        (None as the context for a resource that needs no resources and no config)."""
        return _runtime.engine().invoke_directly(self, args, kwargs)

    def __repr__(self) -> str:
        return f"ResourceDefinition(resource_fn={getattr(self.resource_fn, '__name__', '?')})"


def resource(
    resource_fn: Callable[..., Any] | None = None,
    *,
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    version: str | None = None,
) -> Any:
    """Declare a resource by its init function: `fn(init_context) -> value`, or a generator.

    Decorates a function (bare or with arguments) into a ResourceDefinition. The function
    gets an InitResourceContext with `resource_config` (checked against `config_schema`),
    `resources` (the `required_resource_keys`) and `log`. A generator yields the value
    once; the code after the yield is teardown, run when the run's resources close. Ops
    read it from `context.resources.<key>` once it is bound under that key.

    Args:
        resource_fn: the function, when used bare as `@resource`.
        config_schema: the schema of `resources.<key>.config` (a type, a dict of fields, a
            Field, ...); None takes no config.
        description: shown in the UI; defaults to the function's docstring.
        required_resource_keys: other resources the function reads from `context.resources`.
        version: the resource's version, as `.version`, and shown with the resource in the code
            server's snapshot (`resources[].version`). It changes no run: Dagster read it only
            for its deprecated op memoization, and data versions follow an asset's
            `code_version` instead.

    Example:
        ```python
        from headwater import asset, build_init_resource_context, materialize, resource

        EVENTS: list[str] = []

        @resource(config_schema={"name": str})
        def session(init_context):
            EVENTS.append("open")
            yield f"session for {init_context.resource_config['name']}"
            EVENTS.append("close")

        @asset(required_resource_keys={"session"})
        def report(context) -> str:
            return context.resources.session

        result = materialize([report], resources={"session": session.configured({"name": "ci"})})
        assert result.output_for_node("report") == "session for ci"
        assert EVENTS == ["open", "close"]

        @resource
        def answer(_init_context) -> int:
            return 42

        assert answer(build_init_resource_context()) == 42
        ```
    """

    def decorate(fn: Callable[..., Any]) -> ResourceDefinition:
        return ResourceDefinition(fn, config_schema=config_schema,
                                  description=description or inspect.getdoc(fn),
                                  required_resource_keys=required_resource_keys, version=version)

    if resource_fn is not None and callable(resource_fn):
        return decorate(resource_fn)
    return decorate


def is_mock(value: Any) -> bool:
    """A mock object (`unittest.mock`, or the `mock` backport that many test suites import
    instead): it answers every attribute probe, so it is taken as the resource value itself,
    never asked whether it is a resource definition. (Looked up in sys.modules: a process that
    imported neither holds no mock.)"""
    for module_name in _MOCK_MODULES:
        module = sys.modules.get(module_name)
        base = getattr(module, "NonCallableMock", None) if module is not None else None
        if isinstance(base, type) and isinstance(value, base):
            return True
    return False


_MOCK_MODULES = ("unittest.mock", "mock")


def as_resource_definition(value: Any, keys_by_id: Mapping[int, str] | None = None) -> ResourceDefinition:
    """A resource definition for `value`; a plain object becomes a hardcoded resource.

    `keys_by_id` maps id(resource object) -> its key among the resources bound together, so
    that a pythonic resource nested in another one is shared through that key.
    """
    if isinstance(value, ResourceDefinition):
        return value
    if is_mock(value):
        return ResourceDefinition.hardcoded_resource(value)
    bind = getattr(value, "_resource_definition", None)
    if callable(bind):
        return bind(keys_by_id)
    to_def = getattr(value, "get_resource_definition", None)
    if callable(to_def):
        return to_def()
    return ResourceDefinition.hardcoded_resource(value)


class ResourceParam:
    """`ResourceParam[T]`: a parameter of an op or asset that receives a plain-object resource.

    A parameter annotated with a ConfigurableResource class is a resource by its type; any
    other resource (a plain object bound directly, a `@resource` function's value) is asked
    for with `ResourceParam[T]`, the parameter name being the resource key. Without it, the
    parameter would be taken as an input.

    Example:
        ```python
        from headwater import ResourceParam, asset, materialize

        class ApiClient:
            def fetch(self, path: str) -> str:
                return f"GET {path}"

        @asset
        def orders(client: ResourceParam[ApiClient]) -> str:
            return client.fetch("/orders")

        result = materialize([orders], resources={"client": ApiClient()})
        assert result.output_for_node("orders") == "GET /orders"
        ```
    """

    __headwater_resource_param__ = True

    def __class_getitem__(cls, item: Any) -> Any:
        return Annotated[item, cls]


def make_values_resource(**fields: Any) -> ResourceDefinition:
    """A resource whose value is its own config, to share values between ops.

    `make_values_resource(dir=str)` takes `resources: {values: {config: {dir: ...}}}` and
    gives ops that dict. With no fields, any config value is accepted and handed over as it
    is. A field whose value is not a config type (`dir="/tmp"` instead of `dir=str`) raises
    TypeError naming the field.

    Args:
        **fields: config types by field name (`str`, `int`, `[str]`, `Field(...)`).

    Example:
        ```python
        from headwater import job, make_values_resource, op

        @op(required_resource_keys={"values"})
        def where(context) -> str:
            return context.resources.values["target_dir"]

        @job(resource_defs={"values": make_values_resource(target_dir=str)})
        def export():
            where()

        result = export.execute_in_process(
            run_config={"resources": {"values": {"config": {"target_dir": "/data/out"}}}}
        )
        assert result.output_for_node("where") == "/data/out"
        ```
    """
    for name, kind in fields.items():
        # A field's value is its config type; anything else is most likely a value meant
        # for run config (make_values_resource(dir="/tmp") instead of dir=str).
        if kind is None or not (isinstance(kind, (type, Field, Mapping, list))
                                or type(kind).__module__.startswith("headwater.")):
            raise TypeError(
                f"make_values_resource() got field '{name}' = {kind!r}, which is not a config "
                f"type. Give its type ({name}=str, int, [str], Field(...)); the value itself "
                "goes in run config: resources: {values: {config: {...}}}."
            )
    schema: Any = fields if fields else Field(Any, is_required=False)
    return ResourceDefinition(lambda context: context.resource_config, config_schema=schema,
                              description="Values shared by ops, from run config.")
