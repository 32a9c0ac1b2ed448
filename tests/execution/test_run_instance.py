"""Every run is recorded in an instance: an ephemeral in-memory one when none is given."""

from __future__ import annotations

import headwater as hw


def test_context_instance_answers_inside_materialize_and_is_the_result_instance():
    """materialize() without instance= gives assets a context.instance, the one the result reports."""
    seen = []

    @hw.asset
    def probe(context):
        seen.append(context.instance)
        return 1

    result = hw.materialize([probe])
    assert seen == [result.instance]
    assert result.instance.is_ephemeral


def test_context_instance_answers_inside_execute_in_process():
    """job.execute_in_process() without instance= gives ops a context.instance."""
    seen = []

    @hw.op
    def probe(context):
        seen.append(context.instance)

    @hw.job
    def probing():
        probe()

    result = probing.execute_in_process()
    assert seen == [result.instance]
    assert result.instance.get_run_by_id(result.run_id).job_name == "probing"


def test_events_of_a_run_without_instance_are_readable_from_its_instance():
    """The result's events are the rows the run's ephemeral instance stored."""

    @hw.asset
    def numbers():
        return [1, 2]

    result = hw.materialize_to_memory([numbers])
    instance = result.instance
    latest = instance.get_latest_materialization_event(hw.AssetKey("numbers"))
    assert latest is not None and latest.run_id == result.run_id
    stored = [e.headwater_event for e in instance.all_logs(result.run_id) if e.is_headwater_event]
    assert stored == result.all_events
    assert instance.get_run_by_id(result.run_id).status == hw.HeadwaterRunStatus.SUCCESS


def test_each_run_without_instance_gets_its_own():
    """Two runs without instance= do not share an instance."""

    @hw.asset
    def one():
        return 1

    first, second = hw.materialize([one]), hw.materialize([one])
    assert first.instance is not second.instance
    assert first.instance.get_run_by_id(second.run_id) is None


def test_a_given_instance_records_the_run():
    """materialize(instance=...) records in that instance and the result reports it."""

    @hw.asset
    def one():
        return 1

    instance = hw.HeadwaterInstance.ephemeral()
    result = hw.materialize([one], instance=instance)
    assert result.instance is instance
    assert instance.get_latest_materialization_event("one").run_id == result.run_id
