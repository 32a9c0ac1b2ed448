"""Ops: OpDefinition and the @op decorator.

An op is a function with named inputs and outputs. The decorator inspects the
signature once and builds one frozen OpDefinition; `In`/`Out` and the resolved input and
output definitions it builds from them live in `inout.py`. Imports `errors`, `types`,
`metadata`, `policy`, `output`, `inout` and `composition` of this layer, and `config`'s schema and
resource (a `config: str` parameter's schema; bare resource-definition annotations).
"""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Union, get_args, get_origin, get_type_hints

from headwater.definitions import _runtime
from headwater.definitions.config.resource import ResourceDefinition
from headwater.definitions.config.schema import (
    BoolSource,
    Field,
    IntSource,
    Map,
    Noneable,
    StringSource,
    resolve_config_schema,
)
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.metadata.types import HeadwaterType
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.composition import NodeDefinition, take_function_identity
from headwater.definitions.ops.docstrings import docstring, parse_docstring
from headwater.definitions.ops.inout import DynamicOut, In, InputDefinition, Out, OutputDefinition
from headwater.definitions.ops.output import DEFAULT_OUTPUT, NO_VALUE
from headwater.definitions.ops.policy import RetryPolicy
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

CONTEXT_NAMES = ("context", "_context", "context_", "_", "ctx")


@dataclass(frozen=True, slots=True)
class Signature:
    """What the decorator learned from the function's parameters, once."""

    context_arg: str | None
    input_args: tuple[str, ...]
    config_arg: str | None = None
    config_class: Any = None
    # The config schema of a `config` parameter annotated with a plain type (`config: str`).
    config_field: Any = None
    resource_args: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    return_annotation: Any = inspect.Parameter.empty
    var_kwargs: bool = False
    # Every parameter after the context that a positional argument can fill, in order: direct
    # invocation binds positional values to inputs, config and resources alike by position.
    positional: tuple[str, ...] = ()
    # An OpDefinition built directly from a plain function (no decorator) calls it the
    # classic way, `fn(context, inputs)`, with the input values in one dict by name.
    inputs_as_dict: bool = False


def inspect_signature(fn: Callable[..., Any], decorator: str, allow_context: bool = True) -> Signature:
    """Split a function's parameters into context, inputs, config and resources."""
    params = list(inspect.signature(fn).parameters.values())
    try:
        hints = get_type_hints(fn)
        extras = get_type_hints(fn, include_extras=True)  # keeps ResourceParam's Annotated
    except Exception:
        hints = {p.name: p.annotation for p in params if p.annotation is not inspect.Parameter.empty}
        extras = hints
    context_arg = None
    if params and allow_context and _is_context_param(params[0], hints.get(params[0].name)):
        context_arg = params[0].name
        _check_context_annotation(fn, decorator, params[0], hints.get(context_arg))
        params = params[1:]
    inputs: list[str] = []
    resources: dict[str, str] = {}
    config_arg = None
    config_class = None
    config_field = None
    defaults: dict[str, Any] = {}
    var_kwargs = False
    positional = tuple(p.name for p in params if p.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD))
    for param in params:
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            var_kwargs = True
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            if decorator == "@op":
                raise HeadwaterInvalidDefinitionError(
                    f"{decorator} '{getattr(fn, '__name__', fn)}' has positional vararg parameter "
                    f"'*{param.name}': an op's parameters are its context (first) and its inputs "
                    f"by name. Remove '*{param.name}', or take inputs declared in ins= with "
                    "**kwargs.")
            continue
        hint = hints.get(param.name, inspect.Parameter.empty)
        if param.name == "context" or getattr(hint, "__headwater_context__", False):
            raise HeadwaterInvalidDefinitionError(
                f'"{param.name}" is not a valid name in Headwater. It conflicts with a Headwater '
                f"or python reserved keyword. In {decorator} '{fn.__name__}', the context "
                "parameter must come first; rename the input otherwise."
            )
        if getattr(hint, "__headwater_config__", False):
            config_arg, config_class = param.name, hint
            continue
        if param.name == "config" and (
                inferred := _config_param_field(hint, param.default)) is not None:
            config_arg, config_field = param.name, inferred
            continue
        resource_key = _resource_key(param.name, extras.get(param.name, hint))
        if resource_key is None and isinstance(hint, type) and issubclass(hint, ResourceDefinition):
            raise HeadwaterInvalidDefinitionError(
                f"Parameter '{param.name}' of {decorator} '{fn.__name__}' is annotated with the "
                f"resource definition class {hint.__name__}, which does not say what value the "
                "function receives. Annotate it with ResourceParam[<the value's type>] (or "
                "ResourceParam[Any]), or with a ConfigurableResource subclass."
            )
        if resource_key is not None:
            resources[param.name] = resource_key
            continue
        inputs.append(param.name)
        if param.default is not inspect.Parameter.empty:
            defaults[param.name] = param.default
    return Signature(
        context_arg=context_arg,
        input_args=tuple(inputs),
        config_arg=config_arg,
        config_class=config_class,
        config_field=config_field,
        resource_args=resources,
        annotations=hints,
        defaults=defaults,
        return_annotation=hints.get("return", inspect.Parameter.empty),
        var_kwargs=var_kwargs,
        positional=positional,
    )


_CONFIG_SCALARS: dict[Any, Any] = {str: StringSource, int: IntSource, bool: BoolSource,
                                   float: float}


def _config_schema_of(hint: Any) -> Any:
    """The config schema a plain annotation stands for (str -> StringSource, list[int] ->
    [IntSource], dict[str, X] -> Map, Optional[X] -> Noneable), or None if it has none."""
    if hint is Any:
        return Any
    if hint in _CONFIG_SCALARS:
        return _CONFIG_SCALARS[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin is list and len(args) == 1:
        inner = _config_schema_of(args[0])
        return None if inner is None else [inner]
    if origin in (dict, Mapping) and len(args) == 2 and args[0] is str:
        inner = _config_schema_of(args[1])
        return None if inner is None else Map(str, inner)
    if origin is Union or type(hint).__name__ == "UnionType":
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            inner = _config_schema_of(rest[0])
            return None if inner is None else Noneable(inner)
    return None


def _config_param_field(hint: Any, default: Any) -> Field | None:
    """A `config` parameter with a plain annotation is the op's config, as a Config class
    parameter is; its Python default becomes the config default."""
    schema = _config_schema_of(hint)
    if schema is None:
        return None
    if default is inspect.Parameter.empty:
        return Field(schema)
    return Field(schema, default_value=default)


def _check_context_annotation(fn: Callable[..., Any], decorator: str,
                              param: inspect.Parameter, hint: Any) -> None:
    """A `context` parameter is annotated with a context class, or not at all."""
    if hint is None or hint is Any or getattr(hint, "__headwater_context__", False):
        return
    if param.annotation is inspect.Parameter.empty:
        return
    raise HeadwaterInvalidDefinitionError(
        f"{decorator} '{getattr(fn, '__name__', fn)}': the `{param.name}` parameter must be "
        "annotated with AssetExecutionContext, AssetCheckExecutionContext, OpExecutionContext, "
        f"or left blank, not {getattr(hint, '__name__', hint)!s}.")


def _is_context_param(param: inspect.Parameter, hint: Any) -> bool:
    if getattr(hint, "__headwater_context__", False):
        return True
    return param.name in CONTEXT_NAMES and not getattr(hint, "__headwater_config__", False)


def _resource_key(name: str, hint: Any) -> str | None:
    """Parameters annotated with a resource type are resources, not inputs (see resource.py)."""
    if getattr(hint, "__headwater_resource__", False):
        return name
    if getattr(hint, "__metadata__", None) and any(
        getattr(m, "__headwater_resource_param__", False) for m in hint.__metadata__
    ):
        return name
    return None


def _input_type(spec: In | None, hint: Any) -> HeadwaterType:
    if spec is not None and spec.headwater_type is not NO_VALUE:
        return resolve_headwater_type(spec.headwater_type)
    if hint is inspect.Parameter.empty or hint is None:
        return resolve_headwater_type(Any)
    return resolve_headwater_type(hint)


def _described_from_docstring(fn: Callable[..., Any], input_defs: Mapping[str, Any],
                              output_defs: Mapping[str, Any]) -> tuple[dict, dict]:
    args, returns = parse_docstring(fn)
    inputs = {name: replace(d, description=args[name])
              if d.description is None and args.get(name) else d for name, d in input_defs.items()}
    outputs = dict(output_defs)
    if returns and len(outputs) == 1:
        (name, d), = outputs.items()
        if d.description is None:
            outputs[name] = replace(d, description=returns)
    return inputs, outputs


def build_input_defs(
    fn_name: str,
    sig: Signature,
    ins: Mapping[str, In] | None,
    decorator: str,
) -> dict[str, InputDefinition]:
    """Inputs from the signature, typed by `ins` or annotations; Nothing-typed `ins` extra."""
    ins = dict(ins or {})
    result: dict[str, InputDefinition] = {}
    for name in sig.input_args:
        spec = ins.pop(name, None)
        default = sig.defaults.get(name, NO_VALUE)
        if spec is not None and spec.default_value is not NO_VALUE:
            default = spec.default_value
        result[name] = _input_def(name, spec, sig.annotations.get(name, inspect.Parameter.empty), default)
        if decorator == "@op" and result[name].headwater_type.is_nothing:
            raise HeadwaterInvalidDefinitionError(
                f"{decorator} '{fn_name}': parameter '{name}' is annotated with Nothing (or "
                "typed Nothing), which should not be included since no data will be passed for "
                "it. Nothing inputs must be used via In() and no parameter should be included in "
                f"the @op decorated function: keep ins={{'{name}': In(Nothing)}} and remove the "
                "parameter."
            )
    for name, spec in ins.items():
        _check_input_name(fn_name, name, decorator)
        htype = _input_type(spec, inspect.Parameter.empty)
        if not htype.is_nothing and not sig.var_kwargs:
            raise HeadwaterInvalidDefinitionError(
                f"{decorator} '{fn_name}' declares input '{name}' in ins=, but the function has no "
                f"parameter '{name}'. Add the parameter, or type the input In(Nothing) if it only "
                "orders execution."
            )
        result[name] = _input_def(name, spec, inspect.Parameter.empty, spec.default_value)
    return result


def _check_input_name(fn_name: str, name: str, decorator: str) -> None:
    if name == "context":
        raise HeadwaterInvalidDefinitionError(
            f'"context" is not a valid name for an input of {decorator} \'{fn_name}\': the '
            "context is passed to the function by position, not as an input. Rename the input."
        )


def _classic_signature(fn: Callable[..., Any], ins: Mapping[str, In] | None) -> Signature:
    """The signature of a function handed to OpDefinition directly: `fn(context, inputs)`."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    first = params[0].name if params and params[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD) else "context"
    return Signature(context_arg=first, input_args=tuple(ins or ()), inputs_as_dict=True)


_SCALAR_DEFAULTS = {"Int": int, "String": str, "Float": (int, float), "Bool": bool}


def _check_default(name: str, htype: HeadwaterType, default: Any) -> None:
    """Scalar defaults are checked now; other types need a run (their checks use context)."""
    if default is NO_VALUE:
        return
    if htype.is_nothing:
        raise HeadwaterInvalidDefinitionError(
            f"Input '{name}' is of type Nothing, which carries no value, so it cannot have a "
            "default_value. Remove default_value."
        )
    expected = _SCALAR_DEFAULTS.get(htype.display_name)
    if expected is not None and (not isinstance(default, expected) or (  # type: ignore[arg-type]
            isinstance(default, bool) and htype.display_name != "Bool")):
        raise HeadwaterInvalidDefinitionError(
            f"Type check failed for the default_value of InputDefinition {name} of type "
            f"{htype.display_name}: got {default!r}. Pass a default of that type."
        )


def _input_def(name: str, spec: In | None, hint: Any, default: Any) -> InputDefinition:
    _check_default(name, _input_type(spec, hint), default)
    return InputDefinition(
        name=name,
        headwater_type=_input_type(spec, hint),
        description=spec.description if spec else None,
        default_value=default,
        metadata=spec.metadata if spec else {},
        asset_key=spec.asset_key if spec else None,
        input_manager_key=spec.input_manager_key if spec else None,
    )


def build_output_defs(
    out: Out | Mapping[str, Out] | None,
    return_annotation: Any,
    fn_name: str = "",
    code_version: str | None = None,
) -> dict[str, OutputDefinition]:
    """Outputs from `out`, typed by it or else by the return annotation (one entry of a
    tuple annotation per output when there are several); `code_version` is the op's, which
    outputs without their own take."""
    if out is None:
        out = Out()
    if isinstance(out, Out):
        return {DEFAULT_OUTPUT: output_def(DEFAULT_OUTPUT, out, return_annotation, code_version,
                                           fn_name)}
    for name, spec in out.items():
        if not isinstance(spec, Out):
            raise HeadwaterInvalidDefinitionError(
                f"op '{fn_name}': out['{name}'] must be an Out(...), got {type(spec).__name__}."
            )
    annotations = _annotations_per_output(fn_name, list(out), return_annotation)
    return {name: output_def(name, spec, annotations.get(name, inspect.Parameter.empty),
                             code_version, fn_name)
            for name, spec in out.items()}


def _annotations_per_output(fn_name: str, names: list[str], annotation: Any) -> dict[str, Any]:
    """Each output's part of the return annotation: all of it for one output, the matching
    entry of a tuple annotation for several."""
    if annotation is inspect.Parameter.empty or annotation is Any or annotation is None \
            or annotation is type(None):
        return {}
    if len(names) == 1:
        return {names[0]: annotation}
    if _annotation_name(annotation) in _STREAM_ANNOTATIONS:
        return {}  # a generator's annotation says how it yields, not what each output is
    args = get_args(annotation)
    if get_origin(annotation) is not tuple:
        raise HeadwaterInvariantViolationError(
            f"op '{fn_name}' has {len(names)} outputs ({', '.join(names)}), so its return "
            f"annotation must be a tuple with one entry per output; got {annotation!r}. Annotate "
            f"it as tuple[...] with {len(names)} entries, or drop the annotation.")
    if not args or Ellipsis in args:
        return {}
    if len(args) != len(names):
        raise HeadwaterInvariantViolationError(
            f"op '{fn_name}': its return annotation is a tuple of {len(args)} entries, but it "
            f"has {len(names)} outputs ({', '.join(names)}). Give the tuple one entry per output.")
    return dict(zip(names, args))


_STREAM_ANNOTATIONS = {"Iterator", "Generator", "Iterable", "AsyncIterator", "AsyncGenerator",
                       "AsyncIterable"}


def _annotation_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    target = origin if origin is not None else annotation
    return getattr(target, "__name__", "") or getattr(target, "_name", "") or ""


def _value_annotation(annotation: Any, fn_name: str, name: str) -> tuple[Any, bool]:
    """The type an output annotation gives the value, and whether it makes the output
    dynamic: `Output[T]` is T; `list[DynamicOutput[T]]` is a dynamic output of T."""
    origin, args = get_origin(annotation), get_args(annotation)
    if _annotation_name(annotation) == "DynamicOutput":
        raise HeadwaterInvariantViolationError(
            f"op '{fn_name}': output '{name}' is annotated with DynamicOutput, but an op returns "
            "its dynamic outputs as a list: annotate it list[DynamicOutput[...]] (or, for a "
            "single value, use Output).")
    if origin is list and len(args) == 1 and _annotation_name(args[0]) == "DynamicOutput":
        inner = get_args(args[0])
        return (inner[0] if inner else inspect.Parameter.empty), True
    if _annotation_name(annotation) == "Output" and not isinstance(annotation, HeadwaterType):
        return (args[0] if args else inspect.Parameter.empty), False
    return annotation, False


def output_def(name: str, spec: Out, annotation: Any, code_version: str | None = None,
               fn_name: str = "") -> OutputDefinition:
    dynamic = False
    if annotation is not inspect.Parameter.empty and fn_name:
        annotation, dynamic = _value_annotation(annotation, fn_name, name)
    if spec.headwater_type is not NO_VALUE:
        htype = resolve_headwater_type(spec.headwater_type)
    elif (value_type := _result_value_type(annotation)) is not None:
        htype = resolve_headwater_type(value_type)
    elif annotation is inspect.Parameter.empty or _is_result_annotation(annotation):
        htype = resolve_headwater_type(Any)
    else:
        htype = resolve_headwater_type(annotation)
    return OutputDefinition(
        name=name,
        headwater_type=htype,
        description=spec.description,
        is_required=spec.is_required,
        io_manager_key=spec.io_manager_key or "io_manager",
        metadata=spec.metadata,
        is_dynamic=spec.is_dynamic or dynamic,
        code_version=spec.code_version or code_version,
    )


def _result_value_type(annotation: Any) -> Any:
    """T of `-> MaterializeResult[T]`: the type of the value the result carries."""
    origin = get_origin(annotation)
    if getattr(origin, "__name__", "") == "MaterializeResult" and len(get_args(annotation)) == 1:
        return get_args(annotation)[0]
    return None


def _is_result_annotation(annotation: Any) -> bool:
    """`-> Output[int]`, `-> MaterializeResult` and iterators do not type the value."""
    name = getattr(annotation, "__name__", "") or getattr(getattr(annotation, "__origin__", None), "__name__", "")
    return name in {"Output", "MaterializeResult", "ObserveResult", "Iterator", "Generator",
                    "Iterable", "DynamicOutput", "tuple", "Tuple"} and not isinstance(annotation, HeadwaterType)


class OpDefinition(NodeDefinition):
    """A unit of work with named, typed inputs and outputs: what `@op` builds.

    Call it inside a `@graph` or `@job` body to place it, or directly with its inputs (and a
    context from `build_op_context` if it takes one) to test it. Build one directly to make ops
    programmatically: given `ins`, the function is called as `fn(context, inputs)` with the input
    values in one dict by name; given `input_defs`, it takes its inputs as keyword parameters, as
    under `@op`.

    Args:
        compute_fn: the function that does the work.
        name: the op's name; the function's name by default.
        ins: `In` per input name.
        outs: `Out` per output name; one `"result"` output by default.
        description: shown in the UI; the function's docstring by default.
        config_schema: the op's config schema, read as `context.op_config`.
        required_resource_keys: resources reached through `context.resources`.
        tags: tags of the op; executors may read them.
        retry_policy: how to retry the op when it fails.
        code_version: the version of the op's logic, for data versions.
        pool: the concurrency pool whose limit the op's steps count against.
        input_defs: the inputs as `InputDefinition`s by name, instead of `ins`.
        output_defs: the outputs as `OutputDefinition`s by name, instead of `outs`.
        signature: what `@op` learned from the function's parameters; set by the decorator.

    Example:
        ```python
        from headwater import In, OpDefinition, Out, job

        def add(context, inputs):
            return inputs["a"] + inputs["b"]

        adder = OpDefinition(add, name="adder", ins={"a": In(int, default_value=1),
                                                      "b": In(int, default_value=2)},
                             outs={"result": Out(int)})

        @job
        def adding():
            adder()

        assert adding.execute_in_process().output_for_node("adder") == 3
        ```
    """

    node_kind = "op"

    def __init__(
        self,
        compute_fn: Callable[..., Any],
        name: str | None = None,
        ins: Mapping[str, In] | None = None,
        outs: Mapping[str, Out] | None = None,
        description: str | None = None,
        config_schema: Any = None,
        required_resource_keys: Sequence[str] | None = None,
        tags: Mapping[str, Any] | None = None,
        retry_policy: RetryPolicy | None = None,
        code_version: str | None = None,
        pool: str | None = None,
        *,
        input_defs: Mapping[str, InputDefinition] | None = None,
        output_defs: Mapping[str, OutputDefinition] | None = None,
        signature: Signature | None = None,
    ):
        name = name or compute_fn.__name__
        _check_name(name, "op")
        if signature is None and input_defs is None:
            signature = _classic_signature(compute_fn, ins)
            for input_name in ins or ():
                _check_input_name(name, input_name, "OpDefinition")
            input_defs = {n: _input_def(n, spec, inspect.Parameter.empty, spec.default_value)
                          for n, spec in (ins or {}).items()}
        sig = signature or inspect_signature(compute_fn, "@op")
        if input_defs is None:
            input_defs = build_input_defs(name, sig, ins, "@op")
            # Inputs declared in ins= come first, then those inferred from the signature.
            input_defs = {**{k: input_defs[k] for k in ins or () if k in input_defs}, **input_defs}
        if output_defs is None:
            output_defs = build_output_defs(
                dict(outs) if outs is not None else None, sig.return_annotation, name
            )
        input_defs, output_defs = _described_from_docstring(compute_fn, input_defs, output_defs)
        super().__init__(name=name, description=description or docstring(compute_fn),
                         tags=dict(tags or {}))
        self.compute_fn = compute_fn
        self.input_dict = dict(input_defs)
        # An output without a code version of its own has the op's.
        self.output_dict = {n: replace(d, code_version=code_version)
                            if d.code_version is None and code_version else d
                            for n, d in output_defs.items()}
        self.signature = sig
        if config_schema is not None:
            resolve_config_schema(config_schema)  # malformed schemas fail where they are declared
        self.config_schema = config_schema if config_schema is not None else sig.config_field
        self.required_resource_keys = frozenset(required_resource_keys or ()) | frozenset(
            sig.resource_args.values()
        )
        self.retry_policy = retry_policy
        self.code_version = code_version
        _check_pool(name, pool)
        self.pool = pool
        _check_tags(name, self.tags)
        self.is_generator = inspect.isgeneratorfunction(compute_fn) or inspect.isasyncgenfunction(compute_fn)
        self.is_async = inspect.iscoroutinefunction(compute_fn) or inspect.isasyncgenfunction(compute_fn)
        if config_schema is not None and sig.config_arg is not None:
            raise HeadwaterInvalidDefinitionError(
                f"op '{name}' has both config_schema= and a Config parameter "
                f"'{sig.config_arg}'; use one of them."
            )

    # Dagster's public spellings
    @property
    def ins(self) -> dict[str, In]:
        return {
            n: In(d.headwater_type, d.description, d.default_value, d.metadata, d.asset_key,
                  input_manager_key=d.input_manager_key)
            for n, d in self.input_dict.items()
        }

    @property
    def outs(self) -> dict[str, Out]:
        result: dict[str, Out] = {}
        for n, d in self.output_dict.items():
            cls = DynamicOut if d.is_dynamic else Out
            result[n] = cls(d.headwater_type, d.description, d.is_required, d.io_manager_key,
                            d.metadata, d.code_version)
        return result

    @property
    def positional_inputs(self) -> list[str]:
        return list(self.signature.input_args)

    @property
    def has_config_arg(self) -> bool:
        return self.signature.config_arg is not None

    @property
    def config_field(self) -> Any:
        return self.config_schema

    def input_def_named(self, name: str) -> InputDefinition:
        return self.input_dict[name]

    def output_def_named(self, name: str) -> OutputDefinition:
        return self.output_dict[name]

    def with_replaced_properties(self, **kwargs: Any) -> OpDefinition:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for key, value in kwargs.items():
            setattr(new, key, value)
        return new

    @property
    def version(self) -> str | None:
        """The older name of `code_version`."""
        return self.code_version

    def direct_invoke(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _runtime.engine().invoke_directly(self, args, kwargs)

    def __repr__(self) -> str:
        return f"OpDefinition(name={self.name!r})"


def _check_pool(op_name: str, pool: str | None) -> None:
    if pool is not None and (not pool or any(c.isspace() for c in pool)):
        raise HeadwaterInvalidDefinitionError(
            f"op '{op_name}' has pool {pool!r}, which is not a valid pool name: pool names "
            "cannot be empty or contain whitespace. Use e.g. 'foo_bar' or 'foo/bar'."
        )


def _check_tags(op_name: str, tags: Mapping[str, Any]) -> None:
    """Tag values that are not strings are stored as JSON, so they must survive the trip."""
    for key, value in tags.items():
        if isinstance(value, str):
            continue
        try:
            encoded = json.dumps(value)
        except (TypeError, ValueError):
            raise HeadwaterInvalidDefinitionError(
                f"Could not JSON encode value {value!r} of tag '{key}' on op '{op_name}': tag "
                "values are strings, or JSON-serializable values stored as JSON."
            ) from None
        if json.loads(encoded) != value:
            raise HeadwaterInvalidDefinitionError(
                f'Tag \'{key}\' on op \'{op_name}\': JSON encoding "{encoded}" of value '
                f'"{value!r}" is not equivalent to original value, so the tag would change when '
                "stored. Use a list instead of a tuple, string keys in dicts, and so on."
            )


def _check_name(name: str, what: str) -> None:
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise HeadwaterInvalidDefinitionError(
            f"{what} name {name!r} is invalid: use letters, digits and underscores "
            "(it becomes part of step keys)."
        )


def op(
    compute_fn: Callable[..., Any] | str | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, In] | None = None,
    out: Out | Mapping[str, Out] | None = None,
    config_schema: Any = None,
    required_resource_keys: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    retry_policy: RetryPolicy | None = None,
    code_version: str | None = None,
    pool: str | None = None,
    version: str | None = None,
) -> Any:
    """Declare an op: a function that becomes one step of a graph or job (an `OpDefinition`).

    `context` gets the context, a `Config`-annotated parameter the config, a parameter typed
    as a resource that resource; the other parameters are inputs.

    Args:
        compute_fn: the function, when used bare; a string here is taken as `name`.
        name: the op's name; defaults to the function's name.
        description: shown in the UI; defaults to the function's docstring.
        ins: `In` per input name, to add types, descriptions or defaults.
        out: one `Out`, or a dict of `Out` per output name for several outputs.
        config_schema: a config schema, for ops that take config without a `Config` class.
        required_resource_keys: resources reached through `context.resources`.
        tags: string tags shown with the op; executors may read them.
        retry_policy: how to retry the op when it fails (`RetryPolicy`).
        code_version: the version of the op's logic, for data versions.
        pool: the concurrency pool whose limit this op's steps count against.
        version: deprecated name of `code_version` (warns).

    Example:
        ```python
        from headwater import Out, job, op

        @op(out=Out(int))
        def forty_one() -> int:
            return 41

        @op
        def add_one(n: int) -> int:
            return n + 1

        @job
        def answer():
            add_one(forty_one())

        result = answer.execute_in_process()
        assert result.output_for_node("add_one") == 42
        ```
    """
    if isinstance(compute_fn, str):
        name, compute_fn = compute_fn, None
    if version is not None:
        warnings.warn("@op(version=...) is deprecated: use code_version=... instead.",
                      DeprecationWarning, stacklevel=2)
        code_version = code_version or version

    def decorate(fn: Callable[..., Any]) -> OpDefinition:
        sig = inspect_signature(fn, "@op")
        outs = build_output_defs(out, sig.return_annotation, name or fn.__name__, code_version)
        return take_function_identity(OpDefinition(
            fn,
            name=name,
            ins=ins,
            description=description,
            config_schema=config_schema,
            required_resource_keys=required_resource_keys,
            tags=tags,
            retry_policy=retry_policy,
            code_version=code_version,
            pool=pool,
            output_defs=outs,
            signature=sig,
        ), fn)

    if callable(compute_fn):
        return decorate(compute_fn)
    return decorate


def normalized_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    return normalize_metadata(metadata, allow_invalid=True) if metadata else {}


__all__ = ["OpDefinition", "op", "replace"]
