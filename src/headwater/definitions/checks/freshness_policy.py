"""`FreshnessPolicy`: how fresh an asset is expected to be, declared on the asset itself.

    AssetSpec("orders", freshness_policy=FreshnessPolicy.time_window(
        fail_window=timedelta(hours=24), warn_window=timedelta(hours=12)))
    @asset(freshness_policy=FreshnessPolicy.cron(deadline_cron="0 9 * * *",
                                                 lower_bound_delta=timedelta(hours=2)))

A policy is a frozen value; `apply_freshness_policy` puts one on many assets or specs at once
(through `map_asset_specs`). A policy is judged by `evaluate_freshness(last_updated,
current_time)`, which answers PASS, WARN or FAIL with the same metadata as the freshness
checks. headwater records that verdict as an asset check: `build_freshness_policy_checks`
turns the policies of a list of assets into one check per asset, named `freshness_policy`,
which passes on PASS and fails with severity WARN on WARN and ERROR on FAIL, so the freshness
sensor (`build_sensor_for_freshness_checks`) can keep them evaluated like any freshness check,
and the UI shows them where it shows checks. An asset that was never updated fails (ERROR).

Imports `key`, `tags`, `errors`, the `assets`, `metadata` and `partitions` rooms, and this
room's `spec`, `result`, `decorators`, `history`, `target` and `freshness`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition, AssetSpec
from headwater.definitions.assets.spec_mapping import map_asset_specs
from headwater.definitions.checks.decorators import multi_asset_check
from headwater.definitions.checks.freshness import (
    FreshnessOutcome,
    check_cron_and_timezone,
    evaluate_last_update,
    format_duration,
)
from headwater.definitions.checks.history import latest_update
from headwater.definitions.checks.result import AssetCheckResult
from headwater.definitions.checks.spec import AssetCheckSeverity, AssetCheckSpec
from headwater.definitions.checks.target import factory_node_name
from headwater.definitions.metadata.value import MetadataValue
from headwater.definitions.partitions.cron import cron_ticks
from headwater.definitions.tags import (
    FRESH_UNTIL_METADATA,
    FRESHNESS_PARAMS_METADATA,
    FRESHNESS_STATE_METADATA,
    LAST_UPDATED_TIMESTAMP_METADATA,
    OVERDUE_DEADLINE_METADATA,
    OVERDUE_SECONDS_METADATA,
)
from headwater.errors import HeadwaterInvalidDefinitionError

FRESHNESS_POLICY_CHECK_NAME = "freshness_policy"
_MINUTE = timedelta(minutes=1)


def _window(value: Any, name: str, owner: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: `{name}` must be a datetime.timedelta such as timedelta(hours=6), got "
            f"{type(value).__name__} {value!r}.")
    if value < _MINUTE:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: `{name}` must be at least 1 minute, got {value}.")
    return value


class FreshnessPolicy(ABC):
    """How fresh an asset must be, set with `freshness_policy=` on an asset or spec.

    Build one with `FreshnessPolicy.time_window(fail_window=..., warn_window=...)` (updated
    within a sliding window) or `FreshnessPolicy.cron(deadline_cron=..., lower_bound_delta=...)`
    (updated before each deadline). `build_freshness_policy_checks` turns policies into checks.
    Inconsistent windows raise HeadwaterInvalidDefinitionError.

    Example:
        ```python
        from datetime import timedelta

        from headwater import FreshnessPolicy, asset

        policy = FreshnessPolicy.time_window(fail_window=timedelta(hours=24),
                                             warn_window=timedelta(hours=12))

        @asset(freshness_policy=policy)
        def daily_report() -> str:
            return "ok"

        assert policy.params()["fail_window_seconds"] == 86400
        ```
    """

    __slots__ = ()

    @staticmethod
    def time_window(fail_window: timedelta,
                    warn_window: timedelta | None = None) -> TimeWindowFreshnessPolicy:
        """Fresh if updated within the last `fail_window`; WARN past `warn_window`, if given."""
        return TimeWindowFreshnessPolicy(fail_window=fail_window, warn_window=warn_window)

    @staticmethod
    def cron(deadline_cron: str, lower_bound_delta: timedelta,
             timezone: str = "UTC") -> CronFreshnessPolicy:
        """Fresh if updated in the `lower_bound_delta` before the latest `deadline_cron` tick."""
        return CronFreshnessPolicy(deadline_cron=deadline_cron,
                                   lower_bound_delta=lower_bound_delta, timezone=timezone)

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The policy's parameters, as recorded in `headwater/freshness_params`."""

    @abstractmethod
    def evaluate_freshness(self, last_updated: float | None,
                           current_time: float) -> FreshnessOutcome:
        """PASS, WARN or FAIL for an asset last updated at `last_updated` (None: never)."""


@dataclass(frozen=True, slots=True)
class TimeWindowFreshnessPolicy(FreshnessPolicy):
    """Fresh while the latest update is younger than `fail_window` (PASS while younger than
    `warn_window`, WARN between the two)."""

    fail_window: timedelta
    warn_window: timedelta | None = None

    def __post_init__(self) -> None:
        owner = "FreshnessPolicy.time_window"
        _window(self.fail_window, "fail_window", owner)
        if self.warn_window is not None:
            _window(self.warn_window, "warn_window", owner)
            if self.warn_window >= self.fail_window:
                raise HeadwaterInvalidDefinitionError(
                    f"{owner}: `warn_window` ({self.warn_window}) must be shorter than "
                    f"`fail_window` ({self.fail_window}): an asset warns before it fails.")

    def params(self) -> dict[str, Any]:
        return {"fail_window_seconds": self.fail_window.total_seconds(),
                "warn_window_seconds": self.warn_window.total_seconds()
                if self.warn_window is not None else None}

    def evaluate_freshness(self, last_updated: float | None,
                           current_time: float) -> FreshnessOutcome:
        fail = self.fail_window.total_seconds()
        warn = self.warn_window.total_seconds() if self.warn_window is not None else fail
        metadata: dict[str, Any] = {FRESHNESS_PARAMS_METADATA: MetadataValue.json(self.params())}
        if last_updated is None:
            metadata[FRESHNESS_STATE_METADATA] = MetadataValue.text("FAIL")
            return FreshnessOutcome(
                False, "Asset has never been materialized or observed; its freshness policy "
                       f"expects an update every {format_duration(fail)}.",
                metadata, AssetCheckSeverity.ERROR)
        metadata[LAST_UPDATED_TIMESTAMP_METADATA] = MetadataValue.timestamp(last_updated)
        age = current_time - last_updated
        ago = format_duration(age)
        if age <= warn:
            metadata[FRESHNESS_STATE_METADATA] = MetadataValue.text("PASS")
            metadata[FRESH_UNTIL_METADATA] = MetadataValue.timestamp(last_updated + warn)
            return FreshnessOutcome(True, f"Asset is fresh: last updated {ago} ago, within "
                                          f"{format_duration(warn)}.", metadata)
        if age <= fail:
            metadata[FRESHNESS_STATE_METADATA] = MetadataValue.text("WARN")
            # not overdue yet: the deadline is when it will fail
            metadata[OVERDUE_DEADLINE_METADATA] = MetadataValue.timestamp(last_updated + fail)
            return FreshnessOutcome(
                False, f"Asset is getting stale: last updated {ago} ago, more than "
                       f"{format_duration(warn)}; it fails at {format_duration(fail)}.",
                metadata, AssetCheckSeverity.WARN)
        metadata[FRESHNESS_STATE_METADATA] = MetadataValue.text("FAIL")
        metadata[OVERDUE_DEADLINE_METADATA] = MetadataValue.timestamp(last_updated + fail)
        metadata[OVERDUE_SECONDS_METADATA] = MetadataValue.float(age - fail)
        return FreshnessOutcome(False, f"Asset is stale: last updated {ago} ago, more than "
                                       f"{format_duration(fail)}.", metadata,
                                AssetCheckSeverity.ERROR)


@dataclass(frozen=True, slots=True)
class CronFreshnessPolicy(FreshnessPolicy):
    """Fresh if updated at or after `lower_bound_delta` before the latest tick of
    `deadline_cron` (in `timezone`): "by 9:00 each day, with data from after 7:00"."""

    deadline_cron: str
    lower_bound_delta: timedelta
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        owner = "FreshnessPolicy.cron"
        _window(self.lower_bound_delta, "lower_bound_delta", owner)
        check_cron_and_timezone(self.deadline_cron, self.timezone, owner)
        shortest = _shortest_interval(self.deadline_cron, self.timezone)
        if self.lower_bound_delta > shortest:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: `lower_bound_delta` ({self.lower_bound_delta}) is longer than the "
                f"shortest interval between two ticks of '{self.deadline_cron}' ({shortest}), "
                "so one update would count for two deadlines; shorten it.")

    def params(self) -> dict[str, Any]:
        return {"deadline_cron": self.deadline_cron, "timezone": self.timezone,
                "lower_bound_delta_seconds": self.lower_bound_delta.total_seconds()}

    def evaluate_freshness(self, last_updated: float | None,
                           current_time: float) -> FreshnessOutcome:
        outcome = evaluate_last_update(last_updated, current_time, self.lower_bound_delta,
                                       self.deadline_cron, self.timezone)
        metadata = dict(outcome.metadata)
        metadata[FRESHNESS_PARAMS_METADATA] = MetadataValue.json(self.params())
        metadata[FRESHNESS_STATE_METADATA] = MetadataValue.text("PASS" if outcome.passed
                                                                else "FAIL")
        return FreshnessOutcome(outcome.passed, outcome.description, metadata,
                                None if outcome.passed else AssetCheckSeverity.ERROR)


def _shortest_interval(cron: str, timezone: str) -> timedelta:
    """The shortest gap between consecutive ticks over the coming year (a cron may tick
    unevenly: '0 9 * * 1-5' leaves a weekend gap, '0 9,17 * * *' an eight-hour one)."""
    start = time.time()
    shortest: float | None = None
    previous: float | None = None
    for tick in cron_ticks(cron, start, timezone):
        now = tick.timestamp()
        if previous is not None:
            shortest = now - previous if shortest is None else min(shortest, now - previous)
        if now - start > 366 * 86400:
            break
        previous = now
    return timedelta(seconds=shortest if shortest is not None else 366 * 86400)


def to_freshness_policy(value: Any, owner: str) -> FreshnessPolicy | None:
    if value is None or isinstance(value, FreshnessPolicy):
        return value
    raise HeadwaterInvalidDefinitionError(
        f"{owner}: freshness_policy must be a FreshnessPolicy, built with "
        "FreshnessPolicy.time_window(fail_window=...) or FreshnessPolicy.cron(deadline_cron=..., "
        f"lower_bound_delta=...); got {type(value).__name__} {value!r}.")


def apply_freshness_policy(assets_or_specs: Iterable[Any], policy: FreshnessPolicy,
                           overwrite_existing: bool = True) -> list[Any]:
    """Set `policy` as the freshness policy of every asset of `assets_or_specs`.

    Returns the AssetSpecs and AssetsDefinitions with the policy; an asset that already has a
    policy keeps it unless `overwrite_existing`.

    Args:
        assets_or_specs: AssetSpecs and AssetsDefinitions.
        policy: the FreshnessPolicy to set.
        overwrite_existing: whether to replace a policy an asset already has (True).

    Example:
        ```python
        from datetime import timedelta

        from headwater import AssetSpec, FreshnessPolicy, apply_freshness_policy

        policy = FreshnessPolicy.time_window(fail_window=timedelta(hours=6))
        [spec] = apply_freshness_policy([AssetSpec("vendor_feed")], policy)
        assert spec.freshness_policy == policy
        ```
    """
    to_freshness_policy(policy, "apply_freshness_policy")
    if policy is None:
        raise HeadwaterInvalidDefinitionError(
            "apply_freshness_policy: policy is None; pass a FreshnessPolicy.")

    def apply(spec: AssetSpec) -> AssetSpec:
        if spec.freshness_policy is not None and not overwrite_existing:
            return spec
        return spec.replace_attributes(freshness_policy=policy)

    return map_asset_specs(apply, assets_or_specs)


def build_freshness_policy_checks(*, assets: Iterable[Any]) -> list[Any]:
    """Build one check per asset that has a freshness policy, named `freshness_policy`.

    The check passes while the policy says PASS, fails with severity WARN on WARN and ERROR on
    FAIL. Assets without a policy are left out; a list with no policy at all raises
    HeadwaterInvalidDefinitionError.

    Args:
        assets: AssetSpecs and AssetsDefinitions, some with a freshness policy.

    Example:
        ```python
        from datetime import timedelta

        from headwater import FreshnessPolicy, asset, build_freshness_policy_checks

        @asset(freshness_policy=FreshnessPolicy.time_window(fail_window=timedelta(hours=1)))
        def prices() -> int:
            return 1

        @asset
        def notes() -> int:
            return 0

        checks = build_freshness_policy_checks(assets=[prices, notes])
        keys = [k for c in checks for k in c.check_keys]
        assert [k.to_user_string() for k in keys] == ["prices:freshness_policy"]
        ```
    """
    owner = "build_freshness_policy_checks"
    policies: dict[Any, FreshnessPolicy] = {}
    for item in assets:
        asset_specs = item.specs if isinstance(item, AssetsDefinition) else [item] \
            if isinstance(item, AssetSpec) else None
        if asset_specs is None:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: assets= holds {item!r} ({type(item).__name__}); pass asset "
                "definitions or AssetSpecs, whose freshness_policy is read.")
        policies.update({s.key: s.freshness_policy for s in asset_specs
                         if s.freshness_policy is not None})
    if not policies:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: none of the assets has a freshness_policy; set one with "
            "AssetSpec(freshness_policy=...), @asset(freshness_policy=...) or "
            "apply_freshness_policy(...).")
    specs = [AssetCheckSpec(FRESHNESS_POLICY_CHECK_NAME, asset=key,
                            description=f"Evaluates the asset's freshness policy {policy!r}",
                            metadata={FRESHNESS_PARAMS_METADATA: MetadataValue.json(
                                policy.params())})
             for key, policy in sorted(policies.items())]

    @multi_asset_check(specs=specs, can_subset=True,
                       name=factory_node_name("freshness_policy_checks", [s.key for s in specs]))
    def freshness_policy_checks(context: Any) -> Iterator[AssetCheckResult]:
        now = time.time()
        for check_key in sorted(context.selected_asset_check_keys):
            update = latest_update(context.instance, check_key.asset_key)
            outcome = policies[check_key.asset_key].evaluate_freshness(
                update.timestamp if update else None, now)
            yield AssetCheckResult(asset_key=check_key.asset_key, check_name=check_key.name,
                                   passed=outcome.passed,
                                   severity=outcome.severity or AssetCheckSeverity.WARN,
                                   description=outcome.description, metadata=outcome.metadata)

    return [freshness_policy_checks]
