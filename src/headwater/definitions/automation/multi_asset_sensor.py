"""Multi-asset sensors (basic): watch materializations of several assets at once, with one
cursor per asset.

The cursor is JSON: {str(AssetKey): [last partition, last storage id, {}]}. The function reads
new materializations (`latest_materialization_records_by_key`, `..._by_partition`) and marks
them consumed with `advance_cursor` / `advance_all_cursors`. Imports `errors` and
`definitions` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.automation.evaluation import invoke_evaluation_fn
from headwater.definitions.automation.sensor import (
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
)
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.errors import HeadwaterInvalidInvocationError


class MultiAssetSensorEvaluationContext(SensorEvaluationContext):
    """A sensor context that tracks a cursor per monitored asset."""

    _kind = "multi_asset_sensor"

    def __init__(self, monitored_assets: Any = None, instance: Any = None,
                 cursor: str | None = None, repository_def: Any = None,
                 definitions: Any = None, **kwargs: Any):
        super().__init__(instance=instance, cursor=cursor, repository_def=repository_def,
                         definitions=definitions, **kwargs)
        defs = definitions if definitions is not None else repository_def
        self._assets_defs_by_key: dict[AssetKey, Any] = {}
        if defs is not None:
            graph = defs.resolve_asset_graph()
            self._assets_defs_by_key = dict(graph.assets_def_by_key)
        if isinstance(monitored_assets, AssetSelection):
            keys = sorted(monitored_assets.resolve(list(self._assets_defs_by_key.values())))
        else:
            keys = [to_asset_key(k) for k in (monitored_assets or [])]
        self.asset_keys = keys
        state = json.loads(cursor) if cursor else {}
        self._positions: dict[AssetKey, tuple[str | None, int]] = {
            k: (state.get(str(k), [None, 0])[0], state.get(str(k), [None, 0])[1]) for k in keys}
        self._consumed: dict[AssetKey, Any] = {}

    @property
    def assets_defs_by_key(self) -> dict[AssetKey, Any]:
        return {k: self._assets_defs_by_key.get(k) for k in self.asset_keys}

    @property
    def monitored_asset_keys(self) -> list[AssetKey]:
        return list(self.asset_keys)

    def _check(self, key: Any) -> AssetKey:
        key = to_asset_key(key)
        if key not in self._positions:
            raise HeadwaterInvalidInvocationError(
                f"Asset key {key.to_user_string()} is not monitored by this sensor; monitored: "
                f"{', '.join(k.to_user_string() for k in self.asset_keys)}.")
        return key

    def _records_after(self, key: AssetKey, limit: int = 1000) -> list[Any]:
        after = self._positions[key][1]
        page = self.instance.fetch_materializations(key, limit=limit, cursor=str(after) if after
                                                    else None, ascending=True)
        return list(page.records)

    def latest_materialization_records_by_key(self, asset_keys: Sequence[Any] | None = None
                                              ) -> dict[AssetKey, Any]:
        """The newest materialization of each asset after its cursor (None when there is none)."""
        keys = [self._check(k) for k in asset_keys] if asset_keys else self.asset_keys
        out: dict[AssetKey, Any] = {}
        for key in keys:
            records = self._records_after(key)
            out[key] = records[-1] if records else None
        return out

    def materialization_records_for_key(self, asset_key: Any, limit: int | None = None) -> list[Any]:
        records = self._records_after(self._check(asset_key))
        return records[:limit] if limit is not None else records

    def latest_materialization_records_by_partition(self, asset_key: Any,
                                                    after_cursor_partition: bool = False
                                                    ) -> dict[str, Any]:
        """The newest materialization after the cursor of each partition of the asset."""
        out: dict[str, Any] = {}
        for record in self._records_after(self._check(asset_key)):
            partition = getattr(record.event_log_entry, "partition", None)
            if partition is None:
                materialization = getattr(record.event_log_entry, "asset_materialization", None)
                partition = getattr(materialization, "partition", None)
            if partition is not None:
                out.pop(partition, None)
                out[partition] = record
        return out

    def advance_cursor(self, materialization_records_by_key: Mapping[Any, Any]) -> None:
        """Mark these records (and everything before them) of each asset consumed."""
        for key, record in materialization_records_by_key.items():
            key = self._check(key)
            if record is None:
                continue
            entry = record.event_log_entry
            partition = getattr(entry, "partition", None)
            if partition is None:
                partition = getattr(getattr(entry, "asset_materialization", None), "partition", None)
            self._positions[key] = (partition, record.storage_id)
        self._write_cursor()

    def advance_all_cursors(self) -> None:
        """Mark every materialization seen so far of every monitored asset consumed."""
        self.advance_cursor({k: v for k, v in self.latest_materialization_records_by_key().items()
                             if v is not None})

    def _write_cursor(self) -> None:
        state: dict[str, list[Any]] = {
            str(k): [p, i, {}] for k, (p, i) in self._positions.items() if i}
        self.update_cursor(json.dumps(state))


def build_multi_asset_sensor_context(*, monitored_assets: Any, repository_def: Any = None,
                                     instance: Any = None, cursor: str | None = None,
                                     repository_name: str | None = None,
                                     cursor_from_latest_materializations: bool = False,
                                     resources: Mapping[str, Any] | None = None,
                                     definitions: Any = None) -> MultiAssetSensorEvaluationContext:
    """A context for evaluating or invoking a multi-asset sensor in a test."""
    context = MultiAssetSensorEvaluationContext(
        monitored_assets=monitored_assets, instance=instance, cursor=cursor,
        repository_def=repository_def, definitions=definitions, resources=resources,
        repository_name=repository_name)
    if cursor_from_latest_materializations:
        context.advance_all_cursors()
    return context


class MultiAssetSensorDefinition(SensorDefinition):
    """A sensor over several assets' materializations, with a cursor per asset."""

    def __init__(self, name: str, monitored_assets: Any, evaluation_fn: Callable[..., Any],
                 **kwargs: Any):
        self.monitored_assets = monitored_assets
        super().__init__(name=name, evaluation_fn=evaluation_fn, **kwargs)

    @property
    def sensor_type(self) -> str:
        return "MULTI_ASSET"

    def _call_for_tick(self, context: Any) -> Any:
        if not isinstance(context, MultiAssetSensorEvaluationContext):
            context = MultiAssetSensorEvaluationContext(
                monitored_assets=self.monitored_assets, instance=context._instance,
                cursor=context.cursor, definitions=context.definitions,
                resources=context._resource_defs)
        result, _ = invoke_evaluation_fn("sensor", self.name, self._evaluation_fn,
                                         self._signature, (context,), {}, lambda: context)
        return result


def multi_asset_sensor(monitored_assets: Any, *, job_name: str | None = None,
                       name: str | None = None, minimum_interval_seconds: int | None = None,
                       description: str | None = None, job: Any = None,
                       jobs: Sequence[Any] | None = None,
                       default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
                       request_assets: Any = None, required_resource_keys: set[str] | None = None,
                       tags: Mapping[str, str] | None = None,
                       metadata: Mapping[str, Any] | None = None, target: Any = None,
                       ) -> Callable[[Callable[..., Any]], MultiAssetSensorDefinition]:
    """A sensor watching several assets (keys or an AssetSelection)."""
    def decorate(fn: Callable[..., Any]) -> MultiAssetSensorDefinition:
        return MultiAssetSensorDefinition(
            name or fn.__name__, monitored_assets, fn, job_name=job_name,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description or fn.__doc__, job=job, jobs=jobs,
            default_status=default_status, asset_selection=request_assets,
            required_resource_keys=required_resource_keys, tags=tags, metadata=metadata,
            target=target)
    return decorate
