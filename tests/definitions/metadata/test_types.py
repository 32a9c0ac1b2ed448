"""Tests for headwater.definitions.metadata.types and .annotation: HeadwaterType, built-ins, composites, inference."""

from __future__ import annotations

import collections.abc
import typing

import pytest

from headwater.definitions.metadata.annotation import (
    Dict,
    List,
    Optional,
    Set,
    Tuple,
    check_headwater_type,
    resolve_headwater_type,
)
from headwater.definitions.metadata.types import (
    Any,
    Bool,
    Float,
    HeadwaterType,
    HeadwaterTypeKind,
    Int,
    Nothing,
    PythonObjectHeadwaterType,
    String,
    TypeCheck,
    TypeCheckContext,
    make_python_type_usable_as_headwater_type,
    usable_as_headwater_type,
)
from headwater.definitions.metadata.value import IntMetadataValue, TextMetadataValue
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidMetadata,
    HeadwaterInvariantViolationError,
)


def _ok(t: typing.Any, value: typing.Any) -> bool:
    return check_headwater_type(t, value).success


def _why(t: typing.Any, value: typing.Any) -> str | None:
    result = check_headwater_type(t, value)
    assert not result.success
    return result.description


# --------------------------------------------------------------------------- TypeCheck


def test_type_check_defaults_and_normalised_metadata():
    """TypeCheck has no description by default and normalises its metadata."""
    assert TypeCheck(True) == TypeCheck(success=True, description=None, metadata={})
    tc = TypeCheck(False, "nope", {"rows": 3, "why": "x"})
    assert tc.metadata == {"rows": IntMetadataValue(3), "why": TextMetadataValue("x")}
    assert repr(TypeCheck(True)) == "TypeCheck(success=True, description=None, metadata={})"


def test_type_check_rejects_non_bool_success():
    """success must be a bool: a truthy string is a mistake, not a pass."""
    with pytest.raises(HeadwaterInvariantViolationError, match="must be True or False"):
        TypeCheck("yes")  # type: ignore[arg-type]


def test_type_check_rejects_bad_metadata():
    """Un-coercible metadata on a TypeCheck is refused."""
    with pytest.raises(HeadwaterInvalidMetadata):
        TypeCheck(True, metadata={"x": object()})


def test_type_check_context_defaults():
    """TypeCheckContext carries log, resources and run_id, all None by default."""
    ctx = TypeCheckContext()
    assert (ctx.log, ctx.resources, ctx.run_id) == (None, None, None)
    assert TypeCheckContext(run_id="r").run_id == "r"


# --------------------------------------------------------------------------- HeadwaterType


def test_headwater_type_naming():
    """name defaults to key and key to name; display and unique names follow."""
    t = HeadwaterType(lambda _, v: True, name="Positive")
    assert (t.key, t.name, t.display_name, t.unique_name) == ("Positive",) * 4
    k = HeadwaterType(lambda _, v: True, key="K")
    assert (k.key, k.name, k.display_name, k.unique_name) == ("K",) * 4
    both = HeadwaterType(lambda _, v: True, key="K", name="N")
    assert (both.key, both.display_name) == ("K", "N")


def test_headwater_type_defaults():
    """A user type is regular, not builtin, typed Any, with no resources or metadata."""
    t = HeadwaterType(lambda _, v: True, name="T")
    assert t.kind is HeadwaterTypeKind.REGULAR
    assert (t.is_builtin, t.is_nothing, t.is_any, t.supports_fan_in) == (False,) * 4
    assert t.typing_type is typing.Any
    assert t.required_resource_keys == frozenset()
    assert (t.description, t.loader, t.metadata) == (None, None, {})
    assert t.inner_types == [] and t.type_param_keys == []


def test_headwater_type_options():
    """description, required_resource_keys, typing_type and metadata are kept (normalised)."""
    t = HeadwaterType(
        lambda _, v: True,
        name="T",
        description="d",
        required_resource_keys={"db"},
        typing_type=int,
        metadata={"n": 1},
    )
    assert t.description == "d"
    assert t.required_resource_keys == frozenset({"db"})
    assert t.typing_type is int
    assert t.metadata == {"n": IntMetadataValue(1)}


def test_headwater_type_argument_order_matches_dagster():
    """Positional order is type_check_fn, key, name, is_builtin, description."""
    t = HeadwaterType(lambda _, v: True, "k", "n", False, "desc")
    assert (t.key, t.display_name, t.description) == ("k", "n", "desc")


def test_headwater_type_needs_a_name():
    """Neither key nor name is an error with the fix."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="name='MyType'"):
        HeadwaterType(lambda _, v: True)


@pytest.mark.parametrize(
    "fn, takes",
    [(lambda v: True, "takes 1: (v)"), (lambda a, b, c: True, "takes 3: (a, b, c)")],
)
def test_type_check_fn_must_take_two_arguments(fn, takes):
    """A type_check_fn with the wrong arity is refused at definition time."""
    with pytest.raises(HeadwaterInvalidDefinitionError) as exc:
        HeadwaterType(fn, name="N")
    assert 'HeadwaterType "N" must take 2 arguments (context, value)' in str(exc.value)
    assert takes in str(exc.value)


def test_type_check_fn_arity_allows_defaults_and_varargs():
    """Extra defaulted parameters and *args are fine."""
    HeadwaterType(lambda c, v, extra=1: True, name="A")
    HeadwaterType(lambda *args: True, name="B")


def test_type_check_fn_must_be_callable():
    """A non-callable check is refused."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="must be a function"):
        HeadwaterType(3, name="N")  # type: ignore[arg-type]


def test_type_check_wraps_bool_and_passes_type_check():
    """A bool result becomes TypeCheck(bool); a TypeCheck is returned as is."""
    assert HeadwaterType(lambda _, v: v > 0, name="P").type_check(None, 1) == TypeCheck(True)
    assert HeadwaterType(lambda _, v: v > 0, name="P").type_check(None, 0) == TypeCheck(False)
    t = HeadwaterType(lambda _, v: TypeCheck(False, "too small", {"v": v}), name="T")
    assert t.type_check(None, 2) == TypeCheck(False, "too small", {"v": IntMetadataValue(2)})


def test_type_check_fn_receives_context_and_value():
    """The context passed to type_check is handed to type_check_fn unchanged."""
    seen = []
    t = HeadwaterType(lambda c, v: seen.append((c, v)) or True, name="T")
    ctx = TypeCheckContext(run_id="r")
    t.type_check(ctx, 5)
    assert seen == [(ctx, 5)]


@pytest.mark.parametrize("returned, shown", [("yes", "'yes' of type <class 'str'>"),
                                             (None, "None of type <class 'NoneType'>")])
def test_type_check_fn_bad_return_is_an_invariant_violation(returned, shown):
    """Returning neither bool nor TypeCheck names the type and what came back."""
    t = HeadwaterType(lambda _, v: returned, name="Bad")
    with pytest.raises(HeadwaterInvariantViolationError) as exc:
        t.type_check(None, 1)
    message = str(exc.value)
    assert f"You have returned {shown}" in message and 'function of type "Bad"' in message
    assert "must be instance of TypeCheck or a bool" in message


def test_type_check_fn_exception_propagates():
    """An exception inside type_check_fn is not swallowed."""
    t = HeadwaterType(lambda _, v: 1 / 0, name="Boom")
    with pytest.raises(ZeroDivisionError):
        t.type_check(None, 1)


def test_types_compare_and_hash_by_key():
    """Two types with the same key are equal and hash alike, whatever their check."""
    a = HeadwaterType(lambda _, v: True, name="N")
    b = HeadwaterType(lambda _, v: False, name="N")
    assert a == b and hash(a) == hash(b)
    assert a == PythonObjectHeadwaterType(int, name="N")
    assert a != HeadwaterType(lambda _, v: True, name="M")
    assert a != "N"
    assert len({a, b}) == 1


def test_headwater_type_repr():
    """repr names the class and the display name."""
    assert repr(HeadwaterType(lambda _, v: True, name="N")) == "HeadwaterType(name='N')"


# --------------------------------------------------------------------------- built-ins


def test_builtin_public_names_are_python_objects():
    """As in Dagster, Any/Bool/Int/Float/String/Nothing are typing.Any/bool/int/float/str/NoneType."""
    assert (Any, Bool, Int, Float, String, Nothing) == (
        typing.Any, bool, int, float, str, type(None),
    )


@pytest.mark.parametrize(
    "obj, key, kind, typing_type",
    [
        (Any, "Any", HeadwaterTypeKind.ANY, typing.Any),
        (Bool, "Bool", HeadwaterTypeKind.SCALAR, bool),
        (Int, "Int", HeadwaterTypeKind.SCALAR, int),
        (Float, "Float", HeadwaterTypeKind.SCALAR, float),
        (String, "String", HeadwaterTypeKind.SCALAR, str),
        (Nothing, "Nothing", HeadwaterTypeKind.NOTHING, type(None)),
    ],
)
def test_builtin_types(obj, key, kind, typing_type):
    """Each built-in resolves to a builtin type with Dagster's key, kind and typing_type."""
    t = resolve_headwater_type(obj)
    assert (t.key, t.display_name, t.unique_name, t.kind, t.is_builtin) == (key, key, key, kind, True)
    assert t.typing_type is typing_type
    assert repr(t) == key
    assert resolve_headwater_type(obj) is t


@pytest.mark.parametrize(
    "t, good, bad",
    [
        (Int, [1, 0, -5, True, 2**80], [1.0, "1", None]),
        (Float, [1.0, float("nan")], [1, True, "x", None]),
        (String, ["", "a"], [1, None, b"a"]),
        (Bool, [True, False], [1, 0, None, "True"]),
        (Any, [None, 1, object()], []),
        (Nothing, [None], [0, "", []]),
    ],
)
def test_builtin_checks(t, good, bad):
    """Int accepts bools, Float refuses ints, Bool refuses 0/1, Nothing only None (as Dagster)."""
    assert all(_ok(t, v) for v in good)
    assert not any(_ok(t, v) for v in bad)


def test_builtin_failure_descriptions():
    """A failed built-in check names the expected type, the value and its type."""
    assert _why(Int, 1.0) == 'Value "1.0" of python type "float" must be a int.'
    assert _why(Float, 1) == 'Value "1" of python type "int" must be a float.'
    assert _why(String, None) == 'Value "None" of python type "NoneType" must be a string.'
    assert _why(Bool, 1) == 'Value "1" of python type "int" must be a bool.'
    assert "Nothing carries no value, but got 1 of type int" in (_why(Nothing, 1) or "")


def test_failure_description_truncates_huge_values():
    """A giant value's repr is shortened in the description."""
    assert len(_why(Int, "x" * 10_000) or "") < 200


def test_fan_in_support():
    """Any, Nothing and lists support fan-in; scalars do not."""
    assert resolve_headwater_type(Any).supports_fan_in
    assert resolve_headwater_type(Nothing).supports_fan_in
    assert not resolve_headwater_type(Int).supports_fan_in
    assert resolve_headwater_type(list[int]).get_inner_type_for_fan_in() == resolve_headwater_type(int)
    assert resolve_headwater_type(Any).get_inner_type_for_fan_in().is_any
    with pytest.raises(HeadwaterInvariantViolationError, match="does not support fan-in"):
        resolve_headwater_type(Int).get_inner_type_for_fan_in()


# --------------------------------------------------------------------------- python objects


class Widget:
    pass


class Gadget:
    pass


def test_python_object_type_naming():
    """PythonObjectHeadwaterType is named after the class; key and name can be set."""
    t = PythonObjectHeadwaterType(Widget)
    assert (t.key, t.display_name, t.python_type, t.typing_type) == ("Widget", "Widget", Widget, Widget)
    assert PythonObjectHeadwaterType(Widget, key="W").display_name == "Widget"
    assert PythonObjectHeadwaterType(Widget, name="W").key == "W"
    assert PythonObjectHeadwaterType(Widget, description="d").description == "d"


def test_python_object_type_check():
    """An isinstance check whose failure names the expected and actual Python types."""
    t = PythonObjectHeadwaterType(Widget)
    assert _ok(t, Widget())
    assert _why(t, 1) == (
        f'HeadwaterType "Widget" expects an instance of {__name__}.Widget, '
        "got a value of type builtins.int."
    )


def test_python_object_type_with_tuple_of_classes():
    """A tuple of classes is a union: name 'Union[int, str]', either class passes."""
    t = PythonObjectHeadwaterType((int, str))
    assert t.display_name == "Union[int, str]"
    assert t.typing_type == typing.Union[int, str]  # noqa: UP007
    assert _ok(t, 1) and _ok(t, "x") and not _ok(t, 1.5)
    assert "builtins.int or builtins.str" in (_why(t, 1.5) or "")


def test_python_object_type_rejects_non_classes():
    """A typing form or a value is refused with a pointer to resolution."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="class or a tuple of classes"):
        PythonObjectHeadwaterType(typing.List[int])  # type: ignore[arg-type]  # noqa: UP006
    with pytest.raises(HeadwaterInvalidDefinitionError):
        PythonObjectHeadwaterType(3)  # type: ignore[arg-type]


def test_make_python_type_usable_registers_a_mapping():
    """A registered class resolves to its HeadwaterType, also inside List[...]."""

    class Frame:
        pass

    t = HeadwaterType(lambda _, v: isinstance(v, Frame), name="Frame")
    make_python_type_usable_as_headwater_type(Frame, t)
    assert resolve_headwater_type(Frame) is t
    assert resolve_headwater_type(list[Frame]).display_name == "[Frame]"
    make_python_type_usable_as_headwater_type(Frame, t)  # same mapping again is fine


def test_make_python_type_usable_refuses_a_second_mapping():
    """Mapping one class to two different types is an error naming both."""

    class Frame2:
        pass

    make_python_type_usable_as_headwater_type(Frame2, PythonObjectHeadwaterType(Frame2, name="A"))
    with pytest.raises(HeadwaterInvalidDefinitionError) as exc:
        make_python_type_usable_as_headwater_type(Frame2, PythonObjectHeadwaterType(Frame2, name="B"))
    assert 'already usable as HeadwaterType "A"' in str(exc.value) and '"B"' in str(exc.value)


def test_make_python_type_usable_needs_a_class():
    """Registering a non-class is refused."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="needs a class"):
        make_python_type_usable_as_headwater_type(3, resolve_headwater_type(int))  # type: ignore[arg-type]


def test_usable_as_headwater_type_bare_and_with_arguments():
    """The decorator works bare or with name/description, and returns the class."""

    @usable_as_headwater_type
    class Plain:
        pass

    @usable_as_headwater_type(name="Fancy", description="a fancy thing")
    class Styled:
        pass

    plain, styled = resolve_headwater_type(Plain), resolve_headwater_type(Styled)
    assert isinstance(Plain, type) and isinstance(Styled, type)
    assert (plain.display_name, plain.description) == ("Plain", None)
    assert (styled.display_name, styled.key, styled.description) == ("Fancy", "Fancy", "a fancy thing")
    assert _ok(Styled, Styled()) and not _ok(Styled, Plain())


# --------------------------------------------------------------------------- composites


def test_list_api():
    """List bare is a list of Any; List[Int] checks every item and the container."""
    t = List[Int]
    assert (t.key, t.display_name, t.kind) == ("List.Int", "[Int]", HeadwaterTypeKind.LIST)
    assert t.typing_type == typing.List[int]  # noqa: UP006
    assert resolve_headwater_type(List).key == "List.Any"
    assert _ok(t, [1, 2]) and _ok(t, [])
    assert _why(t, [1, "a"]) == 'Value "a" of python type "str" must be a int.'
    assert _why(t, (1, 2)) == 'Value "(1, 2)" of python type "tuple" must be a list.'
    assert t.inner_types == [resolve_headwater_type(int)] and t.type_param_keys == ["Int"]
    assert repr(t) == "List[Int]"


def test_optional_api():
    """Optional[String] accepts None or a string; it is named 'String?'."""
    t = Optional[String]
    assert (t.key, t.display_name, t.kind) == ("Optional.String", "String?", HeadwaterTypeKind.NULLABLE)
    assert t.typing_type == typing.Optional[str]  # noqa: UP045
    assert _ok(t, None) and _ok(t, "x")
    assert _why(t, 1) == 'Value "1" of python type "int" must be a string.'
    assert not t.has_unique_name
    with pytest.raises(HeadwaterInvariantViolationError, match="no unique name"):
        t.unique_name  # noqa: B018


def test_nested_composites():
    """Optional[List[Int]] and List[Optional[Int]] nest checks and names."""
    assert Optional[List[Int]].display_name == "[Int]?"
    assert Optional[List[Int]].supports_fan_in
    assert _ok(Optional[List[Int]], None) and not _ok(Optional[List[Int]], [None])
    assert _ok(List[Optional[Int]], [None, 1])
    assert Optional[List[Int]].inner_types == [List[Int], resolve_headwater_type(int)]


def test_nothing_cannot_be_wrapped():
    """List[Nothing] and Optional[Nothing] are refused: Nothing carries no value."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="Nothing cannot be wrapped in List"):
        List[Nothing]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="in Optional"):
        Optional[Nothing]


def test_dict_api():
    """Dict bare is any dict; Dict[str, int] checks every key and value."""
    assert resolve_headwater_type(Dict).key == "PythonDict"
    assert resolve_headwater_type(Dict).display_name == "dict"
    t = Dict[str, int]
    assert (t.key, t.display_name) == ("TypedPythonDict.String.Int", "Dict[String,Int]")
    assert t.typing_type == typing.Dict[str, int]  # noqa: UP006
    assert _ok(t, {"a": 1}) and _ok(t, {})
    assert _why(t, {"a": "b"}) == 'Value "b" of python type "str" must be a int.'
    assert _why(t, {1: 1}) == 'Value "1" of python type "int" must be a string.'
    assert _why(t, []) == "Expected a dict, got [] of type list."
    assert not _ok(Dict, []) and _ok(Dict, {"x": object()})


def test_dict_api_needs_two_parameters():
    """Dict[str] is refused with an example."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match=r"e.g. Dict\[str, int\]"):
        Dict[str]


def test_set_api():
    """Set bare is any set; Set[int] checks members (a frozenset is not a set)."""
    assert resolve_headwater_type(Set).key == "PythonSet"
    t = Set[int]
    assert (t.key, t.display_name) == ("TypedPythonSet.Int", "Set[Int]")
    assert _ok(t, {1}) and not _ok(t, {"a"})
    assert _why(t, [1]) == "Expected a set, got [1] of type list."
    assert not _ok(t, frozenset([1]))


def test_tuple_api():
    """Tuple bare is any tuple; Tuple[int, str] checks length and each item."""
    assert resolve_headwater_type(Tuple).key == "PythonTuple"
    t = Tuple[int, str]
    assert (t.key, t.display_name) == ("TypedPythonTuple.Int.String", "Tuple[Int,String]")
    assert _ok(t, (1, "a"))
    assert _why(t, (1, 2)) == 'Value "2" of python type "int" must be a string.'
    assert _why(t, (1,)) == "Expected a tuple of 2 items (Int,String), got 1."
    assert _why(t, [1, "a"]) == "Expected a tuple, got [1, 'a'] of type list."
    assert Tuple[int].display_name == "Tuple[Int]"


def test_variadic_tuple():
    """Tuple[int, ...] accepts tuples of any length whose items are ints."""
    t = Tuple[int, ...]
    assert t.display_name == "Tuple[Int,...]" and repr(t) == "Tuple[Int, ...]"
    assert _ok(t, ()) and _ok(t, (1, 2, 3)) and not _ok(t, (1, "a"))
    assert resolve_headwater_type(tuple[int, ...]) == t


def test_composite_equality_by_key():
    """Independently built composites with the same shape are equal."""
    assert List[Int] == resolve_headwater_type(list[int]) == resolve_headwater_type(typing.List[int])  # noqa: UP006
    assert Dict[str, int] == resolve_headwater_type(dict[str, int])
    assert hash(Optional[Int]) == hash(resolve_headwater_type(int | None))


# --------------------------------------------------------------------------- resolution


T = typing.TypeVar("T")


@pytest.mark.parametrize(
    "obj, display",
    [
        (int, "Int"),
        (str, "String"),
        (float, "Float"),
        (bool, "Bool"),
        (None, "Nothing"),
        (type(None), "Nothing"),
        (typing.Any, "Any"),
        (list, "[Any]"),
        (dict, "dict"),
        (set, "set"),
        (tuple, "tuple"),
        (typing.List, "[Any]"),  # noqa: UP006
        (typing.Dict, "dict"),  # noqa: UP006
        (typing.List[int], "[Int]"),  # noqa: UP006
        (list[int], "[Int]"),
        (list[list[str]], "[[String]]"),
        (typing.Optional[int], "Int?"),  # noqa: UP045
        (typing.Union[int, None], "Int?"),  # noqa: UP007
        (int | None, "Int?"),
        (typing.Dict[str, int], "Dict[String,Int]"),  # noqa: UP006
        (dict[str, list[int]], "Dict[String,[Int]]"),
        (typing.Mapping[str, int], "Dict[String,Int]"),  # noqa: UP006
        (collections.abc.Sequence[int], "[Int]"),
        (typing.Set[int], "Set[Int]"),  # noqa: UP006
        (frozenset, "frozenset"),
        (tuple[int, str], "Tuple[Int,String]"),
        (typing.Annotated[int, "meta"], "Int"),
        (typing.NewType("UserId", int), "Int"),
        (T, "Any"),
        (typing.Callable[[int], int], "Any"),
        (typing.Iterator[int], "Any"),
        (typing.Literal[1], "Any"),
        (int | str, "Union[int, str]"),
        (int | str | None, "Union[int, str]?"),
        (Widget, "Widget"),
        (object, "object"),
    ],
)
def test_resolve_headwater_type(obj, display):
    """Annotations and headwater_type= values resolve to the expected type."""
    assert resolve_headwater_type(obj).display_name == display


def test_resolve_returns_headwater_types_unchanged():
    """A HeadwaterType resolves to itself."""
    t = HeadwaterType(lambda _, v: True, name="Mine")
    assert resolve_headwater_type(t) is t


def test_resolve_class_is_an_isinstance_check_keyed_by_qualified_name():
    """An unregistered class becomes a cached isinstance type keyed by module.qualname."""
    t = resolve_headwater_type(Widget)
    assert isinstance(t, PythonObjectHeadwaterType)
    assert t.key == f"{__name__}.Widget"
    assert resolve_headwater_type(Widget) is t
    assert resolve_headwater_type(Gadget) != t
    assert _ok(Widget, Widget()) and not _ok(Widget, Gadget())


def test_resolve_any_annotated_parameter_is_any():
    """A parameter annotated typing.Any resolves to the Any type, which accepts everything."""

    def fn(x: typing.Any) -> None: ...

    t = resolve_headwater_type(typing.get_type_hints(fn)["x"])
    assert t.is_any and _ok(t, object())


@pytest.mark.parametrize(
    "obj, fragment",
    [
        ("Widget", "it is a string (an unresolved forward reference?)"),
        (3, "it is a int value, not a type"),
        ([int], "it is a list value, not a type"),
        (Optional, "Optional needs an inner type"),
    ],
)
def test_resolve_rejects_non_types(obj, fragment):
    """Things that are not types raise an actionable HeadwaterInvalidDefinitionError."""
    with pytest.raises(HeadwaterInvalidDefinitionError) as exc:
        resolve_headwater_type(obj)
    message = str(exc.value)
    assert f"Cannot use {obj!r} as a headwater type" in message
    assert fragment in message
    assert "headwater_type= explicitly" in message


def test_check_headwater_type_accepts_typing_forms_and_builds_a_context():
    """check_headwater_type resolves its type and passes a TypeCheckContext with a run_id."""
    assert check_headwater_type(list[int], [1]).success
    assert not check_headwater_type(typing.Optional[int], "a").success  # noqa: UP045
    seen: list[typing.Any] = []
    t = HeadwaterType(lambda c, v: seen.append(c) or True, name="Spy")
    assert check_headwater_type(t, 1) == TypeCheck(True)
    assert isinstance(seen[0], TypeCheckContext) and seen[0].run_id and seen[0].log is not None


def test_headwater_type_loader_takes_context_and_config():
    """A type loader function must take (context, config_value)."""
    from headwater.definitions.metadata.types import headwater_type_loader

    loader = headwater_type_loader(str)(lambda context, value: value.upper())
    assert loader.construct_from_config_value(None, "a") == "A"
    with pytest.raises(HeadwaterInvalidDefinitionError, match="two parameters"):
        headwater_type_loader(str)(lambda value: value)


def test_an_asset_annotated_output_of_a_headwater_type_checks_its_value():
    """`-> Output[T]` on an asset types its value with T, a HeadwaterType instance included."""
    from headwater import asset, materialize

    @asset
    def good() -> Output[POSITIVE]:
        return Output(1)

    @asset
    def bad() -> Output[POSITIVE]:
        return Output(-1)

    assert bad.op.outs["result"].headwater_type is POSITIVE
    assert materialize([good]).success
    assert not materialize([bad], raise_on_error=False).success


# module level: annotations are strings here (`from __future__ import annotations`), resolved
# against the module's globals
from headwater import Output  # noqa: E402

POSITIVE = HeadwaterType(type_check_fn=lambda _, value: value > 0, name="Positive")
