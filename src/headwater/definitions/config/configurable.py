"""Pythonic resources: ConfigurableResource and its factories, built on pydantic.

A ConfigurableResource is a frozen model whose fields are its config; the instance a user
writes (`Warehouse(url=EnvVar("URL"))`) is a template. At launch, `get_resource_definition()`
turns it into a ResourceDefinition whose init function:

1. takes the template's values as defaults and run config (`resources.<key>.config`) as
   overrides, reads `EnvVar`s from the environment, and builds a fresh instance;
2. initialises nested resources first: a nested resource that is also bound at the top
   level (the same object) is shared through its key, any other is built privately and
   torn down after its parent;
3. enters `yield_for_execution(context)` -- by default `setup_for_execution`, yield
   `create_resource(context)` (the instance itself for a ConfigurableResource), then
   `teardown_after_execution` -- so teardown runs when the run's resources close, even
   after a failed step.

The definition's `config_class` attribute offers `_validate_run_config(raw, path, errors)`
and `_json_schema()` (see config_class.py) for the run-config validator, with the
template's values as defaults. Imports `errors` and `config_class`, `resource`,
`io_manager` of this layer.
"""

from __future__ import annotations

import enum
import inspect
import re
import typing
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import PrivateAttr, ValidationError

from headwater.definitions import _runtime
from headwater.definitions.config.config_class import (
    EnvVar,
    IntEnvVar,
    _ConfigMeta,
    _HeadwaterModel,
    _strip_annotated,
    _union_args,
    env_var_names,
    model_json_schema,
    pydantic_problems,
    read_env_var,
)
from headwater.definitions.config.io_manager import IOManager, IOManagerDefinition
from headwater.definitions.config.resource import (
    ResourceDefinition,
    as_resource_definition,
    is_mock,
)
from headwater.errors import (
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvariantViolationError,
)

T = TypeVar("T")


class IAttachDifferentObjectToOpContext(ABC):
    """A mixin for a resource that puts a different object on `context.resources.<key>`.

    Ops and assets that take the resource as a typed parameter get the resource itself,
    while code that reads `context.resources.<key>` gets what
    `get_object_to_set_on_execution_context()` returns. It helps a migration from
    function-style resources: old ops keep the client they used, new ones get the
    ConfigurableResource.

    Example:
        ```python
        from headwater import ConfigurableResource, IAttachDifferentObjectToOpContext, job, op

        class Connection:
            def __init__(self, url: str):
                self.url = url

        class Database(ConfigurableResource, IAttachDifferentObjectToOpContext):
            url: str

            def get_object_to_set_on_execution_context(self) -> Connection:
                return Connection(self.url)

        @op(required_resource_keys={"db"})
        def old_style(context) -> str:
            return type(context.resources.db).__name__

        @op
        def new_style(db: Database) -> str:
            return type(db).__name__

        @job(resource_defs={"db": Database(url="sqlite://")})
        def both():
            old_style()
            new_style()

        result = both.execute_in_process()
        assert result.output_for_node("old_style") == "Connection"
        assert result.output_for_node("new_style") == "Database"
        ```
    """

    @abstractmethod
    def get_object_to_set_on_execution_context(self) -> Any:
        """The object `context.resources.<key>` holds for this resource."""


class _ResourceDependencyMarker:
    """Marks a field of a resource that holds another resource (any kind of value)."""


class ResourceDependency(Generic[T]):
    """`ResourceDependency[T]`: a field of a ConfigurableResource holding another resource.

    Annotate a field with it when the nested value is not itself a ConfigurableResource (a
    function-style ResourceDefinition, or any plain object): the field then accepts a
    resource, which is initialised before its parent. A field typed with a
    ConfigurableResource subclass needs no marker. A nested resource that is also bound
    under a key of its own (the same object) is shared; any other is built for its parent.

    Example:
        ```python
        from typing import Any

        from headwater import ConfigurableResource, ResourceDependency, asset, materialize

        class Client(ConfigurableResource):
            credentials: ResourceDependency[Any]

            def whoami(self) -> str:
                return f"token {self.credentials}"

        @asset
        def identity(client: Client) -> str:
            return client.whoami()

        result = materialize([identity], resources={"client": Client(credentials="abc")})
        assert result.output_for_node("identity") == "token abc"
        ```
    """

    def __class_getitem__(cls, item: Any) -> Any:
        return Annotated[item, _ResourceDependencyMarker]


def _is_resource_annotation(ann: Any) -> bool:
    if typing.get_origin(ann) is Annotated and _ResourceDependencyMarker in ann.__metadata__:
        return True
    ann = _strip_annotated(ann)
    args = _union_args(ann)
    if args is not None:
        return any(_is_resource_annotation(a) for a in args if a is not type(None))
    return isinstance(ann, type) and issubclass(ann, (ConfigurableResourceFactory,
                                                      ResourceDefinition, PartialResource))


def _is_resource_value(value: Any) -> bool:
    return isinstance(value, (ConfigurableResourceFactory, PartialResource, ResourceDefinition))


class _ResourceMeta(_ConfigMeta):
    """Fields typed as resources accept any resource (a template, a partial, a definition)."""

    @staticmethod
    def _adjust_field(namespace: dict[str, Any], annotations: dict[str, Any], name: str,
                      ann: Any) -> bool:
        if not _is_resource_annotation(ann):
            return False
        annotations[name] = Any
        args = _union_args(_strip_annotated(ann))
        if args is not None and type(None) in args and name not in namespace:
            namespace[name] = None
        return True


class _ResourceConfig:
    """The run-config view of one resource: its class, with the template's values as defaults."""

    def __init__(self, cls: type[ConfigurableResourceFactory], given: Mapping[str, Any],
                 nested: frozenset[str]):
        self.cls = cls
        self.given = dict(given)
        self.nested = nested
        self.__name__ = cls.__name__

    def _validate_run_config(self, raw: Any, path: str, errors: list[str]) -> None:
        self.cls._check_run_config(raw, path, errors, frozenset(self.given) | self.nested)

    def _json_schema(self) -> dict[str, Any]:
        schema = model_json_schema(self.cls, defaults=self.given)
        for name in self.nested:
            schema["properties"].pop(name, None)
        required = [k for k in schema.get("required", ()) if k not in self.nested]
        if required:
            schema["required"] = required
        else:
            schema.pop("required", None)
        return schema

    def __repr__(self) -> str:
        return f"_ResourceConfig({self.__name__})"


class ConfigurableResourceFactory(_HeadwaterModel, Generic[T], metaclass=_ResourceMeta):
    """A resource configured by typed fields whose value is built by `create_resource`.

    Use it when ops should get some other object than the resource instance (a client
    built from the config); ConfigurableResource is the common case where the value is the
    instance. Per run, headwater builds a fresh instance from the template's values, run
    config (`resources.<key>.config`) and environment variables, then enters
    `yield_for_execution`: `setup_for_execution`, `create_resource(context)`,
    `teardown_after_execution` (also after a failed step).

    Args:
        **data: the values of the subclass's declared fields (EnvVar allowed).

    Example:
        ```python
        from headwater import ConfigurableResourceFactory, ResourceParam, asset, materialize

        class Greeter:
            def __init__(self, greeting: str):
                self.greeting = greeting

        class GreeterFactory(ConfigurableResourceFactory):
            greeting: str = "hello"

            def create_resource(self, context) -> Greeter:
                return Greeter(self.greeting)

        @asset
        def message(greeter: ResourceParam[Greeter]) -> str:
            return f"{greeter.greeting}, world"

        result = materialize([message], resources={"greeter": GreeterFactory(greeting="hi")})
        assert result.output_for_node("message") == "hi, world"
        ```
    """

    __headwater_resource__: ClassVar[bool] = True
    _kind: ClassVar[str] = "Pythonic resource"
    _is_io_manager: ClassVar[bool] = False
    _resource_context: Any = PrivateAttr(default=None)

    # --- lifecycle, overridden by users ------------------------------------------------

    def create_resource(self, context: Any) -> T:
        raise NotImplementedError(
            f"{type(self).__name__} must implement create_resource(self, context)."
        )

    def setup_for_execution(self, context: Any) -> None:
        """Called once per run before the resource is used (open clients here)."""

    def teardown_after_execution(self, context: Any) -> None:
        """Called once per run after the last step, also when a step failed."""

    @contextmanager
    def yield_for_execution(self, context: Any) -> Iterator[T]:
        """Set up, yield the resource's value, tear down (override to wrap both in one block)."""
        self.setup_for_execution(context)
        try:
            yield self.create_resource(context)
        finally:
            self.teardown_after_execution(context)

    # --- context -------------------------------------------------------------------

    def get_resource_context(self) -> Any:
        """The InitResourceContext this instance was built with (inside a run or test)."""
        ctx = self._resource_context
        if ctx is None:
            raise HeadwaterInvariantViolationError(
                f"{type(self).__name__} has no resource context: it is only available once the "
                "resource is initialised for a run (or via with_replaced_resource_context)."
            )
        return ctx

    def with_replaced_resource_context(self, resource_context: Any) -> Any:
        copy = self.model_copy()
        copy._headwater_env_vars = dict(self._env_vars())
        copy._resource_context = resource_context
        return copy

    @classmethod
    def from_resource_context(cls, context: Any) -> Any:
        """Build and set up this resource from an InitResourceContext (for function resources)."""
        instance = cls(**_nested_from_context(cls, context), **(context.resource_config or {}))
        instance._resource_context = context
        instance.setup_for_execution(context)
        return instance.create_resource(context)

    @classmethod
    @contextmanager
    def from_resource_context_cm(cls, context: Any) -> Iterator[Any]:
        """Like from_resource_context, tearing the resource down when the block exits."""
        instance = cls(**_nested_from_context(cls, context), **(context.resource_config or {}))
        instance._resource_context = context
        with instance.yield_for_execution(context) as value:
            yield value

    def process_config_and_initialize(self) -> Any:
        """The value this resource gives in a run (the instance itself for a
        ConfigurableResource), built outside one: env vars read, config checked, set up.
        Nothing tears it down; use `build_resources` for a block with teardown."""
        key = type(self).__name__
        values, _teardown = _runtime.engine().build_resource_values({key: self}, {})
        return values[key]

    @classmethod
    def configure_at_launch(cls, **kwargs: Any) -> PartialResource:
        """A resource whose remaining fields come from run config (`resources.<key>.config`)."""
        return PartialResource(cls, kwargs)

    # --- definitions ------------------------------------------------------------------

    def _nested(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields
                if _is_resource_value(getattr(self, name))}

    def _given(self) -> dict[str, Any]:
        nested = self._nested()
        # keyed as run config keys them: by alias (`schema_ = Field(alias="schema")`)
        values = {(info.alias or name): getattr(self, name)
                  for name, info in type(self).model_fields.items() if name not in nested}
        values.update(self._env_vars())
        return values

    @property
    def required_resource_keys(self) -> frozenset[str]:
        return self.get_resource_definition().required_resource_keys

    def get_resource_definition(self) -> ResourceDefinition:
        return self._resource_definition(None)

    def _resource_definition(self, keys_by_id: Mapping[int, str] | None) -> ResourceDefinition:
        return definition_for(type(self), self._given(), self._nested(), keys_by_id)

    def _get_initialized(self) -> Any:
        """The value an op gets when this template is passed directly (tests)."""
        return self


class ConfigurableResource(ConfigurableResourceFactory[T]):  # type: ignore[metaclass]
    """A resource declared as a class with typed config fields; ops get the instance itself.

    Subclass it, declare fields (its config) and methods (what ops call). The instance you
    bind in `Definitions(resources=...)` (or `materialize(resources=...)`) is a template:
    each run builds a fresh, frozen instance from its values, run config under
    `resources.<key>.config` and `EnvVar` values read at launch, and calls
    `setup_for_execution(context)` / `teardown_after_execution(context)` around the run.
    An op or asset asks for it with a parameter annotated with the class, named as the
    resource key. Fields typed with another resource class nest resources.
    `configure_at_launch(**fields)` leaves fields to run config. A bad value fails the run
    with HeadwaterInvalidConfigError naming `resources.<key>.config.<field>`.

    Args:
        **data: the values of the subclass's declared fields (EnvVar allowed).

    Example:
        ```python
        from headwater import ConfigurableResource, asset, materialize

        class Warehouse(ConfigurableResource):
            url: str
            schema_name: str = "public"

            def table(self, name: str) -> str:
                return f"{self.url}/{self.schema_name}.{name}"

        @asset
        def revenue(warehouse: Warehouse) -> str:
            return warehouse.table("revenue")

        result = materialize([revenue], resources={"warehouse": Warehouse(url="db://prod")})
        assert result.output_for_node("revenue") == "db://prod/public.revenue"
        ```
    """

    def create_resource(self, context: Any) -> Any:
        return self


class ConfigurableIOManagerFactory(ConfigurableResourceFactory[Any]):  # type: ignore[metaclass]
    """A typed-config factory for an IO manager: implement `create_io_manager(context)`.

    Use it when the IO manager object should not be the config instance itself (it holds a
    client, or is an existing IOManager class); otherwise subclass ConfigurableIOManager.
    `create_io_manager` gets the InitResourceContext and returns an IOManager, built once
    per run.

    Args:
        **data: the values of the subclass's declared fields (EnvVar allowed).

    Example:
        ```python
        from headwater import ConfigurableIOManagerFactory, IOManager, asset, materialize

        STORES: dict[str, dict] = {}

        class DictIOManager(IOManager):
            def __init__(self, store: dict):
                self.store = store

            def handle_output(self, context, obj) -> None:
                self.store[context.asset_key.to_user_string()] = obj

            def load_input(self, context):
                return self.store[context.asset_key.to_user_string()]

        class DictIOManagerFactory(ConfigurableIOManagerFactory):
            store_name: str

            def create_io_manager(self, context) -> DictIOManager:
                return DictIOManager(STORES.setdefault(self.store_name, {}))

        @asset
        def numbers() -> list[int]:
            return [1, 2]

        @asset
        def total(numbers: list[int]) -> int:
            return sum(numbers)

        materialize([numbers, total],
                    resources={"io_manager": DictIOManagerFactory(store_name="main")})
        assert STORES["main"] == {"numbers": [1, 2], "total": 3}
        ```
    """

    _is_io_manager: ClassVar[bool] = True

    def create_io_manager(self, context: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must implement create_io_manager(self, context)."
        )

    def create_resource(self, context: Any) -> Any:
        return self.create_io_manager(context)


class ConfigurableIOManager(ConfigurableResource, IOManager):  # type: ignore[metaclass]
    """An IO manager configured by typed fields: implement handle_output and load_input.

    The class is both the config (its fields, as in ConfigurableResource) and the IO
    manager: `handle_output(context, obj)` stores what an asset or op returns, and
    `load_input(context)` loads it for a downstream step. Bind it under `"io_manager"` to
    make it the default, or under another key named by `io_manager_key`.

    Args:
        **data: the values of the subclass's declared fields (EnvVar allowed).

    Example:
        ```python
        from headwater import ConfigurableIOManager, asset, materialize

        STORE: dict[tuple, object] = {}

        class MemoryIOManager(ConfigurableIOManager):
            prefix: str

            def handle_output(self, context, obj) -> None:
                STORE[(self.prefix, *context.asset_key.path)] = obj

            def load_input(self, context):
                return STORE[(self.prefix, *context.asset_key.path)]

        @asset
        def raw() -> int:
            return 20

        @asset
        def doubled(raw: int) -> int:
            return raw * 2

        materialize([raw, doubled], resources={"io_manager": MemoryIOManager(prefix="dev")})
        assert STORE == {("dev", "raw"): 20, ("dev", "doubled"): 40}
        ```
    """

    _is_io_manager: ClassVar[bool] = True


class ConfigurableLegacyIOManagerAdapter(ConfigurableIOManagerFactory):
    """Typed config in front of an `@io_manager` function: implement `wrapped_io_manager`.

    The adapter's fields become the config the wrapped IOManagerDefinition reads from
    `init_context.resource_config`, so an existing function-style IO manager gets a typed,
    class-based front without being rewritten. `wrapped_io_manager` is a property that
    returns the IOManagerDefinition.

    Args:
        **data: the values of the subclass's declared fields (the wrapped definition's
            config).

    Example:
        ```python
        from headwater import (
            ConfigurableLegacyIOManagerAdapter, IOManager, asset, io_manager, materialize,
        )

        STORES: dict[str, dict] = {}

        class DictIOManager(IOManager):
            def __init__(self, store: dict):
                self.store = store

            def handle_output(self, context, obj) -> None:
                self.store[context.asset_key.to_user_string()] = obj

            def load_input(self, context):
                return self.store[context.asset_key.to_user_string()]

        @io_manager(config_schema={"store_name": str})
        def dict_io_manager(init_context):
            return DictIOManager(STORES.setdefault(init_context.resource_config["store_name"], {}))

        class DictIOManagerAdapter(ConfigurableLegacyIOManagerAdapter):
            store_name: str

            @property
            def wrapped_io_manager(self):
                return dict_io_manager

        @asset
        def answer() -> int:
            return 42

        materialize([answer], resources={"io_manager": DictIOManagerAdapter(store_name="s")})
        assert STORES["s"] == {"answer": 42}
        ```
    """

    @property
    def wrapped_io_manager(self) -> IOManagerDefinition:
        raise NotImplementedError(
            f"{type(self).__name__} must define the wrapped_io_manager property."
        )

    def create_io_manager(self, context: Any) -> Any:
        definition = self.wrapped_io_manager
        config = self._to_run_config_value()
        for name in self._nested():
            config.pop(name, None)
        return definition.resource_fn(context.with_config(config))


class PartialResource:
    """A resource whose missing fields come from run config: `Cls.configure_at_launch(...)`.

    Build it with `configure_at_launch(**fields)` on a ConfigurableResource class rather
    than directly. Fields given there are fixed; the others are read at launch from
    `resources.<key>.config`, so one Definitions can run against different targets. A
    required field missing from both fails the run with a config error naming it. A
    partial resource can be nested in another resource only if it is also bound under a
    key of its own.

    Args:
        cls: the ConfigurableResource (or factory) class to build.
        data: the field values fixed now, by field name.

    Example:
        ```python
        from headwater import ConfigurableResource, asset, materialize

        class Warehouse(ConfigurableResource):
            url: str
            schema_name: str

        @asset
        def location(warehouse: Warehouse) -> str:
            return f"{warehouse.url}/{warehouse.schema_name}"

        warehouse = Warehouse.configure_at_launch(url="db://prod")
        result = materialize(
            [location],
            resources={"warehouse": warehouse},
            run_config={"resources": {"warehouse": {"config": {"schema_name": "sales"}}}},
        )
        assert result.output_for_node("location") == "db://prod/sales"
        ```
    """

    __headwater_resource__ = True

    def __init__(self, cls: type[ConfigurableResourceFactory], data: Mapping[str, Any]):
        self.resource_cls = cls
        self.data = dict(data)

    def get_resource_definition(self) -> ResourceDefinition:
        return self._resource_definition(None)

    def _resource_definition(self, keys_by_id: Mapping[int, str] | None) -> ResourceDefinition:
        nested = {k: v for k, v in self.data.items() if _is_resource_value(v)}
        given = {k: v for k, v in self.data.items() if k not in nested}
        return definition_for(self.resource_cls, given, nested, keys_by_id)

    def __repr__(self) -> str:
        return f"{self.resource_cls.__name__}.configure_at_launch({self.data!r})"


# --- from a template to a ResourceDefinition -----------------------------------------


def _nested_from_context(cls: type, context: Any) -> dict[str, Any]:
    """Nested resource fields of `cls` filled from `context.resources` by field name."""
    resources = getattr(context, "resources", None)
    out: dict[str, Any] = {}
    for name in cls.model_fields:  # type: ignore[attr-defined]
        if resources is not None and name in resources and name not in (
            context.resource_config or {}
        ):
            out[name] = resources[name]
    return out


def _nested_keys(nested: Mapping[str, Any], keys_by_id: Mapping[int, str] | None) -> set[str]:
    """Top-level keys the nested resources depend on (recursively, for private ones)."""
    keys: set[str] = set()
    for value in nested.values():
        bound = (keys_by_id or {}).get(id(value))
        if bound is not None:
            keys.add(bound)
        elif not is_mock(value) and hasattr(value, "_resource_definition"):
            keys |= value._resource_definition(keys_by_id).required_resource_keys
        elif isinstance(value, ResourceDefinition):
            keys |= value.required_resource_keys
    return keys


def definition_for(cls: type[ConfigurableResourceFactory], given: Mapping[str, Any],
                   nested: Mapping[str, Any],
                   keys_by_id: Mapping[int, str] | None) -> ResourceDefinition:
    """The ResourceDefinition that builds `cls` from `given` values, run config and env."""
    nested_keys = {name: (keys_by_id or {}).get(id(value)) for name, value in nested.items()}

    def init(context: Any) -> Iterator[Any]:
        key = getattr(context, "_resource_key", None) or cls.__name__
        path = f"resources.{key}.config"
        errors: list[str] = []
        # run config names a field by its alias when it has one; the values are by field name
        names = {(info.alias or name): name for name, info in cls.model_fields.items()}
        aliases = {name: alias for alias, name in names.items()}
        overrides = {names.get(k, k): v for k, v in cls._check_run_config(
            context.resource_config, path, errors, frozenset(given) | frozenset(nested)).items()}
        values: dict[str, Any] = {}
        for name, value in given.items():
            if name in overrides:
                continue
            if isinstance(value, IntEnvVar):
                value = read_env_var(value.env_var_name, f"{path}.{name}", errors, int)
            elif isinstance(value, EnvVar):
                value = read_env_var(value.env_var_name, f"{path}.{name}", errors)
            values[name] = value
        if errors:
            raise HeadwaterInvalidConfigError(f"Error in config for resource '{key}':", errors,
                                              context.resource_config)
        values.update(overrides)
        with ExitStack() as stack:
            for name, value in nested.items():
                values[name] = _nested_value(key, name, value, nested_keys[name], keys_by_id,
                                             context, stack)
            try:
                instance = cls(**{aliases.get(k, k): v for k, v in values.items()})
            except ValidationError as exc:
                env_names = env_var_names([context.resource_config, list(given.values())])
                raise HeadwaterInvalidConfigError(
                    f"Error in config for resource '{key}':",
                    pydantic_problems(exc, path, env_names), context.resource_config,
                ) from None
            # the init context shows the config the instance was built from, as a dict
            context = context.with_config(_config_of(instance, nested))
            instance._resource_context = context
            with instance.yield_for_execution(context) as value:
                yield value

    definition_cls = IOManagerDefinition if cls._is_io_manager else ResourceDefinition
    definition = definition_cls(init, description=_description(cls),
                                required_resource_keys=_nested_keys(nested, keys_by_id))
    definition.config_class = _ResourceConfig(cls, given, frozenset(nested))
    return definition


_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Examples?|Attributes):\s*$")


def _description(cls: type) -> str | None:
    """The class's own docstring up to its first Google-style section (Args:, Example:...):
    the prose the UI shows. Not inspect.getdoc, which would fall back to a base class's
    docstring (ConfigurableResource's reference text) for a resource class without one."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return None
    lines = inspect.cleandoc(doc).splitlines()
    end = next((i for i, line in enumerate(lines) if _SECTION.match(line)), len(lines))
    return "\n".join(lines[:end]).strip() or None


def _config_of(instance: ConfigurableResourceFactory, nested: Mapping[str, Any]) -> dict[str, Any]:
    """The config fields of a built resource as plain values (an enum as its value)."""
    return {(info.alias or name): _plain(getattr(instance, name))
            for name, info in type(instance).model_fields.items() if name not in nested}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, ConfigurableResourceFactory):
        return value
    if hasattr(value, "model_dump"):
        return {k: _plain(v) for k, v in dict(value).items()}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _nested_value(owner: str, name: str, value: Any, bound: str | None,
                  keys_by_id: Mapping[int, str] | None, context: Any, stack: ExitStack) -> Any:
    if bound is not None:
        return context.resources[bound]
    if isinstance(value, PartialResource):
        raise HeadwaterInvalidDefinitionError(
            f"Resource '{owner}' holds '{name}', a nested resource that is only partly "
            f"configured ({value!r}); run config can fill in the rest only for a resource "
            "bound under a key of its own. Give that same object to Definitions (or the job's "
            "resource_defs): resources={'" + name + "': the_same_object, ...}."
        )
    definition = as_resource_definition(value, keys_by_id)
    sub_context = context.with_config(None)
    if hasattr(sub_context, "_resource_key"):
        sub_context._resource_key = f"{owner}.{name}"
    result = definition.resource_fn(sub_context) if definition.takes_context else (
        definition.resource_fn())
    if inspect.isgenerator(result):
        gen = result
        result = next(gen)
        stack.callback(_finish, gen)
    elif type(result).__name__ == "_GeneratorContextManager":
        result = stack.enter_context(result)
    return result


def _finish(gen: Iterator[Any]) -> None:
    for _ in gen:
        pass
