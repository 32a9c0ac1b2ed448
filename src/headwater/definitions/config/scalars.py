"""The leaf types of the config_schema language: Enum and its EnumValues, and the scalar
sources StringSource, IntSource and BoolSource (a value, or {"env": "VAR"} read at launch).

They depend on nothing else of the language; schema.py builds Field, Shape, Map, Array and
the validation on them. Imports `errors` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headwater.errors import HeadwaterInvalidConfigError


class EnumValue:
    """One value of a config Enum: its config name and the Python value it stands for.

    Args:
        config_value: the name run config uses.
        python_value: what the op receives; defaults to `config_value`.
        description: shown in the UI.

    Example:
        ```python
        from headwater import Enum, EnumValue, build_op_context, op

        @op(config_schema={"level": Enum("Level", [EnumValue("LOW", 1), EnumValue("HIGH", 10)])})
        def level(context) -> int:
            return context.op_config["level"]

        assert level(build_op_context(config={"level": "HIGH"})) == 10
        ```
    """

    def __init__(self, config_value: str, python_value: Any = None, description: str | None = None):
        self.config_value = config_value
        self.python_value = config_value if python_value is None else python_value
        self.description = description


class Enum:
    """A choice among named values: run config gives a name, the op gets its Python value.

    A Python `enum.Enum` class in a schema works too; a name that is not a member fails.

    Args:
        name: the enum's name, shown in the UI and errors.
        enum_values: its EnumValues.

    Example:
        ```python
        from headwater import Enum, EnumValue, build_op_context, op

        @op(config_schema={"mode": Enum("Mode", [EnumValue("FULL", "full"), EnumValue("DELTA", "delta")])})
        def mode(context) -> str:
            return context.op_config["mode"]

        assert mode(build_op_context(config={"mode": "FULL"})) == "full"
        ```
    """

    def __init__(self, name: str, enum_values: Sequence[EnumValue]):
        self.name = name
        self.enum_values = list(enum_values)

    @classmethod
    def from_python_enum(cls, enum: Any) -> Enum:
        return cls(enum.__name__, [EnumValue(m.name, m) for m in enum])

    def post_process(self, value: str) -> Any:
        """The Python value that the config name `value` stands for."""
        for ev in self.enum_values:
            if ev.config_value == value:
                return ev.python_value
        names = [ev.config_value for ev in self.enum_values]
        raise HeadwaterInvalidConfigError(
            f"{value!r} is not a value of config enum {self.name}; it takes one of {names}.")


class StringSource:
    """A string, or {"env": "VAR"} read from the environment at launch.

    Run config keeps only the variable's name; an unset variable fails validation.

    Example:
        ```python
        import os
        from headwater import StringSource, build_op_context, op

        @op(config_schema={"value": StringSource})
        def read(context):
            return context.op_config["value"]

        os.environ["API_TOKEN"] = "s3cret"
        assert read(build_op_context(config={"value": {"env": "API_TOKEN"}})) == "s3cret"
        ```
    """


class IntSource:
    """An int, or {"env": "VAR"} read from the environment at launch.

    A variable that does not hold an integer fails validation.

    Example:
        ```python
        import os
        from headwater import IntSource, build_op_context, op

        @op(config_schema={"value": IntSource})
        def read(context):
            return context.op_config["value"]

        os.environ["DB_PORT"] = "5432"
        assert read(build_op_context(config={"value": {"env": "DB_PORT"}})) == 5432
        ```
    """


class BoolSource:
    """A bool, or {"env": "VAR"} read from the environment at launch.

    The variable holds true/false or 1/0; anything else fails validation.

    Example:
        ```python
        import os
        from headwater import BoolSource, build_op_context, op

        @op(config_schema={"value": BoolSource})
        def read(context):
            return context.op_config["value"]

        os.environ["DRY_RUN"] = "true"
        assert read(build_op_context(config={"value": {"env": "DRY_RUN"}})) == True
        ```
    """
