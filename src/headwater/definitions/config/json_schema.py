"""JSON Schema of config: `run_config_schema(job)` for the launchpad and the CLI.

`config_json_schema(schema)` translates one config schema; `run_config_schema(job)` the
whole run config of a job; `default_run_config(job)` is a scaffold to start editing from
(defaults filled in, placeholders for required values). Pythonic Config classes describe
themselves through `_json_schema()`. Imports this layer's `config` and `run_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum as PyEnum
from typing import Any

from headwater.definitions.config import schema as cfg
from headwater.definitions.config.run_config import run_config_schema_type

_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean"}
_ENV = {"type": "object", "properties": {"env": {"type": "string"}}, "required": ["env"],
        "additionalProperties": False}


def config_json_schema(schema: Any) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12 subset) accepting the values `schema` accepts."""
    if isinstance(schema, cfg.Field):
        out = config_json_schema(schema.config_type)
        if schema.default_provided:
            out["default"] = _jsonable(schema.default_value)
        if schema.description:
            out["description"] = schema.description
        return out
    if isinstance(schema, type) and schema in _JSON_TYPES:
        return {"type": _JSON_TYPES[schema]} if schema is not float else {"type": "number"}
    if isinstance(schema, type) and schema in cfg._SOURCES:
        return {"anyOf": [{"type": _JSON_TYPES[cfg._SOURCES[schema]]}, _ENV]}
    if schema is list:
        return {"type": "array"}
    if schema is dict:
        return {"type": "object"}
    if isinstance(schema, (list, cfg.Array)):
        inner = schema[0] if isinstance(schema, list) else schema.inner_type
        return {"type": "array", "items": config_json_schema(inner)}
    if isinstance(schema, cfg.Noneable):
        return {"anyOf": [config_json_schema(schema.inner_type), {"type": "null"}]}
    if isinstance(schema, cfg.Enum) or cfg._is_py_enum(schema):
        enum = schema if isinstance(schema, cfg.Enum) else cfg.Enum.from_python_enum(schema)
        return {"title": enum.name, "enum": [ev.config_value for ev in enum.enum_values]}
    if isinstance(schema, cfg.Map):
        return {"type": "object", "additionalProperties": config_json_schema(schema.inner_type)}
    if isinstance(schema, cfg.ScalarUnion):
        return {"anyOf": [config_json_schema(schema.scalar_type),
                          config_json_schema(schema.non_scalar_schema)]}
    if isinstance(schema, Mapping):
        return config_json_schema(cfg.resolve_config_schema(schema))
    if isinstance(schema, cfg.Shape):
        return _shape(schema)
    describe = getattr(schema, "_json_schema", None)
    if callable(describe):
        return dict(describe())
    return {}  # Any


def _shape(shape: cfg.Shape) -> dict[str, Any]:
    props = {k: config_json_schema(f) for k, f in shape.fields.items()}
    out: dict[str, Any] = {"type": "object", "properties": props,
                           "additionalProperties": isinstance(shape, cfg.Permissive)}
    if shape.description:
        out["description"] = shape.description
    if isinstance(shape, cfg.Selector):
        out.update(minProperties=1, maxProperties=1)
        if len(shape.fields) == 1 and not next(iter(shape.fields.values())).is_required:
            out["minProperties"] = 0
        return out
    required = [k for k, f in shape.fields.items() if f.is_required]
    if required:
        out["required"] = required
    return out


def run_config_schema(job: Any) -> dict[str, Any]:
    """The JSON Schema of `job`'s run config."""
    out = config_json_schema(run_config_schema_type(job))
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = f"Run config of job {job.name}"
    return out


def default_run_config(job: Any) -> dict[str, Any]:
    """A run config to start from: defaults filled in, placeholders where a value is required."""
    return _scaffold(run_config_schema_type(job)) or {}


def _scaffold(schema: Any) -> Any:
    if isinstance(schema, cfg.Field):
        if schema.default_provided:
            return _jsonable(schema.default_value)
        return _scaffold(schema.config_type)
    if isinstance(schema, cfg.Shape) and not isinstance(schema, cfg.Selector):
        out = {}
        for name, field in schema.fields.items():
            value = _scaffold(field)
            if field.is_required or field.default_provided or value not in (None, {}):
                out[name] = value
        return out
    if schema is None or schema is Any:
        return None
    return cfg.example_config(schema)


def _jsonable(value: Any) -> Any:
    if isinstance(value, PyEnum):
        return value.name
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
