"""`build_sensor_for_freshness_checks`: a sensor that keeps freshness checks evaluated.

A freshness check only says something when it runs, and an asset goes stale precisely when
nothing runs. The sensor (running by default) looks at the latest recorded execution of each
of its checks at every tick and requests one run of the checks that are due, as
`RunRequest(asset_selection=[], asset_check_keys=[...])`: the run evaluates those checks and
materializes nothing. A check is due when

- it has never been evaluated, or its last run ended without an evaluation (skipped, or the
  run failed); a check whose evaluation is still in progress is never due;
- it passed, and its `headwater/fresh_until_timestamp` has come (a passing evaluation without
  one is due at once);
- it failed, and something may have changed since: the asset was updated after the update
  the evaluation saw, a tick of the check's `deadline_cron` passed since the evaluation's
  `headwater/latest_cron_tick_timestamp` (a new partition or deadline is due), or the
  evaluation's `headwater/overdue_deadline_timestamp` lay ahead of it and has come (a WARN of
  a freshness policy turns into a FAIL then).

So a fresh asset costs no run until its freshness runs out, and an overdue one costs no run
until it is updated. Works for the checks of `build_last_update_freshness_checks`,
`build_time_partition_freshness_checks` and `build_freshness_policy_checks` (their specs carry
`headwater/freshness_params`); other checks are refused.

Imports `key`, `tags`, `errors`, `run_request`, the `assets`, `automation`, `metadata` and
`partitions` rooms, and this room's `history`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.automation.sensor import DefaultSensorStatus, SensorDefinition
from headwater.definitions.automation.tick_result import SkipReason
from headwater.definitions.checks.history import latest_update
from headwater.definitions.key import AssetCheckKey
from headwater.definitions.metadata.value import MetadataValue
from headwater.definitions.partitions.cron import next_tick
from headwater.definitions.run_request import RunRequest
from headwater.definitions.tags import (
    FRESH_UNTIL_METADATA,
    FRESHNESS_PARAMS_METADATA,
    LAST_UPDATED_TIMESTAMP_METADATA,
    LATEST_CRON_TICK_METADATA,
    OVERDUE_DEADLINE_METADATA,
)
from headwater.errors import HeadwaterInvalidDefinitionError

DEFAULT_FRESHNESS_SENSOR_NAME = "freshness_checks_sensor"


def _value(metadata: Mapping[str, Any], key: str) -> Any:
    value = metadata.get(key)
    return value.value if isinstance(value, MetadataValue) else value


def freshness_params_by_key(freshness_checks: Sequence[Any],
                            owner: str) -> dict[AssetCheckKey, dict[str, Any]]:
    """The freshness parameters of every check of `freshness_checks`, by check key."""
    found: dict[AssetCheckKey, dict[str, Any]] = {}
    for definition in freshness_checks:
        specs = getattr(definition, "check_specs", None)
        if specs is None:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: freshness_checks= holds {definition!r} ({type(definition).__name__}), "
                "which is not an asset checks definition; pass the list returned by "
                "build_last_update_freshness_checks / build_time_partition_freshness_checks.")
        for spec in specs:
            params = _value(spec.metadata, FRESHNESS_PARAMS_METADATA)
            if not isinstance(params, Mapping):
                raise HeadwaterInvalidDefinitionError(
                    f"{owner}: check '{spec.key.to_user_string()}' is not a freshness check; "
                    "pass only checks built by build_last_update_freshness_checks, "
                    "build_time_partition_freshness_checks or build_freshness_policy_checks.")
            if spec.key in found:
                raise HeadwaterInvalidDefinitionError(
                    f"{owner}: check '{spec.key.to_user_string()}' is listed twice in "
                    "freshness_checks=; list each once.")
            found[spec.key] = dict(params)
    if not found:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: freshness_checks= is empty; pass the checks the sensor should keep "
            "evaluated.")
    return found


def is_due(record: Any, params: Mapping[str, Any], current_time: float, instance: Any,
           key: AssetCheckKey) -> bool:
    """Whether the check whose latest execution is `record` (None: never) should run again."""
    if record is None:
        return True
    status = getattr(record.status, "value", record.status)
    if status == "IN_PROGRESS":
        return False
    evaluation = record.evaluation
    if evaluation is None:
        return True
    metadata = evaluation.metadata or {}
    if evaluation.passed:
        fresh_until = _value(metadata, FRESH_UNTIL_METADATA)
        return fresh_until is None or current_time >= fresh_until
    overdue_at = _value(metadata, OVERDUE_DEADLINE_METADATA)
    evaluated_at = float(record.create_timestamp)
    if overdue_at is not None and evaluated_at < overdue_at <= current_time:
        return True
    cron, latest_tick = params.get("deadline_cron"), _value(metadata, LATEST_CRON_TICK_METADATA)
    if cron and latest_tick is not None and \
            next_tick(cron, latest_tick, params.get("timezone") or "UTC").timestamp() <= current_time:
        return True
    update = latest_update(instance, key.asset_key)
    if update is None:
        return False
    seen = _value(metadata, LAST_UPDATED_TIMESTAMP_METADATA)
    return seen is None or update.timestamp > seen


def due_freshness_checks(instance: Any, params_by_key: Mapping[AssetCheckKey, Mapping[str, Any]],
                         current_time: float) -> list[AssetCheckKey]:
    """The checks of `params_by_key` that are due at `current_time`, sorted."""
    latest = instance.get_latest_asset_check_execution_by_key(list(params_by_key))
    return sorted(key for key, params in params_by_key.items()
                  if is_due(latest.get(key), params, current_time, instance, key))


def build_sensor_for_freshness_checks(
    *,
    freshness_checks: Sequence[Any],
    minimum_interval_seconds: int | None = None,
    name: str = DEFAULT_FRESHNESS_SENSOR_NAME,
    tags: Mapping[str, str] | None = None,
) -> SensorDefinition:
    """Build a sensor that runs the freshness checks that are due.

    The sensor is running by default; at each tick it requests one run of the checks of
    `freshness_checks` that are due (never evaluated, or past the time their last result
    stops holding), and skips otherwise. Anything but freshness checks in `freshness_checks`
    raises HeadwaterInvalidDefinitionError.

    Args:
        freshness_checks: checks built by the `build_*_freshness_checks` functions.
        minimum_interval_seconds: the least time between two ticks.
        name: the sensor's name.
        tags: the sensor's tags.

    Example:
        ```python
        from datetime import timedelta

        from headwater import (Definitions, asset, build_last_update_freshness_checks,
                               build_sensor_for_freshness_checks)

        @asset
        def orders() -> int:
            return 1

        checks = build_last_update_freshness_checks(assets=[orders],
                                                    lower_bound_delta=timedelta(hours=1))
        sensor = build_sensor_for_freshness_checks(freshness_checks=checks,
                                                   minimum_interval_seconds=300)
        defs = Definitions(assets=[orders], asset_checks=checks, sensors=[sensor])
        assert defs.resolve_sensor_def(sensor.name).minimum_interval_seconds == 300
        ```
    """
    owner = f"build_sensor_for_freshness_checks (sensor '{name}')"
    params_by_key = freshness_params_by_key(list(freshness_checks), owner)

    def freshness_sensor_fn(context: Any) -> Any:
        if context.instance is None:
            raise HeadwaterInvalidDefinitionError(
                f"sensor '{name}' reads the checks' latest evaluations from the instance; "
                "evaluate it with build_sensor_context(instance=...).")
        due = due_freshness_checks(context.instance, params_by_key, time.time())
        if not due:
            return SkipReason(f"None of the {len(params_by_key)} freshness checks is due.")
        return RunRequest(asset_selection=[], asset_check_keys=due)

    return SensorDefinition(
        name=name, evaluation_fn=freshness_sensor_fn,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Evaluates the freshness checks that are due: never evaluated, past their "
                    "fresh-until time, or overdue with something new to look at.",
        default_status=DefaultSensorStatus.RUNNING, tags=tags,
        asset_selection=AssetSelection.checks(*sorted(params_by_key)))
