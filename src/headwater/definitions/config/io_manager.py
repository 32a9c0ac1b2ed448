"""IO managers: how outputs are stored and inputs loaded between steps.

`IOManager` is the interface; `InMemoryIOManager` keeps values in the process (tests,
`materialize_to_memory`). Imports `resource`, `key` and `errors` of this layer.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from headwater.definitions.config.resource import ResourceDefinition
from headwater.errors import HeadwaterInvariantViolationError


class InputManager(ABC):
    """Loads the value of an input: implement `load_input(context)`.

    The loading half of an IOManager. An op or asset input with `In(input_manager_key=...)`
    (or `AssetIn(input_manager_key=...)`) is loaded by the input manager bound under that
    key instead of the upstream output's IO manager; `context` is an InputContext (the
    upstream output, asset key, partition, config, ...). `@input_manager` builds one from
    a function.

    Example:
        ```python
        from headwater import In, InputManager, input_manager, job, op

        class ConstantLoader(InputManager):
            def load_input(self, context):
                return [3, 4]

        @input_manager
        def constant_loader():
            return ConstantLoader()

        @op(ins={"numbers": In(input_manager_key="loader")})
        def total(numbers: list) -> int:
            return sum(numbers)

        @job(resource_defs={"loader": constant_loader})
        def sums():
            total()

        assert sums.execute_in_process().output_for_node("total") == 7
        ```
    """

    @abstractmethod
    def load_input(self, context: Any) -> Any: ...


class OutputManager(ABC):
    """Stores the value of an output: implement `handle_output(context, obj)`.

    The storing half of an IOManager; `context` is an OutputContext (asset key, partition,
    step, metadata, ...). Most managers also load, and subclass IOManager instead.

    Example:
        ```python
        from headwater import OutputManager, asset, materialize

        WRITTEN: dict[str, object] = {}

        class Recorder(OutputManager):
            def handle_output(self, context, obj) -> None:
                WRITTEN[context.asset_key.to_user_string()] = obj

            def load_input(self, context):  # a resource bound as io_manager also loads
                return WRITTEN[context.asset_key.to_user_string()]

        @asset
        def greeting() -> str:
            return "hello"

        materialize([greeting], resources={"io_manager": Recorder()})
        assert WRITTEN == {"greeting": "hello"}
        ```
    """

    @abstractmethod
    def handle_output(self, context: Any, obj: Any) -> None: ...


class IOManager(InputManager, OutputManager):
    """Stores outputs and loads them as the inputs of downstream steps.

    Implement `handle_output(context, obj)` (store what an asset or op returned) and
    `load_input(context)` (load it for a downstream step). Bind an instance (or an
    `@io_manager` definition) under `"io_manager"` to make it the default for all assets,
    or under another key and name it with `io_manager_key`. The default one (`fs_io_manager`)
    pickles to the local filesystem. For typed config, subclass ConfigurableIOManager.

    `hashes_content()` returning True (an IO manager's opt-in) makes the data version of
    every asset it stores a hash of the stored content: the engine sets
    `context.wants_content_hash`, and an IO manager that writes bytes may hash them as it
    writes and set `context.content_hash` (else the engine hashes the value's pickle).

    Example:
        ```python
        from headwater import IOManager, asset, materialize

        class DictIOManager(IOManager):
            def __init__(self):
                self.store: dict[str, object] = {}

            def handle_output(self, context, obj) -> None:
                self.store[context.asset_key.to_user_string()] = obj

            def load_input(self, context):
                return self.store[context.asset_key.to_user_string()]

        @asset
        def prices() -> list[float]:
            return [1.5, 2.5]

        @asset
        def total_price(prices: list[float]) -> float:
            return sum(prices)

        manager = DictIOManager()
        materialize([prices, total_price], resources={"io_manager": manager})
        assert manager.store == {"prices": [1.5, 2.5], "total_price": 4.0}
        ```
    """

    def hashes_content(self) -> bool:
        """Whether the assets this IO manager stores get content-hash data versions."""
        return False


class IOManagerDefinition(ResourceDefinition):
    """A resource definition whose value is an IOManager.

    What `@io_manager` returns, and what an IOManager instance or a ConfigurableIOManager
    becomes when bound. It is a ResourceDefinition (config, required resources,
    `configured`) plus the schemas of per-output and per-input config.
    `hardcoded_io_manager(manager)` wraps an existing IOManager.

    Args:
        resource_fn: `fn(init_context) -> IOManager`.
        config_schema: the schema of `resources.<key>.config`.
        description: shown in the UI.
        required_resource_keys: other resources the function reads.
        version: the IO manager's version, as `.version`, and shown with the resource in the code
            server's snapshot (`resources[].version`). It changes no run: Dagster read it only
            for its deprecated op memoization, and data versions follow an asset's
            `code_version` instead.
        input_config_schema: the schema of the config of each input it loads.
        output_config_schema: the schema of the config of each output it stores.

    Example:
        ```python
        from headwater import IOManagerDefinition, InMemoryIOManager, asset, materialize

        memory = InMemoryIOManager()
        definition = IOManagerDefinition(lambda init_context: memory)

        @asset
        def one() -> int:
            return 1

        materialize([one], resources={"io_manager": definition})
        assert list(memory.values.values()) == [1]
        ```
    """

    def __init__(self, resource_fn: Callable[..., Any], config_schema: Any = None,
                 description: str | None = None,
                 required_resource_keys: Iterable[str] | None = None,
                 version: str | None = None, input_config_schema: Any = None,
                 output_config_schema: Any = None):
        super().__init__(resource_fn, config_schema, description, required_resource_keys, version)
        self.input_config_schema = input_config_schema
        self.output_config_schema = output_config_schema

    @staticmethod
    def hardcoded_io_manager(value: IOManager, description: str | None = None) -> IOManagerDefinition:
        return IOManagerDefinition(lambda _ctx: value, description=description)


class InputManagerDefinition(IOManagerDefinition):
    """A resource definition whose value is an InputManager.

    What `@input_manager` returns; bound under a key that inputs name with
    `input_manager_key`. Takes the same arguments as IOManagerDefinition.

    Args:
        resource_fn: `fn(init_context) -> InputManager`.
        config_schema: the schema of `resources.<key>.config`.
        description: shown in the UI.
        required_resource_keys: other resources the function reads.
        version: the manager's version, as `.version`, and shown with the resource in the code
            server's snapshot (`resources[].version`). It changes no run: Dagster read it only
            for its deprecated op memoization, and data versions follow an asset's
            `code_version` instead.
        input_config_schema: the schema of the config of each input it loads.
        output_config_schema: the schema of output config (an input manager stores none).

    Example:
        ```python
        from headwater import In, InputManager, InputManagerDefinition, job, op

        class Fixed(InputManager):
            def load_input(self, context):
                return "loaded"

        @op(ins={"value": In(input_manager_key="fixed")})
        def show(value: str) -> str:
            return value

        @job(resource_defs={"fixed": InputManagerDefinition(lambda init_context: Fixed())})
        def loads():
            show()

        assert loads.execute_in_process().output_for_node("show") == "loaded"
        ```
    """


def io_manager(
    config_schema: Any = None,
    description: str | None = None,
    output_config_schema: Any = None,
    input_config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    version: str | None = None,
) -> Any:
    """Declare an IO manager by a function `fn(init_context) -> IOManager`.

    Used bare (`@io_manager`) or with arguments; returns an IOManagerDefinition. The
    function gets an InitResourceContext (`resource_config`, `resources`) and returns the
    IOManager the run uses for every output and input it handles.

    Args:
        config_schema: the schema of `resources.<key>.config`.
        description: shown in the UI; defaults to the function's docstring.
        output_config_schema: the schema of each output's config.
        input_config_schema: the schema of each input's config.
        required_resource_keys: other resources the function reads.
        version: the IO manager's version, as `.version`, and shown with the resource in the code
            server's snapshot (`resources[].version`). It changes no run: Dagster read it only
            for its deprecated op memoization, and data versions follow an asset's
            `code_version` instead.

    Example:
        ```python
        from headwater import IOManager, asset, io_manager, materialize

        STORE: dict[str, object] = {}

        class PrefixedIOManager(IOManager):
            def __init__(self, prefix: str):
                self.prefix = prefix

            def handle_output(self, context, obj) -> None:
                STORE[self.prefix + context.asset_key.to_user_string()] = obj

            def load_input(self, context):
                return STORE[self.prefix + context.asset_key.to_user_string()]

        @io_manager(config_schema={"prefix": str})
        def prefixed(init_context):
            return PrefixedIOManager(init_context.resource_config["prefix"])

        @asset
        def city() -> str:
            return "Lyon"

        materialize([city], resources={"io_manager": prefixed.configured({"prefix": "dev/"})})
        assert STORE == {"dev/city": "Lyon"}
        ```
    """
    if callable(config_schema) and not isinstance(config_schema, (type, dict)):
        fn = config_schema
        return IOManagerDefinition(fn, description=fn.__doc__)

    def decorate(fn: Callable[..., Any]) -> IOManagerDefinition:
        return IOManagerDefinition(fn, config_schema=config_schema,
                                   description=description or fn.__doc__,
                                   required_resource_keys=required_resource_keys, version=version,
                                   input_config_schema=input_config_schema,
                                   output_config_schema=output_config_schema)

    return decorate


def input_manager(config_schema: Any = None, description: str | None = None,
                  input_config_schema: Any = None,
                  required_resource_keys: Iterable[str] | None = None,
                  version: str | None = None) -> Any:
    """Declare an input manager by its load function, `fn(context) -> value` (or `fn()`).

    The function runs for every input the manager loads, with that input's InputContext;
    a function that returns an InputManager has that manager load the input instead.
    Inputs choose it with `In(input_manager_key=...)` or `AssetIn(input_manager_key=...)`.

    Args:
        config_schema: the schema of `resources.<key>.config`.
        description: shown in the UI; defaults to the function's docstring.
        input_config_schema: the schema of each input's config (`context.config`).
        required_resource_keys: other resources the function reads.
        version: the manager's version, as `.version`, and shown with the resource in the code
            server's snapshot (`resources[].version`). It changes no run: Dagster read it only
            for its deprecated op memoization, and data versions follow an asset's
            `code_version` instead.

    Example:
        ```python
        from headwater import In, input_manager, job, op

        @input_manager
        def from_table(context):
            return f"rows of {context.name}"

        @op(ins={"users": In(input_manager_key="tables")})
        def count(users: str) -> str:
            return users

        @job(resource_defs={"tables": from_table})
        def counts():
            count()

        assert counts.execute_in_process().output_for_node("count") == "rows of users"
        ```
    """
    if callable(config_schema) and not isinstance(config_schema, (type, dict)):
        fn = config_schema
        return _load_function_manager(fn, description=fn.__doc__)

    def decorate(fn: Callable[..., Any]) -> InputManagerDefinition:
        return _load_function_manager(
            fn, config_schema=config_schema, description=description or fn.__doc__,
            input_config_schema=input_config_schema,
            required_resource_keys=required_resource_keys, version=version)

    return decorate


class _LoadFunction(InputManager):
    """An InputManager whose loading is a user function (what @input_manager decorates)."""

    def __init__(self, load_fn: Callable[..., Any]):
        self._load_fn = load_fn
        self._takes_context = bool(inspect.signature(load_fn).parameters)

    def load_input(self, context: Any) -> Any:
        value = self._load_fn(context) if self._takes_context else self._load_fn()
        return value.load_input(context) if isinstance(value, InputManager) else value


def _load_function_manager(fn: Callable[..., Any], **options: Any) -> InputManagerDefinition:
    manager = _LoadFunction(fn)
    definition = InputManagerDefinition(lambda _init_context: manager, **options)
    functools.update_wrapper(definition, fn)  # type: ignore[arg-type]
    return definition


class InMemoryIOManager(IOManager):
    """Keeps every output in a dict, keyed by asset key and partition or by step output.

    Values live only in this process (`values` holds them): useful in tests and behind
    `materialize_to_memory`. Loading a value that was not stored in this process raises a
    KeyError that says so. A run over a range of partitions stores a dict keyed by
    partition split per partition, and loads several upstream partitions as such a dict.

    Example:
        ```python
        from headwater import InMemoryIOManager, asset, materialize

        @asset
        def letters() -> str:
            return "abc"

        @asset
        def upper(letters: str) -> str:
            return letters.upper()

        manager = InMemoryIOManager()
        materialize([letters, upper], resources={"io_manager": manager})
        assert sorted(manager.values.values()) == ["ABC", "abc"]
        ```
    """

    def __init__(self) -> None:
        self.values: dict[tuple[Any, ...], Any] = {}

    def handle_output(self, context: Any, obj: Any) -> None:
        keys = partition_keys_of(context)
        if keys is not None and len(keys) != 1:
            # A run over a range of partitions: a dict by key is split, anything else is
            # stored for every partition of the range.
            for key in keys:
                value = obj[key] if isinstance(obj, dict) and set(obj) == set(keys) else obj
                self.values[("asset", context.asset_key, key)] = value
            return
        self.values[_identifier(context)] = obj

    def load_input(self, context: Any) -> Any:
        keys = partition_keys_of(context)
        if keys is not None and len(keys) != 1:
            # Several upstream partitions load as a dict {partition key: value}.
            return {key: self._stored(("asset", context.asset_key, key), context.asset_key)
                    for key in keys}
        upstream = context.upstream_output
        if keys is not None:
            return self._stored(("asset", context.asset_key, keys[0]), context.asset_key)
        if upstream is None:
            raise HeadwaterInvariantViolationError(
                f"InMemoryIOManager cannot load input '{context.name}': it has no upstream output."
            )
        identifier = _identifier(upstream)
        if identifier not in self.values:
            what = (upstream.asset_key.to_user_string() if upstream.has_asset_key
                    else f"{upstream.step_key}.{upstream.name}")
            raise NoStoredValueError(
                f"No value stored in memory for '{what}': in-memory storage only holds values "
                "written in this process. Materialize the upstream asset in the same run, or use "
                "a persistent IO manager."
            )
        return self.values[identifier]


    def _stored(self, identifier: tuple[Any, ...], asset_key: Any) -> Any:
        if identifier not in self.values:
            raise NoStoredValueError(
                f"No value stored in memory for partition '{identifier[2]}' of "
                f"'{asset_key.to_user_string()}': in-memory storage only holds values written in "
                "this process. Materialize that partition first, or use a persistent IO manager."
            )
        return self.values[identifier]


class NoStoredValueError(HeadwaterInvariantViolationError, KeyError):
    """The in-memory store has no value under the key asked for: a KeyError, as a missing
    key of any mapping is, that also reads like headwater's other errors."""

    __str__ = Exception.__str__


def partition_keys_of(context: Any) -> list[str] | None:
    """The asset partition keys an IO context covers, when it names them explicitly."""
    if not context.has_asset_key or getattr(context, "_asset_partition_keys", None) is None:
        return None
    return list(context.asset_partition_keys)


def _identifier(context: Any) -> tuple[Any, ...]:
    if context.has_asset_key:
        partition = context.partition_key if context.has_asset_partitions else None
        return ("asset", context.asset_key, partition)
    return ("step", context.step_key, context.name, context.mapping_key)


@io_manager
def mem_io_manager(_init_context: Any) -> InMemoryIOManager:
    """An IO manager that keeps values in memory."""
    return InMemoryIOManager()


class ContentHasher:
    """Hashes bytes as they are written: `write(data)` forwards to `target` and hashes.

    An IO manager that writes pickled bytes wraps its file in one and reports
    its hash to the engine (`context.content_hash = hasher.hexdigest()`), so
    that the content hash costs one pass of blake2b over bytes already in hand.
    """

    __slots__ = ("_digest", "_target")

    def __init__(self, target: Any = None):
        self._digest = hashlib.blake2b(digest_size=16)
        self._target = target

    def write(self, data: Any) -> int:
        self._digest.update(data)
        return self._target.write(data) if self._target is not None else len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def hash_value(value: Any) -> str:
    """A content hash of a value an IO manager stored without hashing it: its pickle."""
    hasher = ContentHasher()
    pickle.dump(value, hasher, pickle.HIGHEST_PROTOCOL)
    return hasher.hexdigest()
