"""Backfills in the daemon: a cancel is never undone by a launch in flight, canceling stops
the backfill's queued runs at once, and each partition's progress comes from its runs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import headwater as hw
from headwater.daemon import backfill
from headwater.definitions.tags import (
    BACKFILL_ID_TAG,
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
)
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

S = HeadwaterRunStatus
PLAN = {"partition_keys": ["a", "b", "c"], "single_run": False, "max_partitions_per_run": 1}


@pytest.fixture
def instance() -> Any:
    with hw.instance_for_test() as instance:
        yield instance


def add_run(instance: Any, backfill_id: str, status: S, **tags: str) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(HeadwaterRun(job_name="__ASSET_JOB", run_id=run_id, status=status,
                                  tags={BACKFILL_ID_TAG: backfill_id, **tags}))
    return run_id


def test_cancel_during_launch_is_kept(instance: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancel that lands while the daemon launches stops the launching: the daemon's write
    of its progress keeps CANCELING, and it launches no further partition."""
    record = backfill.create_backfill(instance, "{}", PLAN, job_name="letters",
                                      asset_selection=None)
    launched: list[str] = []

    def launch(instance: Any, oid: str, tick: Any, origin: str, name_tag: Any,
               requests: list[dict[str, Any]]) -> dict[str, Any]:
        launched.append(requests[0]["run_key"])
        backfill.cancel_backfill(instance, record.backfill_id)
        return {"run_ids": [f"run-{requests[0]['run_key']}"], "skipped_run_keys": []}

    monkeypatch.setattr(backfill, "launch_requests", launch)
    backfill.run_backfills(instance)
    stored = instance.storage.get_backfill(record.backfill_id)
    assert stored.status == backfill.CANCELING
    assert launched == ["a"]
    assert stored.body["run_ids"] == {"a": "run-a"}


def test_cancel_stops_queued_runs_at_once(instance: Any) -> None:
    """Canceling a backfill cancels its queued runs right away; the daemon then ends it."""
    record = backfill.create_backfill(instance, "{}", PLAN, job_name="letters",
                                      asset_selection=None)
    done = add_run(instance, record.backfill_id, S.SUCCESS, **{PARTITION_TAG: "a"})
    queued = add_run(instance, record.backfill_id, S.QUEUED, **{PARTITION_TAG: "b"})
    canceled = backfill.cancel_backfill(instance, record.backfill_id)
    assert canceled.status == backfill.CANCELING
    assert instance.get_run_by_id(queued).status is S.CANCELED
    assert instance.get_run_by_id(done).status is S.SUCCESS
    backfill.run_backfills(instance)
    assert instance.storage.get_backfill(record.backfill_id).status == backfill.CANCELED


def test_partition_progress_follows_the_latest_run(instance: Any) -> None:
    """Each partition takes the status of its newest run (a retry after a failure counts);
    a range run covers its partitions; a partition without a run is not launched."""
    plan = {"partition_keys": ["d1", "d2", "d3", "d4", "d5"], "single_run": False,
            "max_partitions_per_run": 1}
    record = backfill.create_backfill(instance, "{}", plan, job_name=None,
                                      asset_selection=["daily"])
    first = add_run(instance, record.backfill_id, S.FAILURE, **{PARTITION_TAG: "d1"})
    retry = add_run(instance, record.backfill_id, S.STARTED, **{PARTITION_TAG: "d1"})
    ranged = add_run(instance, record.backfill_id, S.SUCCESS,
                     **{RANGE_START_TAG: "d2", RANGE_END_TAG: "d3"})
    queued = add_run(instance, record.backfill_id, S.QUEUED, **{PARTITION_TAG: "d4"})
    progress = backfill.partition_progress(record, backfill.backfill_runs(
        instance, record.backfill_id))
    assert progress["d1"] == ("in_progress", [retry, first])
    assert progress["d2"] == progress["d3"] == ("succeeded", [ranged])
    assert progress["d4"] == ("queued", [queued])
    assert progress["d5"] == ("not_launched", [])
    assert list(progress) == ["d1", "d2", "d3", "d4", "d5"]


def test_backfill_with_an_oversized_tag_is_refused_before_it_is_stored(instance: Any) -> None:
    """Each run of a backfill carries its tags: an over-long one is refused when the backfill
    is created, naming the tag, and nothing is stored (issue 16)."""
    with pytest.raises(HeadwaterInvalidInvocationError, match="'note'.*4096"):
        backfill.create_backfill(instance, "{}", PLAN, job_name="letters", asset_selection=None,
                                 tags={"note": "x" * 5000})
    assert instance.storage.get_backfills() == []
