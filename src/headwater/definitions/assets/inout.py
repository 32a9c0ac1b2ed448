"""AssetIn and AssetOut: how an asset names its inputs and its outputs; LegacyFreshnessPolicy.

Plain option holders that the decorators read once; they know nothing of how an asset
is built. `AssetOut.from_spec` reads an AssetSpec but needs no import of it at run
time. Imports only `key`, `ops.output` and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.assets.definition import AssetSpec
from headwater.definitions.assets.rules import as_automation_condition
from headwater.definitions.key import (
    prefix_path,
    to_asset_key,
)
from headwater.definitions.ops.output import NO_VALUE
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
)


@dataclass(frozen=True, slots=True)
class LegacyFreshnessPolicy:
    """The older freshness declaration of an asset: how far its data may lag behind.

    Its data may lag at most `maximum_lag_minutes` (as of each tick of `cron_schedule`, when
    given). Kept on the asset as declared (`legacy_freshness_policy=`); `FreshnessPolicy` is
    the one headwater checks. A negative lag, or a timezone without a cron schedule, raises
    HeadwaterInvalidDefinitionError.

    Args:
        maximum_lag_minutes: how many minutes old the data may be.
        cron_schedule: when the lag is measured (every moment when not given).
        cron_schedule_timezone: the timezone of `cron_schedule` (UTC when not given).

    Example:
        ```python
        import datetime

        from headwater import LegacyFreshnessPolicy, asset

        policy = LegacyFreshnessPolicy(maximum_lag_minutes=60, cron_schedule="0 9 * * *")

        @asset(legacy_freshness_policy=policy)
        def report() -> str:
            return "ok"

        assert policy.maximum_lag_delta == datetime.timedelta(hours=1)
        ```
    """

    maximum_lag_minutes: float
    cron_schedule: str | None = None
    cron_schedule_timezone: str | None = None

    def __post_init__(self) -> None:
        if self.maximum_lag_minutes < 0:
            raise HeadwaterInvalidDefinitionError(
                f"LegacyFreshnessPolicy: maximum_lag_minutes must be zero or more, got "
                f"{self.maximum_lag_minutes}.")
        if self.cron_schedule_timezone is not None and self.cron_schedule is None:
            raise HeadwaterInvalidDefinitionError(
                "LegacyFreshnessPolicy: cron_schedule_timezone is only meaningful with a "
                "cron_schedule; pass both or neither.")

    @property
    def maximum_lag_delta(self) -> Any:
        import datetime

        return datetime.timedelta(minutes=self.maximum_lag_minutes)


class AssetIn:
    """How an asset takes an upstream asset as an input: its key, type, partition mapping.

    Give one per parameter in `ins=` of `@asset` / `@multi_asset` when the parameter's name is
    not the upstream key, or to choose an input manager or a partition mapping. `key` and
    `key_prefix` together raise HeadwaterInvalidDefinitionError.

    Args:
        key: the upstream asset's key; defaults to the parameter's name.
        metadata: metadata handed to the input manager.
        key_prefix: parts put before the parameter's name to make the key.
        input_manager_key: the resource key of the manager that loads the input.
        partition_mapping: which upstream partitions each partition of this asset reads.
        headwater_type: the type the loaded value is checked against.

    Example:
        ```python
        from headwater import AssetIn, asset, materialize

        @asset(key_prefix="raw")
        def orders() -> list[int]:
            return [5, 10]

        @asset(ins={"rows": AssetIn(key=["raw", "orders"])})
        def order_total(rows: list[int]) -> int:
            return sum(rows)

        assert materialize([orders, order_total]).output_for_node("order_total") == 15
        ```
    """

    __slots__ = ("key", "metadata", "key_prefix", "input_manager_key", "partition_mapping",
                 "headwater_type")

    def __init__(
        self,
        key: Any = None,
        metadata: Mapping[str, Any] | None = None,
        key_prefix: Any = None,
        input_manager_key: str | None = None,
        partition_mapping: Any = None,
        headwater_type: Any = NO_VALUE,
    ):
        if key is not None and key_prefix is not None:
            raise HeadwaterInvalidDefinitionError(
                "AssetIn takes key= or key_prefix=, not both: key_prefix only applies when the "
                "key comes from the parameter name."
            )
        self.key = to_asset_key(key) if key is not None else None
        self.metadata = dict(metadata or {})
        self.key_prefix = prefix_path(key_prefix) if key_prefix is not None else None
        self.input_manager_key = input_manager_key
        self.partition_mapping = partition_mapping
        self.headwater_type = headwater_type

    def __repr__(self) -> str:
        return f"AssetIn(key={self.key!r})"


class AssetOut:
    """One output of a multi-asset, and the asset it materializes.

    Used in `outs=` of `@multi_asset` and `@graph_multi_asset`; the output's name is the key
    unless `key` or `key_prefix` says otherwise. `AssetOut.from_spec` builds one from an
    AssetSpec. `key` and `key_prefix` together raise HeadwaterInvalidDefinitionError.

    Args:
        key_prefix: parts put before the output's name to make the key.
        key: the whole asset key.
        headwater_type: the type the output is checked against.
        description: shown in the UI.
        is_required: False lets the function skip this output without failing.
        io_manager_key: the IO manager storing this output ("io_manager").
        metadata: static metadata of the asset.
        group_name: the group shown in the UI.
        code_version: a version of the code computing this asset.
        automation_condition: when automation should request the asset.
        backfill_policy: how many partitions one backfill run computes.
        owners: people or teams owning the asset.
        tags: tags of the asset.
        kinds: technologies shown as badges.
        legacy_freshness_policy: a LegacyFreshnessPolicy (maximum lag).

    Example:
        ```python
        from headwater import AssetKey, AssetOut, multi_asset

        @multi_asset(outs={
            "users": AssetOut(key_prefix="crm", group_name="crm"),
            "notes": AssetOut(is_required=False),
        })
        def crm_export():
            return ["ada"], ["met on tuesday"]

        assert AssetKey(["crm", "users"]) in crm_export.keys
        ```
    """

    __slots__ = ("key", "key_prefix", "headwater_type", "description", "is_required",
                 "io_manager_key", "metadata", "group_name", "code_version", "owners", "tags",
                 "kinds", "automation_condition", "backfill_policy", "legacy_freshness_policy")

    def __init__(
        self,
        key_prefix: Any = None,
        key: Any = None,
        headwater_type: Any = NO_VALUE,
        description: str | None = None,
        is_required: bool = True,
        io_manager_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        group_name: str | None = None,
        code_version: str | None = None,
        automation_condition: Any = None,
        backfill_policy: Any = None,
        owners: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] | None = None,
        legacy_freshness_policy: LegacyFreshnessPolicy | None = None,
    ):
        if key is not None and key_prefix is not None:
            raise HeadwaterInvalidDefinitionError("AssetOut takes key= or key_prefix=, not both.")
        automation_condition = as_automation_condition(automation_condition, "AssetOut")
        self.key = to_asset_key(key) if key is not None else None
        self.key_prefix = prefix_path(key_prefix) if key_prefix is not None else None
        self.headwater_type = headwater_type
        self.description = description
        self.is_required = is_required
        self.io_manager_key = io_manager_key
        self.metadata = dict(metadata or {})
        self.group_name = group_name
        self.code_version = code_version
        self.owners = tuple(owners or ())
        self.tags = dict(tags or {})
        self.kinds = frozenset(kinds or ())
        self.automation_condition = automation_condition
        self.backfill_policy = backfill_policy
        self.legacy_freshness_policy = legacy_freshness_policy

    @staticmethod
    def from_spec(spec: AssetSpec, headwater_type: Any = NO_VALUE, is_required: bool = True,
                  io_manager_key: str | None = None) -> AssetOut:
        if spec.deps:
            # An AssetOut is one output; what the asset reads is declared on the decorator.
            raise HeadwaterInvalidDefinitionError(
                f"AssetOut.from_spec: the spec of '{spec.key.to_user_string()}' has deps "
                f"{sorted(d.asset_key.to_user_string() for d in spec.deps)}, which an AssetOut "
                "cannot carry. Declare them with ins= (or deps=) on the decorator instead.")
        return AssetOut(key=spec.key, headwater_type=headwater_type, description=spec.description,
                        is_required=is_required, io_manager_key=io_manager_key,
                        metadata=spec.metadata, group_name=spec.group_name,
                        code_version=spec.code_version, owners=spec.owners, tags=spec.tags,
                        kinds=spec.kinds)
