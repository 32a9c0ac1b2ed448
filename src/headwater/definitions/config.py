"""The config_schema language: Field, Shape, Permissive, Selector, Array, Noneable, Enum.

`process_config(schema, value, path)` validates a value against a schema, fills in
defaults and returns every problem with its path. Imports only `errors`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from enum import Enum as PyEnum
from typing import Any

from headwater.errors import HeadwaterInvalidConfigError, HeadwaterInvalidDefinitionError

_NO_DEFAULT: Any = object()


class Field:
    """A config field: its type, default, whether it is required, and a description."""

    def __init__(self, config: Any, default_value: Any = _NO_DEFAULT, is_required: bool | None = None,
                 description: str | None = None):
        self.config_type = config
        self.default_value = default_value
        self.description = description
        if is_required is True and default_value is not _NO_DEFAULT:
            raise HeadwaterInvalidDefinitionError(
                "A Field cannot be required and have a default_value; drop one of them."
            )
        if is_required is None:
            is_required = default_value is _NO_DEFAULT and not _all_optional(config)
        self.is_required = is_required

    @property
    def default_provided(self) -> bool:
        return self.default_value is not _NO_DEFAULT

    def __repr__(self) -> str:
        return f"Field({_type_name(self.config_type)}, is_required={self.is_required})"


class Shape:
    """A dict with a fixed set of fields."""

    def __init__(self, fields: Mapping[str, Any], description: str | None = None,
                 field_aliases: Mapping[str, str] | None = None):
        self.fields = {k: as_field(v) for k, v in fields.items()}
        self.description = description


class Permissive(Shape):
    """A dict with known fields that also accepts any other key."""

    def __init__(self, fields: Mapping[str, Any] | None = None, description: str | None = None):
        super().__init__(fields or {}, description)


class Selector(Shape):
    """A dict where exactly one of the fields is given."""


class Map:
    """A dict from keys of one type to values of another."""

    def __init__(self, key_type: Any, inner_type: Any, key_label_name: str | None = None):
        self.key_type = key_type
        self.inner_type = inner_type


class Array:
    """A list whose items all have one type."""

    def __init__(self, inner_type: Any):
        self.inner_type = inner_type


class Noneable:
    """A value of the inner type, or None."""

    def __init__(self, inner_type: Any):
        self.inner_type = inner_type


class EnumValue:
    """One value of a config Enum: its config name and the Python value it stands for."""

    def __init__(self, config_value: str, python_value: Any = None, description: str | None = None):
        self.config_value = config_value
        self.python_value = config_value if python_value is None else python_value
        self.description = description


class Enum:
    """A choice among named values."""

    def __init__(self, name: str, enum_values: Sequence[EnumValue]):
        self.name = name
        self.enum_values = list(enum_values)

    @classmethod
    def from_python_enum(cls, enum: Any) -> Enum:
        return cls(enum.__name__, [EnumValue(m.name, m) for m in enum])


class ScalarUnion:
    """Either a scalar or a non-scalar (e.g. a string or a dict)."""

    def __init__(self, scalar_type: Any, non_scalar_schema: Any):
        self.scalar_type = scalar_type
        self.non_scalar_schema = non_scalar_schema


class StringSource:
    """A string, or {"env": "VAR"} read from the environment at launch."""


class IntSource:
    """An int, or {"env": "VAR"} read from the environment at launch."""


class BoolSource:
    """A bool, or {"env": "VAR"} read from the environment at launch."""


def as_field(value: Any) -> Field:
    return value if isinstance(value, Field) else Field(value)


def _all_optional(config: Any) -> bool:
    if isinstance(config, Noneable):
        return True
    if isinstance(config, Mapping):
        return all(not as_field(f).is_required for f in config.values())
    if isinstance(config, Shape) and not isinstance(config, Selector):
        return all(not f.is_required for f in config.fields.values())
    return False


def _type_name(t: Any) -> str:
    if isinstance(t, type):
        return t.__name__
    if isinstance(t, (list, Array)):
        inner = t[0] if isinstance(t, list) else t.inner_type
        return f"[{_type_name(inner)}]"
    if isinstance(t, Noneable):
        return f"{_type_name(t.inner_type)}?"
    if isinstance(t, Enum):
        return t.name
    if isinstance(t, (dict, Shape)):
        return "dict"
    return repr(t)


def process_config(schema: Any, value: Any, path: str = "config") -> Any:
    """Validate `value` against `schema`, fill defaults; raise with every problem found."""
    errors: list[str] = []
    result = _process(schema, value, path, errors)
    if errors:
        raise HeadwaterInvalidConfigError(f"Error in config at {path}:", errors, value)
    return result


def validate(schema: Any, value: Any, path: str, errors: list[str]) -> Any:
    """Like process_config, but appends problems to `errors` instead of raising."""
    return _process(schema, value, path, errors)


_SCALARS: dict[Any, tuple[type, ...]] = {
    int: (int,), float: (float, int), str: (str,), bool: (bool,),
}


def _process(schema: Any, value: Any, path: str, errors: list[str]) -> Any:
    if isinstance(schema, Field):
        if value is None and schema.default_provided:
            value = schema.default_value
        return _process(schema.config_type, value, path, errors)
    if schema is None or schema is Any or schema is object:
        return value
    if schema in (StringSource, IntSource, BoolSource):
        base = {StringSource: str, IntSource: int, BoolSource: bool}[schema]
        if isinstance(value, Mapping) and set(value) == {"env"}:
            return value
        return _process(base, value, path, errors)
    if isinstance(schema, type) and schema in _SCALARS:
        if value is None:
            errors.append(f"{path}: missing required value of type {schema.__name__}.")
            return value
        ok = isinstance(value, _SCALARS[schema]) and not (schema is not bool and isinstance(value, bool))
        if not ok:
            errors.append(f"{path}: expected {schema.__name__}, got {value!r}.")
        return float(value) if schema is float and ok else value
    if isinstance(schema, type) and schema in (list, dict):
        if not isinstance(value, schema):
            errors.append(f"{path}: expected {schema.__name__}, got {value!r}.")
        return value
    if isinstance(schema, Noneable):
        return None if value is None else _process(schema.inner_type, value, path, errors)
    if isinstance(schema, (list, Array)):
        inner = schema[0] if isinstance(schema, list) else schema.inner_type
        if not isinstance(value, (list, tuple)):
            errors.append(f"{path}: expected a list, got {value!r}.")
            return value
        return [_process(inner, v, f"{path}[{i}]", errors) for i, v in enumerate(value)]
    if isinstance(schema, Enum):
        for ev in schema.enum_values:
            if ev.config_value == value:
                return ev.python_value
        names = ", ".join(ev.config_value for ev in schema.enum_values)
        errors.append(f"{path}: {value!r} is not a value of enum {schema.name} ({names}).")
        return value
    if isinstance(schema, Map):
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a dict, got {value!r}.")
            return value
        return {k: _process(schema.inner_type, v, f"{path}.{k}", errors) for k, v in value.items()}
    if isinstance(schema, ScalarUnion):
        if isinstance(value, (Mapping, list)):
            return _process(schema.non_scalar_schema, value, path, errors)
        return _process(schema.scalar_type, value, path, errors)
    if isinstance(schema, Mapping):
        return _process_shape(Shape(schema), value, path, errors)
    if isinstance(schema, Shape):
        return _process_shape(schema, value, path, errors)
    if isinstance(schema, type) and issubclass(schema, PyEnum):
        return _process(Enum.from_python_enum(schema), value, path, errors)
    return value


def _process_shape(shape: Shape, value: Any, path: str, errors: list[str]) -> Any:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        errors.append(f"{path}: expected a dict, got {value!r}.")
        return value
    if isinstance(shape, Selector):
        if len(value) != 1:
            options = ", ".join(shape.fields)
            errors.append(f"{path}: a selector takes exactly one of ({options}), got {len(value)}.")
            return value
        (name, inner), = value.items()
        if name not in shape.fields:
            errors.append(f"{path}: '{name}' is not one of ({', '.join(shape.fields)}).")
            return value
        return {name: _process(shape.fields[name], inner, f"{path}.{name}", errors)}
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key in shape.fields:
            result[key] = _process(shape.fields[key], item, f"{path}.{key}", errors)
        elif isinstance(shape, Permissive):
            result[key] = item
        else:
            close = difflib.get_close_matches(str(key), list(shape.fields), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            known = ", ".join(shape.fields) or "none"
            errors.append(f"{path}: unexpected key '{key}' (known keys: {known}).{hint}")
    for name, field in shape.fields.items():
        if name in value:
            continue
        if field.default_provided:
            result[name] = _process(field.config_type, field.default_value, f"{path}.{name}", [])
        elif field.is_required:
            errors.append(
                f"{path}.{name}: missing required field of type {_type_name(field.config_type)}."
            )
        elif _has_defaults(field.config_type):
            result[name] = _process(field.config_type, None, f"{path}.{name}", [])
    return result


def _has_defaults(schema: Any) -> bool:
    fields = schema.fields if isinstance(schema, Shape) else (
        {k: as_field(v) for k, v in schema.items()} if isinstance(schema, Mapping) else None)
    if not fields:
        return False
    return any(f.default_provided or _has_defaults(f.config_type) for f in fields.values())


def config_is_required(schema: Any) -> bool:
    if schema is None:
        return False
    if isinstance(schema, Field):
        return schema.is_required
    return as_field(schema).is_required
