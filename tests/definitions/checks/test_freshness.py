"""Freshness checks: the arithmetic at chosen times, and the checks run for real against
materializations and observations recorded at known times."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

import headwater as hw
from headwater.definitions.checks.freshness import (
    evaluate_last_update,
    evaluate_time_partition,
    expected_partition,
)
from headwater.definitions.checks.history import AssetUpdate
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType, MaterializationData

HOUR = 3600.0


def _at(text: str, tz: str = "UTC") -> float:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


def _meta(outcome, key):
    value = outcome.metadata[key]
    return value.value


def _materialized(instance, key, when: float, partition: str | None = None) -> None:
    """Record a runless materialization of `key` at time `when`."""
    materialization = hw.AssetMaterialization(asset_key=key, partition=partition)
    instance.store_event(HeadwaterEvent(
        HeadwaterEventType.ASSET_MATERIALIZATION, "", "", when, asset_key=hw.AssetKey(key),
        partition=partition, payload=MaterializationData(materialization)))


def _run_checks(checks, assets, instance):
    defs = hw.Definitions(assets=assets, asset_checks=checks, jobs=[
        hw.define_asset_job("freshness", selection=hw.AssetSelection.all_asset_checks())])
    result = defs.resolve_job_def("freshness").execute_in_process(instance=instance)
    assert result.success
    return {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}


# --- last update: arithmetic ---------------------------------------------------------------
def test_recent_update_is_fresh_until_the_window_runs_out():
    """Updated an hour ago with a two-hour window: fresh for one more hour."""
    now = _at("2024-03-01T12:00:00")
    outcome = evaluate_last_update(now - HOUR, now, timedelta(hours=2))
    assert outcome.passed
    assert _meta(outcome, "headwater/fresh_until_timestamp") == now + HOUR
    assert _meta(outcome, "headwater/last_updated_timestamp") == now - HOUR
    assert _meta(outcome, "headwater/freshness_params") == {
        "lower_bound_delta_seconds": 7200.0, "deadline_cron": None, "timezone": "UTC"}
    assert "headwater/overdue_seconds" not in outcome.metadata


def test_old_update_is_overdue_since_the_window_ran_out():
    """Updated three hours ago with a two-hour window: overdue for an hour."""
    now = _at("2024-03-01T12:00:00")
    outcome = evaluate_last_update(now - 3 * HOUR, now, timedelta(hours=2))
    assert not outcome.passed
    assert _meta(outcome, "headwater/overdue_deadline_timestamp") == now - HOUR
    assert _meta(outcome, "headwater/overdue_seconds") == HOUR
    assert outcome.description.startswith("Asset is overdue: last updated 3 hours ago")


def test_never_updated_is_overdue():
    """An asset with no update fails and says it was never updated."""
    outcome = evaluate_last_update(None, _at("2024-03-01T12:00:00"), timedelta(hours=2))
    assert not outcome.passed
    assert "never been materialized or observed" in outcome.description


def test_deadline_cron_measures_from_the_latest_tick():
    """By 9:00 each day, an update since 7:00: 7:30 passes until the next 9:00, 6:00 fails."""
    now = _at("2024-03-01T10:00:00")
    fresh = evaluate_last_update(_at("2024-03-01T07:30:00"), now, timedelta(hours=2),
                                 "0 9 * * *")
    assert fresh.passed
    assert _meta(fresh, "headwater/latest_cron_tick_timestamp") == _at("2024-03-01T09:00:00")
    assert _meta(fresh, "headwater/fresh_until_timestamp") == _at("2024-03-02T09:00:00")
    stale = evaluate_last_update(_at("2024-03-01T06:00:00"), now, timedelta(hours=2),
                                 "0 9 * * *")
    assert not stale.passed
    assert _meta(stale, "headwater/overdue_deadline_timestamp") == _at("2024-03-01T09:00:00")
    assert _meta(stale, "headwater/overdue_seconds") == HOUR


def test_update_before_the_deadline_stays_fresh_through_the_next_one():
    """At 8:00 today the latest deadline is yesterday's 9:00, which an update at 8:30 yesterday
    met: fresh until today's 9:00."""
    now = _at("2024-03-01T08:00:00")
    outcome = evaluate_last_update(_at("2024-02-29T08:30:00"), now, timedelta(hours=2),
                                   "0 9 * * *")
    assert outcome.passed
    assert _meta(outcome, "headwater/fresh_until_timestamp") == _at("2024-03-01T09:00:00")


def test_deadline_cron_in_a_timezone():
    """'0 9 * * *' in New York is 14:00 UTC in winter."""
    now = _at("2024-01-10T15:00:00")
    outcome = evaluate_last_update(_at("2024-01-10T13:30:00"), now, timedelta(hours=1),
                                   "0 9 * * *", "America/New_York")
    assert outcome.passed
    assert _meta(outcome, "headwater/latest_cron_tick_timestamp") == _at("2024-01-10T14:00:00")


# --- time partitions: arithmetic -----------------------------------------------------------
DAILY = hw.DailyPartitionsDefinition(start_date="2024-01-01")


def test_expected_partition_is_the_newest_window_ended_by_the_deadline():
    """At 9:00 on Jan 5 the Jan 4 partition is due; before the first window ends, none."""
    assert expected_partition(DAILY, _at("2024-01-05T09:00:00")) == "2024-01-04"
    assert expected_partition(DAILY, _at("2024-01-05T00:00:00")) == "2024-01-04"
    assert expected_partition(DAILY, _at("2024-01-01T09:00:00")) is None


def _lookup(records: dict[str, float]):
    def update_of(partition: str, not_before: float) -> AssetUpdate | None:
        when = records.get(partition)
        return None if when is None else AssetUpdate(when, 1, "r", partition, {})
    return update_of


def test_partition_arrived_is_fresh_until_the_next_deadline():
    """Jan 4 arrived: fresh until 9:00 on Jan 6, when Jan 5 is due."""
    now = _at("2024-01-05T10:00:00")
    outcome = evaluate_time_partition(DAILY, "0 9 * * *", now,
                                      _lookup({"2024-01-04": _at("2024-01-05T01:00:00")}))
    assert outcome.passed
    assert _meta(outcome, "headwater/expected_partition") == "2024-01-04"
    assert _meta(outcome, "headwater/fresh_until_timestamp") == _at("2024-01-06T09:00:00")
    assert _meta(outcome, "headwater/last_updated_timestamp") == _at("2024-01-05T01:00:00")


def test_partition_missing_is_overdue_since_its_deadline():
    """Jan 4 missing at 10:00 on Jan 5: overdue for an hour."""
    now = _at("2024-01-05T10:00:00")
    outcome = evaluate_time_partition(DAILY, "0 9 * * *", now,
                                      _lookup({"2024-01-03": _at("2024-01-04T01:00:00")}))
    assert not outcome.passed
    assert _meta(outcome, "headwater/overdue_deadline_timestamp") == _at("2024-01-05T09:00:00")
    assert _meta(outcome, "headwater/overdue_seconds") == HOUR
    assert "partition '2024-01-04'" in outcome.description


def test_no_partition_due_yet_passes():
    """Before the first deadline after the first window, nothing is due."""
    now = _at("2024-01-01T10:00:00")
    outcome = evaluate_time_partition(DAILY, "0 9 * * *", now, _lookup({}))
    assert outcome.passed
    assert _meta(outcome, "headwater/fresh_until_timestamp") == _at("2024-01-02T09:00:00")


# --- the checks, run -----------------------------------------------------------------------
def test_last_update_check_passes_after_a_materialization_and_fails_on_an_old_one():
    """A materialization in the run makes the asset fresh; one three days ago does not."""
    @hw.asset
    def orders():
        return 1

    @hw.asset
    def customers():
        return 2

    checks = hw.build_last_update_freshness_checks(
        assets=[orders, customers], lower_bound_delta=timedelta(days=1),
        severity=hw.AssetCheckSeverity.ERROR)
    assert [s.name for s in checks[0].check_specs] == ["freshness_check", "freshness_check"]
    instance = hw.HeadwaterInstance.ephemeral()
    hw.materialize([orders], instance=instance)
    _materialized(instance, "customers", time.time() - 3 * 86400)
    evaluations = _run_checks(checks, [orders, customers], instance)
    assert evaluations["orders"].passed
    assert evaluations["orders"].metadata["headwater/fresh_until_timestamp"].value > time.time()
    assert not evaluations["customers"].passed
    assert evaluations["customers"].severity == hw.AssetCheckSeverity.ERROR
    overdue = evaluations["customers"].metadata["headwater/overdue_seconds"].value
    assert 2 * 86400 - 60 < overdue < 2 * 86400 + 60


def test_an_observation_with_its_own_update_time_counts():
    """A source asset observed now, reporting data from two days ago, is two days old."""
    source = hw.AssetSpec("raw_events")
    checks = hw.build_last_update_freshness_checks(assets=[source],
                                                   lower_bound_delta=timedelta(days=1))
    instance = hw.HeadwaterInstance.ephemeral()
    instance.report_runless_asset_event(hw.AssetObservation(
        asset_key="raw_events",
        metadata={"headwater/last_updated_timestamp": hw.MetadataValue.timestamp(
            time.time() - 2 * 86400)}))
    evaluation = _run_checks(checks, [source], instance)["raw_events"]
    assert not evaluation.passed
    assert evaluation.severity == hw.AssetCheckSeverity.WARN
    instance.report_runless_asset_event(hw.AssetObservation(asset_key="raw_events"))
    assert _run_checks(checks, [source], instance)["raw_events"].passed


def test_time_partition_check_looks_for_the_due_partition():
    """The partition due by the latest midnight must be materialized; others do not count."""
    start = datetime.now(timezone.utc) - timedelta(days=10)
    daily = hw.DailyPartitionsDefinition(start_date=start.strftime("%Y-%m-%d"))

    @hw.asset(partitions_def=daily)
    def events():
        return 1

    checks = hw.build_time_partition_freshness_checks(assets=[events], deadline_cron="0 0 * * *")
    instance = hw.HeadwaterInstance.ephemeral()
    due = expected_partition(daily, time.time())
    older = daily.get_partition_key_for_timestamp(
        daily.start_time_for_partition_key(due).timestamp() - 1)
    _materialized(instance, "events", time.time() - 60, partition=older)
    missing = _run_checks(checks, [events], instance)["events"]
    assert not missing.passed
    assert missing.metadata["headwater/expected_partition"].value == due
    _materialized(instance, "events", time.time() - 30, partition=due)
    arrived = _run_checks(checks, [events], instance)["events"]
    assert arrived.passed


# --- refusals ------------------------------------------------------------------------------
def test_time_partition_check_needs_time_partitions():
    """An unpartitioned asset or a bare key is refused, naming the asset and the fix."""
    @hw.asset
    def plain():
        return 1

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="asset 'plain' has partitions_def None.*build_last_update"):
        hw.build_time_partition_freshness_checks(assets=[plain], deadline_cron="0 9 * * *")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="given by key only"):
        hw.build_time_partition_freshness_checks(assets=["plain"], deadline_cron="0 9 * * *")


@pytest.mark.parametrize("kwargs, message", [
    ({"lower_bound_delta": 3600}, "must be a datetime.timedelta"),
    ({"lower_bound_delta": timedelta(0)}, "must be positive"),
    ({"lower_bound_delta": timedelta(hours=1), "deadline_cron": "every day"},
     "invalid cron schedule 'every day'"),
    ({"lower_bound_delta": timedelta(hours=1), "timezone": "Mars/Olympus"}, "Invalid.*timezone"),
])
def test_last_update_check_refuses_bad_arguments(kwargs, message):
    """Bad windows, crons and timezones are refused when the checks are built."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=message):
        hw.build_last_update_freshness_checks(assets=["a"], **kwargs)


def test_freshness_factories_refuse_misspelled_keywords():
    """A misspelled keyword names the right spelling."""
    with pytest.raises(TypeError, match="Did you mean 'deadline_cron'"):
        hw.build_time_partition_freshness_checks(assets=["a"], deadline_crn="0 9 * * *")
