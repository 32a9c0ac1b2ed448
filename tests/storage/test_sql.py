"""Tests for headwater.storage.sql specifics: batched writes seen by live readers."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater import HeadwaterEventType, HeadwaterInstance

ET = HeadwaterEventType


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_live_reader_sees_step_start_and_logs_while_the_step_runs(sql_url):
    """Another process's view shows STEP_START and context.log lines before the step ends."""
    seen = []

    @hw.asset
    def slow(context):
        context.log.info("halfway")
        with HeadwaterInstance.from_url(sql_url) as reader:
            seen.extend(reader.all_logs(context.run_id))
        return 1

    with HeadwaterInstance.from_url(sql_url) as instance:
        result = hw.materialize([slow], instance=instance)
        total = len(instance.all_logs(result.run_id))
    types = [e.headwater_event_type for e in seen]
    assert ET.RUN_START in types and ET.STEP_START in types and ET.STEP_SUCCESS not in types
    assert [e.user_message for e in seen if not e.is_headwater_event] == ["halfway"]
    assert total == len(result.all_records)


def test_reads_through_the_writing_instance_see_held_events(tmp_path):
    """Events held for the step boundary are visible to reads through the same instance."""
    with HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/h.db") as instance:
        run = instance.create_run_for_job(_job())
        instance.store_event(hw.HeadwaterEvent(ET.LOADED_INPUT, run.run_id, run.job_name))
        assert [e.headwater_event_type for e in instance.all_logs(run.run_id)] == [ET.LOADED_INPUT]


def _job():
    @hw.op
    def noop():
        return None

    @hw.job
    def j():
        noop()

    return j


def test_forked_child_does_not_write_the_parents_held_events(tmp_path):
    """A child forked while events are held writes only its own events."""
    import os

    with HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/h.db") as instance:
        run = instance.create_run_for_job(_job())
        instance.store_event(hw.HeadwaterEvent(ET.LOADED_INPUT, run.run_id, run.job_name))
        pid = os.fork()
        if pid == 0:
            instance.store_event(hw.HeadwaterEvent(ET.ENGINE_EVENT, run.run_id, run.job_name))
            os._exit(0)
        os.waitpid(pid, 0)
        types = [e.headwater_event_type for e in instance.all_logs(run.run_id)]
        assert sorted(t.value for t in types) == sorted([ET.LOADED_INPUT.value, ET.ENGINE_EVENT.value])
