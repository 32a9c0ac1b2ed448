"""Graph inputs: their inferred types, where their values come from, and the checks a job
runs when it is built."""

from datetime import datetime
from typing import Any

import pytest

import headwater as hw


@hw.op(ins={"after": hw.In(hw.Nothing)})
def wait():
    return "done"


@hw.op
def double(n: int) -> int:
    return n * 2


@hw.op
def total(ns: list[int]) -> int:
    return sum(ns)


@hw.op
def echo(x):
    return x


@hw.op
def echo_or_seven(x=7):
    return x


def test_graph_input_type_comes_from_the_inputs_it_feeds():
    """An unannotated graph input takes the type of the inner input(s), element type when fanned in."""

    @hw.graph
    def fed(n):
        return double(n)

    @hw.graph
    def fanned(n):
        return total([n])

    @hw.graph
    def outer(n):
        return fed(n)

    for graph in (fed, fanned, outer):
        assert graph.input_defs[0].headwater_type.typing_type is int


def test_graph_input_annotation_or_graph_in_wins_and_disagreement_gives_any():
    """An annotation or GraphIn type is kept; inner inputs of different types leave Any."""

    @hw.graph
    def annotated(n: str):
        wait(n)

    @hw.graph(ins={"n": hw.GraphIn(headwater_type=float)})
    def declared(n):
        wait(n)

    @hw.graph
    def mixed(n: Any):
        wait(n)
        echo(n)

    assert annotated.input_defs[0].headwater_type.typing_type is str
    assert declared.input_defs[0].headwater_type.typing_type is float
    assert mixed.input_defs[0].headwater_type.is_any


def test_nothing_graph_input_needs_no_value():
    """A graph input that only orders ops runs without a value, nested or not."""

    @hw.graph
    def inner(start):
        return wait(start)

    @hw.graph
    def outer(start):
        return inner(start)

    assert outer.input_defs[0].headwater_type.is_nothing
    assert outer.execute_in_process().output_value() == "done"


def test_missing_job_input_is_a_config_error_unless_a_default_covers_it():
    """No value and no default anywhere: a config error; some defaults: only the op without one fails."""

    @hw.graph
    def needs(x):
        return echo(x)

    @hw.graph
    def partly(x):
        echo_or_seven(x)
        echo(x)

    @hw.graph
    def covered(x):
        return echo_or_seven(x)

    with pytest.raises(hw.HeadwaterInvalidConfigError, match="inputs.x"):
        needs.execute_in_process()
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="op 'echo'"):
        partly.execute_in_process()
    assert covered.execute_in_process().output_value() == 7
    assert needs.execute_in_process(input_values={"x": 3}).output_value() == 3


def test_input_values_must_name_job_inputs():
    """to_job(input_values=) with a name the graph has no input for is refused when built."""

    @hw.graph
    def g(x):
        return echo(x)

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'z'.*Its inputs: x"):
        g.to_job(input_values={"z": 1})


def test_unconnected_input_that_config_cannot_hold_is_refused():
    """An unconnected input of a type run config cannot express fails when the job is built."""

    @hw.op
    def stamp(when: datetime) -> str:
        return str(when)

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="input 'when' of op 'stamp'"):
        @hw.job
        def top():
            stamp()

    @hw.graph
    def inner(when):
        stamp(when)

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="input 'when' of graph 'inner'"):
        @hw.job
        def nested():
            inner()

    @hw.job
    def configurable():
        double()  # an int can come from run config

    run_config = {"ops": {"double": {"inputs": {"n": 4}}}}
    assert configurable.execute_in_process(run_config).output_for_node("double") == 8


def test_all_headwater_types_lists_each_type_once():
    """A graph's types include its own, its nodes' and the types they are built from."""

    class Thing:
        pass

    @hw.op
    def keep(things: list[Thing]) -> list[Thing]:
        return things

    @hw.graph
    def g(things: list[Thing] | None):
        keep(things)

    names = [t.display_name for t in g.all_headwater_types()]
    assert {"Thing", "[Thing]", "[Thing]?"} <= set(names)
    assert len(names) == len(set(names))


def test_asset_called_in_a_graph_body_is_a_node():
    """Calling an asset inside a graph body places its op, which then runs."""

    @hw.asset
    def thing():
        return 3

    @hw.graph
    def g():
        return thing()

    result = g.execute_in_process()
    assert result.output_value() == 3
    assert result.events_for_node("thing")


@hw.op(config_schema=str)
def says(context):
    return context.op_config


def test_job_graph_config_mapping_takes_ops_config():
    """A job's graph with a config mapping reads `ops: {config: ...}` and maps it to its ops,
    through nested graph mappings too."""

    @hw.graph(config=hw.ConfigMapping(lambda word: {"says": {"config": word}}, config_schema=str))
    def inner():
        says()

    @hw.graph(config=hw.ConfigMapping(lambda word: {"inner": {"config": word.upper()}},
                                      config_schema=str))
    def outer():
        inner()

    result = outer.execute_in_process(run_config={"ops": {"config": "hi"}})
    assert result.output_for_node("inner.says") == "HI"
    assert outer.to_job(config={"ops": {"config": "yo"}}).execute_in_process().output_for_node(
        "inner.says") == "YO"
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        outer.execute_in_process(run_config={"ops": {"config": {"not": "a string"}}})


def test_job_graph_config_dict_gives_defaults_and_a_bad_mapping_is_a_config_error():
    """A dict as the graph's config is its ops' default config; a mapping returning config
    that does not fit the ops is reported as a config error."""

    @hw.graph(config={"says": {"config": "default"}})
    def fixed():
        return says()

    @hw.graph(config=hw.ConfigMapping(lambda _: "not a dict"))
    def broken():
        says()

    assert fixed.execute_in_process().output_value() == "default"
    overridden = fixed.execute_in_process(run_config={"ops": {"says": {"config": "mine"}}})
    assert overridden.output_value() == "mine"
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="config mapping of its graph"):
        broken.execute_in_process()


def test_graph_configured_copy_may_keep_the_graph_name():
    """A graph's configured copy may keep its name (an op's may not: it would clash)."""

    @hw.graph(config=hw.ConfigMapping(lambda word: {"says": {"config": word}}, config_schema=str))
    def speaker():
        says()

    assert speaker.configured("hello", name="speaker").name == "speaker"
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="must differ"):
        says.configured("x", name="says")


def test_configured_graph_names_itself_when_its_function_returns_bad_config():
    """A configured graph whose function returns config its mapping refuses names the copy."""

    @hw.graph(config=hw.ConfigMapping(lambda word: {"says": {"config": word}}, config_schema=str))
    def speaker():
        says()

    loud = speaker.configured(lambda _outer: 2, name="loud")
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="Error in config for graph loud"):
        loud.execute_in_process()
