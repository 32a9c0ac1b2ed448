"""The config_schema language: Field, Shape, Permissive, Selector, Array, Noneable, Enum.

`process_config(schema, value, path)` validates a value against a schema, fills in
defaults, reads `{"env": VAR}` sources and reports every problem with its path, in
Dagster's wording (`Invalid scalar at path root:ops:load:config:limit. ...`), with a
"did you mean" and an example of what is missing. Shapes are interned: two equal
schemas are the same object with the same `.key`. Imports `errors` and `dotenv` (an `env`
source reads the environment, then the working directory's `.env`).
"""

from __future__ import annotations

import difflib
import hashlib
import types
from collections.abc import Mapping, Sequence
from enum import Enum as PyEnum
from typing import Any

from headwater.definitions.config.dotenv import get_env
from headwater.errors import (
    HeadwaterInvalidConfigDefinitionError,
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
)

_NO_DEFAULT: Any = object()


class Field:
    """A config field: its type, default, whether it is required, and a description.

    Wrap a type in a Field inside a `config_schema` dict when it needs more than its type.
    A field that is both required and defaulted, or whose default does not fit its type,
    raises where it is declared. (Config classes use `pydantic.Field` instead.)

    Args:
        config: the type: a scalar type, a dict of fields, `[type]`, Shape, Array, ...
        default_value: the value used when run config leaves the field out.
        is_required: whether run config must give it; by default, unless it has a default
            or its type accepts an empty value.
        description: shown in the UI and in config errors.
        is_secret: the value is a credential; tools that show config mask it.

    Example:
        ```python
        from headwater import Field, build_op_context, op

        @op(config_schema={"limit": Field(int, default_value=10, description="rows")})
        def read(context) -> int:
            return context.op_config["limit"]

        assert read(build_op_context(config={})) == 10
        ```
    """

    def __init__(self, config: Any, default_value: Any = _NO_DEFAULT, is_required: bool | None = None,
                 description: str | None = None, is_secret: bool = False):
        self.config_type = resolve_config_schema(config)
        if default_value is _NO_DEFAULT and is_required is not True and \
                isinstance(self.config_type, Noneable):
            default_value = None  # a value that may be None defaults to None
        self.default_value = default_value
        self.description = description
        # a secret field's value is a credential: tools showing config should mask it
        self.is_secret = is_secret
        if is_required is True and default_value is not _NO_DEFAULT:
            raise HeadwaterInvalidDefinitionError(
                "A Field cannot be required and have a default_value; drop one of them."
            )
        if default_value is not _NO_DEFAULT:
            _check_default(self.config_type, default_value)
        if is_required is None:
            is_required = default_value is _NO_DEFAULT and not _all_optional(self.config_type)
        self.is_required = is_required

    @property
    def default_provided(self) -> bool:
        return self.default_value is not _NO_DEFAULT

    @property
    def key(self) -> str:
        default = repr(self.default_value) if self.default_provided else "-"
        return (f"Field({type_key(self.config_type)},default={default},"
                f"required={self.is_required},description={self.description!r}"
                f"{',secret' if self.is_secret else ''})")

    def __repr__(self) -> str:
        return f"Field({type_str(self.config_type)}, is_required={self.is_required})"


_INTERNED: dict[str, Any] = {}


class Shape:
    """A dict with a fixed set of fields; equal shapes are one interned object.

    A plain dict in a `config_schema` is a Shape; write one out for a description or
    aliases. Unknown keys are refused; missing optional fields get their defaults.

    Args:
        fields: the fields by name: types or Fields (None raises, naming the field).
        description: shown in the UI.
        field_aliases: other names run config may use, by field name.

    Example:
        ```python
        from headwater import Field, Shape, build_op_context, op

        @op(config_schema=Shape({"table": str, "mode": Field(str, default_value="append")}))
        def write(context) -> dict:
            return context.op_config

        assert write(build_op_context(config={"table": "t"}))["mode"] == "append"
        ```
    """

    fields: dict[str, Field]
    description: str | None
    field_aliases: dict[str, str]
    key: str

    def __new__(cls, fields: Mapping[str, Any] | None = None, description: str | None = None,
                field_aliases: Mapping[str, str] | None = None) -> Any:
        for name, value in (fields or {}).items():
            if value is None:
                raise HeadwaterInvalidConfigDefinitionError(
                    f"Config field '{name}' is None. Fields cannot be None: give it a type, e.g. "
                    f"{{'{name}': str}}, or Field(Noneable(str)) for an optional value."
                )
        resolved = {k: as_field(v) for k, v in (fields or {}).items()}
        aliases = dict(field_aliases or {})
        body = ",".join(f"{k}:{resolved[k].key}" for k in sorted(resolved))
        alias_part = ",".join(f"{k}={aliases[k]}" for k in sorted(aliases))
        digest = hashlib.sha1(f"{body}|{alias_part}|{description!r}".encode()).hexdigest()
        key = f"{cls.__name__}.{digest}" if resolved or aliases or description else cls.__name__
        cached = _INTERNED.get(key)
        if cached is not None:
            return cached
        self = super().__new__(cls)
        self.fields = resolved
        self.description = description
        self.field_aliases = aliases
        self.key = key
        _INTERNED[key] = self
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # everything happens in __new__ (interning)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type_str(self)})"


class Permissive(Shape):
    """A dict with known fields (checked as in a Shape) that also accepts any other key.

    Takes the arguments of Shape: `fields`, `description`, `field_aliases`.

    Example:
        ```python
        from headwater import Permissive, build_op_context, op

        @op(config_schema=Permissive({"endpoint": str}))
        def call(context) -> dict:
            return context.op_config

        assert call(build_op_context(config={"endpoint": "e", "timeout": 5}))["timeout"] == 5
        ```
    """


class Selector(Shape):
    """A dict where exactly one of the fields is given (alternatives: a file or a URL).

    None or two of them fail validation. Takes the arguments of Shape.

    Example:
        ```python
        from headwater import Selector, build_op_context, op

        @op(config_schema={"source": Selector({"path": str, "url": str})})
        def fetch(context) -> dict:
            return context.op_config["source"]

        assert fetch(build_op_context(config={"source": {"url": "u"}})) == {"url": "u"}
        ```
    """


class Map:
    """A dict from keys of one type to values of another (`{str: int}` is shorthand).

    Args:
        key_type: str, int, float or bool; another type raises.
        inner_type: the type of the values.
        key_label_name: a name for the keys, shown in the UI.

    Example:
        ```python
        from headwater import Map, build_op_context, op

        @op(config_schema={"weights": Map(str, float, key_label_name="column")})
        def weigh(context) -> float:
            return sum(context.op_config["weights"].values())

        assert weigh(build_op_context(config={"weights": {"a": 0.5, "b": 1.5}})) == 2.0
        ```
    """

    def __init__(self, key_type: Any, inner_type: Any, key_label_name: str | None = None):
        if not (isinstance(key_type, type) and key_type in (str, int, float, bool)):
            raise HeadwaterInvalidConfigDefinitionError(
                f"Map({key_type!r}, ...): map keys can be str, int, float or bool only; use one "
                "of those as key_type."
            )
        self.key_type = key_type
        self.inner_type = resolve_config_schema(inner_type)
        self.key_label_name = key_label_name


class Array:
    """A list whose items all have one type (`[str]` is shorthand for `Array(str)`).

    Args:
        inner_type: the type of every item; a wrong item is reported with its index.

    Example:
        ```python
        from headwater import Array, build_op_context, op

        @op(config_schema={"tables": Array(str)})
        def count(context) -> int:
            return len(context.op_config["tables"])

        assert count(build_op_context(config={"tables": ["users", "orders"]})) == 2
        ```
    """

    def __init__(self, inner_type: Any):
        self.inner_type = resolve_config_schema(inner_type)


class Noneable:
    """A value of the inner type, or None; a field of this type defaults to None.

    Args:
        inner_type: the type of a value that is not None.

    Example:
        ```python
        from headwater import Noneable, build_op_context, op

        @op(config_schema={"limit": Noneable(int)})
        def read(context):
            return context.op_config["limit"]

        assert read(build_op_context(config={})) is None
        ```
    """

    def __init__(self, inner_type: Any):
        self.inner_type = resolve_config_schema(inner_type)


class EnumValue:
    """One value of a config Enum: its config name and the Python value it stands for.

    Args:
        config_value: the name run config uses.
        python_value: what the op receives; defaults to `config_value`.
        description: shown in the UI.

    Example:
        ```python
        from headwater import Enum, EnumValue, build_op_context, op

        @op(config_schema={"level": Enum("Level", [EnumValue("LOW", 1), EnumValue("HIGH", 10)])})
        def level(context) -> int:
            return context.op_config["level"]

        assert level(build_op_context(config={"level": "HIGH"})) == 10
        ```
    """

    def __init__(self, config_value: str, python_value: Any = None, description: str | None = None):
        self.config_value = config_value
        self.python_value = config_value if python_value is None else python_value
        self.description = description


class Enum:
    """A choice among named values: run config gives a name, the op gets its Python value.

    A Python `enum.Enum` class in a schema works too; a name that is not a member fails.

    Args:
        name: the enum's name, shown in the UI and errors.
        enum_values: its EnumValues.

    Example:
        ```python
        from headwater import Enum, EnumValue, build_op_context, op

        @op(config_schema={"mode": Enum("Mode", [EnumValue("FULL", "full"), EnumValue("DELTA", "delta")])})
        def mode(context) -> str:
            return context.op_config["mode"]

        assert mode(build_op_context(config={"mode": "FULL"})) == "full"
        ```
    """

    def __init__(self, name: str, enum_values: Sequence[EnumValue]):
        self.name = name
        self.enum_values = list(enum_values)

    @classmethod
    def from_python_enum(cls, enum: Any) -> Enum:
        return cls(enum.__name__, [EnumValue(m.name, m) for m in enum])

    def post_process(self, value: str) -> Any:
        """The Python value that the config name `value` stands for."""
        for ev in self.enum_values:
            if ev.config_value == value:
                return ev.python_value
        names = [ev.config_value for ev in self.enum_values]
        raise HeadwaterInvalidConfigError(
            f"{value!r} is not a value of config enum {self.name}; it takes one of {names}.")


class ScalarUnion:
    """Either a scalar or a non-scalar: a short form of a richer value (`"t"` or `{...}`).

    Args:
        scalar_type: the scalar type (str, int, float, bool).
        non_scalar_schema: the other form: a dict of fields, a list type, ...

    Example:
        ```python
        from headwater import ScalarUnion, build_op_context, op

        @op(config_schema={"table": ScalarUnion(str, {"name": str})})
        def table(context):
            return context.op_config["table"]

        assert table(build_op_context(config={"table": {"name": "t"}})) == {"name": "t"}
        ```
    """

    def __init__(self, scalar_type: Any, non_scalar_schema: Any):
        self.scalar_type = scalar_type
        self.non_scalar_schema = non_scalar_schema


class StringSource:
    """A string, or {"env": "VAR"} read from the environment at launch.

    Run config keeps only the variable's name; an unset variable fails validation.

    Example:
        ```python
        import os
        from headwater import StringSource, build_op_context, op

        @op(config_schema={"value": StringSource})
        def read(context):
            return context.op_config["value"]

        os.environ["API_TOKEN"] = "s3cret"
        assert read(build_op_context(config={"value": {"env": "API_TOKEN"}})) == "s3cret"
        ```
    """


class IntSource:
    """An int, or {"env": "VAR"} read from the environment at launch.

    A variable that does not hold an integer fails validation.

    Example:
        ```python
        import os
        from headwater import IntSource, build_op_context, op

        @op(config_schema={"value": IntSource})
        def read(context):
            return context.op_config["value"]

        os.environ["DB_PORT"] = "5432"
        assert read(build_op_context(config={"value": {"env": "DB_PORT"}})) == 5432
        ```
    """


class BoolSource:
    """A bool, or {"env": "VAR"} read from the environment at launch.

    The variable holds true/false or 1/0; anything else fails validation.

    Example:
        ```python
        import os
        from headwater import BoolSource, build_op_context, op

        @op(config_schema={"value": BoolSource})
        def read(context):
            return context.op_config["value"]

        os.environ["DRY_RUN"] = "true"
        assert read(build_op_context(config={"value": {"env": "DRY_RUN"}})) == True
        ```
    """


def as_field(value: Any) -> Field:
    return value if isinstance(value, Field) else Field(value)


_SOURCES: dict[Any, type] = {StringSource: str, IntSource: int, BoolSource: bool}
_SCALAR_NAMES = {int: "Int", float: "Float", str: "String", bool: "Bool"}


# the runtime containers a user may reach for in config by mistake (by class: they live in a
# room this one does not import)
_CONTAINER_APIS = {"_ListApi": "List", "_ListType": "List", "_SetApi": "Set", "_TupleApi": "Tuple"}


def resolve_config_schema(config: Any) -> Any:
    """Check a config schema where it is declared; dict shorthand `{str: int}` becomes a Map."""
    if isinstance(config, Mapping) and not isinstance(config, Shape):
        if len(config) == 1:
            (key, inner), = config.items()
            if not isinstance(key, str):
                if not (isinstance(key, type) and key in _SCALAR_NAMES):
                    raise HeadwaterInvalidConfigDefinitionError(
                        "Map dict must have a scalar type as its only key. Got key "
                        f"{key!r}; use e.g. {{str: int}}, or a Shape with string field names."
                    )
                return Map(key, inner)
        return Shape(config)
    if isinstance(config, list):
        if len(config) != 1:
            raise HeadwaterInvalidDefinitionError(
                f"A list in a config schema holds exactly one item type, e.g. [int]; got {config!r}."
            )
        return Array(config[0])
    if isinstance(config, (str, bytes, int, float, complex)):
        raise HeadwaterInvalidConfigDefinitionError(
            f"Invalid config schema {config!r}: a {type(config).__name__} value cannot be resolved "
            "to a config type. Use a type (str, int, float, bool), a dict of fields, a list of one "
            "type such as [int], or Field(...)."
        )
    container = _CONTAINER_APIS.get(type(config).__name__)
    if container is None and type(config).__name__ == "_ContainerType":
        container = config.display_name.split("[")[0]
    if container == "List":
        raise HeadwaterInvalidDefinitionError(
            "Cannot use List in the context of config. Please use a python list (e.g. [int]) "
            "or headwater.Array (e.g. Array(int)) instead."
        )
    if container is not None:
        raise HeadwaterInvalidDefinitionError(
            f"Cannot use {container} in the context of a config field. Config values are plain "
            "data: use a python list (e.g. [int]) or headwater.Array (e.g. Array(int)) instead."
        )
    if config is not Any and (type(config).__module__ == "typing"
                              or isinstance(config, types.UnionType)):
        raise HeadwaterInvalidDefinitionError(
            f"You have passed in {config!r} to the config system, which does not take types from "
            "the typing module: use [int] or Array(int) for List[int], Noneable(int) for "
            "Optional[int] or int | None, and Map(str, int) for Dict[str, int]."
        )
    if hasattr(config, "type_check") and hasattr(config, "display_name"):
        raise HeadwaterInvalidDefinitionError(
            f"You have passed an instance of HeadwaterType {config.display_name} to the config "
            "system. HeadwaterTypes describe the values flowing between ops; in config use python "
            "types (int, str, ...), Noneable(int) instead of Optional, and [int] or Array(int) "
            "instead of List."
        )
    return config


def _check_default(schema: Any, default: Any) -> None:
    enum = Enum.from_python_enum(schema) if _is_py_enum(schema) else schema
    if isinstance(enum, Enum) and isinstance(default, PyEnum):
        names = [ev.config_value for ev in enum.enum_values]
        raise HeadwaterInvalidDefinitionError(
            f"You have passed into a python enum value as the default value into of a config enum "
            f"type {enum.name}. You must pass in the underlying string represention as the default "
            f"value. One of {names}."
        )
    errors: list[EvaluationError] = []
    _process(schema, default, (), errors, env=False)
    if errors:
        # Paths inside a default value are not run config paths: keep them in the text only.
        errors = [EvaluationError(str(e), (), e.reason) for e in errors]
        raise HeadwaterInvalidConfigError(
            "Invalid default_value for Field. Ensure all required config entries are provided and "
            "all values match the expected types.", errors, default)


def _is_py_enum(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, PyEnum)


def _fields_of(schema: Any) -> dict[str, Field] | None:
    if isinstance(schema, Shape):
        return schema.fields
    if isinstance(schema, Mapping):
        return {k: as_field(v) for k, v in schema.items()}
    return None


def _all_optional(config: Any) -> bool:
    if isinstance(config, Noneable):
        return True
    if isinstance(config, Selector):
        return len(config.fields) == 1 and not next(iter(config.fields.values())).is_required
    fields = _fields_of(config)
    return fields is not None and all(not f.is_required for f in fields.values())


def _is_config_class(schema: Any) -> bool:
    return isinstance(schema, type) and hasattr(schema, "_validate_run_config")


# --- describing schemas ------------------------------------------------------------------


def type_str(schema: Any) -> str:
    """A one-line description of a schema, as Dagster prints it: `{ a: Int b?: [String] }`."""
    if isinstance(schema, Field):
        return type_str(schema.config_type)
    if schema is None or schema is Any or schema is object:
        return "Any"
    if isinstance(schema, type) and schema in _SCALAR_NAMES:
        return _SCALAR_NAMES[schema]
    if isinstance(schema, type) and schema in _SOURCES:
        return f"({_SCALAR_NAMES[_SOURCES[schema]]} | {{ env: String }})"
    if schema is list:
        return "[Any]"
    if schema is dict:
        return "{ }"
    if isinstance(schema, (list, Array)):
        return f"[{type_str(schema[0] if isinstance(schema, list) else schema.inner_type)}]"
    if isinstance(schema, Noneable):
        return f"{type_str(schema.inner_type)}?"
    if isinstance(schema, Enum):
        return schema.name
    if _is_py_enum(schema):
        return schema.__name__
    if isinstance(schema, Map):
        return f"{{ [{type_str(schema.key_type)}]: {type_str(schema.inner_type)} }}"
    if isinstance(schema, ScalarUnion):
        return f"({type_str(schema.scalar_type)} | {type_str(schema.non_scalar_schema)})"
    fields = _fields_of(schema)
    if fields is not None:
        optional_mark = not isinstance(schema, Selector)
        parts = [f"{k}{'?' if optional_mark and not f.is_required else ''}: {type_str(f)}"
                 for k, f in sorted(fields.items())]
        return "{ " + " ".join(parts) + (" }" if parts else "}")
    if _is_config_class(schema):
        return schema.__name__
    return getattr(schema, "__name__", repr(schema))


def type_key(schema: Any) -> str:
    """A stable identity for a schema (used to intern Shapes)."""
    if isinstance(schema, Shape):
        return schema.key
    if isinstance(schema, Enum):
        values = ",".join(f"{ev.config_value}={ev.python_value!r}" for ev in schema.enum_values)
        return f"Enum.{schema.name}({values})"
    if isinstance(schema, Map):
        return f"Map({type_key(schema.key_type)},{type_key(schema.inner_type)})"
    if isinstance(schema, Array):
        return f"Array({type_key(schema.inner_type)})"
    if isinstance(schema, Noneable):
        return f"Noneable({type_key(schema.inner_type)})"
    if isinstance(schema, ScalarUnion):
        return f"ScalarUnion({type_key(schema.scalar_type)},{type_key(schema.non_scalar_schema)})"
    if isinstance(schema, type):
        return f"{schema.__module__}.{schema.__qualname__}"
    return type_str(schema)


def example_config(schema: Any) -> Any:
    """A value of the right shape, with placeholders, for the required parts of a schema."""
    if isinstance(schema, Field):
        return schema.default_value if schema.default_provided else example_config(schema.config_type)
    if isinstance(schema, type) and schema in _SOURCES:
        schema = _SOURCES[schema]
    placeholders = {int: 0, float: 0.0, bool: False, str: "..."}
    if isinstance(schema, type) and schema in placeholders:
        return placeholders[schema]
    if isinstance(schema, (list, Array)) or schema is list:
        return []
    if isinstance(schema, Noneable):
        return None
    if isinstance(schema, Enum):
        return schema.enum_values[0].config_value if schema.enum_values else "..."
    if _is_py_enum(schema):
        return next(iter(schema)).name
    if isinstance(schema, Map) or schema is dict:
        return {}
    if isinstance(schema, ScalarUnion):
        return example_config(schema.scalar_type)
    fields = _fields_of(schema)
    if fields is not None:
        if isinstance(schema, Selector):
            name = next(iter(fields), None)
            return {name: example_config(fields[name])} if name is not None else {}
        return {k: example_config(f) for k, f in fields.items() if f.is_required}
    return "..."


# --- evaluating values -------------------------------------------------------------------


class EvaluationError(str):
    """One config problem: a str (its message) with `.message`, `.path` and `.reason`."""

    path: tuple[str, ...]
    reason: str

    def __new__(cls, message: str, path: Sequence[str] = (), reason: str = "RUNTIME_TYPE_MISMATCH"):
        self = super().__new__(cls, message)
        self.path = tuple(path)
        self.reason = reason
        return self

    @property
    def message(self) -> str:
        return str(self)

    @property
    def dotted_path(self) -> str:
        return _dotted(self.path)


def _as_path(path: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(path, str):
        return tuple(p for p in path.split(".") if p)
    return tuple(path)


def _dotted(path: Sequence[str]) -> str:
    return "".join(p if p.startswith("[") or i == 0 else f".{p}" for i, p in enumerate(path))


def where(path: Sequence[str]) -> str:
    """`the root`, or `path root:ops:load:config` as Dagster words it."""
    if not path:
        return "the root"
    text = "".join(p if p.startswith("[") else f":{p}" for p in path)
    return f"path root{text}"


def process_config(schema: Any, value: Any, path: str | Sequence[str] = ()) -> Any:
    """Validate `value` against `schema`, fill defaults; raise with every problem found."""
    if value is None and _absent_is_none(schema):
        return None
    errors: list[EvaluationError] = []
    parts = _as_path(path)
    result = _process(schema, value, parts, errors)
    if errors:
        raise HeadwaterInvalidConfigError(f"Error in config at {where(parts)}:", errors, value)
    return result


def _absent_is_none(schema: Any) -> bool:
    """An optional field without a default, of a type that has no empty form to fill in
    (a scalar, list, enum...): left out, its value is None rather than an error."""
    if not isinstance(schema, Field) or schema.is_required or schema.default_provided:
        return False
    inner = schema.config_type
    return _fields_of(inner) is None and not _is_config_class(inner)


def validate(schema: Any, value: Any, path: str | Sequence[str], errors: list[Any]) -> Any:
    """Like process_config, but appends problems to `errors` instead of raising."""
    return _process(schema, value, _as_path(path), errors)


def _mismatch(errors: list[Any], path: tuple[str, ...], message: str) -> None:
    errors.append(EvaluationError(message, path, "RUNTIME_TYPE_MISMATCH"))


def _process(schema: Any, value: Any, path: tuple[str, ...], errors: list[Any],
             env: bool = True) -> Any:
    # env=False checks and fills defaults but keeps values as written ({"env": VAR}, enum
    # names): the form that may be stored and processed again later.
    if isinstance(schema, Field):
        if value is None and schema.default_provided:
            value = schema.default_value
        return _process(schema.config_type, value, path, errors, env)
    if schema is None or schema is Any or schema is object:
        return value
    if isinstance(schema, type) and schema in _SOURCES:
        return _process_source(_SOURCES[schema], value, path, errors, env)
    if isinstance(schema, type) and schema in _SCALAR_NAMES:
        return _process_scalar(schema, value, path, errors)
    if schema is list or schema is dict:
        if not isinstance(value, schema):
            _mismatch(errors, path, f'Value at {where(path)} must be {schema.__name__}. '
                                    f'Expected: "{type_str(schema)}".')
        return value
    if isinstance(schema, Noneable):
        return None if value is None else _process(schema.inner_type, value, path, errors, env)
    if isinstance(schema, (list, Array)):
        inner = schema[0] if isinstance(schema, list) else schema.inner_type
        if not isinstance(value, (list, tuple)):
            _mismatch(errors, path, f'Value at {where(path)} must be list. '
                                    f'Expected: "{type_str(schema)}".')
            return value
        return [_process(inner, v, (*path, f"[{i}]"), errors, env) for i, v in enumerate(value)]
    if isinstance(schema, Enum) or _is_py_enum(schema):
        return _process_enum(schema if isinstance(schema, Enum) else Enum.from_python_enum(schema),
                             value, path, errors, env)
    if isinstance(schema, Map):
        return _process_map(schema, value, path, errors, env)
    if isinstance(schema, ScalarUnion):
        if isinstance(value, (Mapping, list)):
            return _process(schema.non_scalar_schema, value, path, errors, env)
        return _process(schema.scalar_type, value, path, errors, env)
    if isinstance(schema, Mapping):
        return _process(resolve_config_schema(schema), value, path, errors, env)
    if isinstance(schema, Shape):
        return _process_shape(schema, value, path, errors, env)
    if _is_config_class(schema):
        found: list[Any] = []
        schema._validate_run_config(value, _dotted(path), found)
        errors.extend(e if isinstance(e, EvaluationError) else EvaluationError(str(e), path)
                      for e in found)
        return value
    return value


def _process_scalar(schema: type, value: Any, path: tuple[str, ...], errors: list[Any]) -> Any:
    name = _SCALAR_NAMES[schema]
    if value is None:
        _mismatch(errors, path, f'Value at {where(path)} is None, but a value of type "{name}" is '
                                "required there; give one, or wrap the type in Noneable(...).")
        return value
    ok = isinstance(value, float if schema is float else schema) or (
        schema is float and isinstance(value, int))
    if isinstance(value, bool) and schema is not bool:
        ok = False
    if not ok:
        _mismatch(errors, path, f'Invalid scalar at {where(path)}. Expected "{name}", got '
                                f'{value!r} (a {type(value).__name__}).')
        return value
    return float(value) if schema is float else value


def _process_source(base: type, value: Any, path: tuple[str, ...], errors: list[Any],
                    env: bool) -> Any:
    if not (isinstance(value, Mapping) and set(value) == {"env"}):
        return _process_scalar(base, value, path, errors)
    name = value["env"]
    if not env:
        return value
    raw = get_env(str(name))
    if raw is None:
        errors.append(EvaluationError(
            f'You have attempted to fetch the environment variable "{name}" which is not set '
            f"(config at {where(path)}). Export it where the run executes (or set it in a .env "
            "file in the working directory), or put the value in the config instead of EnvVar.", path, "POST_PROCESSING_ERROR"))
        return value
    if base is str:
        return raw
    try:
        if base is bool:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1")
        return int(raw)
    except ValueError:
        # the value stays out of the message: it may be a secret
        errors.append(EvaluationError(
            f'Environment variable "{name}" (config at {where(path)}) does not hold a valid '
            f"{_SCALAR_NAMES[base]}; set it to one.", path, "POST_PROCESSING_ERROR"))
        return value


def _process_enum(schema: Enum, value: Any, path: tuple[str, ...], errors: list[Any],
                  env: bool = True) -> Any:
    for ev in schema.enum_values:
        if ev.config_value == value:
            return ev.python_value if env else value
    names = [ev.config_value for ev in schema.enum_values]
    if not isinstance(value, str):
        _mismatch(errors, path, f"Value at {where(path)} for enum type {schema.name} must be a "
                                f"string, one of the names {names}; got {value!r}. Config "
                                "names an enum member, it does not hold the member itself.")
        return value
    close = difflib.get_close_matches(str(value), names, n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    _mismatch(errors, path, f"Value at {where(path)} not in enum type {schema.name} got {value}. "
                            f"Valid values: {', '.join(names)}.{hint}")
    return value


def _process_map(schema: Map, value: Any, path: tuple[str, ...], errors: list[Any],
                 env: bool) -> Any:
    if not isinstance(value, Mapping):
        _mismatch(errors, path, f'Value at {where(path)} must be dict. '
                                f'Expected: "{type_str(schema)}".')
        return value
    result = {}
    for k, v in value.items():
        _process_scalar(schema.key_type, k, (*path, f"{k!r}:key"), errors)
        result[k] = _process(schema.inner_type, v, (*path, f"{k!r}", "value"), errors, env)
    return result


def _unexpected(errors: list[Any], path: tuple[str, ...], key: Any, shape: Shape) -> None:
    close = difflib.get_close_matches(str(key), list(shape.fields), n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    errors.append(EvaluationError(
        f'Received unexpected config entry "{key}" at {where(path)}. '
        f'Expected: "{type_str(shape)}".{hint}', (*path, str(key)), "FIELD_NOT_DEFINED"))


def _process_shape(shape: Shape, value: Any, path: tuple[str, ...], errors: list[Any],
                   env: bool) -> Any:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        _mismatch(errors, path, f'Value at {where(path)} must be dict. '
                                f'Expected: "{type_str(shape)}".')
        return value
    if isinstance(shape, Selector):
        return _process_selector(shape, value, path, errors, env)
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key in shape.fields:
            result[key] = _process(shape.fields[key], item, (*path, key), errors, env)
        elif isinstance(shape, Permissive):
            result[key] = item
        else:
            _unexpected(errors, path, key, shape)
    missing = []
    for name, field in shape.fields.items():
        if name in value:
            continue
        if field.default_provided:
            result[name] = _process(field.config_type, field.default_value, (*path, name), [], env)
        elif field.is_required:
            missing.append(name)
        elif (isinstance(field.config_type, Shape) and not isinstance(field.config_type, Selector)
              and _all_optional(field.config_type)):
            # an optional shape left out is filled with its defaults, unless it has required
            # entries: then it stays out (an unused resource's config, say)
            result[name] = _process_shape(field.config_type, {}, (*path, name), errors, env)
    if missing:
        example = {n: example_config(shape.fields[n]) for n in missing}
        if len(missing) == 1:
            message = (f'Missing required config entry "{missing[0]}" at {where(path)}. You must '
                       f"provide this value in your run config. For example: {example}")
        else:
            message = (f"Missing required config entries {missing} at {where(path)}. You must "
                       f"provide these values in your run config. For example: {example}")
        errors.append(EvaluationError(message, path, "MISSING_REQUIRED_FIELD" if len(missing) == 1
                                      else "MISSING_REQUIRED_FIELDS"))
    return result


def _process_selector(shape: Selector, value: Mapping[str, Any], path: tuple[str, ...],
                      errors: list[Any], env: bool) -> Any:
    names = list(shape.fields)
    if len(value) > 1:
        errors.append(EvaluationError(
            f"Selector at {where(path)} got {len(value)} fields, {sorted(value)}; it takes "
            f"exactly one of {names}. Keep one.", path, "SELECTOR_FIELD_ERROR"))
        return value
    if not value:
        if len(names) == 1 and not shape.fields[names[0]].is_required:
            only = shape.fields[names[0]]
            return {names[0]: _process(only, None, (*path, names[0]), errors, env)}
        errors.append(EvaluationError(
            f"Selector at {where(path)} got no field; choose one of {names}.", path,
            "SELECTOR_FIELD_ERROR"))
        return value
    (name, inner), = value.items()
    if name not in shape.fields:
        _unexpected(errors, path, name, shape)
        return value
    return {name: _process(shape.fields[name], inner, (*path, name), errors, env)}


def config_is_required(schema: Any) -> bool:
    if schema is None:
        return False
    if isinstance(schema, Field):
        return schema.is_required
    if _is_config_class(schema):
        return True
    return as_field(schema).is_required
