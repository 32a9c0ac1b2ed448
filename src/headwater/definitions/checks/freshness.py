"""Freshness checks: is an asset updated as often as its consumers expect?

Two factories, each returning one `@multi_asset_check` with a check named `freshness_check`
per asset (default severity WARN):

- `build_last_update_freshness_checks(assets, lower_bound_delta, deadline_cron=None, ...)`:
  the asset's latest update (materialization or observation, see `history.py`) must be no
  older than `lower_bound_delta`, measured from now, or, with `deadline_cron`, from the latest
  tick of the cron ("by 9:00 every day, an update made since 7:00": deadline_cron="0 9 * * *",
  lower_bound_delta=2 hours).
- `build_time_partition_freshness_checks(assets, deadline_cron, ...)`: once a tick of
  `deadline_cron` has passed, the newest time partition that ended by then must have a
  materialization or observation.

The arithmetic is in two pure functions, `evaluate_last_update` and `evaluate_time_partition`,
which take the evaluation time; the checks call them with the time they run at. Every outcome
carries the metadata the freshness sensor (`freshness_sensor.py`) and the UI read:
`headwater/freshness_params`, `headwater/last_updated_timestamp`,
`headwater/latest_cron_tick_timestamp`, and `headwater/fresh_until_timestamp` when fresh (when
it will stop being fresh) or `headwater/overdue_deadline_timestamp` and
`headwater/overdue_seconds` when overdue (since when, and for how long).

Imports `key`, `tags`, `errors`, the `metadata` and `partitions` rooms, and this room's `spec`,
`result`, `decorators`, `history` and `target`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from headwater.definitions.checks.decorators import multi_asset_check
from headwater.definitions.checks.history import AssetUpdate, latest_update, partition_update
from headwater.definitions.checks.result import AssetCheckResult
from headwater.definitions.checks.spec import AssetCheckSeverity, AssetCheckSpec, to_severity
from headwater.definitions.checks.target import AssetTarget, asset_targets, factory_node_name
from headwater.definitions.metadata.value import MetadataValue
from headwater.definitions.partitions.cron import (
    cron_ticks,
    next_tick,
    previous_tick,
    resolve_timezone,
    validate_cron_string,
)
from headwater.definitions.partitions.time_window import TimeWindowPartitionsDefinition
from headwater.definitions.tags import (
    EXPECTED_PARTITION_METADATA,
    FRESH_UNTIL_METADATA,
    FRESHNESS_PARAMS_METADATA,
    LAST_UPDATED_TIMESTAMP_METADATA,
    LATEST_CRON_TICK_METADATA,
    OVERDUE_DEADLINE_METADATA,
    OVERDUE_SECONDS_METADATA,
)
from headwater.errors import HeadwaterInvalidDefinitionError

FRESHNESS_CHECK_NAME = "freshness_check"
DEFAULT_FRESHNESS_SEVERITY = AssetCheckSeverity.WARN
DEFAULT_FRESHNESS_TIMEZONE = "UTC"
#: how many cron ticks to walk when looking for the next change of the expected partition
_TICK_HORIZON = 1000


@dataclass(frozen=True, slots=True)
class FreshnessOutcome:
    """The verdict of one freshness evaluation: passed, why, and the metadata to record."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)
    severity: AssetCheckSeverity | None = None  # None: the check's own severity


def format_duration(seconds: float) -> str:
    """`seconds` as a short English duration: '2 days, 3 hours', '5 minutes', '12 seconds'."""
    seconds = abs(int(seconds))
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    return ", ".join(parts[:2]) or "0 seconds"


def _iso(timestamp: float, tz: str) -> str:
    return datetime.fromtimestamp(timestamp, resolve_timezone(tz, "a freshness check")).isoformat()


def _ts(timestamp: float) -> Any:
    return MetadataValue.timestamp(float(timestamp))


def _overdue(metadata: dict[str, Any], since: float | None, now: float) -> None:
    if since is None:
        return
    metadata[OVERDUE_DEADLINE_METADATA] = _ts(since)
    metadata[OVERDUE_SECONDS_METADATA] = MetadataValue.float(max(0.0, now - since))


# --- last update ---------------------------------------------------------------------------
def last_update_params(lower_bound_delta: timedelta, deadline_cron: str | None,
                       timezone: str) -> dict[str, Any]:
    return {"lower_bound_delta_seconds": lower_bound_delta.total_seconds(),
            "deadline_cron": deadline_cron, "timezone": timezone}


def evaluate_last_update(last_updated: float | None, current_time: float,
                         lower_bound_delta: timedelta, deadline_cron: str | None = None,
                         timezone: str = DEFAULT_FRESHNESS_TIMEZONE) -> FreshnessOutcome:
    """Is an asset last updated at `last_updated` (None: never) fresh at `current_time`?"""
    delta = lower_bound_delta.total_seconds()
    metadata: dict[str, Any] = {FRESHNESS_PARAMS_METADATA: MetadataValue.json(
        last_update_params(lower_bound_delta, deadline_cron, timezone))}
    deadline = current_time
    if deadline_cron is not None:
        tick = previous_tick(deadline_cron, current_time, timezone)
        if tick is not None:
            deadline = tick.timestamp()
            metadata[LATEST_CRON_TICK_METADATA] = _ts(deadline)
    lower_bound = deadline - delta
    window = (f"within {format_duration(delta)} before the deadline "
              f"{_iso(deadline, timezone)}" if deadline_cron else
              f"within the last {format_duration(delta)}")
    if last_updated is None:
        _overdue(metadata, deadline if deadline_cron else None, current_time)
        return FreshnessOutcome(False, "Asset is overdue: it has never been materialized or "
                                       f"observed, and it is expected to be updated {window}.",
                                metadata)
    metadata[LAST_UPDATED_TIMESTAMP_METADATA] = _ts(last_updated)
    ago = format_duration(current_time - last_updated)
    if last_updated >= lower_bound:
        if deadline_cron is None:
            fresh_until = last_updated + delta
        else:
            fresh_until = next_tick(deadline_cron, max(current_time, last_updated + delta),
                                    timezone).timestamp()
        metadata[FRESH_UNTIL_METADATA] = _ts(fresh_until)
        return FreshnessOutcome(True, f"Asset is fresh: last updated {ago} ago, {window}.",
                                metadata)
    since = (last_updated + delta if deadline_cron is None else
             next_tick(deadline_cron, last_updated + delta, timezone).timestamp())
    _overdue(metadata, since, current_time)
    return FreshnessOutcome(False, f"Asset is overdue: last updated {ago} ago, but expected "
                                   f"to be updated {window}.", metadata)


def _check_delta(value: Any, name: str, owner: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: `{name}` must be a datetime.timedelta such as timedelta(hours=2), got "
            f"{type(value).__name__} {value!r}.")
    if value <= timedelta(0):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: `{name}` must be positive, got {value}.")
    return value


def check_cron_and_timezone(deadline_cron: str | None, timezone: str, owner: str) -> None:
    if deadline_cron is not None:
        validate_cron_string(deadline_cron, owner)
    resolve_timezone(timezone, owner)


def _freshness_spec(target: AssetTarget, description: str, params: dict[str, Any],
                    blocking: bool) -> AssetCheckSpec:
    return AssetCheckSpec(FRESHNESS_CHECK_NAME, asset=target.key, description=description,
                          blocking=blocking,
                          metadata={FRESHNESS_PARAMS_METADATA: MetadataValue.json(params)})


def _result(check_key: Any, outcome: FreshnessOutcome,
            severity: AssetCheckSeverity) -> AssetCheckResult:
    return AssetCheckResult(asset_key=check_key.asset_key, check_name=check_key.name,
                            passed=outcome.passed, severity=outcome.severity or severity,
                            description=outcome.description, metadata=outcome.metadata)


def build_last_update_freshness_checks(
    *,
    assets: Any,
    lower_bound_delta: timedelta,
    deadline_cron: str | None = None,
    timezone: str = DEFAULT_FRESHNESS_TIMEZONE,
    severity: AssetCheckSeverity = DEFAULT_FRESHNESS_SEVERITY,
    blocking: bool = False,
) -> list[Any]:
    """Build checks that each asset was updated recently enough.

    Each check passes when the asset was materialized or observed within `lower_bound_delta`
    of now, or, with `deadline_cron`, within `lower_bound_delta` before the latest tick of the
    cron. Run them on a cadence with `build_sensor_for_freshness_checks`. A bad cron or
    timezone, or a non-positive delta, raises HeadwaterInvalidDefinitionError.

    Args:
        assets: the assets to check (definitions, specs or keys).
        lower_bound_delta: how old the latest update may be.
        deadline_cron: a cron of deadlines; when not given the bound is measured from now.
        timezone: the timezone of `deadline_cron` (UTC by default).
        severity: the severity of a failure (WARN by default).
        blocking: whether a failure stops downstream assets in the run.

    Example:
        ```python
        from datetime import timedelta

        from headwater import (HeadwaterInstance, asset, build_last_update_freshness_checks,
                               materialize)

        @asset
        def orders() -> int:
            return 1

        checks = build_last_update_freshness_checks(assets=[orders],
                                                    lower_bound_delta=timedelta(hours=2))
        result = materialize([orders, *checks], instance=HeadwaterInstance.ephemeral())
        [evaluation] = result.get_asset_check_evaluations()
        assert evaluation.passed, evaluation.description
        ```
    """
    owner = "build_last_update_freshness_checks"
    _check_delta(lower_bound_delta, "lower_bound_delta", owner)
    check_cron_and_timezone(deadline_cron, timezone, owner)
    severity = to_severity(severity, owner)
    params = last_update_params(lower_bound_delta, deadline_cron, timezone)
    text = (f"Checks that the asset was updated within {format_duration(params['lower_bound_delta_seconds'])}"
            + (f" before each tick of '{deadline_cron}' ({timezone})" if deadline_cron else
               " of the check's evaluation"))
    specs = [_freshness_spec(t, text, params, blocking) for t in asset_targets(assets, owner)]

    @multi_asset_check(specs=specs, can_subset=True,
                       name=factory_node_name("freshness_checks", [s.key for s in specs]))
    def last_update_freshness_checks(context: Any) -> Iterator[AssetCheckResult]:
        now = time.time()
        for check_key in sorted(context.selected_asset_check_keys):
            update = latest_update(context.instance, check_key.asset_key)
            outcome = evaluate_last_update(update.timestamp if update else None, now,
                                           lower_bound_delta, deadline_cron, timezone)
            yield _result(check_key, outcome, severity)

    return [last_update_freshness_checks]


# --- time partitions -----------------------------------------------------------------------
def expected_partition(partitions_def: TimeWindowPartitionsDefinition,
                       deadline: float) -> str | None:
    """The newest partition whose time window ended at or before `deadline`, if any."""
    containing = partitions_def.get_partition_key_for_timestamp(deadline)
    start = partitions_def.start_time_for_partition_key(containing).timestamp()
    key = partitions_def.get_partition_key_for_timestamp(start - 1)
    at = datetime.fromtimestamp(deadline, dt_timezone.utc)
    return key if partitions_def.has_partition_key(key, current_time=at) else None


def _expected_at(partitions_def: TimeWindowPartitionsDefinition, deadline_cron: str,
                 timezone: str, moment: float) -> tuple[float | None, str | None]:
    tick = previous_tick(deadline_cron, moment, timezone)
    if tick is None:
        return None, None
    return tick.timestamp(), expected_partition(partitions_def, tick.timestamp())


def evaluate_time_partition(partitions_def: TimeWindowPartitionsDefinition, deadline_cron: str,
                            current_time: float,
                            update_of: Callable[[str, float], AssetUpdate | None],
                            timezone: str = DEFAULT_FRESHNESS_TIMEZONE) -> FreshnessOutcome:
    """Has the partition due by the latest tick of `deadline_cron` arrived, at `current_time`?
    `update_of(partition, window_start)` returns that partition's latest update, if any."""
    metadata: dict[str, Any] = {FRESHNESS_PARAMS_METADATA: MetadataValue.json(
        {"deadline_cron": deadline_cron, "timezone": timezone})}
    deadline, partition = _expected_at(partitions_def, deadline_cron, timezone, current_time)
    if deadline is not None:
        metadata[LATEST_CRON_TICK_METADATA] = _ts(deadline)

    def fresh_until() -> None:
        for tick in _ticks_after(deadline_cron, current_time, timezone):
            if expected_partition(partitions_def, tick) != partition:
                metadata[FRESH_UNTIL_METADATA] = _ts(tick)
                return

    if partition is None or deadline is None:
        fresh_until()
        return FreshnessOutcome(True, "No partition is due yet: no time window of the asset "
                                      "had ended by the latest deadline.", metadata)
    metadata[EXPECTED_PARTITION_METADATA] = MetadataValue.text(partition)
    window_start = partitions_def.start_time_for_partition_key(partition).timestamp()
    update = update_of(partition, window_start)
    if update is not None:
        metadata[LAST_UPDATED_TIMESTAMP_METADATA] = _ts(update.timestamp)
        fresh_until()
        return FreshnessOutcome(True, f"Asset is fresh: partition '{partition}', due by "
                                      f"{_iso(deadline, timezone)}, has arrived.", metadata)
    _overdue(metadata, _first_deadline_for(partitions_def, deadline_cron, timezone, deadline,
                                           partition), current_time)
    return FreshnessOutcome(False, f"Asset is overdue: partition '{partition}' was due by "
                                   f"{_iso(deadline, timezone)} and has not been materialized "
                                   "or observed.", metadata)


def _ticks_after(cron: str, moment: float, timezone: str) -> Iterator[float]:
    for i, tick in enumerate(cron_ticks(cron, moment, timezone)):
        if i >= _TICK_HORIZON:
            return
        yield tick.timestamp()


def _first_deadline_for(partitions_def: TimeWindowPartitionsDefinition, cron: str,
                        timezone: str, deadline: float, partition: str) -> float:
    """The first tick at which `partition` was the one expected (it is overdue since then)."""
    first = deadline
    for i, tick in enumerate(cron_ticks(cron, deadline, timezone, ascending=False)):
        if i >= _TICK_HORIZON or expected_partition(partitions_def, tick.timestamp()) != partition:
            break
        first = tick.timestamp()
    return first


def build_time_partition_freshness_checks(
    *,
    assets: Any,
    deadline_cron: str,
    timezone: str = DEFAULT_FRESHNESS_TIMEZONE,
    severity: AssetCheckSeverity = DEFAULT_FRESHNESS_SEVERITY,
) -> list[Any]:
    """Build checks that each time-partitioned asset has its newest partition on time.

    Once a tick of `deadline_cron` has passed, each check passes when the asset's newest
    partition that ended by that tick has a materialization or observation. An asset that is
    not time-partitioned, or a missing cron, raises HeadwaterInvalidDefinitionError.

    Args:
        assets: the time-partitioned assets to check.
        deadline_cron: when each partition is due, e.g. "0 9 * * *".
        timezone: the timezone of `deadline_cron` (UTC by default).
        severity: the severity of a failure (WARN by default).

    Example:
        ```python
        from headwater import (DailyPartitionsDefinition, asset,
                               build_time_partition_freshness_checks)

        @asset(partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"))
        def daily_sales() -> int:
            return 0

        [checks] = build_time_partition_freshness_checks(assets=[daily_sales],
                                                         deadline_cron="0 9 * * *")
        assert [k.name for k in checks.check_keys] == ["freshness_check"]
        ```
    """
    owner = "build_time_partition_freshness_checks"
    if deadline_cron is None:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: `deadline_cron` is required: the cron of the deadlines by which each "
            "partition is due, e.g. '0 9 * * *'.")
    check_cron_and_timezone(deadline_cron, timezone, owner)
    severity = to_severity(severity, owner)
    targets = asset_targets(assets, owner)
    partitions: dict[Any, TimeWindowPartitionsDefinition] = {}
    for target in targets:
        if not isinstance(target.partitions_def, TimeWindowPartitionsDefinition):
            what = ("is given by key only, so its partitions are unknown; pass its definition"
                    if not target.known else
                    f"has partitions_def {target.partitions_def!r}; this check needs "
                    "time-window partitions (DailyPartitionsDefinition, ...). Use "
                    "build_last_update_freshness_checks for it instead")
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: asset '{target.key.to_user_string()}' {what}.")
        partitions[target.key] = target.partitions_def
    params = {"deadline_cron": deadline_cron, "timezone": timezone}
    text = (f"Checks that the newest partition ended by each tick of '{deadline_cron}' "
            f"({timezone}) has arrived")
    specs = [_freshness_spec(t, text, params, False) for t in targets]

    @multi_asset_check(specs=specs, can_subset=True,
                       name=factory_node_name("time_partition_freshness_checks",
                                              [s.key for s in specs]))
    def time_partition_freshness_checks(context: Any) -> Iterator[AssetCheckResult]:
        now = time.time()
        for check_key in sorted(context.selected_asset_check_keys):
            key = check_key.asset_key

            def update_of(partition: str, not_before: float, key: Any = key) -> AssetUpdate | None:
                return partition_update(context.instance, key, partition, not_before)

            outcome = evaluate_time_partition(partitions[key], deadline_cron, now, update_of,
                                              timezone)
            yield _result(check_key, outcome, severity)

    return [time_partition_freshness_checks]
