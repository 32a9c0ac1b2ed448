"""Re-execution of jobs with dynamic outputs: copies of mapped steps selected by mapping
key, resuming from failure copy by copy, and what a re-execution loads from earlier runs."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater import ReexecutionOptions, execute_job, in_process_executor, reconstructable


@hw.op(out=hw.DynamicOut())
def _fan():
    for i in range(3):
        yield hw.DynamicOutput(i, mapping_key=str(i))


@hw.op
def _times_ten(x):
    return x * 10


@hw.op
def _plus_one(x):
    return x + 1


@hw.op
def _total(xs):
    return sum(xs)


@hw.job(executor_def=in_process_executor)
def fanned_job():
    _total(_fan().map(lambda n: _plus_one(_times_ten(n))).collect())


def _successes(result) -> set[str]:
    return {e.step_key for e in result.get_step_success_events()}


def test_one_copy_of_a_mapped_step_is_reexecuted_alone():
    """`name[key]` re-executes that copy only; the result reports only this run's outputs."""
    with hw.instance_for_test() as instance:
        parent = execute_job(reconstructable(fanned_job), instance)
        child = execute_job(reconstructable(fanned_job), instance,
                            reexecution_options=ReexecutionOptions(parent.run_id, ["_plus_one[1]"]))
        assert child.success
        assert _successes(child) == {"_plus_one[1]"}
        assert child.output_for_node("_plus_one") == {"1": 11}


def test_every_copy_and_downstream_of_one_copy():
    """`name[?]` selects every copy; `name[key]*` follows that key's copies downstream."""
    with hw.instance_for_test() as instance:
        parent = execute_job(reconstructable(fanned_job), instance)
        every = execute_job(reconstructable(fanned_job), instance,
                            reexecution_options=ReexecutionOptions(parent.run_id, ["_times_ten[?]"]))
        assert _successes(every) == {"_times_ten[0]", "_times_ten[1]", "_times_ten[2]"}
        down = execute_job(reconstructable(fanned_job), instance,
                           reexecution_options=ReexecutionOptions(parent.run_id, ["_times_ten[2]*"]))
        assert _successes(down) == {"_times_ten[2]", "_plus_one[2]", "_total"}
        assert down.output_for_node("_total") == 33


def test_unknown_mapping_key_is_refused():
    """A copy whose mapping key the parent's dynamic output did not produce is not a step."""
    with hw.instance_for_test() as instance:
        parent = execute_job(reconstructable(fanned_job), instance)
        with pytest.raises(hw.HeadwaterExecutionStepNotFoundError, match=r"_times_ten\[7\]"):
            execute_job(reconstructable(fanned_job), instance,
                        reexecution_options=ReexecutionOptions(parent.run_id, ["_times_ten[7]"]))


@hw.op
def _fails_for_keys_once(context, x):
    key = f"once-{context.get_mapping_key()}"
    if x > 0 and not context.instance.run_storage.get_cursor_values({key}):
        context.instance.run_storage.set_cursor_values({key: "1"})
        raise ValueError(f"first attempt at {key}")
    return x


@hw.job(executor_def=in_process_executor)
def flaky_fanned_job():
    _total(_fan().map(_fails_for_keys_once).collect())


def test_from_failure_reruns_only_the_failed_copies():
    """Resuming from failure re-executes the copies that failed, and the collect loads the
    copies that succeeded in the parent run."""
    with hw.instance_for_test() as instance:
        parent = execute_job(reconstructable(flaky_fanned_job), instance)
        assert not parent.success
        assert _successes(parent) == {"_fan", "_fails_for_keys_once[0]"}
        options = ReexecutionOptions.from_failure(parent.run_id, instance)
        child = execute_job(reconstructable(flaky_fanned_job), instance,
                            reexecution_options=options)
        assert child.success
        assert _successes(child) == {"_fails_for_keys_once[1]", "_fails_for_keys_once[2]",
                                     "_total"}
        assert child.output_for_node("_total") == 3
        assert instance.get_run_by_id(child.run_id).step_keys_to_execute == (
            "_fails_for_keys_once[1]", "_fails_for_keys_once[2]", "_total")


@hw.op(out={"a": hw.Out(is_required=False), "b": hw.Out(is_required=False)})
def _only_a():
    yield hw.Output(1, "a")


@hw.op
def _echo(x):
    return x


@hw.job(executor_def=in_process_executor)
def optional_job():
    a, b = _only_a()
    _echo.alias("echo_a")(a)
    _echo.alias("echo_b")(b)


def test_selected_step_without_a_produced_input_fails():
    """A selected step whose input no earlier run produced fails instead of skipping."""
    with hw.instance_for_test() as instance:
        parent = execute_job(reconstructable(optional_job), instance)
        assert parent.success
        child = execute_job(reconstructable(optional_job), instance,
                            reexecution_options=ReexecutionOptions(parent.run_id, ["echo_b"]))
        assert not child.success
        again = execute_job(reconstructable(optional_job), instance,
                            reexecution_options=ReexecutionOptions(parent.run_id, ["echo_a"]))
        assert again.success and again.output_for_node("echo_a") == 1


@hw.op
def _parent_of(context):
    return context.run.parent_run_id


@hw.job(executor_def=in_process_executor)
def parent_id_job():
    _parent_of()


def test_context_run_knows_its_parent():
    """context.run.parent_run_id is the re-executed run's id (None for a first run)."""
    with hw.instance_for_test() as instance:
        first = execute_job(reconstructable(parent_id_job), instance)
        assert first.output_for_node("_parent_of") is None
        second = execute_job(reconstructable(parent_id_job), instance,
                             reexecution_options=ReexecutionOptions(first.run_id))
        assert second.output_for_node("_parent_of") == first.run_id


_CANCEL = {"now": False}


@hw.op
def _cancels_after_first(context, x):
    _CANCEL["now"] = True
    return x


@hw.job(executor_def=in_process_executor)
def canceled_fan_job():
    _total(_fan().map(_cancels_after_first).collect())


def test_from_failure_runs_the_copies_a_canceled_run_never_started():
    """Copies of a mapped step that never started (the run was canceled) run on resume."""
    with hw.instance_for_test() as instance:
        _CANCEL["now"] = False
        parent = execute_job(reconstructable(canceled_fan_job), instance,
                             should_cancel=lambda: _CANCEL["now"])
        assert _successes(parent) == {"_fan", "_cancels_after_first[0]"}
        child = execute_job(reconstructable(canceled_fan_job), instance,
                            reexecution_options=ReexecutionOptions.from_failure(
                                parent.run_id, instance))
        assert child.success
        assert _successes(child) == {"_cancels_after_first[1]", "_cancels_after_first[2]",
                                     "_total"}
        assert child.output_for_node("_total") == 3
