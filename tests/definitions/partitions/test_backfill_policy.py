"""BackfillPolicy and how backfills split a range of partitions into runs."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater.daemon.backfill import _requests
from headwater.definitions.partitions.backfill_policy import runs_per_range
from headwater.storage.state import BackfillRecord


def test_single_and_multi_run_policies():
    """single_run() covers the whole range; multi_run(n) at most n partitions per run."""
    assert hw.BackfillPolicy.single_run().policy_type is hw.BackfillPolicyType.SINGLE_RUN
    assert hw.BackfillPolicy.single_run().max_partitions_per_run is None
    assert hw.BackfillPolicy.multi_run(3).max_partitions_per_run == 3
    assert repr(hw.BackfillPolicy.multi_run()) == "BackfillPolicy.multi_run(max_partitions_per_run=1)"
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="must be 1 or more"):
        hw.BackfillPolicy.multi_run(0)


def test_assets_backfilled_together_follow_the_strictest_policy():
    """No policy means one partition per run; the smallest limit wins; all single -> None."""
    single, three = hw.BackfillPolicy.single_run(), hw.BackfillPolicy.multi_run(3)
    assert runs_per_range([single, single]) is None
    assert runs_per_range([single, three]) == 3
    assert runs_per_range([three, None]) == 1
    assert runs_per_range([]) == 1


def test_backfill_runs_are_chunked_by_the_policy():
    """Seven days at three per run give three range runs, tagged with their bounds."""
    keys = [f"2024-01-0{i}" for i in range(1, 8)]
    record = BackfillRecord("bf1", "REQUESTED", 0.0, {
        "partition_keys": keys, "single_run": False, "max_partitions_per_run": 3,
        "job_name": "daily", "tags": {}, "origin": {}})
    runs = _requests(record)
    assert [r["run_key"] for r in runs] == [
        "2024-01-01...2024-01-03", "2024-01-04...2024-01-06", "2024-01-07...2024-01-07"]
    assert runs[0]["tags"]["headwater/asset_partition_range_start"] == "2024-01-01"
    assert runs[0]["tags"]["headwater/asset_partition_range_end"] == "2024-01-03"
    per_partition = _requests(BackfillRecord("bf2", "REQUESTED", 0.0, {
        "partition_keys": keys[:2], "single_run": False, "job_name": "daily", "tags": {},
        "origin": {}}))
    assert [r["partition_key"] for r in per_partition] == keys[:2]
