"""Config mappings through nested graphs, configured() chains, and the checks on the
config that reaches an op (its inputs, an optional scalar left out)."""

from enum import Enum as PyEnum

import pytest

import headwater as hw


@hw.op(config_schema={"age": int, "name": str})
def introduce(context):
    return f"{context.op_config['name']} is {context.op_config['age']}"


def test_configured_op_configured_again_runs_both_mappings():
    """configured() of a configured op feeds the new value through the first mapping."""

    @hw.configured(introduce, {"age": int})
    def introduce_ann(config):
        return {"name": "Ann", "age": config["age"]}

    ann_30 = hw.configured(introduce_ann, name="ann_30")({"age": 30})

    @hw.job
    def intro():
        ann_30()

    assert intro.execute_in_process().output_for_node("ann_30") == "Ann is 30"


def test_configured_op_with_a_bad_value_for_the_inner_mapping_is_a_config_error():
    """The value fixed by configured() is checked against the mapping it feeds."""

    @hw.configured(introduce, {"age": int})
    def introduce_ann(config):
        return {"name": "Ann", "age": config["age"]}

    bad = hw.configured(introduce_ann, name="bad")({"age": "thirty"})

    @hw.job
    def intro():
        bad()

    with pytest.raises(hw.HeadwaterInvalidConfigError, match="age"):
        intro.execute_in_process()


@hw.op(config_schema={"n": int})
def times_two(context):
    return context.op_config["n"] * 2


@hw.op
def add(lhs, rhs):
    return lhs + rhs


@hw.graph(config=hw.ConfigMapping(
    config_schema={"k": int},
    config_fn=lambda c: {"times_two": {"config": {"n": c["k"]}},
                         "again": {"config": {"n": c["k"]}}}))
def times_four():
    return add(times_two(), times_two.alias("again")())


def test_configured_graph_keeps_its_mapping_and_needs_no_run_config():
    """configured() of a graph with a mapping fixes the mapping's outer config."""
    fixed = hw.configured(times_four, name="twelve")({"k": 3})

    @hw.configured(times_four, config_schema={"base": int})
    def from_base(config):
        return {"k": config["base"] + 1}

    @hw.job
    def both():
        fixed()
        from_base()

    result = both.execute_in_process({"ops": {"from_base": {"config": {"base": 1}}}})
    assert result.output_for_node("twelve") == 12
    assert result.output_for_node("from_base") == 8


def test_configured_graph_without_mapping_is_refused():
    """A graph whose ops take their own config has no config for configured() to fix."""

    @hw.graph
    def plain():
        return times_two()

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match='graph "plain"'):
        hw.configured(plain, name="fixed")({})


class Level(PyEnum):
    LOW = 1
    HIGH = 2


@hw.op
def echo(context):
    return context.op_config["level"]


def test_job_mapping_receives_enum_names_when_it_asks_for_unprocessed_values():
    """receive_processed_config_values=False: the mapping sees the enum's name (defaults
    filled); by default it sees the Python value."""
    schema = {"level": hw.Field(hw.Enum.from_python_enum(Level), default_value="HIGH")}

    @hw.graph
    def g():
        echo()

    def mapping(processed: bool) -> hw.ConfigMapping:
        return hw.ConfigMapping(lambda c: {"ops": {"echo": {"config": {"level": c["level"]}}}},
                                config_schema=schema, receive_processed_config_values=processed)

    assert g.to_job(config=mapping(True)).execute_in_process().output_for_node("echo") \
        is Level.HIGH
    assert g.to_job(config=mapping(False)).execute_in_process().output_for_node("echo") == "HIGH"


def test_graph_mapping_receives_enum_names_when_it_asks_for_unprocessed_values():
    """The same for a graph's mapping inside a job."""
    seen = []

    def fn(c):
        seen.append(c["level"])
        return {"echo": {"config": {"level": "x"}}}

    @hw.graph(config=hw.ConfigMapping(fn, config_schema={"level": hw.Enum.from_python_enum(Level)},
                                      receive_processed_config_values=False))
    def wrapped():
        return echo()

    @hw.job
    def j():
        wrapped()

    j.execute_in_process({"ops": {"wrapped": {"config": {"level": "LOW"}}}})
    assert seen and all(v == "LOW" for v in seen)


@hw.op(ins={"text": hw.In(hw.String)})
def shout(text):
    return text.upper()


def test_input_values_in_config_are_checked_against_the_input_type():
    """A String input given in run config takes a string or {"value": string}; anything else
    fails validation with the input's path, before the run starts."""

    @hw.graph
    def wrapped():
        return shout()

    @hw.job
    def j():
        shout()
        wrapped()

    ok = j.execute_in_process({"ops": {"shout": {"inputs": {"text": "a"}},
                                       "wrapped": {"ops": {"shout": {"inputs": {
                                           "text": {"value": "b"}}}}}}})
    assert ok.output_for_node("wrapped") == "B"
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        j.execute_in_process({"ops": {"shout": {"inputs": {"text": "a"}},
                                      "wrapped": {"ops": {"shout": {"inputs": {
                                          "text": {"value": 3}}}}}}})
    assert len(info.value.errors) == 1
    assert "root:ops:wrapped:ops:shout:inputs:text:value" in info.value.errors[0].message


def test_graph_inputs_in_config_are_checked_against_the_mapped_input_type():
    """A graph's own inputs take the type of the op input they feed."""

    @hw.graph(config=hw.ConfigMapping(lambda _c: {}, config_schema={}))
    def wrapped(text):
        return shout(text)

    @hw.job
    def j():
        wrapped()

    assert j.execute_in_process(
        {"ops": {"wrapped": {"inputs": {"text": {"value": "c"}}}}}).output_for_node("wrapped") \
        == "C"
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="root:ops:wrapped:inputs:text"):
        j.execute_in_process({"ops": {"wrapped": {"inputs": {"text": {"value": 3}}}}})


def test_optional_scalar_config_left_out_is_none():
    """An op whose config is an optional scalar without default gets None when a mapping
    (or the run config) leaves it out."""

    @hw.op(config_schema=hw.Field(str, is_required=False))
    def maybe(context):
        return context.op_config

    @hw.graph(config=hw.ConfigMapping(config_fn=lambda _c: {}))
    def wrapped():
        return maybe()

    @hw.job
    def j():
        wrapped()
        maybe()

    result = j.execute_in_process({"ops": {"wrapped": {"config": {"anything": 1}}}})
    assert result.output_for_node("wrapped") is None
    assert result.output_for_node("maybe") is None
