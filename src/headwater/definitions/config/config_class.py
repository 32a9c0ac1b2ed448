"""Pythonic config: `Config` and `PermissiveConfig` (pydantic v2 models) and `EnvVar`.

An op or asset takes a Config subclass as an annotated parameter; its fields are the
op's config schema. pydantic loads only when this module is imported (headwater's
`__init__` exports these names lazily), so `import headwater` stays fast.

Contract with run-config validation (`headwater.definitions.config.schema` and friends):

- `Cls._from_run_config(raw, path) -> instance`: validates `raw` (a dict, None or an
  instance) and builds the instance; `{"env": NAME}` values are read from the environment
  here, at launch. Raises HeadwaterInvalidConfigError listing every problem with its path
  (`ops.load.config.limit: expected int, got 'ten'`).
- `Cls._validate_run_config(raw, path, errors) -> None`: appends the same problems.
- `Cls._json_schema() -> dict`: a JSON Schema of the fields (enums by member name).
- `instance._to_run_config_value() -> dict`: the instance as run config; an `EnvVar`
  renders as `{"env": NAME}`, never as the secret.

Run config is checked the way Dagster checks it (an int field refuses "5", enums are given
by member name, unknown keys are refused); then pydantic builds the instance, so field
validators and constraints (`Field(gt=0)`) apply too. Imports `errors`, `dotenv`
(environment variables, with the working directory's `.env` behind them) and `schema` (to
refuse a legacy `headwater.Field` declared on a class).
"""

from __future__ import annotations

import difflib
import enum
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from headwater.definitions.config.dotenv import get_env
from headwater.definitions.config.schema import Field as LegacyField
from headwater.errors import (
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
)


class EnvVar(str):
    """A config value read from the environment variable NAME when a run launches.

    Give `EnvVar("NAME")` as the value of a Config or ConfigurableResource field: the
    variable is read when the run starts (with a `.env` file in the working directory
    behind the environment), never when the definition is built, and the UI and run config
    show `{"env": "NAME"}`, never the secret. A variable that is not set fails the run with
    a config error naming the field and the variable. `EnvVar.int("NAME")` reads an int.
    `get_value(default=None)` reads the variable now.

    Example:
        ```python
        import os
        from headwater import ConfigurableResource, EnvVar, asset, materialize

        class Warehouse(ConfigurableResource):
            url: str

        @asset
        def url_used(warehouse: Warehouse) -> str:
            return warehouse.url

        os.environ["WAREHOUSE_URL"] = "postgresql://db/prod"
        result = materialize(
            [url_used], resources={"warehouse": Warehouse(url=EnvVar("WAREHOUSE_URL"))}
        )
        assert result.output_for_node("url_used") == "postgresql://db/prod"
        assert EnvVar("WAREHOUSE_URL").get_value() == "postgresql://db/prod"
        ```
    """

    __slots__ = ()

    @classmethod
    def int(cls, name: str) -> IntEnvVar:
        return IntEnvVar.create(name)

    @property
    def env_var_name(self) -> str:
        return str(self)

    def get_value(self, default: str | None = None) -> str | None:
        return get_env(self.env_var_name, default)

    def __repr__(self) -> str:
        return f"EnvVar({str(self)!r})"


class IntEnvVar(int):
    """`EnvVar.int(NAME)`: an environment variable read as an int at launch."""

    name: str

    @classmethod
    def create(cls, name: str) -> IntEnvVar:
        var = IntEnvVar(0)
        var.name = name
        return var

    @property
    def env_var_name(self) -> str:
        return self.name

    def get_value(self, default: int | None = None) -> int | None:
        value = get_env(self.name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:  # int()'s own message would repeat the value, maybe a secret
            raise ValueError(f"Environment variable '{self.name}' does not hold a valid int; "
                             "set it to an integer.") from None

    def __repr__(self) -> str:
        return f"EnvVar.int({self.name!r})"

    def __str__(self) -> str:
        return self.name


def read_env_var(name: str, path: str, errors: list[str], as_type: type = str) -> Any:
    """The value of environment variable `name` (or of `.env`), or a problem appended."""
    value = get_env(name)
    if value is None:
        errors.append(f"{path}: environment variable '{name}' is not set; export it before "
                      "launching the run, or set it in a .env file in the working directory.")
        return None
    if as_type is str:
        return value
    try:
        if as_type is bool:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return value.lower() in ("true", "1")
        return as_type(value)
    except ValueError:
        # never the value itself in the message: it may be a secret
        errors.append(f"{path}: environment variable '{name}' does not hold a valid "
                      f"{as_type.__name__}; set it to one.")
        return None


# --- annotations -> run-config checks -------------------------------------------------

_NONE = type(None)
_MISSING: Any = object()


def _is_env_dict(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("env"), str)


def _union_args(ann: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(ann)
    if origin is Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        return typing.get_args(ann)
    return None


def _strip_annotated(ann: Any) -> Any:
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def type_name(ann: Any) -> str:
    """A short, readable name of an annotation (`int`, `list[str]`, `Color`)."""
    ann = _strip_annotated(ann)
    args = _union_args(ann)
    if args is not None:
        rest = [a for a in args if a is not _NONE]
        inner = " | ".join(type_name(a) for a in rest)
        return f"{inner} | None" if len(rest) < len(args) else inner
    origin = typing.get_origin(ann)
    if origin is not None:
        inner = ", ".join(type_name(a) for a in typing.get_args(ann))
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(ann, "__name__", repr(ann))


def check_value(ann: Any, value: Any, path: str, errors: list[str]) -> Any:
    """Check a run-config value against a field annotation; return it in Python form."""
    ann = _strip_annotated(ann)
    if ann is Any or ann is object or isinstance(ann, typing.TypeVar):
        return value
    args = _union_args(ann)
    if args is not None:
        if value is None and _NONE in args:
            return None
        options = [a for a in args if a is not _NONE]
        if len(options) == 1:
            return check_value(options[0], value, path, errors)
        for option in options:
            trial: list[str] = []
            result = check_value(option, value, path, trial)
            if not trial:
                return result
        errors.append(f"{path}: expected {type_name(ann)}, got {value!r}.")
        return value
    origin = typing.get_origin(ann)
    if origin is Literal:
        choices = typing.get_args(ann)
        if value not in choices:
            errors.append(f"{path}: expected one of {list(choices)}, got {value!r}.")
        return value
    if value is None:
        errors.append(f"{path}: expected {type_name(ann)}, got None.")
        return value
    if ann in (int, float, str, bool):
        if _is_env_dict(value):
            return read_env_var(value["env"], path, errors, ann)
        ok = isinstance(value, ann) and not (ann is not bool and isinstance(value, bool))
        if ann is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            errors.append(f"{path}: expected {ann.__name__}, got {value!r}.")
        return value
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        if isinstance(value, ann):
            return value
        if isinstance(value, str) and value in ann.__members__:
            return ann[value]
        names = ", ".join(ann.__members__)
        errors.append(f"{path}: {value!r} is not a member of enum {ann.__name__} ({names}).")
        return value
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if isinstance(value, ann):
            return value
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a dict for {ann.__name__}, got {value!r}.")
            return value
        return _check_fields(ann, value, path, errors)
    if origin in (list, tuple, set, frozenset, Sequence, typing.List) or ann in (list, tuple):  # noqa: UP006
        if not isinstance(value, (list, tuple)):
            errors.append(f"{path}: expected a list, got {value!r}.")
            return value
        item_args = typing.get_args(ann)
        item = item_args[0] if item_args else Any
        return [check_value(item, v, f"{path}[{i}]", errors) for i, v in enumerate(value)]
    if origin in (dict, Mapping, typing.Dict) or ann is dict:  # noqa: UP006
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a dict, got {value!r}.")
            return value
        kv = typing.get_args(ann)
        inner = kv[1] if len(kv) == 2 else Any
        return {k: check_value(inner, v, f"{path}.{k}", errors) for k, v in value.items()}
    return value


def _field_required(info: FieldInfo) -> bool:
    return info.default is PydanticUndefined and info.default_factory is None


def _check_fields(model: type[BaseModel], value: Mapping[str, Any], path: str,
                  errors: list[str], optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    fields = model.model_fields
    by_alias = {(info.alias or name): name for name, info in fields.items()}
    allow_extra = model.model_config.get("extra") == "allow"
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = by_alias.get(key)
        if name is None:
            if allow_extra:
                result[key] = item
                continue
            close = difflib.get_close_matches(str(key), list(by_alias), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            known = ", ".join(by_alias) or "none"
            errors.append(f"{path}: unexpected key '{key}' for {model.__name__} "
                          f"(known keys: {known}).{hint}")
            continue
        info = fields[name]
        result[key] = check_value(info.annotation, item, f"{path}.{key}", errors)
    for key, name in by_alias.items():
        if key not in value and _field_required(fields[name]) and name not in optional \
                and key not in optional:
            ann = fields[name].annotation
            errors.append(f"{path}.{key}: missing required field of type {type_name(ann)}.")
    return result


def pydantic_problems(exc: ValidationError, path: str,
                      env_names: Iterable[str] = ()) -> list[str]:
    """pydantic's errors as `path.field: message` lines. A value read from one of the
    environment variables `env_names` is named by its variable, never shown: it may be a
    secret (pydantic's own messages can quote the input too, so those are replaced)."""
    secrets = {value: name for name in env_names if (value := get_env(name))}
    problems = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        shown = repr(err.get("input"))
        hidden = sorted({name for value, name in secrets.items()
                         if value in shown or value in str(err["msg"])})
        if hidden:
            problems.append(f"{path}{loc}: the value of environment variable "
                            f"{', '.join(repr(n) for n in hidden)} is not valid here "
                            f"({err['type']}); fix the variable.")
        else:
            problems.append(f"{path}{loc}: {err['msg']} (got {shown}).")
    return problems


def env_var_names(value: Any) -> set[str]:
    """The environment variables run config names with {"env": NAME}, at any depth."""
    names: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if _is_env_dict(item):
            names.add(item["env"])
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (EnvVar, IntEnvVar)):
            names.add(item.env_var_name)
    return names


# --- the model base ------------------------------------------------------------------


class _ConfigMeta(type(BaseModel)):  # type: ignore[misc]
    """Gives `Optional[...]` fields without a default the default None, as Dagster does."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any):
        legacy = [k for k, v in namespace.items() if isinstance(v, LegacyField)]
        if legacy:
            raise HeadwaterInvalidDefinitionError(
                f"Field '{legacy[0]}' of '{name}' is declared with headwater.Field, which belongs "
                "to config_schema= dicts. A Config or ConfigurableResource class declares its "
                f"fields with Python annotations; for a description or default use "
                f"pydantic.Field, e.g. {legacy[0]}: str = pydantic.Field(description='...')."
            )
        annotations = namespace.get("__annotations__") or {}
        if annotations:
            module = sys.modules.get(namespace.get("__module__", ""))
            scope = dict(vars(module)) if module is not None else {}
            # string annotations (`from __future__ import annotations`) may name classes
            # local to the function the class statement runs in: read that frame too
            frame = sys._getframe(1)
            if frame.f_globals.get("__name__") == namespace.get("__module__"):
                scope = {**frame.f_globals, **scope, **frame.f_locals}
            for field_name, ann in list(annotations.items()):
                if field_name.startswith("_"):
                    continue
                if isinstance(ann, str):
                    try:
                        ann = eval(ann, scope, dict(namespace))  # noqa: S307
                    except Exception:
                        continue
                    annotations[field_name] = ann
                adjust = getattr(mcs, "_adjust_field", None)
                if adjust is not None and adjust(namespace, annotations, field_name, ann):
                    continue
                args = _union_args(_strip_annotated(ann))
                if args is not None and _NONE in args:
                    default = namespace.get(field_name, _MISSING)
                    if default is _MISSING:
                        namespace[field_name] = None
                    elif isinstance(default, FieldInfo) and _field_required(default):
                        default.default = None
        return super().__new__(mcs, name, bases, namespace, **kw)


class _HeadwaterModel(BaseModel, metaclass=_ConfigMeta):  # type: ignore[metaclass]
    """What Config and ConfigurableResource share: frozen fields, EnvVar capture."""

    # extra="forbid": a misspelled field is refused by name, never dropped (PermissiveConfig
    # opts back in to extra fields).
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid",
                              ignored_types=(__import__("functools").cached_property,))
    _headwater_env_vars: dict[str, Any] = PrivateAttr(default_factory=dict)
    _kind: ClassVar[str] = "Pythonic config class"

    def __init__(self, **data: Any):
        env = {k: v for k, v in data.items() if isinstance(v, (EnvVar, IntEnvVar))}
        for key, var in env.items():
            data[key] = int(var) if isinstance(var, IntEnvVar) else str(var)
        for key, value in data.items():
            if isinstance(value, str) and not isinstance(value, enum.Enum):
                data[key] = _enum_by_name(type(self), key, value)
        super().__init__(**data)
        if env:
            self._headwater_env_vars = env

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
            return
        raise HeadwaterInvalidInvocationError(
            f"'{type(self).__name__}' is a {self._kind} and does not support item assignment: "
            f"its fields are fixed once it is built, so '{name}' cannot be set. Build a changed "
            f"copy instead: {type(self).__name__}(**{{**old.model_dump(), '{name}': ...}})."
        )

    def _env_vars(self) -> dict[str, Any]:
        return self._headwater_env_vars

    def _to_run_config_value(self) -> dict[str, Any]:
        """This instance as run config: EnvVar fields render as {"env": NAME}."""
        env = self._env_vars()
        out: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            key = info.alias or name
            if name in env:
                out[key] = {"env": env[name].env_var_name}
            else:
                out[key] = _to_config_value(getattr(self, name))
        extra = self.__pydantic_extra__ or {}
        out.update({k: _to_config_value(v) for k, v in extra.items()})
        return out

    @classmethod
    def _validate_run_config(cls, raw: Any, path: str, errors: list[str]) -> None:
        cls._check_run_config(raw, path, errors)

    @classmethod
    def _check_run_config(cls, raw: Any, path: str, errors: list[str],
                          given: frozenset[str] = frozenset()) -> dict[str, Any]:
        if raw is None:
            raw = {}
        if isinstance(raw, cls):
            return raw._to_run_config_value()
        if not isinstance(raw, Mapping):
            errors.append(f"{path}: expected a dict of config for {cls.__name__}, got {raw!r}.")
            return {}
        return _check_fields(cls, raw, path, errors, given)

    @classmethod
    def _from_run_config(cls, raw: Any, path: str = "config") -> Any:
        if isinstance(raw, cls) and not raw._env_vars():
            return raw
        errors: list[str] = []
        values = cls._check_run_config(raw, path, errors)
        if errors:
            raise HeadwaterInvalidConfigError(f"Error in config at {path}:", errors, raw)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise HeadwaterInvalidConfigError(
                f"Error in config at {path}:", pydantic_problems(exc, path, env_var_names(raw)),
                raw) from None

    @classmethod
    def _json_schema(cls) -> dict[str, Any]:
        return model_json_schema(cls)

    @classmethod
    def to_config_schema(cls) -> Any:
        """This class as the config schema of a function-style definition, e.g.
        `@resource(config_schema=Warehouse.to_config_schema())`; the config arrives as a dict
        checked against the fields (build the instance with `from_resource_context`)."""
        from headwater.definitions.config.schema import Field

        required = any(info.is_required() for info in cls.model_fields.values())
        return Field(cls, is_required=required)


def _enum_by_name(cls: type[BaseModel], field_name: str, value: str) -> Any:
    """An enum field given a member's name (as run config names members) gets that member;
    any other value is left to pydantic."""
    info = cls.model_fields.get(field_name)
    if info is None:
        return value
    ann = _strip_annotated(info.annotation)
    args = _union_args(ann)
    for kind in (args if args is not None else (ann,)):
        if (isinstance(kind, type) and issubclass(kind, enum.Enum)
                and value in kind.__members__ and value not in {m.value for m in kind}):
            return kind.__members__[value]
    return value


def _to_config_value(value: Any) -> Any:
    if isinstance(value, _HeadwaterModel):
        return value._to_run_config_value()
    if isinstance(value, (EnvVar, IntEnvVar)):
        return {"env": value.env_var_name}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, BaseModel):
        return {k: _to_config_value(v) for k, v in dict(value).items()}
    if isinstance(value, Mapping):
        return {k: _to_config_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_config_value(v) for v in value]
    return value


class Config(_HeadwaterModel):  # type: ignore[metaclass]
    """The config of an op or asset, declared as typed fields of a pydantic model.

    Subclass it and annotate fields; an op or asset that takes a parameter annotated with
    the subclass gets its config schema from the fields, and the built instance at run
    time. Run config gives the values under `ops.<name>.config` (a dict, or an instance
    inside `RunConfig`). Values are checked strictly: an int field refuses `"5"`, an enum is
    given by member name, an unknown key is refused (use PermissiveConfig to allow extra
    keys); then pydantic validators and `pydantic.Field` constraints apply. A field typed
    `Optional[...]` without a default defaults to None. Instances are frozen. Bad run config
    raises HeadwaterInvalidConfigError listing each problem with its path.

    Args:
        **data: the values of the subclass's declared fields, by name.

    Example:
        ```python
        from headwater import Config, RunConfig, asset, materialize

        class LoadConfig(Config):
            table: str
            limit: int = 10

        @asset
        def rows(config: LoadConfig) -> list[str]:
            return [f"{config.table}-{i}" for i in range(config.limit)]

        result = materialize(
            [rows], run_config=RunConfig(ops={"rows": LoadConfig(table="users", limit=2)})
        )
        assert result.output_for_node("rows") == ["users-0", "users-1"]
        ```
    """

    __headwater_config__: ClassVar[bool] = True


class PermissiveConfig(Config):
    """A Config that also accepts keys it does not declare.

    The declared fields are checked as in Config; any other key of the run config is kept
    as given and read from `config.model_extra` (a dict). Use it when the set of options
    is open, e.g. options passed through to a client library.

    Args:
        **data: declared field values, plus any extra keys.

    Example:
        ```python
        from headwater import PermissiveConfig, asset, materialize

        class ClientOptions(PermissiveConfig):
            endpoint: str

        @asset
        def options(config: ClientOptions) -> dict:
            return {"endpoint": config.endpoint, **config.model_extra}

        result = materialize([options], run_config={
            "ops": {"options": {"config": {"endpoint": "https://api", "timeout": 30}}}
        })
        assert result.output_for_node("options") == {"endpoint": "https://api", "timeout": 30}
        ```
    """

    model_config = ConfigDict(extra="allow")


# --- JSON Schema ----------------------------------------------------------------------


def model_json_schema(model: type[BaseModel], defaults: Mapping[str, Any] | None = None) -> dict:
    """JSON Schema of a model's fields, as run config spells them (enums by name)."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        schema = annotation_json_schema(info.annotation)
        if info.description:
            schema["description"] = info.description
        if defaults is not None and (key in defaults or name in defaults):
            schema["default"] = _to_config_value(defaults[key if key in defaults else name])
        elif info.default is not PydanticUndefined:
            schema["default"] = _to_config_value(info.default)
        elif info.default_factory is None:
            required.append(key)
        props[key] = schema
    out: dict[str, Any] = {"type": "object", "title": model.__name__, "properties": props,
                           "additionalProperties": model.model_config.get("extra") == "allow"}
    if required:
        out["required"] = required
    if model.__doc__ and model.__doc__ is not Config.__doc__:
        out["description"] = model.__doc__.strip().splitlines()[0]
    return out


def annotation_json_schema(ann: Any) -> dict[str, Any]:
    ann = _strip_annotated(ann)
    args = _union_args(ann)
    if args is not None:
        return {"anyOf": [annotation_json_schema(a) for a in args]}
    if ann is _NONE:
        return {"type": "null"}
    scalars = {int: "integer", float: "number", str: "string", bool: "boolean"}
    if ann in scalars:
        kind = scalars[ann]
        return {"anyOf": [{"type": kind}, {"type": "object", "properties": {
            "env": {"type": "string"}}, "required": ["env"], "additionalProperties": False}]}
    origin = typing.get_origin(ann)
    if origin is Literal:
        return {"enum": list(typing.get_args(ann))}
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return {"enum": list(ann.__members__), "title": ann.__name__}
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return model_json_schema(ann)
    if origin in (list, tuple, set, frozenset, Sequence) or ann in (list, tuple):
        item_args = typing.get_args(ann)
        return {"type": "array",
                "items": annotation_json_schema(item_args[0]) if item_args else {}}
    if origin in (dict, Mapping) or ann is dict:
        kv = typing.get_args(ann)
        return {"type": "object",
                "additionalProperties": annotation_json_schema(kv[1]) if len(kv) == 2 else True}
    return {}
