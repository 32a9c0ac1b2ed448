"""JobDefinition: its derived properties, its copies, and the checks on its tags."""

import pytest

import headwater as hw
from headwater.errors import HeadwaterDeprecationWarning


@hw.op(ins={"after": hw.In(hw.Nothing)})
def wait():
    return "done"


def test_job_partitioned_config_and_run_tags():
    """partitioned_config answers per partition; run_tags default to the job's tags."""
    parts = hw.StaticPartitionsDefinition(["a", "b"])

    @hw.graph
    def g():
        wait()

    by_key = g.to_job(config=hw.PartitionedConfig(
        partitions_def=parts, run_config_for_partition_key_fn=lambda key: {"k": key}))
    assert by_key.partitioned_config.get_run_config_for_partition_key("b") == {"k": "b"}
    assert g.to_job(partitions_def=parts).partitioned_config.get_run_config_for_partition_key(
        "a") == {}
    assert g.to_job().partitioned_config is None

    assert g.to_job(tags={"t": "1"}).run_tags == {"t": "1"}
    assert g.to_job(tags={"t": "1"}, run_tags={"r": "2"}).run_tags == {"r": "2"}


def test_with_executor_def_and_logger_defs_copy_the_job():
    """with_executor_def / with_logger_defs return changed copies."""

    @hw.job
    def j():
        wait()

    copy = j.with_executor_def(hw.in_process_executor)
    assert copy.executor_def is hw.in_process_executor and j.executor_def is None
    assert set(j.with_logger_defs({"mine": hw.colored_console_logger}).loggers) == {"mine"}


def test_odd_job_tag_keys_warn_but_still_tag_runs():
    """A job tag key outside the tag key format is deprecated: a warning that points at the
    user's code, and the runs still carry the tag."""
    with pytest.warns(HeadwaterDeprecationWarning, match=r"tag keys \['a&b'\]") as caught:
        @hw.job(tags={"a&b": "yes", "fine/key": "ok"})
        def tagged():
            wait()

    assert caught[0].filename == __file__
    with pytest.warns(HeadwaterDeprecationWarning):
        odd_by_graph = hw.GraphDefinition("g", node_defs=[wait]).to_job(tags={"x y": "1"})
    assert odd_by_graph.tags == {"x y": "1"}
    result = tagged.execute_in_process()
    assert result.instance.get_run_by_id(result.run_id).tags["a&b"] == "yes"


def test_graph_execute_in_process_takes_op_selection_and_to_job_takes_owners():
    """graph.execute_in_process(op_selection=...) runs the selected ops only; to_job passes owners."""

    @hw.op
    def first():
        return 1

    @hw.op
    def second(x):
        return x + 1

    @hw.graph
    def pair():
        second(first())

    result = pair.execute_in_process(op_selection=["first"])
    assert [e.step_key for e in result.get_step_success_events()] == ["first"]
    assert pair.to_job(owners=["team:data"]).owners == ["team:data"]


def test_decorated_definitions_keep_their_function_name_and_docstring():
    """@op, @graph and @job keep the function's __name__ and __doc__ (name= may differ)."""

    @hw.op(name="renamed")
    def step():
        """Does a step."""

    @hw.graph
    def flow():
        """Runs the step."""
        step()

    @hw.job
    def nightly():
        """Every night."""
        step()

    assert (step.__name__, step.__doc__, step.name) == ("step", "Does a step.", "renamed")
    assert (flow.__name__, flow.__doc__) == ("flow", "Runs the step.")
    assert (nightly.__name__, nightly.__doc__, nightly.description) == (
        "nightly", "Every night.", "Every night.")


def test_in_and_out_compare_by_value_with_types_resolved():
    """In/Out are equal field by field, a Python type equal to the type it resolves to; a
    Google-style 'Returns: type: text' gives the output the text."""

    @hw.op(ins={"a": hw.In(metadata={"m": 1})}, out=hw.Out(metadata={"n": 2}))
    def f(a: int) -> str:
        """Formats.

        Returns:
            str: the formatted text
        """
        return str(a)

    assert f.ins == {"a": hw.In(int, metadata={"m": 1})}
    assert f.outs == {"result": hw.Out(str, description="the formatted text",
                                       io_manager_key="io_manager", metadata={"n": 2})}
    assert hw.In(int) != hw.In(str) and hw.Out(int) != hw.DynamicOut(int)


def test_outputs_take_the_op_code_version_unless_they_have_their_own():
    """An op's code_version is the default code version of its outputs."""

    @hw.op(code_version="v1", out={"a": hw.Out(), "b": hw.Out(code_version="v2")})
    def both():
        return 1, 2

    assert both.output_def_named("a").code_version == "v1"
    assert both.output_def_named("b").code_version == "v2"


def test_output_generic_return_annotation_types_the_value():
    """`-> Output[str]` makes the output a String, checked when the op runs."""

    @hw.op
    def word() -> hw.Output[str]:
        return hw.Output("hi")

    @hw.op
    def wrong() -> hw.Output[int]:
        return hw.Output("hi")

    assert word.output_def_named("result").headwater_type.key == "String"
    with pytest.raises(hw.HeadwaterTypeCheckDidNotPass):
        hw.GraphDefinition("g", node_defs=[wrong]).execute_in_process()
