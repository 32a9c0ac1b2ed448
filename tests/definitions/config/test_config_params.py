"""How a function's parameters take config (a Config class, a plain `config: str`), the
mistakes refused where they are declared, and config Enum details."""

from enum import Enum as PyEnum
from typing import Any

import pytest

import headwater as hw


def test_plain_config_parameter_is_the_ops_config_with_its_default():
    """`config: str = "bar"` is the op's config: the schema comes from the annotation (str as
    StringSource) and the Python default is the config default, in runs and direct calls."""

    @hw.op
    def greet(config: str = "bar"):
        return config

    assert greet.config_field.config_type is hw.StringSource
    assert "config" not in greet.input_dict

    @hw.job
    def j():
        greet()

    assert j.execute_in_process().output_for_node("greet") == "bar"
    assert j.execute_in_process({"ops": {"greet": {"config": "qux"}}}).output_for_node(
        "greet") == "qux"
    assert greet(hw.build_op_context(op_config="qux")) == "qux"
    assert greet(hw.build_op_context()) == "bar"


def test_plain_config_parameter_without_default_is_required_and_typed():
    """`config: list[int]` without default must be given, and is checked."""

    @hw.asset
    def numbers(config: list[int]):
        return sum(config)

    assert hw.materialize([numbers], run_config={"ops": {"numbers": {"config": [1, 2]}}}
                          ).output_for_node("numbers") == 3
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        hw.materialize([numbers])
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        hw.materialize([numbers], run_config={"ops": {"numbers": {"config": ["a"]}}})


def test_config_class_parameter_accepts_a_plain_dict_in_direct_calls():
    """Calling an op directly with a dict for its Config parameter builds the class."""

    class Settings(hw.Config):
        sizes: dict[int, list[int]]

    @hw.op
    def total(config: Settings):
        return sum(sum(v) for v in config.sizes.values())

    assert total({"sizes": {1: [1, 2]}}) == 3
    assert total(config={"sizes": {2: [4]}}) == 4
    assert total(Settings(sizes={3: [5]})) == 5


def test_headwater_field_in_a_config_class_is_refused():
    """headwater.Field belongs to config_schema dicts; in a class it is a definition error
    that points to pydantic.Field."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="pydantic.Field"):
        class Settings(hw.Config):
            name: str = hw.Field(str, description="x")

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'url' of 'Db'"):
        class Db(hw.ConfigurableResource):
            url: str = hw.Field(str)


def test_bare_resource_definition_annotation_is_refused():
    """A parameter annotated with a ResourceDefinition subclass says nothing of the value it
    receives: the decorator asks for ResourceParam[...] instead."""

    class MyResourceDef(hw.ResourceDefinition):
        pass

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=r"ResourceParam\["):
        @hw.op
        def uses(my_resource: MyResourceDef):
            pass

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'my_resource' of @asset"):
        @hw.asset
        def also(my_resource: MyResourceDef):
            pass

    @hw.op
    def fine(my_resource: hw.ResourceParam[Any]):
        pass

    assert fine.required_resource_keys == {"my_resource"}


class Size(PyEnum):
    SMALL = 1
    LARGE = 2


def test_enum_post_process_and_non_string_values():
    """Enum.post_process maps a name to its Python value; a value that is not a name (say
    the Python member itself) is refused with the path and the enum's names."""
    enum = hw.Enum.from_python_enum(Size)
    assert [enum.post_process(m.name) for m in Size] == list(Size)
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="MEDIUM"):
        enum.post_process("MEDIUM")
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        hw.Field([enum], is_required=False, default_value=[Size.LARGE])
    message = str(info.value)
    assert "Error 1: Value at path root[0] for enum type Size must be a string" in message


def test_calling_dict_is_a_type_error_naming_its_class():
    """`Dict({...})` (a pre-0.7 spelling) is not callable; the error names HeadwaterDictApi."""
    with pytest.raises(TypeError, match="'HeadwaterDictApi' object is not callable"):
        hw.Dict({"a": int})  # type: ignore[operator]


def test_resource_param_of_a_resource_definition_class_is_a_resource():
    """ResourceParam[SomeResourceDefinition] says the value's type: it stays a resource."""

    class Client(hw.ResourceDefinition):
        pass

    @hw.op
    def uses(client: hw.ResourceParam[Client]):
        pass

    assert uses.required_resource_keys == {"client"}
