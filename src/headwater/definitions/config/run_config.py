"""Run config: its schema for a job, validation, config mappings, RunConfig and loaders.

`run_config_schema_type(job)` describes everything a job's run config may hold (`ops`
with nested graphs, `resources`, `loggers`, `execution`, `inputs`) as one config Shape;
`validate_run_config(job, run_config)` checks a run config against it in one pass,
applies graph and job `ConfigMapping`s and returns the config with defaults filled in
(env sources and enum names left as written, so nothing secret is stored in clear).
Imports `errors` and this layer's `config`, `resource`.
"""

from __future__ import annotations

import copy
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headwater.definitions.config.requirement import required_resource_keys
from headwater.definitions.config.resource import as_resource_definition
from headwater.definitions.config.schema import (
    EvaluationError,
    Field,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
    _process,
    config_is_required,
    resolve_config_schema,
)
from headwater.errors import (
    HeadwaterConfigMappingFunctionError,
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
)

_OPTIONAL_ANY = Field(Any, is_required=False)
_INPUTS = Field(dict, is_required=False)
_CONSOLE_LOGGER = Shape({"config": Field(
    {"log_level": Field(str, is_required=False), "name": Field(str, is_required=False)},
    is_required=False)})


class ConfigMapping:
    """Maps a simpler outer config onto the config of a graph's ops (or a whole job's).

    Give it as `@job(config=...)` or `@graph(config=...)`: the run config of that job or
    graph is then the outer config, checked against `config_schema`, and `config_fn` turns
    it into the full config of the ops inside (`{"ops": {...}}`). Problems in either
    config raise HeadwaterInvalidConfigError naming the job or graph; an exception in
    `config_fn` is reported as a config mapping error. `@config_mapping` builds one.

    Args:
        config_fn: `fn(outer_config) -> inner config`.
        config_schema: the schema of the outer config; None accepts any value.
        receive_processed_config_values: False hands `config_fn` the config as written
            (no defaults filled, env vars not read); default True.
        description: shown in the UI.

    Example:
        ```python
        from headwater import ConfigMapping, job, op

        @op(config_schema={"minutes": int})
        def wait_time(context) -> int:
            return context.op_config["minutes"]

        def hours_to_minutes(outer: dict) -> dict:
            return {"ops": {"wait_time": {"config": {"minutes": outer["hours"] * 60}}}}

        @job(config=ConfigMapping(config_fn=hours_to_minutes, config_schema={"hours": int}))
        def nightly():
            wait_time()

        result = nightly.execute_in_process(run_config={"hours": 2})
        assert result.output_for_node("wait_time") == 120
        ```
    """

    def __init__(self, config_fn: Callable[[Any], Any], config_schema: Any = None,
                 receive_processed_config_values: bool | None = None,
                 description: str | None = None):
        if not callable(config_fn):
            raise HeadwaterInvalidDefinitionError(
                f"ConfigMapping needs a function config_fn(outer_config) -> inner config, got "
                f"{config_fn!r}."
            )
        self.config_fn = config_fn
        if config_schema is None:
            self.config_schema = _OPTIONAL_ANY
        else:
            self.config_schema = (config_schema if isinstance(config_schema, Field)
                                  else Field(resolve_config_schema(config_schema)))
        self.receive_processed_config_values = receive_processed_config_values is not False
        self.description = description

    def resolve_from_unvalidated_config(self, config: Any,
                                        preamble: str = "Error in config mapping") -> Any:
        """Validate `config` against the outer schema, then map it."""
        processed = _check(self.config_schema, config, preamble)
        return self.config_fn(processed if self.receive_processed_config_values else config)

    def resolve_from_validated_config(self, config: Any) -> Any:
        return self.config_fn(config)


def config_mapping(
    config_fn: Callable[[Any], Any] | None = None, *, config_schema: Any = None,
    receive_processed_config_values: bool | None = None,
) -> Any:
    """Declare a ConfigMapping by its function: `@config_mapping(config_schema=...)`.

    Used bare or with arguments. When `config_schema` is not given and the function's
    parameter is annotated with a Config class, that class is the outer schema and the
    function gets an instance of it.

    Args:
        config_fn: the function, when used bare.
        config_schema: the schema of the outer config.
        receive_processed_config_values: False hands the function the config as written;
            default True.

    Example:
        ```python
        from headwater import Config, config_mapping, job, op

        @op(config_schema={"hours": int})
        def window(context) -> int:
            return context.op_config["hours"]

        class Simple(Config):
            days: int

        @config_mapping
        def by_days(config: Simple) -> dict:
            return {"ops": {"window": {"config": {"hours": config.days * 24}}}}

        @job(config=by_days)
        def backfill():
            window()

        result = backfill.execute_in_process(run_config={"days": 2})
        assert result.output_for_node("window") == 48
        ```
    """

    def decorate(fn: Callable[[Any], Any]) -> ConfigMapping:
        schema = config_schema
        if schema is None:
            params = list(inspect.signature(fn).parameters.values())
            try:  # a string annotation (`from __future__ import annotations`) names the class
                hints = typing.get_type_hints(fn)
            except Exception:
                hints = {}
            hint = hints.get(params[0].name) if params else None
            if isinstance(hint, type) and hasattr(hint, "_validate_run_config"):
                schema = hint
                return ConfigMapping(lambda raw: fn(hint._from_run_config(raw, path="config")),  # type: ignore[attr-defined]
                                     schema, receive_processed_config_values)
        return ConfigMapping(fn, schema, receive_processed_config_values)

    return decorate(config_fn) if config_fn is not None else decorate


def _check(schema: Any, value: Any, preamble: str, env: bool = True) -> Any:
    errors: list[Any] = []
    result = _process(schema, value, (), errors, env)
    if errors:
        raise HeadwaterInvalidConfigError(preamble, errors, value)
    return result


# --- the schema of a job's run config ----------------------------------------------------


def _node_config_schema(node_def: Any, inner: bool = False) -> Field:
    mapping = getattr(node_def, "config_mapping", None)
    if mapping is not None and not inner:
        return mapping.config_schema
    config_class = getattr(getattr(node_def, "signature", None), "config_class", None)
    if config_class is not None:
        return Field(config_class, is_required=False)
    schema = getattr(node_def, "config_schema", None)
    if schema is None:
        return _OPTIONAL_ANY
    return schema if isinstance(schema, Field) else Field(schema)


def _io_schema(resource_defs: Mapping[str, Any], key: str | None, kind: str) -> Any:
    """The input_config_schema / output_config_schema of the IO manager under `key`."""
    definition = resource_defs.get(key) if key else None
    schema = getattr(definition, kind, None)
    return schema() if inspect.ismethod(schema) else schema


_LOADABLE_SCALARS = (str, int, float, bool)


def _input_schema(input_def: Any, resource_defs: Mapping[str, Any]) -> Any:
    """What `ops.<op>.inputs.<name>` may hold: the input manager's input_config_schema,
    else the input type's loader schema; a builtin scalar type (String, Int, Float, Bool)
    takes the value itself or `{"value": ...}`."""
    schema = _io_schema(resource_defs, input_def.input_manager_key, "input_config_schema")
    if schema is not None:
        return schema
    htype = input_def.headwater_type
    loader = getattr(htype, "loader", None)
    if loader is not None:
        return getattr(loader, "schema_type", None)
    py_type = getattr(htype, "typing_type", None)
    if getattr(htype, "is_builtin", False) and py_type in _LOADABLE_SCALARS:
        return ScalarUnion(py_type, Selector({"value": py_type}))
    return None


def _inputs_field(node: Any, resource_defs: Mapping[str, Any]) -> Field:
    inputs = {name: Field(schema, is_required=False) for name, d in node.input_dict.items()
              if (schema := _input_schema(d, resource_defs)) is not None}
    return Field(Permissive(inputs), is_required=False) if inputs else _INPUTS


def _io_fields(node: Any, resource_defs: Mapping[str, Any]) -> tuple[Field, Field]:
    outputs = {name: Field(schema, is_required=False) for name, d in node.output_dict.items()
               if (schema := _io_schema(resource_defs, getattr(d, "io_manager_key", None),
                                        "output_config_schema")) is not None}
    return (_inputs_field(node, resource_defs),
            Field(Permissive(outputs), is_required=False) if outputs else _OPTIONAL_ANY)


def _ops_shape(graph: Any, resource_defs: Mapping[str, Any] | None = None) -> Shape:
    resource_defs = resource_defs or {}
    fields: dict[str, Field] = {}
    for name, inv in graph.invocations.items():
        node = inv.node_def
        if hasattr(node, "invocations"):
            mapping = node.config if isinstance(node.config, ConfigMapping) else None
            if mapping is not None:
                entry = Shape({"config": mapping.config_schema,
                               "inputs": _inputs_field(node, resource_defs)})
            else:
                inner = _ops_shape(node, resource_defs)
                if isinstance(node.config, Mapping):
                    inner = with_defaults(inner, node.config)
                entry = Shape({"ops": Field(inner), "inputs": _inputs_field(node, resource_defs)})
        else:
            # Inputs may be given for unbound inputs and for inputs loaded by input managers.
            inputs, outputs = _io_fields(node, resource_defs)
            entry = Shape({"config": _node_config_schema(node), "inputs": inputs,
                           "outputs": outputs})
        fields[name] = Field(entry)
    for name in graph.ignored_node_names:  # left out by an op selection: config ignored
        fields[name] = _OPTIONAL_ANY
    return Shape(fields)


def _resource_entry(definition: Any) -> Field:
    config_class = getattr(definition, "config_class", None)
    if config_class is not None:
        return Field(Shape({"config": Field(config_class, is_required=False)}))
    schema = definition.config_schema
    if schema is None:
        return Field(Shape({"config": _OPTIONAL_ANY}))
    inner = schema if isinstance(schema, Field) else Field(schema)
    return Field(Shape({"config": inner}))


def run_config_schema_type(job: Any) -> Shape:
    """The config Shape of everything `job`'s run config may hold.

    Built once per job and kept on it (`JobDefinition._run_config_shape`): a job does not
    change after it is built, and `JobDefinition._copy` starts the copy without it.
    """
    shape = job._run_config_shape
    if shape is None:
        shape = job._run_config_shape = _build_schema_type(job)
    return shape


def _build_schema_type(job: Any) -> Shape:
    resource_defs = dict(job.resource_defs)
    resource_defs.setdefault("io_manager", None)
    resources = {key: _resource_entry(as_resource_definition(d)) if d is not None
                 else Field(Shape({"config": _OPTIONAL_ANY}))
                 for key, d in resource_defs.items()}
    # A resource no op, IO manager, type or hook of the job uses is never initialised: its
    # config may be left out (and is still checked when given).
    needed = required_resource_keys(job)
    for key, entry in resources.items():
        if key not in needed:
            resources[key] = Field(entry.config_type, is_required=False,
                                   description=entry.description)
    loggers: dict[str, Field] = {"console": Field(_CONSOLE_LOGGER, is_required=False)}
    for name, logger_def in getattr(job, "logger_defs", {}).items():
        schema = getattr(logger_def, "config_schema", None)
        loggers[name] = Field(
            Shape({"config": Field(schema) if schema is not None else _OPTIONAL_ANY}),
            is_required=False)
    shape = Shape({
        "ops": _root_ops_field(job),
        "resources": Field(Shape(resources)),
        "loggers": Field(Shape(loggers), is_required=False),
        "execution": _OPTIONAL_ANY,
        "inputs": _OPTIONAL_ANY,
    })
    defaults = _job_defaults(job)
    return with_defaults(shape, defaults) if defaults else shape


def _root_ops_field(job: Any) -> Field:
    """`ops`: an entry per node of the job's graph, with the graph's own `config` dict as
    their defaults; or, when the graph maps its config (`@graph(config=ConfigMapping(...))`),
    just that mapping's `config`, as a nested graph's entry is."""
    graph = job.graph
    if isinstance(graph.config, ConfigMapping):
        return Field(Shape({"config": graph.config.config_schema}))
    shape = _ops_shape(graph, job.resource_defs)
    return Field(with_defaults(shape, graph.config) if isinstance(graph.config, Mapping)
                 else shape)


def _job_defaults(job: Any) -> dict[str, Any] | None:
    config = job.config
    if isinstance(config, Mapping):
        return dict(config)
    to_dict = getattr(config, "to_config_dict", None)
    return dict(to_dict()) if callable(to_dict) else None


_STRUCTURAL = ("ops", "resources", "loggers")


def with_defaults(shape: Shape, defaults: Mapping[str, Any], depth: int = 0) -> Shape:
    """`shape` with `defaults` as default values, descending through run config's structure."""
    fields = dict(shape.fields)
    for key, value in defaults.items():
        field = fields.get(key)
        if field is None:
            continue  # reported as an unexpected entry when the value is validated
        inner = field.config_type
        if isinstance(inner, Shape) and isinstance(value, Mapping) and key != "config":
            fields[key] = Field(with_defaults(inner, value, depth + 1),
                                description=field.description)
        else:
            fields[key] = Field(inner, default_value=value, description=field.description)
    return type(shape)(fields, shape.description)


# --- validation --------------------------------------------------------------------------


def validate_run_config(job: Any, run_config: Any = None) -> dict[str, Any]:
    """Check `run_config` for `job`; return it with defaults filled, or raise with every problem.

    The check a launch makes, done ahead of time (a CI test of a schedule's config, a
    config form): unknown keys, missing required fields and wrong types all fail at once
    in one HeadwaterInvalidConfigError listing each path. Config mappings are applied; the
    result is the full run config of the job, with env sources left as written.

    Args:
        job: the job (a JobDefinition) the config is for.
        run_config: a dict or RunConfig; None is an empty config.

    Example:
        ```python
        from headwater import HeadwaterInvalidConfigError, job, op, validate_run_config

        @op(config_schema={"limit": int})
        def load(context) -> int:
            return context.op_config["limit"]

        @job
        def etl():
            load()

        checked = validate_run_config(etl, {"ops": {"load": {"config": {"limit": 5}}}})
        assert checked["ops"] == {"load": {"config": {"limit": 5}}}
        try:
            validate_run_config(etl, {"ops": {"load": {"config": {"limit": "five"}}}})
        except HeadwaterInvalidConfigError as error:
            print(error)
        ```
    """
    return resolve_run_config(job, run_config, resolve_values=False)


def resolve_run_config(job: Any, run_config: Any, resolve_values: bool = True) -> dict[str, Any]:
    """Validate and apply config mappings; `resolve_values` also reads env vars and enums."""
    raw = as_run_config_dict(run_config)
    mapping = job.config if isinstance(job.config, ConfigMapping) else None
    if mapping is not None:
        # Unprocessed values keep enum names and env sources as written (defaults filled).
        outer = _check(mapping.config_schema, raw, f"Error in config mapping for job {job.name}",
                       mapping.receive_processed_config_values)
        raw = as_run_config_dict(mapping.resolve_from_validated_config(outer))
    errors: list[Any] = []
    result = _process(run_config_schema_type(job), raw, (), errors, resolve_values)
    if not errors and isinstance(result, dict):
        _apply_root_mapping(job, result, errors, resolve_values)
    if not errors and isinstance(result, Mapping):
        _apply_graph_mappings(job.graph, result.get("ops") or {}, errors, resolve_values,
                              job.name)
    if errors:
        raise HeadwaterInvalidConfigError(f"Error in config for job {job.name}", errors, raw)
    return result


def _call_mapping(mapping: ConfigMapping, outer: Any, what: str, stack: str) -> Any:
    try:
        return mapping.resolve_from_validated_config(outer)
    except HeadwaterInvalidConfigError:
        raise  # a configured() layer produced config its inner mapping rejects
    except Exception as exc:
        raise HeadwaterConfigMappingFunctionError(
            f"The config mapping function on {what} has thrown an unexpected error during its "
            f'execution. The definition is instantiated at stack "{stack}". Fix the function '
            f"or the config it receives: {type(exc).__name__}: {exc}", user_exception=exc,
        ) from exc


def _apply_root_mapping(job: Any, result: dict[str, Any], errors: list[Any],
                        resolve_values: bool) -> None:
    """Replace `ops: {config: ...}` with the node entries the job's graph's mapping makes."""
    graph = job.graph
    mapping = graph.config
    if not isinstance(mapping, ConfigMapping):
        return
    # Values as written unless the mapping asks for them processed (env read, enums made).
    outer = _process(mapping.config_schema, (result.get("ops") or {}).get("config"), (), [],
                     mapping.receive_processed_config_values)
    inner_raw = _call_mapping(mapping, outer, f"graph '{graph.name}' of job '{job.name}'",
                              graph.name)
    found: list[Any] = []
    inner = _process(_ops_shape(graph, job.resource_defs), inner_raw, (), found, resolve_values)
    if found:
        errors.append(EvaluationError(
            f"job '{job.name}': the config mapping of its graph '{graph.name}' returned ops "
            "config that does not fit the graph's ops:\n"
            + "\n".join(f"        Error {i}: {e}" for i, e in enumerate(found, 1)),
            ("ops",), "RUNTIME_TYPE_MISMATCH"))
        return
    result["ops"] = inner


def _apply_graph_mappings(graph: Any, ops: dict[str, Any], errors: list[Any],
                          resolve_values: bool, job_name: str = "", prefix: str = "") -> None:
    for name, inv in graph.invocations.items():
        node = inv.node_def
        entry = ops.get(name)
        if not isinstance(entry, dict):
            continue
        op_mapping = getattr(node, "config_mapping", None)
        if op_mapping is not None and not hasattr(node, "invocations"):
            outer = _process(op_mapping.config_schema, entry.get("config"), (), [],
                             op_mapping.receive_processed_config_values)
            inner_raw = _call_mapping(op_mapping, outer, f"op '{name}' in job '{job_name}'",
                                      prefix + name)
            entry["config"] = _process(_node_config_schema(node, inner=True), inner_raw,
                                       ("ops", name, "config"), errors, resolve_values)
            continue
        if not hasattr(node, "invocations"):
            continue
        if isinstance(node.config, ConfigMapping):
            # `entry` holds values as written (validate_run_config keeps them so); the
            # mapping function sees them processed (env read, enums converted) unless it
            # asked for them unprocessed.
            outer = _process(node.config.config_schema, entry.get("config"), (), [],
                             node.config.receive_processed_config_values)
            inner_raw = _call_mapping(node.config, outer, f"graph '{name}' in job '{job_name}'",
                                      prefix + name)
            found: list[Any] = []
            inner = _process(_ops_shape(node), inner_raw, (), found, resolve_values)
            if found:
                errors.append(EvaluationError(
                    f'Op "{name}" with definition "{node.name}" has a configuration error. Its '
                    "config mapping produced config that does not fit its ops:\n"
                    + "\n".join(f"        Error {i}: {e}" for i, e in enumerate(found, 1)),
                    ("ops", name), "RUNTIME_TYPE_MISMATCH"))
                continue
            entry["ops"] = inner
        _apply_graph_mappings(node, entry.get("ops") or {}, errors, resolve_values, job_name,
                              f"{prefix}{name}:")


# --- RunConfig and loading config --------------------------------------------------------


def _config_value(value: Any) -> Any:
    to_value = getattr(value, "_to_run_config_value", None)
    if callable(to_value):
        return to_value()
    if isinstance(value, Mapping):
        return dict(value)
    return value


class RunConfig:
    """Run config built from objects: `RunConfig(ops={"load": LoadConfig(limit=3)})`.

    Accepted wherever a run config dict is (`materialize`, `execute_in_process`,
    `RunRequest`, schedules and sensors). Config instances stand for `{"config": ...}`
    entries, an EnvVar field stays `{"env": NAME}`; plain dicts pass through.
    `to_config_dict()` gives the equivalent dict.

    Args:
        ops: config by op or asset name: a Config instance, a dict, or for a nested graph
            a RunConfig of its ops.
        resources: config by resource key: a ConfigurableResource instance or a dict.
        loggers: config by logger name, as dicts.
        execution: the executor's config, as a dict.

    Example:
        ```python
        from headwater import Config, RunConfig, asset, materialize

        class SampleConfig(Config):
            fraction: float = 0.1

        @asset
        def sample(config: SampleConfig) -> float:
            return config.fraction

        run_config = RunConfig(ops={"sample": SampleConfig(fraction=0.5)})
        assert run_config.to_config_dict() == {"ops": {"sample": {"config": {"fraction": 0.5}}}}
        assert materialize([sample], run_config=run_config).output_for_node("sample") == 0.5
        ```
    """

    def __init__(self, ops: Mapping[str, Any] | None = None,
                 resources: Mapping[str, Any] | None = None,
                 loggers: Mapping[str, Any] | None = None,
                 execution: Mapping[str, Any] | None = None):
        self.ops = dict(ops or {})
        self.resources = dict(resources or {})
        self.loggers = dict(loggers or {})
        self.execution = dict(execution or {})

    def to_config_dict(self) -> dict[str, Any]:
        """The plain-dict run config (`{"ops": {name: {"config": ...}}, "resources": ...}`)."""
        out: dict[str, Any] = {}
        if self.ops:
            out["ops"] = {k: _op_entry(v) for k, v in self.ops.items()}
        if self.resources:
            out["resources"] = {k: _resource_entry_value(v) for k, v in self.resources.items()}
        if self.loggers:
            out["loggers"] = dict(self.loggers)
        if self.execution:
            out["execution"] = dict(self.execution)
        return out

    def __repr__(self) -> str:
        return f"RunConfig({self.to_config_dict()!r})"


def _op_entry(value: Any) -> Any:
    if isinstance(value, RunConfig):  # a nested graph: RunConfig(ops=...) for its ops
        return {"ops": value.to_config_dict().get("ops", {})}
    if hasattr(value, "_to_run_config_value"):
        return {"config": value._to_run_config_value()}
    return _config_value(value)


def _resource_entry_value(value: Any) -> Any:
    if hasattr(value, "_to_run_config_value"):
        return {"config": value._to_run_config_value()}
    return _config_value(value)


def as_run_config_dict(run_config: Any) -> dict[str, Any]:
    if run_config is None:
        return {}
    to_dict = getattr(run_config, "to_config_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if isinstance(run_config, Mapping):
        return dict(run_config)
    raise HeadwaterInvalidInvocationError(
        f"run_config must be a dict or RunConfig, got {type(run_config).__name__}."
    )


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def config_from_yaml_strings(yaml_strings: Sequence[str]) -> dict[str, Any]:
    """Parse YAML documents and deep-merge them, later ones winning.

    Nested mappings merge key by key; any other value of a later document replaces the
    earlier one. Invalid YAML, or a document that is not a mapping, raises an error naming
    the document's position.

    Args:
        yaml_strings: the YAML documents, in order.

    Example:
        ```python
        from headwater import config_from_yaml_strings

        base = "ops: {load: {config: {limit: 10, table: users}}}"
        override = "ops: {load: {config: {limit: 3}}}"
        config = config_from_yaml_strings([base, override])
        assert config == {"ops": {"load": {"config": {"limit": 3, "table": "users"}}}}
        ```
    """
    import yaml

    merged: dict[str, Any] = {}
    for i, text in enumerate(yaml_strings):
        try:
            loaded = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise HeadwaterInvariantViolationError(
                f"YAML string #{i + 1} given to config_from_yaml_strings is not valid YAML: {exc}"
            ) from exc
        except RecursionError:  # the parser recurses once per level of nesting
            raise HeadwaterInvalidConfigError(
                f"YAML string #{i + 1} is nested too deeply to be run config; flatten it."
            ) from None
        if not isinstance(loaded, Mapping):
            raise HeadwaterInvalidConfigError(
                f"YAML string #{i + 1} holds a {type(loaded).__name__}; run config is a mapping."
            )
        merged = deep_merge(merged, loaded)
    return merged


def config_from_files(config_files: Sequence[str]) -> dict[str, Any]:
    """Load YAML (or JSON) run config files, expanding globs, and deep-merge them in order.

    Paths are relative to the current directory; a glob's matches are read in sorted
    order. A pattern that matches no file raises an error naming it.

    Args:
        config_files: file paths or glob patterns, in merge order (later ones win).

    Example:
        ```python
        from pathlib import Path

        from headwater import config_from_files

        Path("base.yaml").write_text("resources: {db: {config: {url: sqlite://}}}")
        Path("prod.yaml").write_text("resources: {db: {config: {url: postgresql://prod}}}")
        config = config_from_files(["base.yaml", "prod.yaml"])
        assert config == {"resources": {"db": {"config": {"url": "postgresql://prod"}}}}
        ```
    """
    import glob

    texts = []
    for pattern in config_files:
        paths = sorted(glob.glob(pattern))
        if not paths:
            raise HeadwaterInvariantViolationError(
                f'Config file pattern "{pattern}" matches no file; check the path (relative to '
                "the current directory) or the glob."
            )
        for path in paths:
            with open(path, encoding="utf-8") as handle:
                texts.append(handle.read())
    return config_from_yaml_strings(texts)


def config_from_pkg_resources(pkg_resource_defs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Load run config from YAML files shipped inside packages: [(package, file name), ...].

    The files are read with importlib.resources (so they work from a wheel or zip) and
    deep-merged in order. A missing package or file raises an error naming both.

    Args:
        pkg_resource_defs: (package name, file name) pairs, in merge order.

    Example:
        ```python
        import sys
        from pathlib import Path

        from headwater import config_from_pkg_resources

        Path("my_pipeline").mkdir()
        Path("my_pipeline/__init__.py").write_text("")
        Path("my_pipeline/defaults.yaml").write_text("ops: {load: {config: {limit: 10}}}")
        sys.path.insert(0, ".")
        config = config_from_pkg_resources([("my_pipeline", "defaults.yaml")])
        assert config == {"ops": {"load": {"config": {"limit": 10}}}}
        ```
    """
    from importlib import resources as importlib_resources

    texts = []
    for package, name in pkg_resource_defs:
        try:
            texts.append(importlib_resources.files(package).joinpath(name).read_text("utf-8"))
        except (OSError, ModuleNotFoundError, UnicodeDecodeError) as exc:
            raise HeadwaterInvariantViolationError(
                f"Could not read config resource '{name}' of package '{package}': {exc}"
            ) from exc
    return config_from_yaml_strings(texts)


def _chain(fn: Callable[[Any], Any], inner: ConfigMapping, owner: str) -> Callable[[Any], Any]:
    """`fn` then `inner`: configuring an already configured node (or a graph with a config
    mapping) feeds what `fn` returns, checked against `inner`'s schema, to `inner`; a
    mismatch is reported as config of `owner` (e.g. "graph nightly")."""

    def chained(outer: Any) -> Any:
        return inner.resolve_from_unvalidated_config(fn(outer),
                                                     f"Error in config for {owner}")

    return chained


def required_config(schema: Any) -> bool:
    return config_is_required(schema)


def configured(configurable: Any, config_schema: Any = None, name: str | None = None
               ) -> Callable[[Any], Any]:
    """A copy of an op, graph or resource whose config is fixed, or mapped from a new schema.

    `configured(op_def, name="x")({"limit": 3})`, or as a decorator over
    `fn(outer_config) -> inner_config` with `config_schema=` for the new, outer config.
    A configured op or graph needs no run config of its own (or only the outer config); a
    graph without a config mapping cannot be configured and raises saying so.

    Args:
        configurable: the op, graph or resource definition to configure.
        config_schema: the schema of the new, outer config; None fixes the config.
        name: the name of the copy (needed for two copies of one op in a job); defaults
            to the decorated function's name.

    Example:
        ```python
        from headwater import configured, job, op

        @op(config_schema={"minutes": int})
        def wait(context) -> int:
            return context.op_config["minutes"]

        wait_five = configured(wait, name="wait_five")({"minutes": 5})

        @configured(wait, config_schema={"hours": int})
        def wait_hours(config: dict) -> dict:
            return {"minutes": config["hours"] * 60}

        @job
        def waits():
            wait_five()
            wait_hours()

        result = waits.execute_in_process(
            run_config={"ops": {"wait_hours": {"config": {"hours": 2}}}}
        )
        assert result.output_for_node("wait_five") == 5
        assert result.output_for_node("wait_hours") == 120
        ```
    """

    def decorate(config_or_fn: Any) -> Any:
        fn = config_or_fn if callable(config_or_fn) else (lambda _outer: config_or_fn)
        new_name = name or (config_or_fn.__name__ if inspect.isfunction(config_or_fn) else None)
        if not hasattr(configurable, "input_dict") and hasattr(configurable, "configured"):
            new = configurable.configured(config_or_fn)  # a resource definition
            if config_schema is not None:
                new.config_schema = config_schema
            return new
        is_graph = hasattr(configurable, "invocations")
        existing = configurable.config if is_graph else getattr(configurable, "config_mapping",
                                                                   None)
        if is_graph and existing is None:
            raise HeadwaterInvalidDefinitionError(
                f'graph "{configurable.name}" has no config mapping, so configured() has no '
                "config to fix: its ops take their own config. Give the graph "
                "config=ConfigMapping(...), or configure its ops instead."
            )
        if isinstance(existing, ConfigMapping):
            owner = f"{'graph' if is_graph else 'op'} {new_name or configurable.name}"
            fn = _chain(fn, existing, owner)
        mapping = ConfigMapping(fn, config_schema)
        new = copy.copy(configurable)
        if new_name:
            new.name = new_name
        if is_graph:
            new.config = mapping
        else:
            new.config_mapping = mapping
        return new

    return decorate
