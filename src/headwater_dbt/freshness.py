"""build_freshness_checks_from_dbt_assets: freshness checks declared in dbt YAML.

A model, seed or snapshot declares its freshness under `meta: {headwater: {freshness_check:
{...}}}` (or `config: meta:`):

    lower_bound_delta_seconds: 86400    # updated at least once a day (unpartitioned assets)
    deadline_cron: "0 9 * * *"          # measured at 9:00 (required for time partitions)
    timezone: UTC                       # of deadline_cron
    severity: WARN                      # or ERROR (the default)

Assets with the same parameters share one check definition built by headwater's
`build_last_update_freshness_checks` (or `build_time_partition_freshness_checks` for
time-partitioned assets).

Imports headwater's public names and this package's `asset_decorator`, `manifest`, `errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from headwater import (
    AssetCheckSeverity,
    AssetsDefinition,
    TimeWindowPartitionsDefinition,
    build_last_update_freshness_checks,
    build_time_partition_freshness_checks,
)
from headwater_dbt.asset_decorator import dbt_info
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.manifest import headwater_meta, node

_KNOWN = {"lower_bound_delta_seconds", "deadline_cron", "timezone", "severity"}


def build_freshness_checks_from_dbt_assets(dbt_assets: Sequence[AssetsDefinition]) -> list[Any]:
    """The freshness checks that the dbt nodes of `dbt_assets` declare in their meta."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for assets_def in dbt_assets:
        info = dbt_info(assets_def)
        if info is None:
            raise HeadwaterDbtError(
                f"build_freshness_checks_from_dbt_assets: {assets_def!r} was not made by "
                "@dbt_assets.")
        partitioned = isinstance(assets_def.partitions_def, TimeWindowPartitionsDefinition)
        for key, uid in info.unique_id_by_key.items():
            params = headwater_meta(node(info.manifest, uid)).get("freshness_check")
            if not params:
                continue
            unknown = set(params) - _KNOWN
            if unknown:
                raise HeadwaterDbtError(
                    f"dbt node '{uid}': meta.headwater.freshness_check has unknown keys "
                    f"{sorted(unknown)}; known: {sorted(_KNOWN)}.")
            severity = AssetCheckSeverity(str(params.get("severity", "ERROR")).upper())
            delta = params.get("lower_bound_delta_seconds")
            if partitioned and not params.get("deadline_cron"):
                raise HeadwaterDbtError(
                    f"dbt node '{uid}' is time-partitioned: its meta.headwater.freshness_check "
                    "needs deadline_cron (by when each partition is due).")
            if not partitioned and delta is None:
                raise HeadwaterDbtError(
                    f"dbt node '{uid}': meta.headwater.freshness_check needs "
                    "lower_bound_delta_seconds (how old the asset may be).")
            group = (partitioned, delta, params.get("deadline_cron"),
                     params.get("timezone", "UTC"), severity)
            groups.setdefault(group, []).append(key)
    checks: list[Any] = []
    for (partitioned, delta, cron, timezone, severity), keys in groups.items():
        if partitioned:
            checks += build_time_partition_freshness_checks(
                assets=keys, deadline_cron=cron, timezone=timezone, severity=severity)
        else:
            checks += build_last_update_freshness_checks(
                assets=keys, lower_bound_delta=timedelta(seconds=float(delta)),
                deadline_cron=cron, timezone=timezone, severity=severity)
    return checks
