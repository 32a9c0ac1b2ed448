"""Pythonic config: Config, PermissiveConfig, EnvVar and the run-config contract."""

from __future__ import annotations

import enum

import pytest
from pydantic import Field

import headwater as hw
from headwater import Config, EnvVar, PermissiveConfig


class Color(enum.Enum):
    RED = 1
    BLUE = 2


class Inner(Config):
    depth: int = 3


class LoadConfig(Config):
    limit: int
    label: str | None
    color: Color = Color.RED
    inner: Inner = Inner()
    tables: list[str] = Field(default_factory=list, description="tables to read")


def test_defaults_optional_and_nested():
    """Missing Optional fields default to None; nested models and lists get their defaults."""
    config = LoadConfig(limit=1)
    assert (config.label, config.color, config.inner.depth, config.tables) == (
        None, Color.RED, 3, [])


def test_config_is_frozen():
    """Assigning a field fails with a message that names the class and the fix."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="'LoadConfig' is a Pythonic"):
        LoadConfig(limit=1).limit = 2


def test_from_run_config_converts_enums_and_nested():
    """Run config gives enums by member name and nested models as dicts."""
    config = LoadConfig._from_run_config(
        {"limit": 5, "color": "BLUE", "inner": {"depth": 9}, "tables": ["a"]}, "ops.o.config")
    assert (config.limit, config.color, config.inner.depth, config.tables) == (
        5, Color.BLUE, 9, ["a"])


def test_from_run_config_lists_every_problem_with_its_path():
    """Wrong types, unknown keys (with a hint), bad enum names and missing fields all show up."""
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        LoadConfig._from_run_config(
            {"limit": "ten", "limt": 1, "color": "GREEN", "inner": {"deep": 1}}, "ops.load.config")
    message = str(info.value)
    assert "ops.load.config.limit: expected int, got 'ten'" in message
    assert "unexpected key 'limt'" in message and "Did you mean 'limit'?" in message
    assert "ops.load.config.color: 'GREEN' is not a member of enum Color" in message
    assert "ops.load.config.inner: unexpected key 'deep'" in message
    assert len(info.value.errors) == 4


def test_missing_required_field():
    """A required field absent from run config is named with its type."""
    errors: list[str] = []
    LoadConfig._validate_run_config({}, "ops.load.config", errors)
    assert errors == ["ops.load.config.limit: missing required field of type int."]


def test_pydantic_constraints_apply():
    """Field constraints run after the structural checks and report the path."""

    class Positive(Config):
        n: int = Field(gt=0)

    with pytest.raises(hw.HeadwaterInvalidConfigError, match="ops.p.config.n"):
        Positive._from_run_config({"n": -1}, "ops.p.config")


def test_env_var_renders_as_env_dict_and_resolves_at_launch(monkeypatch):
    """EnvVar never appears in clear in run config; it is read when the config is built."""
    config = LoadConfig(limit=EnvVar.int("LIMIT"), label=EnvVar("LABEL"))
    rendered = config._to_run_config_value()
    assert rendered["limit"] == {"env": "LIMIT"} and rendered["label"] == {"env": "LABEL"}
    monkeypatch.setenv("LIMIT", "42")
    monkeypatch.setenv("LABEL", "secret")
    built = LoadConfig._from_run_config(rendered, "ops.o.config")
    assert (built.limit, built.label) == (42, "secret")
    assert "secret" not in repr(rendered)


def test_missing_env_var_is_a_config_error(monkeypatch):
    """An unset environment variable is reported with its path and name."""
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="environment variable 'NOPE'"):
        LoadConfig._from_run_config({"limit": {"env": "NOPE"}}, "ops.o.config")


def test_permissive_config_keeps_extra_keys():
    """PermissiveConfig accepts keys it does not declare."""

    class Loose(PermissiveConfig):
        a: int = 1

    assert Loose._from_run_config({"b": 2}, "c").model_extra == {"b": 2}


def test_json_schema_has_descriptions_defaults_and_required():
    """The JSON Schema names enums by member, carries descriptions and required fields."""
    schema = LoadConfig._json_schema()
    assert schema["required"] == ["limit"]
    assert schema["properties"]["color"]["enum"] == ["RED", "BLUE"]
    assert schema["properties"]["tables"]["description"] == "tables to read"
    assert schema["properties"]["inner"]["default"] == {"depth": 3}


def test_op_takes_config_from_run_config():
    """An op's Config parameter is filled from ops.<name>.config."""
    seen = []

    @hw.op
    def load(config: LoadConfig):
        seen.append((config.limit, config.color))

    @hw.job
    def pipeline():
        load()

    assert pipeline.execute_in_process(
        run_config={"ops": {"load": {"config": {"limit": 7, "color": "BLUE"}}}}).success
    assert seen == [(7, Color.BLUE)]


def test_bad_op_config_fails_the_run_with_the_path():
    """A config problem names ops.<op>.config.<field>."""

    @hw.op
    def load(config: LoadConfig):
        pass

    @hw.job
    def pipeline():
        load()

    with pytest.raises(hw.HeadwaterInvalidConfigError, match="ops.load.config.limit"):
        pipeline.execute_in_process(run_config={"ops": {"load": {"config": {"limit": "x"}}}})


def test_direct_invocation_with_config_instance():
    """An asset called directly takes a Config instance."""

    @hw.asset
    def rows(config: LoadConfig):
        return config.limit * 2

    assert rows(config=LoadConfig(limit=4)) == 8



class _Speed(str, enum.Enum):
    FAST = "f"
    SLOW = "s"


class _Engine(hw.ConfigurableResource):
    speed: _Speed = _Speed.FAST


def test_an_enum_field_accepts_a_members_name():
    """Built in Python, an enum field takes a member's name too, as run config does."""
    assert _Engine(speed="SLOW").speed is _Speed.SLOW
    assert _Engine(speed="s").speed is _Speed.SLOW


def test_string_annotations_resolve_classes_local_to_a_function():
    # this module has `from __future__ import annotations`: `inner: LocalInner` is a string
    class LocalInner(Config):
        depth: int = 1

    class LocalOuter(Config):
        inner: LocalInner

    class Tagged(hw.ConfigurableResource):
        tag: hw.ResourceDependency[str]

    assert LocalOuter(inner=LocalInner(depth=2)).inner.depth == 2
    assert Tagged(tag="x").tag == "x"


class Days(Config):
    days: int


def test_config_mapping_takes_a_config_class_under_string_annotations():
    # `config: Days` is a string here (future annotations): the mapping still builds a Days
    @hw.config_mapping
    def by_days(config: Days) -> dict:
        return {"ops": {"hours": {"config": {"n": config.days * 24}}}}

    @hw.op(config_schema={"n": int})
    def hours(context) -> int:
        return context.op_config["n"]

    @hw.job(config=by_days)
    def backfill():
        hours()

    assert backfill.execute_in_process(run_config={"days": 2}).output_for_node("hours") == 48


def test_a_resource_without_a_docstring_has_no_description():
    # not the reference text of ConfigurableResource, which it would inherit
    class Bare(hw.ConfigurableResource):
        url: str

    class Documented(hw.ConfigurableResource):
        """Talks to the warehouse."""

        url: str

    assert Bare(url="x").get_resource_definition().description is None
    assert Documented(url="x").get_resource_definition().description == "Talks to the warehouse."


def test_a_resource_description_is_the_prose_of_its_docstring():
    class Warehouse(hw.ConfigurableResource):
        """Talks to the warehouse.

        Args:
            url: where it is.
        """

        url: str

    assert Warehouse(url="x").get_resource_definition().description == "Talks to the warehouse."
