"""Config schemas are checked where they are declared: values, typing-module types, runtime
containers and None are refused; Noneable fields default to None; fields can be secret."""

import typing

import pytest

import headwater as hw
from headwater import HeadwaterInvalidDefinitionError


@pytest.mark.parametrize("schema, message", [
    ("nope", "'nope'"),
    ({"a": {"b": 3}}, "3"),
    (typing.List[int], "typing"),  # noqa: UP006 (the typing form is the point)
    (int | None, "typing"),
    (hw.Set, "Cannot use Set"),
    (hw.Tuple[int], "Cannot use Tuple"),
    ({"empty": None}, "Fields cannot be None"),
])
def test_bad_schemas_fail_on_declaration(schema, message):
    """@op(config_schema=...) and ResourceDefinition refuse a schema that is not one."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match=message):
        hw.op(name="bad", config_schema=schema)(lambda: None)
    with pytest.raises(HeadwaterInvalidDefinitionError, match=message):
        hw.ResourceDefinition(resource_fn=lambda _: None, config_schema=schema)


def test_any_is_still_a_schema():
    """typing.Any stays accepted: it is the permissive schema, not a typing container."""
    assert hw.Field(typing.Any).is_required


def test_noneable_field_defaults_to_none():
    """A Noneable field without a default is optional and defaults to None."""
    field = hw.Field(hw.Noneable({"n": int}))
    assert field.is_required is False and field.default_value is None
    assert hw.Field(int).is_required is True


def test_secret_fields():
    """is_secret is kept on the field (tools showing config mask the value)."""
    assert hw.Field(str).is_secret is False
    assert hw.Field(str, is_secret=True).is_secret is True
