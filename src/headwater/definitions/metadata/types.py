"""The runtime type system: HeadwaterType, TypeCheck and type inference from annotations.

Owns `HeadwaterType` and its built-in and composite kinds (`List[...]`,
`Optional[...]`, `Dict[...]`, `Set[...]`, `Tuple[...]`), `TypeCheck`, the
`TypeCheckContext` handed to type-check functions, the registry of Python
classes usable as headwater types, and `resolve_headwater_type`, which turns
annotations and `headwater_type=` arguments into a HeadwaterType.

As in Dagster, the public names `Any`, `Bool`, `Int`, `Float`, `String` and
`Nothing` are the Python objects `typing.Any`, `bool`, `int`, `float`, `str`
and `NoneType`; `resolve_headwater_type` maps them to the built-in types.

Imports only the stdlib, `headwater.errors` and `headwater.definitions.metadata.value`.
"""

from __future__ import annotations

import collections.abc
import inspect
import reprlib
import types as _pytypes
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
    "Dict",
    "Float",
    "HeadwaterType",
    "HeadwaterTypeKind",
    "Int",
    "List",
    "Nothing",
    "Optional",
    "PythonObjectHeadwaterType",
    "Set",
    "String",
    "Tuple",
    "TypeCheck",
    "TypeCheckContext",
    "check_headwater_type",
    "make_python_type_usable_as_headwater_type",
    "resolve_headwater_type",
    "usable_as_headwater_type",
]

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


def _describe(value: object) -> str:
    return f"{_short.repr(value)} of type {type(value).__name__}"


def _must_be(value: object, label: str) -> str:
    shown = str(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f'Value "{shown}" of python type "{type(value).__name__}" must be {label}.'


@dataclass(frozen=True, slots=True)
class TypeCheck:
    """The outcome of a type check: success, a description, and metadata shown in the UI."""

    success: bool
    description: str | None = None
    metadata: dict[str, MetadataValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.success, bool):
            raise HeadwaterInvariantViolationError(
                f"TypeCheck(success=...) must be True or False, got {_describe(self.success)}."
            )
        object.__setattr__(self, "metadata", normalize_metadata(self.metadata))


@dataclass(frozen=True, slots=True)
class TypeCheckContext:
    """What a type_check_fn receives as `context`; the execution layer fills it in."""

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
            f"(context, value) -> bool | TypeCheck, got {_describe(fn)}."
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
    Types compare and hash by ``key`` (which defaults to ``name``, and vice versa).
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
        return TypeCheck(False, _must_be(value, label))

    return _BuiltinType(
        check, key=name, name=name, is_builtin=True, kind=HeadwaterTypeKind.SCALAR, typing_type=py
    )


def _check_nothing(_context: typing.Any, value: typing.Any) -> TypeCheck:
    if value is None:
        return TypeCheck(True)
    return TypeCheck(
        False,
        f"Nothing carries no value, but got {_describe(value)}. Return None, or give the "
        "output a type that carries data.",
    )


_ANY = _BuiltinType(
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

_BUILTINS: dict[typing.Any, HeadwaterType] = {
    typing.Any: _ANY,
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


def _qualified(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


class PythonObjectHeadwaterType(HeadwaterType):
    """A type that checks ``isinstance(value, python_type)``; python_type may be a tuple."""

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
            " or ".join(_qualified(c) for c in classes)
            if len(classes) > 1
            else _qualified(classes[0])
        )

        def check(_context: typing.Any, value: typing.Any) -> TypeCheck:
            if isinstance(value, python_type):
                return TypeCheck(True)
            return TypeCheck(
                False,
                f'HeadwaterType "{name}" expects an instance of {expected}, got a value of '
                f"type {_qualified(type(value))}.",
            )

        if len(classes) > 1:
            typing_type: typing.Any = typing.Union[classes]  # noqa: UP007
        else:
            typing_type = classes[0]
        kwargs.setdefault("typing_type", typing_type)
        super().__init__(check, key=key if key is not None else name, name=name, **kwargs)

    def __repr__(self) -> str:
        return f"PythonObjectHeadwaterType({_python_type_label(self.python_type)}, name={self.display_name!r})"


_PYTHON_DICT = PythonObjectHeadwaterType(
    dict, key="PythonDict", name="dict", description="A Python dict."
)
_PYTHON_SET = PythonObjectHeadwaterType(set, key="PythonSet", name="set", description="A Python set.")
_PYTHON_TUPLE = PythonObjectHeadwaterType(
    tuple, key="PythonTuple", name="tuple", description="A Python tuple."
)

_REGISTRY: dict[type, HeadwaterType] = {}
_INFERRED: dict[type, HeadwaterType] = {}


def make_python_type_usable_as_headwater_type(
    python_type: type, headwater_type: HeadwaterType
) -> None:
    """Make annotations of ``python_type`` resolve to ``headwater_type``."""
    if not isinstance(python_type, type):
        raise HeadwaterInvalidDefinitionError(
            f"make_python_type_usable_as_headwater_type needs a class, got {python_type!r}."
        )
    if not isinstance(headwater_type, HeadwaterType):
        raise HeadwaterInvalidDefinitionError(
            f"make_python_type_usable_as_headwater_type needs a HeadwaterType, got "
            f"{headwater_type!r}."
        )
    existing = _REGISTRY.get(python_type)
    if existing is not None and existing != headwater_type:
        raise HeadwaterInvalidDefinitionError(
            f"{_qualified(python_type)} is already usable as HeadwaterType "
            f'"{existing.display_name}"; it cannot also map to "{headwater_type.display_name}". '
            "A Python class maps to one HeadwaterType; pass headwater_type= explicitly instead."
        )
    _REGISTRY[python_type] = headwater_type


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


# --------------------------------------------------------------------------- composites

# typing_type of composites is built at runtime; Any-typed aliases keep mypy from
# reading these subscriptions as type expressions.
_LIST_HINT: typing.Any = typing.List  # noqa: UP006
_OPTIONAL_HINT: typing.Any = typing.Optional
_DICT_HINT: typing.Any = typing.Dict  # noqa: UP006
_SET_HINT: typing.Any = typing.Set  # noqa: UP006
_TUPLE_HINT: typing.Any = typing.Tuple  # noqa: UP006


def _first_failure(
    context: typing.Any, pairs: typing.Iterable[tuple[HeadwaterType, typing.Any]]
) -> TypeCheck:
    for inner, item in pairs:
        result = inner.type_check(context, item)
        if not result.success:
            return result
    return TypeCheck(True)


def _no_nothing(inner: HeadwaterType, where: str) -> None:
    if inner.is_nothing:
        raise HeadwaterInvalidDefinitionError(
            f"Nothing cannot be wrapped in {where}: it carries no value. Use Nothing on its "
            "own (In(headwater_type=Nothing)) for ordering-only dependencies."
        )


class _ListType(HeadwaterType):
    def __init__(self, inner: HeadwaterType):
        _no_nothing(inner, "List")
        self.inner_type = inner

        def check(context: typing.Any, value: typing.Any) -> TypeCheck:
            if not isinstance(value, list):
                return TypeCheck(False, _must_be(value, "a list"))
            return _first_failure(context, ((inner, v) for v in value))

        super().__init__(
            check,
            key=f"List.{inner.key}",
            kind=HeadwaterTypeKind.LIST,
            typing_type=_LIST_HINT[inner.typing_type],
        )
        self._name = None

    @property
    def display_name(self) -> str:
        return f"[{self.inner_type.display_name}]"

    @property
    def supports_fan_in(self) -> bool:
        return True

    def get_inner_type_for_fan_in(self) -> HeadwaterType:
        return self.inner_type

    @property
    def inner_types(self) -> list[HeadwaterType]:
        return [self.inner_type, *self.inner_type.inner_types]

    @property
    def type_param_keys(self) -> list[str]:
        return [self.inner_type.key]

    def __repr__(self) -> str:
        return f"List[{self.inner_type!r}]"


class _OptionalType(HeadwaterType):
    def __init__(self, inner: HeadwaterType):
        _no_nothing(inner, "Optional")
        self.inner_type = inner

        def check(context: typing.Any, value: typing.Any) -> TypeCheck:
            return TypeCheck(True) if value is None else inner.type_check(context, value)

        super().__init__(
            check,
            key=f"Optional.{inner.key}",
            kind=HeadwaterTypeKind.NULLABLE,
            typing_type=_OPTIONAL_HINT[inner.typing_type],
        )
        self._name = None

    @property
    def display_name(self) -> str:
        return f"{self.inner_type.display_name}?"

    @property
    def supports_fan_in(self) -> bool:
        return self.inner_type.supports_fan_in

    def get_inner_type_for_fan_in(self) -> HeadwaterType:
        return self.inner_type.get_inner_type_for_fan_in()

    @property
    def inner_types(self) -> list[HeadwaterType]:
        return [self.inner_type, *self.inner_type.inner_types]

    @property
    def type_param_keys(self) -> list[str]:
        return [self.inner_type.key]

    def __repr__(self) -> str:
        return f"Optional[{self.inner_type!r}]"


class _ContainerType(HeadwaterType):
    """Dict[K, V], Set[T] and Tuple[...]: a container check, then each member's type."""

    def __init__(
        self,
        label: str,
        key_prefix: str,
        container: type,
        params: tuple[HeadwaterType, ...],
        members: Callable[[typing.Any], typing.Iterable[tuple[HeadwaterType, typing.Any]]],
        typing_type: typing.Any,
        variadic: bool = False,
    ):
        self.params = params
        self._label = label
        self._variadic = variadic
        shown = ",".join(p.display_name for p in params) + (",..." if variadic else "")

        def check(context: typing.Any, value: typing.Any) -> TypeCheck:
            if not isinstance(value, container):
                return TypeCheck(
                    False, f"Expected a {container.__name__}, got {_describe(value)}."
                )
            if container is tuple and not variadic and len(typing.cast(tuple, value)) != len(params):
                return TypeCheck(
                    False,
                    f"Expected a tuple of {len(params)} items ({shown}), got "
                    f"{len(typing.cast(tuple, value))}.",
                )
            return _first_failure(context, members(value))

        super().__init__(
            check,
            key=".".join([key_prefix, *(p.key for p in params)]) + (".Ellipsis" if variadic else ""),
            typing_type=typing_type,
        )
        self._name = None
        self._display = f"{label}[{shown}]"

    @property
    def display_name(self) -> str:
        return self._display

    @property
    def inner_types(self) -> list[HeadwaterType]:
        out: list[HeadwaterType] = []
        for p in self.params:
            out += [p, *p.inner_types]
        return out

    @property
    def type_param_keys(self) -> list[str]:
        return [p.key for p in self.params]

    def __repr__(self) -> str:
        inner = ", ".join([repr(p) for p in self.params] + (["..."] if self._variadic else []))
        return f"{self._label}[{inner}]"


def _dict_type(k: HeadwaterType, v: HeadwaterType) -> HeadwaterType:
    return _ContainerType(
        "Dict",
        "TypedPythonDict",
        dict,
        (k, v),
        lambda d: (pair for item in d.items() for pair in ((k, item[0]), (v, item[1]))),
        _DICT_HINT[k.typing_type, v.typing_type],
    )


def _set_type(t: HeadwaterType) -> HeadwaterType:
    return _ContainerType(
        "Set", "TypedPythonSet", set, (t,), lambda s: ((t, x) for x in s),
        _SET_HINT[t.typing_type],
    )


def _tuple_type(params: tuple[HeadwaterType, ...], variadic: bool = False) -> HeadwaterType:
    if variadic:
        (only,) = params

        def members(t: typing.Any) -> typing.Iterable[tuple[HeadwaterType, typing.Any]]:
            return ((only, x) for x in t)

        hint = _TUPLE_HINT[only.typing_type, ...]
    else:

        def members(t: typing.Any) -> typing.Iterable[tuple[HeadwaterType, typing.Any]]:
            return zip(params, t, strict=True)  # length was checked first

        hint = _TUPLE_HINT[tuple(p.typing_type for p in params)] if params else _TUPLE_HINT[()]
    return _ContainerType("Tuple", "TypedPythonTuple", tuple, params, members, hint, variadic)


class _ListApi:
    """``List`` bare is a list of Any; ``List[Int]`` checks every item."""

    def __getitem__(self, inner: typing.Any) -> HeadwaterType:
        return _ListType(resolve_headwater_type(inner))

    def __repr__(self) -> str:
        return "List"


class _OptionalApi:
    """``Optional[String]`` accepts None or a value of the inner type."""

    def __getitem__(self, inner: typing.Any) -> HeadwaterType:
        return _OptionalType(resolve_headwater_type(inner))

    def __repr__(self) -> str:
        return "Optional"


class _DictApi:
    """``Dict`` bare is any dict; ``Dict[str, int]`` checks keys and values."""

    def __getitem__(self, params: typing.Any) -> HeadwaterType:
        if not isinstance(params, tuple) or len(params) != 2:
            raise HeadwaterInvalidDefinitionError(
                f"Dict takes a key type and a value type, e.g. Dict[str, int]; got Dict[{params!r}]."
            )
        return _dict_type(resolve_headwater_type(params[0]), resolve_headwater_type(params[1]))

    def __repr__(self) -> str:
        return "Dict"


class _SetApi:
    """``Set`` bare is any set; ``Set[int]`` checks every member."""

    def __getitem__(self, inner: typing.Any) -> HeadwaterType:
        return _set_type(resolve_headwater_type(inner))

    def __repr__(self) -> str:
        return "Set"


class _TupleApi:
    """``Tuple`` bare is any tuple; ``Tuple[int, str]`` checks length and each item."""

    def __getitem__(self, params: typing.Any) -> HeadwaterType:
        params = params if isinstance(params, tuple) else (params,)
        if len(params) == 2 and params[1] is Ellipsis:
            return _tuple_type((resolve_headwater_type(params[0]),), variadic=True)
        return _tuple_type(tuple(resolve_headwater_type(p) for p in params))

    def __repr__(self) -> str:
        return "Tuple"


List = _ListApi()
Optional = _OptionalApi()
Dict = _DictApi()
Set = _SetApi()
Tuple = _TupleApi()

_BARE_APIS: dict[int, Callable[[], HeadwaterType]] = {
    id(List): lambda: _ListType(_ANY),
    id(Dict): lambda: _PYTHON_DICT,
    id(Set): lambda: _PYTHON_SET,
    id(Tuple): lambda: _PYTHON_TUPLE,
}


# --------------------------------------------------------------------------- resolution

_LIST_ORIGINS = (list, collections.abc.Sequence, collections.abc.MutableSequence)
_DICT_ORIGINS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_SET_ORIGINS = (set, collections.abc.Set, collections.abc.MutableSet)


def _cannot_resolve(obj: typing.Any, why: str) -> HeadwaterInvalidDefinitionError:
    return HeadwaterInvalidDefinitionError(
        f"Cannot use {obj!r} as a headwater type: {why}. Pass a HeadwaterType, a Python class, "
        "or a typing form such as list[int], dict[str, int] or Optional[str] - or set "
        "headwater_type= explicitly on In()/Out()/AssetIn()."
    )


def _resolve_union(args: tuple[typing.Any, ...]) -> HeadwaterType:
    rest = tuple(a for a in args if a is not type(None))
    if len(rest) == 1:
        inner = resolve_headwater_type(rest[0])
    elif all(isinstance(a, type) for a in rest):
        inner = PythonObjectHeadwaterType(rest)
    else:
        inner = _ANY
    if len(rest) == len(args) or inner.is_any:
        return inner
    return _OptionalType(inner)


def _resolve_generic(obj: typing.Any, origin: typing.Any) -> HeadwaterType:
    args = typing.get_args(obj)
    if origin is typing.Union or origin is getattr(_pytypes, "UnionType", None):
        return _resolve_union(args)
    if origin is typing.Annotated:
        return resolve_headwater_type(args[0])
    if origin in _LIST_ORIGINS:
        return _ListType(resolve_headwater_type(args[0]) if args else _ANY)
    if origin in _DICT_ORIGINS:
        if len(args) != 2:
            return _PYTHON_DICT
        return _dict_type(resolve_headwater_type(args[0]), resolve_headwater_type(args[1]))
    if origin in _SET_ORIGINS:
        return _set_type(resolve_headwater_type(args[0])) if args else _PYTHON_SET
    if origin is tuple:
        if not args:
            return _PYTHON_TUPLE
        if args == ((),):
            return _tuple_type(())
        if len(args) == 2 and args[1] is Ellipsis:
            return _tuple_type((resolve_headwater_type(args[0]),), variadic=True)
        return _tuple_type(tuple(resolve_headwater_type(a) for a in args))
    # Callable[...], Iterator[...], Literal[...], user generics: nothing useful to check.
    return _ANY


def resolve_headwater_type(obj: typing.Any) -> HeadwaterType:
    """Turn a headwater_type= argument or an annotation into a HeadwaterType.

    Accepts a HeadwaterType, ``List``/``Dict``/``Set``/``Tuple``, a built-in
    Python type, typing forms (``list[int]``, ``Optional[int]``, ``int | None``,
    ``Dict[str, int]``, ``typing.Any``), registered classes and any other class
    (an isinstance check). ``None`` and ``NoneType`` mean Nothing; a TypeVar or
    an unknown generic means Any.
    """
    if isinstance(obj, HeadwaterType):
        return obj
    bare = _BARE_APIS.get(id(obj))
    if bare is not None:
        return bare()
    if isinstance(obj, _OptionalApi):
        raise _cannot_resolve(obj, "Optional needs an inner type, e.g. Optional[str]")
    try:
        builtin = _BUILTINS.get(obj)
    except TypeError:  # unhashable: certainly not a type
        raise _cannot_resolve(obj, f"it is a {type(obj).__name__} value, not a type") from None
    if builtin is not None:
        return builtin
    if isinstance(obj, type) and obj in _REGISTRY:
        return _REGISTRY[obj]
    if obj is list:
        return _ListType(_ANY)
    if obj is dict:
        return _PYTHON_DICT
    if obj is set:
        return _PYTHON_SET
    if obj is tuple:
        return _PYTHON_TUPLE
    if isinstance(obj, typing.TypeVar):
        return _ANY
    origin = typing.get_origin(obj)
    if origin is not None:
        return _resolve_generic(obj, origin)
    supertype = getattr(obj, "__supertype__", None)  # typing.NewType
    if supertype is not None:
        return resolve_headwater_type(supertype)
    if isinstance(obj, type):
        inferred = _INFERRED.get(obj)
        if inferred is None:
            inferred = PythonObjectHeadwaterType(obj, key=_qualified(obj), name=obj.__name__)
            _INFERRED[obj] = inferred
        return inferred
    if isinstance(obj, str):
        raise _cannot_resolve(
            obj,
            "it is a string (an unresolved forward reference?); pass the class itself, or "
            "define it before the decorated function",
        )
    raise _cannot_resolve(obj, f"it is a {type(obj).__name__} value, not a type")


def check_headwater_type(headwater_type: typing.Any, value: typing.Any) -> TypeCheck:
    """Run the type check of ``headwater_type`` (anything resolvable) against ``value``.

    For tests: ``check_headwater_type(Int, 3).success``.
    """
    import logging
    import uuid

    htype = resolve_headwater_type(headwater_type)
    context = TypeCheckContext(
        log=logging.getLogger("headwater"),
        resources=_pytypes.SimpleNamespace(),
        run_id=str(uuid.uuid4()),
    )
    return htype.type_check(context, value)


class HeadwaterTypeLoader:
    """Builds an input's value from its run config (`ops.<op>.inputs.<name>`), for a type."""

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
    """Declare how a type's input value is loaded from config: fn(context, config_value)."""

    def decorate(fn: Callable[..., typing.Any]) -> HeadwaterTypeLoader:
        params = list(inspect.signature(fn).parameters)
        if len(params) != 2:
            raise HeadwaterInvalidDefinitionError(
                f"@headwater_type_loader function '{fn.__name__}' must take two parameters, "
                f"(context, config_value); it takes {params}."
            )
        return HeadwaterTypeLoader(config_schema, fn, required_resource_keys)

    return decorate
