"""FreshnessPolicy: its two kinds, attaching it to assets, and its checks run for real."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

import headwater as hw
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType, MaterializationData

HOUR = 3600.0
NOW = datetime(2024, 3, 1, 12, tzinfo=timezone.utc).timestamp()


def _state(outcome) -> str:
    return outcome.metadata["headwater/freshness_state"].value


def test_time_window_passes_then_warns_then_fails():
    """Younger than warn_window: PASS; between the windows: WARN; older than fail_window: FAIL."""
    policy = hw.FreshnessPolicy.time_window(fail_window=timedelta(hours=6),
                                            warn_window=timedelta(hours=2))
    fresh = policy.evaluate_freshness(NOW - HOUR, NOW)
    assert (fresh.passed, _state(fresh), fresh.severity) == (True, "PASS", None)
    assert fresh.metadata["headwater/fresh_until_timestamp"].value == NOW + HOUR
    warn = policy.evaluate_freshness(NOW - 3 * HOUR, NOW)
    assert (warn.passed, _state(warn), warn.severity) == (False, "WARN", hw.AssetCheckSeverity.WARN)
    assert warn.metadata["headwater/overdue_deadline_timestamp"].value == NOW + 3 * HOUR
    fail = policy.evaluate_freshness(NOW - 7 * HOUR, NOW)
    assert (fail.passed, _state(fail), fail.severity) == (False, "FAIL", hw.AssetCheckSeverity.ERROR)
    assert fail.metadata["headwater/overdue_seconds"].value == HOUR
    never = policy.evaluate_freshness(None, NOW)
    assert (never.passed, _state(never)) == (False, "FAIL")


def test_cron_policy_uses_the_latest_deadline():
    """Updated at 7:30 with a 9:00 deadline and a two-hour lower bound: PASS at 10:00."""
    policy = hw.FreshnessPolicy.cron(deadline_cron="0 9 * * *",
                                     lower_bound_delta=timedelta(hours=2))
    ten = datetime(2024, 3, 1, 10, tzinfo=timezone.utc).timestamp()
    seven_thirty = datetime(2024, 3, 1, 7, 30, tzinfo=timezone.utc).timestamp()
    assert _state(policy.evaluate_freshness(seven_thirty, ten)) == "PASS"
    late = policy.evaluate_freshness(seven_thirty - 2 * HOUR, ten)
    assert (_state(late), late.severity) == ("FAIL", hw.AssetCheckSeverity.ERROR)
    assert late.metadata["headwater/freshness_params"].value == {
        "deadline_cron": "0 9 * * *", "timezone": "UTC", "lower_bound_delta_seconds": 7200.0}


@pytest.mark.parametrize("build, message", [
    (lambda: hw.FreshnessPolicy.time_window(fail_window=timedelta(seconds=30)),
     "`fail_window` must be at least 1 minute"),
    (lambda: hw.FreshnessPolicy.time_window(fail_window=timedelta(hours=1),
                                            warn_window=timedelta(hours=2)),
     "`warn_window` .* must be shorter than `fail_window`"),
    (lambda: hw.FreshnessPolicy.time_window(fail_window=24),
     "must be a datetime.timedelta"),
    (lambda: hw.FreshnessPolicy.cron(deadline_cron="0 9 * * *",
                                     lower_bound_delta=timedelta(days=2)),
     "longer than the shortest interval"),
    (lambda: hw.FreshnessPolicy.cron(deadline_cron="nine", lower_bound_delta=timedelta(hours=1)),
     "invalid cron schedule 'nine'"),
])
def test_invalid_policies_are_refused(build, message):
    """A policy that could never be met, or is mistyped, is refused when built."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=message):
        build()


def test_policy_on_asset_spec_and_asset():
    """AssetSpec(freshness_policy=...) and @asset(freshness_policy=...) keep the policy."""
    policy = hw.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))
    assert hw.AssetSpec("a", freshness_policy=policy).freshness_policy == policy

    @hw.asset(freshness_policy=policy)
    def b():
        return 1

    assert b.specs[0].freshness_policy == policy
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="asset 'c': freshness_policy must be a FreshnessPolicy"):
        hw.AssetSpec("c", freshness_policy=timedelta(hours=1))


def test_apply_freshness_policy_and_map_asset_specs():
    """The policy goes on specs and definitions alike; overwrite_existing=False keeps one."""
    hourly = hw.FreshnessPolicy.time_window(fail_window=timedelta(hours=1))
    daily = hw.FreshnessPolicy.time_window(fail_window=timedelta(days=1))

    @hw.asset
    def computed():
        return 1

    kept = hw.AssetSpec("kept", freshness_policy=daily)
    out = hw.apply_freshness_policy([computed, hw.AssetSpec("plain"), kept], hourly,
                                    overwrite_existing=False)
    assert isinstance(out[0], hw.AssetsDefinition)
    assert [spec.freshness_policy for spec in out[0].specs] == [hourly]
    assert [out[1].freshness_policy, out[2].freshness_policy] == [hourly, daily]
    assert hw.apply_freshness_policy([kept], hourly)[0].freshness_policy == hourly
    grouped = hw.map_asset_specs(lambda s: s.replace_attributes(group_name="sales"),
                                 [computed, kept])
    assert grouped[0].group_names_by_key[computed.key] == "sales"
    assert grouped[1].group_name == "sales"
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="neither an AssetSpec nor an AssetsDefinition"):
        hw.map_asset_specs(lambda s: s, ["orders"])


def test_freshness_policy_checks_run_for_real():
    """One check per asset with a policy: PASS, WARN and FAIL recorded as check outcomes."""
    policy = hw.FreshnessPolicy.time_window(fail_window=timedelta(hours=6),
                                            warn_window=timedelta(hours=2))
    specs = hw.apply_freshness_policy(
        [hw.AssetSpec("fresh"), hw.AssetSpec("aging"), hw.AssetSpec("stale")], policy)
    checks = hw.build_freshness_policy_checks(assets=[*specs, hw.AssetSpec("no_policy")])
    assert sorted(k.to_user_string() for k in checks[0].check_keys) == [
        "aging:freshness_policy", "fresh:freshness_policy", "stale:freshness_policy"]
    instance = hw.HeadwaterInstance.ephemeral()
    for key, age in (("fresh", 0.5), ("aging", 3), ("stale", 7)):
        materialization = hw.AssetMaterialization(asset_key=key)
        instance.store_event(HeadwaterEvent(
            HeadwaterEventType.ASSET_MATERIALIZATION, "", "", time.time() - age * HOUR,
            asset_key=hw.AssetKey(key), payload=MaterializationData(materialization)))
    defs = hw.Definitions(assets=specs, asset_checks=checks, jobs=[
        hw.define_asset_job("policies", selection=hw.AssetSelection.all_asset_checks())])
    result = defs.resolve_job_def("policies").execute_in_process(instance=instance)
    outcomes = {e.asset_key.to_user_string(): (e.passed, e.severity)
                for e in result.get_asset_check_evaluations()}
    assert outcomes == {"fresh": (True, hw.AssetCheckSeverity.WARN),
                        "aging": (False, hw.AssetCheckSeverity.WARN),
                        "stale": (False, hw.AssetCheckSeverity.ERROR)}


def test_policy_checks_need_a_policy():
    """A list of assets none of which has a policy is refused."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="none of the assets has"):
        hw.build_freshness_policy_checks(assets=[hw.AssetSpec("a")])
