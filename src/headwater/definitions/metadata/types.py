"""The runtime type system: HeadwaterType, TypeCheck and the built-in types.

Owns `HeadwaterType` and its built-in kinds, `TypeCheck`, the `TypeCheckContext`
handed to type-check functions, the registry of Python classes usable as headwater
types, and the config loaders of input values (`headwater_type_loader`). The composite
types and `resolve_headwater_type`, which turns annotations and `headwater_type=`
arguments into a HeadwaterType, are in `annotation.py`.

As in Dagster, the public names `Any`, `Bool`, `Int`, `Float`, `String` and
`Nothing` are the Python objects `typing.Any`, `bool`, `int`, `float`, `str`
and `NoneType`; `resolve_headwater_type` maps them to the built-in types.

Imports only the stdlib, `headwater.errors` and `headwater.definitions.metadata.value`.
"""

from __future__ import annotations

import inspect
import reprlib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from headwater.definitions.keywords import check_keywords, keyword_names
from headwater.definitions.metadata.value import MetadataValue, normalize_metadata
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

__all__ = [
    "Any",
    "Bool",
    "Float",
    "HeadwaterType",
    "HeadwaterTypeKind",
    "Int",
    "Nothing",
    "PythonObjectHeadwaterType",
    "String",
    "TypeCheck",
    "TypeCheckContext",
    "make_python_type_usable_as_headwater_type",
    "usable_as_headwater_type",
]

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


def describe_value(value: object) -> str:
    return f"{_short.repr(value)} of type {type(value).__name__}"


def must_be(value: object, label: str) -> str:
    shown = str(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f'Value "{shown}" of python type "{type(value).__name__}" must be {label}.'


@dataclass(frozen=True, slots=True)
class TypeCheck:
    """The outcome of a type check: success, a description, and metadata shown in the UI.

    A HeadwaterType's check function returns one (or a plain bool). A failed check on an
    output fails the step with HeadwaterTypeCheckDidNotPass carrying the description.

    Args:
        success: whether the value passed; anything but a bool raises.
        description: what was found, shown with the result.
        metadata: extra facts about the value (plain values are converted).

    Example:
        ```python
        from headwater import HeadwaterType, TypeCheck, check_headwater_type

        def non_empty(context, value) -> TypeCheck:
            return TypeCheck(success=len(value) > 0, description=f"{len(value)} rows",
                             metadata={"row_count": len(value)})

        Rows = HeadwaterType(type_check_fn=non_empty, name="NonEmptyRows")
        result = check_headwater_type(Rows, [])
        assert not result.success and result.metadata["row_count"].value == 0
        ```
    """

    success: bool
    description: str | None = None
    metadata: dict[str, MetadataValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.success, bool):
            raise HeadwaterInvariantViolationError(
                f"TypeCheck(success=...) must be True or False, got {describe_value(self.success)}."
            )
        object.__setattr__(self, "metadata", normalize_metadata(self.metadata))


@dataclass(frozen=True, slots=True)
class TypeCheckContext:
    """What a type_check_fn receives as `context`; the execution layer fills it in.

    Build one directly only to call a check function in a test (`check_headwater_type`
    builds one for you).

    Args:
        log: the run's logger.
        resources: the run's resources (those the type's `required_resource_keys` name).
        run_id: the run's id.

    Example:
        ```python
        import logging

        from headwater import HeadwaterType, TypeCheckContext

        def logged_check(context, value) -> bool:
            context.log.info("checking %r", value)
            return value is not None

        NotNone = HeadwaterType(type_check_fn=logged_check, name="NotNone")
        context = TypeCheckContext(log=logging.getLogger("test"), run_id="test-run")
        assert NotNone.type_check(context, 1).success
        ```
    """

    log: typing.Any = None
    resources: typing.Any = None
    run_id: str | None = None


class HeadwaterTypeKind(Enum):
    ANY = "ANY"
    SCALAR = "SCALAR"
    LIST = "LIST"
    NOTHING = "NOTHING"
    NULLABLE = "NULLABLE"
    REGULAR = "REGULAR"


TypeCheckFn = Callable[[typing.Any, typing.Any], "bool | TypeCheck"]


def _check_fn_arity(fn: typing.Any, type_name: str) -> None:
    if not callable(fn):
        raise HeadwaterInvalidDefinitionError(
            f'type_check_fn of HeadwaterType "{type_name}" must be a function '
            f"(context, value) -> bool | TypeCheck, got {describe_value(fn)}."
        )
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # some builtins have no signature; trust them
        return
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if len(required) > 2 or len(positional) < 2:
        raise HeadwaterInvalidDefinitionError(
            f'type_check_fn of HeadwaterType "{type_name}" must take 2 arguments '
            f"(context, value), but it takes {len(positional)}: "
            f"({', '.join(p.name for p in positional)})."
        )


class HeadwaterType:
    """A runtime type: a name and a function that checks a value.

    ``HeadwaterType(type_check_fn=lambda context, value: value > 0, name="Positive")``.
    Types compare and hash by ``key`` (which defaults to ``name``, and vice versa). Give one
    to `Out(...)`, `In(...)` or `@asset(headwater_type=...)`: every value passing through
    is checked, and a failure stops the step with HeadwaterTypeCheckDidNotPass. Python
    annotations resolve to types too (`int` to Int, a class to an isinstance check).
    Missing both key and name, or a check function not taking (context, value), raises
    HeadwaterInvalidDefinitionError.

    Args:
        type_check_fn: `fn(context, value) -> bool | TypeCheck`; context is a
            TypeCheckContext.
        key: a unique identifier; defaults to `name`.
        name: the name shown in the UI and errors; defaults to `key`.
        is_builtin: marks headwater's own types; leave False.
        description: shown in the UI.
        loader: a HeadwaterTypeLoader that builds an unconnected input from run config.
        required_resource_keys: resources the check function reads.
        kind: the HeadwaterTypeKind; REGULAR for user types.
        typing_type: the Python type static checkers see.
        metadata: facts about the type, shown in the UI.

    Example:
        ```python
        from headwater import HeadwaterType, Out, TypeCheck, job, op

        def is_positive(context, value) -> TypeCheck:
            return TypeCheck(success=value > 0, description=f"got {value}")

        Positive = HeadwaterType(type_check_fn=is_positive, name="Positive")

        @op(out=Out(Positive))
        def balance() -> int:
            return -5

        @job
        def accounts():
            balance()

        result = accounts.execute_in_process(raise_on_error=False)
        assert not result.success
        ```
    """

    def __init__(
        self,
        type_check_fn: TypeCheckFn,
        key: str | None = None,
        name: str | None = None,
        is_builtin: bool = False,
        description: str | None = None,
        loader: typing.Any = None,
        required_resource_keys: typing.AbstractSet[str] | None = None,
        kind: HeadwaterTypeKind = HeadwaterTypeKind.REGULAR,
        typing_type: typing.Any = typing.Any,
        metadata: Mapping[str, typing.Any] | None = None,
    ):
        if key is None and name is None:
            raise HeadwaterInvalidDefinitionError(
                "A HeadwaterType needs a name: HeadwaterType(type_check_fn, name='MyType')."
            )
        self.key: str = key if key is not None else typing.cast(str, name)
        self._name = name if name is not None else key
        _check_fn_arity(type_check_fn, self._name or self.key)
        self._type_check_fn = type_check_fn
        self.is_builtin = is_builtin
        self.description = description
        self.loader = loader
        self.required_resource_keys: frozenset[str] = frozenset(required_resource_keys or ())
        self.kind = kind
        self.typing_type = typing_type
        self.metadata = normalize_metadata(metadata, owner=f"HeadwaterType '{self._name}'")

    # -- naming ------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self._name

    @property
    def display_name(self) -> str:
        return self._name or self.key

    @property
    def has_unique_name(self) -> bool:
        return self._name is not None

    @property
    def unique_name(self) -> str:
        if self._name is None:
            raise HeadwaterInvariantViolationError(
                f"HeadwaterType {self.display_name} has no unique name; it is built from "
                "other types. Use .key or .display_name."
            )
        return self._name

    # -- kinds -------------------------------------------------------------
    @property
    def is_any(self) -> bool:
        return self.kind is HeadwaterTypeKind.ANY

    @property
    def is_nothing(self) -> bool:
        return self.kind is HeadwaterTypeKind.NOTHING

    @property
    def supports_fan_in(self) -> bool:
        return False

    def get_inner_type_for_fan_in(self) -> HeadwaterType:
        raise HeadwaterInvariantViolationError(
            f"HeadwaterType {self.display_name} does not support fan-in; use a List type."
        )

    @property
    def inner_types(self) -> list[HeadwaterType]:
        return []

    @property
    def type_param_keys(self) -> list[str]:
        return []

    # -- checking ----------------------------------------------------------
    def type_check(self, context: typing.Any, value: typing.Any) -> TypeCheck:
        """Run the check; a bool result becomes TypeCheck(success=result)."""
        result = self._type_check_fn(context, value)
        if isinstance(result, TypeCheck):
            return result
        if isinstance(result, bool):
            return TypeCheck(success=result)
        raise HeadwaterInvariantViolationError(
            f"You have returned {result!r} of type {type(result)} from the type check function "
            f'of type "{self.display_name}". Return value must be instance of TypeCheck or a '
            "bool."
        )

    # -- identity ----------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, HeadwaterType) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.display_name!r})"


# --------------------------------------------------------------------------- built-ins


class _BuiltinType(HeadwaterType):
    """Any, Nothing, Bool, Int, Float, String; Any and Nothing can be fanned in."""

    @property
    def supports_fan_in(self) -> bool:
        return self.kind in (HeadwaterTypeKind.ANY, HeadwaterTypeKind.NOTHING)

    def get_inner_type_for_fan_in(self) -> HeadwaterType:
        return self if self.supports_fan_in else super().get_inner_type_for_fan_in()

    def __repr__(self) -> str:
        return self.display_name


def _scalar(name: str, py: type, label: str, accepts: Callable[[object], bool]) -> HeadwaterType:
    def check(_context: typing.Any, value: typing.Any) -> TypeCheck:
        if accepts(value):
            return TypeCheck(True)
        return TypeCheck(False, must_be(value, label))

    return _BuiltinType(
        check, key=name, name=name, is_builtin=True, kind=HeadwaterTypeKind.SCALAR, typing_type=py
    )


def _check_nothing(_context: typing.Any, value: typing.Any) -> TypeCheck:
    if value is None:
        return TypeCheck(True)
    return TypeCheck(
        False,
        f"Nothing carries no value, but got {describe_value(value)}. Return None, or give the "
        "output a type that carries data.",
    )


ANY_TYPE = _BuiltinType(
    lambda _c, _v: True, key="Any", name="Any", is_builtin=True, kind=HeadwaterTypeKind.ANY
)
_NOTHING = _BuiltinType(
    _check_nothing,
    key="Nothing",
    name="Nothing",
    is_builtin=True,
    kind=HeadwaterTypeKind.NOTHING,
    typing_type=type(None),
)
_BOOL = _scalar("Bool", bool, "a bool", lambda v: isinstance(v, bool))
# Int accepts True/False because bool is an int subclass; Float refuses ints (as Dagster does).
_INT = _scalar("Int", int, "a int", lambda v: isinstance(v, int))
_FLOAT = _scalar("Float", float, "a float", lambda v: isinstance(v, float))
_STRING = _scalar("String", str, "a string", lambda v: isinstance(v, str))

Any = typing.Any
Bool = bool
Int = int
Float = float
String = str
Nothing = type(None)

BUILTIN_TYPES: dict[typing.Any, HeadwaterType] = {
    typing.Any: ANY_TYPE,
    bool: _BOOL,
    int: _INT,
    float: _FLOAT,
    str: _STRING,
    type(None): _NOTHING,
    None: _NOTHING,
}


# --------------------------------------------------------------------------- python objects


def _python_type_label(python_type: type | tuple[type, ...]) -> str:
    if isinstance(python_type, tuple):
        return "Union[" + ", ".join(t.__name__ for t in python_type) + "]"
    return python_type.__name__


def qualified_name(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


class PythonObjectHeadwaterType(HeadwaterType):
    """A type that checks ``isinstance(value, python_type)``; python_type may be a tuple.

    What a plain class annotation resolves to; build one yourself to give the type another
    name, a description or a loader. A failure names the expected and the actual class.
    Something other than a class or a tuple of classes raises.

    Args:
        python_type: the class, or a tuple of classes.
        key: a unique identifier; defaults to `name`.
        name: the name shown in the UI; defaults to the class name.
        **kwargs: the other arguments of HeadwaterType (description, loader, metadata, ...).

    Example:
        ```python
        from decimal import Decimal

        from headwater import PythonObjectHeadwaterType, check_headwater_type

        Money = PythonObjectHeadwaterType(Decimal, name="Money", description="an exact amount")
        assert check_headwater_type(Money, Decimal("9.99")).success
        print(check_headwater_type(Money, 9.99).description)
        ```
    """

    def __init__(
        self,
        python_type: type | tuple[type, ...],
        key: str | None = None,
        name: str | None = None,
        **kwargs: typing.Any,
    ):
        check_keywords("PythonObjectHeadwaterType", kwargs, keyword_names(HeadwaterType.__init__))
        classes = python_type if isinstance(python_type, tuple) else (python_type,)
        if not classes or not all(isinstance(c, type) for c in classes):
            raise HeadwaterInvalidDefinitionError(
                f"PythonObjectHeadwaterType needs a class or a tuple of classes, got "
                f"{python_type!r}. For typing forms such as list[int], use the type itself "
                "as headwater_type (it is resolved automatically)."
            )
        self.python_type = python_type
        label = _python_type_label(python_type)
        name = name if name is not None else label
        expected = (
            " or ".join(qualified_name(c) for c in classes)
            if len(classes) > 1
            else qualified_name(classes[0])
        )

        def check(_context: typing.Any, value: typing.Any) -> TypeCheck:
            if isinstance(value, python_type):
                return TypeCheck(True)
            return TypeCheck(
                False,
                f'HeadwaterType "{name}" expects an instance of {expected}, got a value of '
                f"type {qualified_name(type(value))}.",
            )

        if len(classes) > 1:
            typing_type: typing.Any = typing.Union[classes]  # noqa: UP007
        else:
            typing_type = classes[0]
        kwargs.setdefault("typing_type", typing_type)
        super().__init__(check, key=key if key is not None else name, name=name, **kwargs)

    def __repr__(self) -> str:
        return f"PythonObjectHeadwaterType({_python_type_label(self.python_type)}, name={self.display_name!r})"


PYTHON_DICT = PythonObjectHeadwaterType(
    dict, key="PythonDict", name="dict", description="A Python dict."
)
PYTHON_SET = PythonObjectHeadwaterType(set, key="PythonSet", name="set", description="A Python set.")
PYTHON_TUPLE = PythonObjectHeadwaterType(
    tuple, key="PythonTuple", name="tuple", description="A Python tuple."
)

REGISTERED_TYPES: dict[type, HeadwaterType] = {}
INFERRED_TYPES: dict[type, HeadwaterType] = {}


def make_python_type_usable_as_headwater_type(
    python_type: type, headwater_type: HeadwaterType
) -> None:
    """Make annotations of ``python_type`` resolve to ``headwater_type``.

    For a class you do not own (a library's), where `@usable_as_headwater_type` cannot be
    applied. A class maps to one type: mapping it to a second one raises
    HeadwaterInvalidDefinitionError.

    Args:
        python_type: the class annotations name.
        headwater_type: the HeadwaterType they stand for.

    Example:
        ```python
        from fractions import Fraction

        from headwater import (
            PythonObjectHeadwaterType, check_headwater_type,
            make_python_type_usable_as_headwater_type,
        )

        Ratio = PythonObjectHeadwaterType(Fraction, name="Ratio")
        make_python_type_usable_as_headwater_type(Fraction, Ratio)
        assert check_headwater_type(Fraction, Fraction(1, 3)).success
        assert not check_headwater_type(Fraction, 0.33).success
        ```
    """
    if not isinstance(python_type, type):
        raise HeadwaterInvalidDefinitionError(
            f"make_python_type_usable_as_headwater_type needs a class, got {python_type!r}."
        )
    if not isinstance(headwater_type, HeadwaterType):
        raise HeadwaterInvalidDefinitionError(
            f"make_python_type_usable_as_headwater_type needs a HeadwaterType, got "
            f"{headwater_type!r}."
        )
    existing = REGISTERED_TYPES.get(python_type)
    if existing is not None and existing != headwater_type:
        raise HeadwaterInvalidDefinitionError(
            f"{qualified_name(python_type)} is already usable as HeadwaterType "
            f'"{existing.display_name}"; it cannot also map to "{headwater_type.display_name}". '
            "A Python class maps to one HeadwaterType; pass headwater_type= explicitly instead."
        )
    REGISTERED_TYPES[python_type] = headwater_type


_T = typing.TypeVar("_T", bound=type)


@typing.overload
def usable_as_headwater_type(name: _T) -> _T: ...


@typing.overload
def usable_as_headwater_type(
    name: str | None = None, description: str | None = None, loader: typing.Any = None
) -> Callable[[_T], _T]: ...


def usable_as_headwater_type(
    name: typing.Any = None, description: str | None = None, loader: typing.Any = None
) -> typing.Any:
    """Class decorator: annotations of the class resolve to an isinstance-checking type.

    Use bare (``@usable_as_headwater_type``) or with ``name=``, ``description=``, ``loader=``.
    Outputs and inputs annotated with the class then carry that named type (a
    PythonObjectHeadwaterType) in the UI and in type-check failures.

    Args:
        name: the type's name (default: the class name); the class itself when used bare.
        description: shown in the UI.
        loader: a HeadwaterTypeLoader for inputs given in run config.

    Example:
        ```python
        from headwater import check_headwater_type, op, usable_as_headwater_type

        @usable_as_headwater_type(name="Point2D", description="a point in the plane")
        class Point:
            def __init__(self, x: float, y: float):
                self.x, self.y = x, y

        @op
        def origin() -> Point:
            return Point(0, 0)

        assert check_headwater_type(Point, Point(1, 2)).success
        assert not check_headwater_type(Point, (1, 2)).success
        ```
    """

    def register(cls: _T) -> _T:
        htype = PythonObjectHeadwaterType(
            cls,
            name=type_name if type_name is not None else cls.__name__,
            description=description,
            loader=loader,
        )
        make_python_type_usable_as_headwater_type(cls, htype)
        return cls

    if isinstance(name, type):
        type_name = None
        return register(name)
    type_name = name
    return register


@dataclass(frozen=True, slots=True)
class HeadwaterTypeLoaderContext:
    """What a type loader receives as `context`: the resources it declares, the op whose
    input it loads, the log; the execution layer fills it in."""

    log: typing.Any = None
    resources: typing.Any = None
    op_def: typing.Any = None
    run_id: str | None = None


class HeadwaterTypeLoader:
    """Builds an input's value from its run config (`ops.<op>.inputs.<name>`), for a type.

    Give it to a type as `loader=`; an op input of that type that no upstream output feeds
    may then be given in run config. Usually made with `@headwater_type_loader`.

    Args:
        schema: the config schema of the input's run config value.
        loader_fn: `fn(context, config_value) -> value`.
        required_resource_keys: resources the function reads from `context.resources`.

    Example:
        ```python
        from headwater import HeadwaterTypeLoader, In, PythonObjectHeadwaterType, job, op

        def count_from(context, config: dict) -> list[int]:
            return list(range(config["start"], 5))

        loader = HeadwaterTypeLoader(schema={"start": int}, loader_fn=count_from)
        Numbers = PythonObjectHeadwaterType(list, name="Numbers", loader=loader)

        @op(ins={"numbers": In(Numbers)})
        def total(numbers: list) -> int:
            return sum(numbers)

        @job
        def sums():
            total()

        run_config = {"ops": {"total": {"inputs": {"numbers": {"start": 3}}}}}
        assert sums.execute_in_process(run_config=run_config).output_for_node("total") == 7
        ```
    """

    def __init__(self, schema: typing.Any, loader_fn: Callable[..., typing.Any],
                 required_resource_keys: typing.AbstractSet[str] | None = None):
        self.schema_type = schema
        self.loader_fn = loader_fn
        self.required_resource_keys = frozenset(required_resource_keys or ())

    def construct_from_config_value(self, context: typing.Any, config_value: typing.Any) -> typing.Any:
        return self.loader_fn(context, config_value)

    def __repr__(self) -> str:
        return f"HeadwaterTypeLoader({getattr(self.loader_fn, '__name__', '?')!r})"


def headwater_type_loader(
    config_schema: typing.Any, required_resource_keys: typing.AbstractSet[str] | None = None
) -> Callable[[Callable[..., typing.Any]], HeadwaterTypeLoader]:
    """Declare how a type's input value is loaded from config: fn(context, config_value).

    Returns a HeadwaterTypeLoader to give a type as `loader=`. A function that does not
    take exactly (context, config_value) raises HeadwaterInvalidDefinitionError.

    Args:
        config_schema: the schema of the input's value in run config.
        required_resource_keys: resources the function reads from `context.resources`.

    Example:
        ```python
        from headwater import In, PythonObjectHeadwaterType, headwater_type_loader, job, op

        @headwater_type_loader(config_schema={"path": str})
        def lines_from_path(context, config_value) -> list[str]:
            return [f"first line of {config_value['path']}"]

        Lines = PythonObjectHeadwaterType(list, name="Lines", loader=lines_from_path)

        @op(ins={"lines": In(Lines)})
        def count(lines: list) -> int:
            return len(lines)

        @job
        def counting():
            count()

        run_config = {"ops": {"count": {"inputs": {"lines": {"path": "notes.txt"}}}}}
        assert counting.execute_in_process(run_config=run_config).output_for_node("count") == 1
        ```
    """

    def decorate(fn: Callable[..., typing.Any]) -> HeadwaterTypeLoader:
        params = list(inspect.signature(fn).parameters)
        if len(params) != 2:
            raise HeadwaterInvalidDefinitionError(
                f"@headwater_type_loader function '{fn.__name__}' must take two parameters, "
                f"(context, config_value); it takes {params}."
            )
        return HeadwaterTypeLoader(config_schema, fn, required_resource_keys)

    return decorate
