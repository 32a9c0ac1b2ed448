"""Op selection: clauses that reach inside nested graphs, and what a cut job keeps."""

from datetime import datetime

import pytest

import headwater as hw


@hw.op
def one():
    return 1


@hw.op
def two():
    return 2


@hw.op
def plus(a: int, b: int) -> int:
    return a + b


@hw.op
def inc(n: int) -> int:
    return n + 1


@hw.graph
def inner():
    return inc(plus(one(), two()))


@hw.job
def outer():
    inc(inner())


def _ran(result):
    return {e.step_key for e in result.get_step_success_events()}


def test_dotted_clause_selects_inside_a_nested_graph():
    """'graph.op' selects one op of a nested graph; marks ('*graph.op') apply inside it."""
    result = outer.execute_in_process(op_selection=["inner.one"])
    assert _ran(result) == {"inner.one"}
    result = outer.execute_in_process(op_selection=["*inner.plus"])
    assert _ran(result) == {"inner.one", "inner.two", "inner.plus"}
    assert result.output_for_node("inner.plus") == 3


def test_cut_inputs_come_from_config_and_config_of_left_out_ops_is_ignored():
    """An input whose upstream was left out reads run config; entries for left-out ops pass."""
    run_config = {"ops": {"inner": {"ops": {"plus": {"inputs": {"b": 10}}, "two": {}}},
                          "not_selected_anyway": {}}}
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        outer.execute_in_process(run_config=run_config)  # unknown op in a full run
    result = outer.execute_in_process(
        op_selection=["inner.one", "inner.plus", "inner.inc", "inc"],
        run_config={"ops": {"inner": {"ops": {"plus": {"inputs": {"b": 10}}, "two": {}}}}})
    assert result.output_for_node("inc") == 13


def test_fan_in_keeps_its_selected_sources():
    """A fanned-in input keeps the sources the selection kept."""

    @hw.op
    def total(ns: list[int]) -> int:
        return sum(ns)

    @hw.job
    def fan():
        total([one(), two(), one.alias("again")()])

    result = fan.execute_in_process(op_selection=["one", "again", "total"])
    assert result.output_for_node("total") == 2


def test_selection_that_cuts_a_read_output_or_leaves_an_unloadable_input_is_refused():
    """Keeping a reader of a cut graph output, or an input nothing can feed, is a subset error."""
    with pytest.raises(hw.HeadwaterInvalidSubsetError, match="reads output 'result' of 'inner'"):
        outer.execute_in_process(op_selection=["inner.plus", "inc"])

    @hw.op
    def now() -> datetime:
        return datetime.now()

    @hw.op
    def stamp(when: datetime) -> str:
        return str(when)

    @hw.graph
    def stamped():
        stamp(now())

    with pytest.raises(hw.HeadwaterInvalidSubsetError, match="input 'when' of op 'stamp'"):
        stamped.to_job(op_selection=["stamp"])


def test_repository_takes_a_graph_and_a_job_cut_from_it():
    """A job cut from a graph by op selection does not clash with the graph by name."""
    cut = inner.to_job(name="cut", op_selection=["one"])

    @hw.repository
    def repo():
        return [inner, cut]

    assert {j.name for j in repo.get_all_jobs()} == {"inner", "cut"}
