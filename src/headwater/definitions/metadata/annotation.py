"""From Python annotations to HeadwaterTypes: the composite types (`List[...]`,
`Optional[...]`, `Dict[...]`, `Set[...]`, `Tuple[...]`), `resolve_headwater_type`, which
turns an annotation or a `headwater_type=` argument into a HeadwaterType, and
`check_headwater_type`.

The composites and the resolution need each other (`List[int]` resolves `int`;
resolving `list[int]` builds a list type), so they live together, above the core in
`types.py`, which never imports this module. Imports `types.py`, `errors` and the stdlib.
"""

from __future__ import annotations

import collections.abc
import types as _pytypes
import typing
from collections.abc import Callable

from headwater.definitions.metadata.types import (
    ANY_TYPE,
    BUILTIN_TYPES,
    INFERRED_TYPES,
    PYTHON_DICT,
    PYTHON_SET,
    PYTHON_TUPLE,
    REGISTERED_TYPES,
    HeadwaterType,
    HeadwaterTypeKind,
    PythonObjectHeadwaterType,
    TypeCheck,
    TypeCheckContext,
    describe_value,
    must_be,
    qualified_name,
)
from headwater.errors import HeadwaterInvalidDefinitionError

__all__ = [
    "Dict",
    "List",
    "Optional",
    "Set",
    "Tuple",
    "check_headwater_type",
    "resolve_headwater_type",
]

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
                return TypeCheck(False, must_be(value, "a list"))
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
                    False, f"Expected a {container.__name__}, got {describe_value(value)}."
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


class HeadwaterDictApi:
    """``Dict`` bare is any dict; ``Dict[str, int]`` checks keys and values.

    Named as users see it in errors (calling ``Dict({...})``, the pre-0.7 form, is a
    ``TypeError`` naming this class)."""

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
Dict = HeadwaterDictApi()
Set = _SetApi()
Tuple = _TupleApi()

_BARE_APIS: dict[int, Callable[[], HeadwaterType]] = {
    id(List): lambda: _ListType(ANY_TYPE),
    id(Dict): lambda: PYTHON_DICT,
    id(Set): lambda: PYTHON_SET,
    id(Tuple): lambda: PYTHON_TUPLE,
}


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
        inner = ANY_TYPE
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
        return _ListType(resolve_headwater_type(args[0]) if args else ANY_TYPE)
    if origin in _DICT_ORIGINS:
        if len(args) != 2:
            return PYTHON_DICT
        return _dict_type(resolve_headwater_type(args[0]), resolve_headwater_type(args[1]))
    if origin in _SET_ORIGINS:
        return _set_type(resolve_headwater_type(args[0])) if args else PYTHON_SET
    if origin is tuple:
        if not args:
            return PYTHON_TUPLE
        if args == ((),):
            return _tuple_type(())
        if len(args) == 2 and args[1] is Ellipsis:
            return _tuple_type((resolve_headwater_type(args[0]),), variadic=True)
        return _tuple_type(tuple(resolve_headwater_type(a) for a in args))
    # Callable[...], Iterator[...], Literal[...], user generics: nothing useful to check.
    return ANY_TYPE


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
        builtin = BUILTIN_TYPES.get(obj)
    except TypeError:  # unhashable: certainly not a type
        raise _cannot_resolve(obj, f"it is a {type(obj).__name__} value, not a type") from None
    if builtin is not None:
        return builtin
    if isinstance(obj, type) and obj in REGISTERED_TYPES:
        return REGISTERED_TYPES[obj]
    if obj is list:
        return _ListType(ANY_TYPE)
    if obj is dict:
        return PYTHON_DICT
    if obj is set:
        return PYTHON_SET
    if obj is tuple:
        return PYTHON_TUPLE
    if isinstance(obj, typing.TypeVar):
        return ANY_TYPE
    origin = typing.get_origin(obj)
    if origin is not None:
        return _resolve_generic(obj, origin)
    supertype = getattr(obj, "__supertype__", None)  # typing.NewType
    if supertype is not None:
        return resolve_headwater_type(supertype)
    if isinstance(obj, type):
        inferred = INFERRED_TYPES.get(obj)
        if inferred is None:
            inferred = PythonObjectHeadwaterType(obj, key=qualified_name(obj), name=obj.__name__)
            INFERRED_TYPES[obj] = inferred
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

    For tests: ``check_headwater_type(Int, 3).success``. Builds a TypeCheckContext with a
    logger and no resources, so a check that needs resources cannot run this way.

    Args:
        headwater_type: a HeadwaterType, or anything that resolves to one (a Python class,
            `int`, `list[str]`, `Optional[...]`, ...).
        value: the value to check.

    Returns:
        The TypeCheck: `success`, `description`, `metadata`.

    Example:
        ```python
        from typing import Optional

        from headwater import check_headwater_type

        assert check_headwater_type(int, 3).success
        assert check_headwater_type(Optional[str], None).success
        result = check_headwater_type(list[int], [1, "two"])
        assert not result.success
        print(result.description)
        ```
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
