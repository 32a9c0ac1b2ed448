"""Jobs other processes rebuild: a factory function named with build_reconstructable_job."""

from __future__ import annotations

import os

import pytest

import headwater as hw


@hw.op
def _shared():
    return 1


def make_job(prefix: str, with_extra: bool = False) -> hw.JobDefinition:
    @hw.op
    def extra():
        return 2

    @hw.job(name=f"{prefix}_job", executor_def=hw.in_process_executor)
    def _job():
        _shared()
        if with_extra:
            extra()

    return _job


def test_factory_job_is_rebuilt_from_its_function_and_arguments():
    """build_reconstructable_job calls the named function with the given arguments."""
    with pytest.raises(hw.HeadwaterInvariantViolationError):
        hw.reconstructable(make_job("inline"))
    recon = hw.build_reconstructable_job(
        __name__, "make_job", ("made",), {"with_extra": True},
        reconstructor_working_directory=os.path.dirname(__file__),
    )
    job = recon.get_definition()
    assert job.name == "made_job"
    assert job.get_node_named("extra").name == "extra"
    with hw.instance_for_test() as instance:
        assert hw.execute_job(recon, instance).success


def test_op_handle_names_the_node_and_its_graph():
    """context.op_handle is the node's dotted path, with its name and parent graph."""
    seen = {}

    @hw.op
    def inner(context):
        seen["handle"] = context.op_handle

    @hw.graph
    def outer():
        inner()

    @hw.job
    def nested():
        outer()

    nested.execute_in_process()
    handle = seen["handle"]
    assert handle == "outer.inner"
    assert (handle.name, handle.parent, handle.parent.parent) == ("inner", "outer", None)


def test_dynamic_output_returned_as_a_plain_value_is_refused():
    """An op with a DynamicOut that returns a non-list value fails with a clear error."""

    @hw.op(out=hw.DynamicOut())
    def wrong():
        return 3

    @hw.job
    def wrong_job():
        wrong()

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="list of DynamicOutput"):
        wrong_job.execute_in_process()


def test_collect_of_a_skipped_dynamic_step_is_skipped():
    """A dynamic step that was skipped makes its collect skip; an empty one collects []."""

    @hw.op(out={"full": hw.Out(is_required=False), "none": hw.Out(is_required=False)})
    def pick():
        yield hw.Output("", "full")

    @hw.op(out=hw.DynamicOut())
    def letters(word):
        for ch in word:
            yield hw.DynamicOutput(ch, mapping_key=ch)

    @hw.op
    def gather(items):
        return items

    @hw.job
    def branches():
        full, none = pick()
        gather.alias("gather_full")(letters.alias("letters_full")(full).map(gather).collect())
        gather.alias("gather_none")(letters.alias("letters_none")(none).map(gather).collect())

    result = branches.execute_in_process()
    assert result.output_for_node("gather_full") == []
    assert result.is_node_skipped("gather_none")


def test_collect_of_an_optional_dynamic_output_that_yielded_nothing_is_skipped():
    """An optional DynamicOut with no element is not produced: its collect is skipped."""

    @hw.op(out=hw.DynamicOut(is_required=False))
    def maybe():
        yield from ()

    @hw.op
    def gather(items):
        return items

    @hw.job
    def optional_fan():
        gather(maybe().collect())

    result = optional_fan.execute_in_process()
    assert result.is_node_skipped("gather")


@hw.op(out={"full": hw.Out(is_required=False), "none": hw.Out(is_required=False)})
def _pick():
    yield hw.Output("ab", "full")


@hw.op(out=hw.DynamicOut())
def _letters(word):
    for ch in word:
        yield hw.DynamicOutput(ch, mapping_key=ch)


@hw.op
def _gather(items):
    return items


@hw.job
def pooled_branches():
    full, none = _pick()
    _gather.alias("gather_full")(_letters.alias("letters_full")(full).map(_gather).collect())
    _gather.alias("gather_none")(_letters.alias("letters_none")(none).map(_gather).collect())


def test_worker_processes_skip_the_collect_of_a_skipped_dynamic_step():
    """With the multiprocess executor too, a collect whose dynamic step was skipped (in
    another worker) is skipped."""
    with hw.instance_for_test() as instance:
        result = hw.execute_job(hw.reconstructable(pooled_branches), instance)
        assert result.success
        assert result.is_node_skipped("gather_none")
        assert result.output_for_node("gather_full") == ["a", "b"]
