"""The config_schema language: types, defaults, sources and every error path."""

from enum import Enum as PyEnum

import pytest

import headwater as hw
from headwater.definitions.config.schema import example_config, process_config, type_str


def _errors(schema, value):
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        process_config(schema, value, "ops.op.config")
    return info.value.errors


def test_scalars_and_dict_shorthand_validate_and_fill_defaults():
    """Python types, the dict shorthand, Field defaults and nested shapes with defaults."""
    schema = {"n": int, "ratio": float, "name": hw.Field(str, default_value="x"),
              "inner": {"flag": hw.Field(bool, default_value=True)}}
    assert process_config(schema, {"n": 1, "ratio": 2}) == {
        "n": 1, "ratio": 2.0, "name": "x", "inner": {"flag": True}}


def test_wrong_scalar_reports_path_value_and_expected_type():
    """A wrong scalar names the path, the expected type and the value with its type."""
    (error,) = _errors({"limit": int}, {"limit": "ten"})
    assert error.message == ('Invalid scalar at path root:ops:op:config:limit. Expected "Int", '
                             "got 'ten' (a str).")
    assert error.dotted_path == "ops.op.config.limit"
    assert error.reason == "RUNTIME_TYPE_MISMATCH"


def test_every_problem_is_reported_at_once():
    """Unknown keys (with a suggestion), missing fields and bad values come together."""
    errors = _errors({"limit": int, "name": str, "tags": [str]},
                     {"limti": 3, "tags": ["a", 1]})
    text = "\n".join(errors)
    assert 'Received unexpected config entry "limti" at path root:ops:op:config' in text
    assert 'Did you mean "limit"?' in text
    assert "Missing required config entries ['limit', 'name']" in text
    assert "For example: {'limit': 0, 'name': '...'}" in text
    assert "Invalid scalar at path root:ops:op:config:tags[1]" in text
    assert len(errors) == 3


def test_bool_is_not_an_int_and_none_is_not_a_value():
    """True is not accepted for int; None for a required scalar names the type and Noneable."""
    assert "Invalid scalar" in _errors(int, True)[0]
    assert _errors({"a": int}, {"a": None})[0] == (
        'Value at path root:ops:op:config:a is None, but a value of type "Int" is required '
        "there; give one, or wrap the type in Noneable(...).")


def test_selector_takes_exactly_one_field():
    """A Selector accepts one field; zero or two are errors naming the fields."""
    sel = hw.Selector({"a": int, "b": str})
    assert process_config(sel, {"b": "x"}) == {"b": "x"}
    assert _errors(sel, {"a": 1, "b": "x"})[0] == (
        "Selector at path root:ops:op:config got 2 fields, ['a', 'b']; it takes exactly one of "
        "['a', 'b']. Keep one.")
    assert _errors(sel, {})[0] == "Selector at path root:ops:op:config got no field; choose one of ['a', 'b']."
    assert 'unexpected config entry "c"' in _errors(sel, {"c": 1})[0]
    one = hw.Selector({"only": hw.Field(int, default_value=3)})
    assert process_config(one, None) == {"only": 3}


def test_permissive_keeps_unknown_keys_and_checks_known_ones():
    """Permissive passes unknown keys through and still validates declared fields."""
    schema = hw.Permissive({"a": int})
    assert process_config(schema, {"a": 1, "extra": [1]}) == {"a": 1, "extra": [1]}
    assert "Invalid scalar" in _errors(schema, {"a": "x"})[0]


def test_array_noneable_map_and_scalar_union():
    """Array, Noneable, Map (also as {str: int}) and ScalarUnion each validate their values."""
    assert process_config(hw.Array(int), [1, 2]) == [1, 2]
    assert process_config(hw.Noneable(int), None) is None
    assert process_config({str: int}, {"a": 1}) == {"a": 1}
    assert "Invalid scalar at path root:ops:op:config:'a':value" in _errors(
        hw.Map(str, int), {"a": "x"})[0]
    union = hw.ScalarUnion(str, {"path": str})
    assert process_config(union, "x") == "x"
    assert process_config(union, {"path": "p"}) == {"path": "p"}
    assert "must be list" in _errors(hw.Array(int), 3)[0]


class Color(PyEnum):
    RED = 1
    BLUE = 2


def test_enums_map_names_to_python_values():
    """Enum values map config names to Python values; python Enums work via from_python_enum."""
    enum = hw.Enum("Mode", [hw.EnumValue("fast", python_value=1), hw.EnumValue("slow")])
    assert process_config(enum, "fast") == 1
    assert process_config(hw.Enum.from_python_enum(Color), "RED") is Color.RED
    assert process_config(Color, "BLUE") is Color.BLUE
    (error,) = _errors(enum, "fsat")
    assert "not in enum type Mode got fsat" in error and 'Did you mean "fast"?' in error


def test_string_int_bool_sources_read_the_environment(monkeypatch):
    """{"env": VAR} is read at processing time, converted, and a missing variable is an error."""
    monkeypatch.setenv("HW_TEST_URL", "sqlite://")
    monkeypatch.setenv("HW_TEST_N", "7")
    monkeypatch.setenv("HW_TEST_ON", "true")
    schema = {"url": hw.StringSource, "n": hw.IntSource, "on": hw.BoolSource}
    value = {"url": {"env": "HW_TEST_URL"}, "n": {"env": "HW_TEST_N"}, "on": {"env": "HW_TEST_ON"}}
    assert process_config(schema, value) == {"url": "sqlite://", "n": 7, "on": True}
    monkeypatch.delenv("HW_TEST_URL")
    assert 'environment variable "HW_TEST_URL" which is not set' in _errors(schema, value)[0]


def test_field_definition_errors():
    """Bad defaults, required-with-default, HeadwaterTypes and non-scalar map keys fail early."""
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="Invalid default_value"):
        hw.Field(int, default_value="x")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="required and have a default"):
        hw.Field(int, is_required=True, default_value=1)
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="python enum value"):
        hw.Field(hw.Enum.from_python_enum(Color), default_value=Color.RED)
    def body():
        return None

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="HeadwaterType Int\\?"):
        hw.op(config_schema=hw.Optional[int])(body)
    with pytest.raises(hw.HeadwaterInvalidConfigDefinitionError, match="scalar type"):
        hw.op(config_schema={hw.Noneable(int): str})(body)


def test_shapes_are_interned_by_content():
    """Equal shapes are one object with one key, whatever the field order."""
    a = hw.Shape({"x": int, "y": hw.Field(str, default_value="q")})
    b = hw.Shape({"y": hw.Field(str, default_value="q"), "x": int})
    assert a is b and a.key == b.key
    assert hw.Shape({"x": str}) is not a
    assert hw.Permissive() is hw.Permissive()


def test_type_str_and_example_config_describe_a_schema():
    """type_str prints Dagster's compact form; example_config fills the required parts."""
    schema = hw.Shape({"a": int, "b": hw.Field([str], is_required=False)})
    assert type_str(schema) == "{ a: Int b?: [String] }"
    assert example_config(schema) == {"a": 0}


def test_op_config_in_a_run():
    """context.op_config holds the processed config, with defaults, of an op in a job."""
    seen = {}

    @hw.op(config_schema={"n": int, "mode": hw.Field(str, default_value="a")})
    def op_with_config(context):
        seen.update(context.op_config)

    @hw.job
    def job_with_config():
        op_with_config()

    job_with_config.execute_in_process({"ops": {"op_with_config": {"config": {"n": 2}}}})
    assert seen == {"n": 2, "mode": "a"}
