"""Op selection: nested graphs, config of unselected ops, inputs left without upstream."""

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
def add(a: int, b: int):
    return a + b


@hw.op
def inc(n: int):
    return n + 1


@hw.graph
def inner():
    return inc(add(one(), two()))


@hw.job
def outer():
    inc(inner())


def _succeeded(result):
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}


def test_dotted_clause_selects_inside_a_nested_graph():
    """'inner.one' runs only that op of the nested graph."""
    result = outer.execute_in_process(op_selection=["inner.one", "inner.two", "inner.add"])
    assert _succeeded(result) == {"inner.one", "inner.two", "inner.add"}
    assert result.output_for_node("inner.add") == 3


def test_unselected_inner_input_comes_from_nested_config():
    """An inner op whose upstream is left out reads its input from the nested config."""
    result = outer.execute_in_process(
        op_selection=["inner.add", "inner.one"],
        run_config={"ops": {"inner": {"ops": {"add": {"inputs": {"b": 10}}}}}})
    assert result.output_for_node("inner.add") == 11


def test_reading_a_graph_output_its_selection_drops_is_a_subset_error():
    """Selecting a consumer of a nested graph's output, but not the op behind it, fails."""
    with pytest.raises(hw.HeadwaterInvalidSubsetError):
        outer.get_subset(op_selection=["inner.add", "inc"])


def test_config_of_unselected_ops_is_ignored():
    """Run config written for the whole job is valid for a subset of it."""

    @hw.op(config_schema={"x": int})
    def configured(context):
        return context.op_config["x"]

    @hw.job
    def j():
        inc(configured())

    config = {"ops": {"configured": {"config": {"x": 4}}}}
    assert j.execute_in_process(run_config=config).output_for_node("inc") == 5
    subset = j.execute_in_process(
        run_config={**config, "ops": {**config["ops"], "inc": {"inputs": {"n": 1}}}},
        op_selection=["inc"])
    assert subset.output_for_node("inc") == 2
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        j.execute_in_process(run_config={"ops": {"nope": {}}}, op_selection=["inc"])


def test_missing_input_config_of_a_selected_op_is_a_config_error():
    """An op whose upstream is not selected needs its input in run config."""
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        outer.execute_in_process(op_selection=["inc"])


def test_selection_leaving_an_unloadable_input_is_a_subset_error():
    """An input of a type config cannot give, left without upstream, fails at selection."""

    @hw.op
    def now() -> datetime:
        return datetime.now()

    @hw.op
    def fmt(x: datetime) -> str:
        return str(x)

    @hw.graph
    def g():
        fmt(now())

    with pytest.raises(hw.HeadwaterInvalidSubsetError):
        g.to_job(op_selection=["fmt"])
    with pytest.raises(hw.HeadwaterInvalidSubsetError):
        g.execute_in_process(op_selection=["fmt"])


def test_fan_in_keeps_the_selected_entries():
    """A fan-in input keeps the outputs of the selected ops only."""

    @hw.op
    def total(nums: list[int]) -> int:
        return sum(nums)

    @hw.graph
    def fan():
        return total([one.alias(f"one_{i}")() for i in range(4)])

    @hw.job
    def j():
        inc(fan())

    result = j.execute_in_process(op_selection=["fan.one_0", "fan.one_1", "fan.total", "inc"])
    assert result.output_for_node("inc") == 3


def test_subset_job_and_its_graph_share_a_repository():
    """A job cut from a graph by op selection does not conflict with the graph's name."""
    subset = inner.to_job(name="inner_subset", op_selection=["one"])

    @hw.repository
    def repo():
        return [inner, subset]

    assert {j.name for j in repo.get_all_jobs()} == {"inner", "inner_subset"}


def test_input_manager_decorates_a_load_function():
    """@input_manager's function loads the input; input_config_schema types its config."""

    @hw.input_manager(input_config_schema=int)
    def from_config(context):
        return context.config

    @hw.op(ins={"x": hw.In(input_manager_key="loader")})
    def take(x):
        return x

    @hw.job(resource_defs={"loader": from_config})
    def j():
        take()

    result = j.execute_in_process(run_config={"ops": {"take": {"inputs": {"x": 7}}}})
    assert result.output_for_node("take") == 7


def test_graph_mapped_over_a_dynamic_output_runs_per_element():
    """Every op of a graph invoked by .map() runs once per element."""

    @hw.op(out=hw.DynamicOut())
    def emit():
        for i in range(3):
            yield hw.DynamicOutput(i, mapping_key=str(i))

    @hw.graph
    def twice(z):
        return inc(inc(z))

    @hw.job
    def j():
        emit().map(twice)

    result = j.execute_in_process()
    assert result.output_for_node("twice") == {"0": 2, "1": 3, "2": 4}


def test_reexecuting_a_successful_run_from_failure_is_refused():
    """from_failure needs a run that failed."""
    with hw.instance_for_test() as instance:
        result = hw.execute_job(hw.reconstructable(outer), instance)
        assert result.success
        with pytest.raises(hw.HeadwaterInvariantViolationError, match="not failed"):
            hw.ReexecutionOptions.from_failure(result.run_id, instance)


def test_run_whose_executor_cannot_start_has_only_a_failure_event():
    """A multiprocess run on an in-memory instance never starts: one RUN_FAILURE event."""
    instance = hw.HeadwaterInstance.ephemeral()
    result = hw.execute_job(hw.reconstructable(outer_multiprocess), instance)
    assert [e.event_type_value for e in result.all_events] == ["PIPELINE_FAILURE"]
    assert "non-ephemeral instance" in str(result.all_events[0].job_failure_data.error.message)
    assert instance.get_run_by_id(result.run_id).status.value == "FAILURE"


@hw.job(executor_def=hw.multiprocess_executor)
def outer_multiprocess():
    inc(inner())


def test_execute_job_outputs_need_an_open_result():
    """Outputs of execute_job are read inside `with result:`; events are readable anywhere."""
    with hw.instance_for_test() as instance:
        result = hw.execute_job(hw.reconstructable(outer), instance)
        assert result.success
        with pytest.raises(hw.HeadwaterInvariantViolationError, match="context manager"):
            result.output_for_node("inc")
        with result:
            assert result.output_for_node("inc") == 5
