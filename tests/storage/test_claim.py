"""Claiming runs to launch (Storage.claim_queued_runs, Storage.transition_run), on every storage."""

from __future__ import annotations

import time

import headwater as hw
from headwater import HeadwaterEvent, HeadwaterEventType, HeadwaterRunStatus
from headwater.definitions.tags import PRIORITY_TAG
from headwater.storage.base import EventQuery
from headwater.storage.claim import QueueLimits

ET = HeadwaterEventType
S = HeadwaterRunStatus


@hw.op
def noop():
    pass


@hw.job
def small_job():
    noop()


def _event(run_id: str, event_type: HeadwaterEventType) -> HeadwaterEvent:
    return HeadwaterEvent(event_type, run_id, "small_job", time.time(), message=event_type.name)


def _queued(instance, *tags: dict[str, str]) -> list[str]:
    ids = [instance.create_run_for_job(small_job, tags=t).run_id for t in tags]
    instance.store_events([_event(i, ET.RUN_ENQUEUED) for i in ids])
    return ids


def _starting_events(instance, run_id: str) -> int:
    return len(instance.storage.get_event_records(
        EventQuery(run_id=run_id, event_types=frozenset({ET.RUN_STARTING}))))


def test_claim_takes_highest_priority_then_oldest_within_the_global_limit(instance):
    """A claim marks STARTING (with one RUN_STARTING event each) the queued runs that fit: by
    priority, then age; runs already in progress count against the limit."""
    running = instance.create_run_for_job(small_job, status=S.STARTED).run_id
    old, new, urgent = _queued(instance, {}, {}, {PRIORITY_TAG: "5"})
    claimed = instance.storage.claim_queued_runs(QueueLimits(3), "Launching.")
    assert [r.run_id for r in claimed] == [urgent, old]
    assert all(r.status is S.STARTING for r in claimed)
    assert [instance.get_run_by_id(i).status for i in (running, old, new, urgent)] == [
        S.STARTED, S.STARTING, S.QUEUED, S.STARTING]
    assert [_starting_events(instance, i) for i in (old, new, urgent)] == [1, 0, 1]
    assert instance.storage.claim_queued_runs(QueueLimits(3), "Launching.") == []
    assert instance.storage.claim_queued_runs(QueueLimits(None), "Launching.")[0].run_id == new


def test_claim_skips_a_run_whose_tag_limit_is_full(instance):
    """A queued run over a tag limit waits; a later run with other tags is taken past it; a
    per-value limit counts each value apart."""
    instance.create_run_for_job(small_job, status=S.STARTED, tags={"db": "main"})
    limits = QueueLimits(10, ({"key": "db", "value": "main", "limit": 1},
                              {"key": "team", "value": {"applyLimitPerUniqueValue": True},
                               "limit": 1}))
    blocked, free, team_a, team_a2, team_b = _queued(
        instance, {"db": "main"}, {}, {"team": "a"}, {"team": "a"}, {"team": "b"})
    claimed = [r.run_id for r in instance.storage.claim_queued_runs(limits, "Launching.")]
    assert claimed == [free, team_a, team_b]
    assert instance.get_run_by_id(blocked).status is S.QUEUED
    assert instance.get_run_by_id(team_a2).status is S.QUEUED


def test_claim_with_nothing_queued_or_no_slot_takes_nothing(instance):
    """No queued run, or a limit of 0, claims nothing and changes nothing."""
    assert instance.storage.claim_queued_runs(QueueLimits(10), "Launching.") == []
    (run_id,) = _queued(instance, {})
    assert instance.storage.claim_queued_runs(QueueLimits(0), "Launching.") == []
    assert instance.get_run_by_id(run_id).status is S.QUEUED


def test_transition_run_moves_only_from_an_expected_status(instance):
    """The conditional move succeeds once: a second claimer of the same run is told no, and
    stores no event."""
    run_id = instance.create_run_for_job(small_job).run_id
    starting = _event(run_id, ET.RUN_STARTING)
    assert instance.storage.transition_run(starting, (S.NOT_STARTED,)) is True
    assert instance.storage.transition_run(_event(run_id, ET.RUN_STARTING), (S.NOT_STARTED,)) is False
    assert instance.get_run_by_id(run_id).status is S.STARTING
    assert _starting_events(instance, run_id) == 1
    taken = _event(run_id, ET.ENGINE_EVENT)
    assert instance.storage.transition_run(taken, (S.STARTING,), S.STARTED) is True
    record = instance.get_run_record_by_id(run_id)
    assert record.headwater_run.status is S.STARTED and record.start_time == taken.timestamp
    assert instance.storage.transition_run(_event("nope", ET.RUN_STARTING), (S.NOT_STARTED,)) is False
