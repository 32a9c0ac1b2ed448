"""Multi-asset sensors: watch materializations of several assets at once, with one cursor
per asset.

The function reads the materializations it has not consumed yet
(`latest_materialization_records_by_key`, `..._by_partition`, `..._by_partition_and_asset`,
`materialization_records_for_key`) and marks them consumed with `advance_cursor` /
`advance_all_cursors`; the cursor moves as soon as they are called.

Consuming a partitioned materialization consumes the earlier ones of the same partition only:
earlier materializations of other partitions stay unconsumed ("trailing") until they are
consumed in turn. Consuming an unpartitioned one consumes everything before it. The cursor is
JSON, one entry per asset::

    {str(AssetKey): [partition of the last consumed record, its storage id,
                     {partition: storage id of its latest trailing unconsumed record}]}

A plain integer cursor (an `@asset_sensor`'s, when one is turned into a multi-asset sensor of
the same name) is read as the storage id every monitored asset was consumed up to.
Imports `errors` and `definitions` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.automation.evaluation import invoke_evaluation_fn
from headwater.definitions.automation.sensor import (
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
)
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.partitions.relation import infer_partition_mapping
from headwater.errors import HeadwaterInvalidInvocationError

_PAGE = 1000
_as_key = to_asset_key  # get_downstream_partition_keys has a parameter named to_asset_key


@dataclass(slots=True)
class _Position:
    """How far the sensor consumed one asset's materializations."""

    partition: str | None = None
    storage_id: int = 0
    trailing: dict[str, int] = field(default_factory=dict)  # partition -> unconsumed storage id

    def to_json(self) -> list[Any]:
        return [self.partition, self.storage_id, dict(self.trailing)]


def _read_cursor(cursor: str | None, keys: Sequence[AssetKey]) -> dict[AssetKey, _Position]:
    state: Any = json.loads(cursor) if cursor else {}
    if isinstance(state, int):  # an @asset_sensor's cursor: one storage id
        return {k: _Position(None, state) for k in keys}
    if not isinstance(state, dict):
        raise HeadwaterInvalidInvocationError(
            f"Multi-asset sensor cursor {cursor!r} is not a JSON object of positions by asset "
            "key. Leave the cursor unset, or set one the sensor wrote.")
    positions = {}
    for key in keys:
        entry = state.get(str(key)) or [None, 0, {}]
        trailing = entry[2] if len(entry) > 2 and isinstance(entry[2], dict) else {}
        positions[key] = _Position(entry[0], int(entry[1] or 0),
                                   {str(p): int(i) for p, i in trailing.items()})
    return positions


class MultiAssetSensorEvaluationContext(SensorEvaluationContext):
    """A sensor context that tracks, per monitored asset, which materializations were consumed.

    What a `@multi_asset_sensor` function receives. Read the latest materializations with
    `latest_materialization_records_by_key` (or per partition), then mark them consumed
    with `advance_cursor` / `advance_all_cursors`; what is not advanced is seen again on the
    next tick. In tests build one with `build_multi_asset_sensor_context`.

    Args:
        monitored_assets: the watched assets: keys or an AssetSelection.
        instance: the instance the materializations are read from.
        cursor: the cursor stored by the previous tick.
        repository_def: the repository the sensor belongs to.
        definitions: the Definitions the sensor belongs to (needed for an AssetSelection).

    Example:
        ```python
        from headwater import (AssetKey, HeadwaterInstance, MultiAssetSensorEvaluationContext,
                               asset, materialize)

        @asset
        def orders() -> int:
            return 1

        instance = HeadwaterInstance.ephemeral()
        materialize([orders], instance=instance)
        context = MultiAssetSensorEvaluationContext(monitored_assets=["orders"], instance=instance)
        assert context.latest_materialization_records_by_key()[AssetKey("orders")] is not None
        context.advance_all_cursors()
        assert context.latest_materialization_records_by_key()[AssetKey("orders")] is None
        ```
    """

    _kind = "multi_asset_sensor"

    def __init__(self, monitored_assets: Any = None, instance: Any = None,
                 cursor: str | None = None, repository_def: Any = None,
                 definitions: Any = None, **kwargs: Any):
        super().__init__(instance=instance, cursor=cursor, repository_def=repository_def,
                         definitions=definitions, **kwargs)
        defs = definitions if definitions is not None else repository_def
        self._graph = defs.resolve_asset_graph() if defs is not None else None
        self._assets_defs_by_key: dict[AssetKey, Any] = (
            dict(self._graph.assets_def_by_key) if self._graph is not None else {})
        if isinstance(monitored_assets, AssetSelection):
            universe = self._graph if self._graph is not None else []
            keys = sorted(monitored_assets.resolve(universe))
        else:
            keys = [to_asset_key(k) for k in (monitored_assets or [])]
        self.asset_keys = keys
        self._positions = _read_cursor(cursor, keys)

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

    def _partitions_def(self, key: AssetKey) -> Any:
        if self._graph is None or not self._graph.has(key):
            return None
        return self._graph.get(key).partitions_def

    # --- reading materializations -------------------------------------------------------
    def _records_after(self, key: AssetKey, after: int) -> list[Any]:
        """Every materialization of `key` with a storage id above `after`, oldest first."""
        records: list[Any] = []
        cursor = str(after) if after else None
        while True:
            page = self.instance.fetch_materializations(key, limit=_PAGE, cursor=cursor,
                                                        ascending=True)
            records.extend(page.records)
            if not page.has_more or not page.records:
                return records
            cursor = str(page.records[-1].storage_id)

    def _new_records(self, key: AssetKey) -> list[Any]:
        """Materializations after the asset's cursor (trailing unconsumed ones left out)."""
        return self._records_after(key, self._positions[key].storage_id)

    def _unconsumed(self, key: AssetKey) -> list[Any]:
        """Materializations after the cursor, and the trailing unconsumed ones before it."""
        position = self._positions[key]
        if not position.trailing:
            return self._new_records(key)
        trailing = set(position.trailing.values())
        return [r for r in self._records_after(key, min(trailing) - 1)
                if r.storage_id > position.storage_id or r.storage_id in trailing]

    def latest_materialization_records_by_key(self, asset_keys: Sequence[Any] | None = None
                                              ) -> dict[AssetKey, Any]:
        """The newest materialization of each asset after its cursor (None when there is none)."""
        keys = [self._check(k) for k in asset_keys] if asset_keys else self.asset_keys
        out: dict[AssetKey, Any] = {}
        for key in keys:
            records = self._new_records(key)
            out[key] = records[-1] if records else None
        return out

    def materialization_records_for_key(self, asset_key: Any, limit: int | None = None) -> list[Any]:
        """The asset's materializations after its cursor, oldest first (at most `limit`)."""
        records = self._new_records(self._check(asset_key))
        return records[:limit] if limit is not None else records

    def latest_materialization_records_by_partition(self, asset_key: Any,
                                                    after_cursor_partition: bool = False
                                                    ) -> dict[str, Any]:
        """The newest unconsumed materialization of each partition of the asset, ordered by
        when it happened. Partitions the asset's partitions definition no longer has are left
        out; with `after_cursor_partition`, so are partitions not after the cursor's one."""
        key = self._check(asset_key)
        pdef = self._partitions_def(key)
        order: dict[str, int] | None = None
        if pdef is not None:
            keys = pdef.get_partition_keys(dynamic_partitions_store=self._instance)
            order = {k: i for i, k in enumerate(keys)}
        floor = -1
        cursor_partition = self._positions[key].partition
        if after_cursor_partition and cursor_partition is not None and order is not None:
            floor = order.get(cursor_partition, -1)
        out: dict[str, Any] = {}
        for record in self._unconsumed(key):
            partition = record.partition_key
            if partition is None or (order is not None and partition not in order):
                continue
            if order is not None and order[partition] <= floor:
                continue
            out.pop(partition, None)
            out[partition] = record
        return out

    def latest_materialization_records_by_partition_and_asset(self) -> dict[str, dict[AssetKey, Any]]:
        """For each partition with an unconsumed materialization, the newest unconsumed
        materialization of it of each monitored asset that has one."""
        out: dict[str, dict[AssetKey, Any]] = {}
        for key in self.asset_keys:
            if self._graph is not None and self._partitions_def(key) is None:
                raise HeadwaterInvalidInvocationError(
                    f"Asset {key.to_user_string()} is not partitioned, so its materializations "
                    "cannot be grouped by partition. Monitor partitioned assets only, or use "
                    "latest_materialization_records_by_key().")
            for partition, record in self.latest_materialization_records_by_partition(key).items():
                out.setdefault(partition, {})[key] = record
        return out

    def get_cursor_partition(self, asset_key: Any) -> str | None:
        """The partition of the last materialization of the asset that the sensor consumed."""
        return self._positions[self._check(asset_key)].partition

    def all_partitions_materialized(self, asset_key: Any,
                                    partitions: Sequence[str] | None = None) -> bool:
        """Whether every one of `partitions` (all the asset's partitions when None) has been
        materialized at least once, consumed or not."""
        key = to_asset_key(asset_key)
        if partitions is None:
            pdef = self._partitions_def(key)
            if pdef is None:
                raise HeadwaterInvalidInvocationError(
                    f"Asset {key.to_user_string()} has no partitions definition here, so its "
                    "partitions are unknown. Pass partitions=[...], or build the context with "
                    "the definitions that hold the asset.")
            partitions = list(pdef.get_partition_keys(dynamic_partitions_store=self._instance))
        done = self.instance.get_materialized_partitions(key)
        return all(p in done for p in partitions)

    def get_downstream_partition_keys(self, partition_key: str, from_asset_key: Any,
                                      to_asset_key: Any) -> list[str]:
        """The partitions of `to_asset_key` that read partition `partition_key` of its upstream
        `from_asset_key`, through the partition mapping between them (declared or default)."""
        upstream, downstream = _as_key(from_asset_key), _as_key(to_asset_key)
        if self._graph is None:
            raise HeadwaterInvalidInvocationError(
                "get_downstream_partition_keys needs the asset graph: build the context with "
                "repository_def=... or definitions=....")
        if upstream not in self._graph.parents(downstream):
            raise HeadwaterInvalidInvocationError(
                f"Asset {downstream.to_user_string()} does not depend on "
                f"{upstream.to_user_string()}, so no partitions of it map from "
                f"{partition_key!r}. Pass an asset and one of its direct upstream assets.")
        up_def, down_def = self._partitions_def(upstream), self._partitions_def(downstream)
        if up_def is None or down_def is None:
            raise HeadwaterInvalidInvocationError(
                f"Assets {upstream.to_user_string()} and {downstream.to_user_string()} must "
                "both be partitioned to map a partition key from one to the other.")
        mapping = infer_partition_mapping(
            self._assets_defs_by_key[downstream].get_partition_mapping(upstream), up_def, down_def)
        subset = mapping.get_downstream_partitions_for_partitions(
            up_def.subset_with_partition_keys([partition_key]), up_def, down_def,
            dynamic_partitions_store=self._instance)
        return list(subset.get_partition_keys())

    # --- consuming ----------------------------------------------------------------------
    def advance_cursor(self, materialization_records_by_key: Mapping[Any, Any]) -> None:
        """Mark these records consumed, with the earlier ones of the same partition (of any
        partition, for an unpartitioned record)."""
        for key, record in materialization_records_by_key.items():
            key = self._check(key)
            if record is not None:
                self._consume(key, [record])
        self._write_cursor()

    def _consume(self, key: AssetKey, records: Iterable[Any]) -> None:
        position = self._positions[key]
        pending = {r.storage_id: r for r in self._unconsumed(key)}
        top, partition = position.storage_id, position.partition
        for record in records:
            consumed_partition = record.partition_key
            for storage_id in [i for i, r in pending.items() if i <= record.storage_id and (
                    consumed_partition is None or r.partition_key == consumed_partition)]:
                del pending[storage_id]
            if record.storage_id >= top:
                top, partition = record.storage_id, consumed_partition
        trailing: dict[str, int] = {}
        for storage_id in sorted(pending):
            left = pending[storage_id].partition_key
            if storage_id <= top and left is not None:
                trailing[left] = storage_id
        self._positions[key] = _Position(partition, top, trailing)

    def advance_all_cursors(self) -> None:
        """Mark every materialization so far of every monitored asset consumed, trailing
        unconsumed ones included."""
        for key in self.asset_keys:
            page = self.instance.fetch_materializations(key, limit=1)
            latest = page.records[0] if page.records else None
            position = self._positions[key]
            if latest is not None and latest.storage_id > position.storage_id:
                self._positions[key] = _Position(latest.partition_key, latest.storage_id)
            else:
                position.trailing.clear()
        self._write_cursor()

    def _write_cursor(self) -> None:
        state = {str(k): p.to_json() for k, p in self._positions.items() if p.storage_id}
        self.update_cursor(json.dumps(state))


def build_multi_asset_sensor_context(*, monitored_assets: Any, repository_def: Any = None,
                                     instance: Any = None, cursor: str | None = None,
                                     repository_name: str | None = None,
                                     cursor_from_latest_materializations: bool = False,
                                     resources: Mapping[str, Any] | None = None,
                                     definitions: Any = None) -> MultiAssetSensorEvaluationContext:
    """Build a context for evaluating or invoking a multi-asset sensor in a test.

    With `cursor_from_latest_materializations`, every materialization so far counts as
    consumed (it needs `instance` and excludes `cursor`; otherwise
    HeadwaterInvalidInvocationError).

    Args:
        monitored_assets: the watched assets: keys or an AssetSelection.
        repository_def: the repository the sensor belongs to.
        instance: the instance the materializations are read from.
        cursor: the cursor as stored by a previous tick.
        repository_name: the name of the repository.
        cursor_from_latest_materializations: start after every materialization so far.
        resources: resources the sensor function takes as parameters.
        definitions: the Definitions the sensor belongs to.

    Example:
        ```python
        from headwater import (HeadwaterInstance, asset, build_multi_asset_sensor_context,
                               materialize)

        @asset
        def orders() -> int:
            return 1

        instance = HeadwaterInstance.ephemeral()
        materialize([orders], instance=instance)
        context = build_multi_asset_sensor_context(
            monitored_assets=[orders.key], instance=instance,
            cursor_from_latest_materializations=True)
        assert context.latest_materialization_records_by_key()[orders.key] is None
        ```
    """
    if cursor_from_latest_materializations:
        if cursor is not None:
            raise HeadwaterInvalidInvocationError(
                "Cannot provide both cursor and cursor_from_latest_materializations to "
                "build_multi_asset_sensor_context: the second computes the first. Pass one.")
        if instance is None:
            raise HeadwaterInvalidInvocationError(
                "cursor_from_latest_materializations=True reads the latest materializations "
                "from a Headwater instance, and none was given. Pass instance=....")
    context = MultiAssetSensorEvaluationContext(
        monitored_assets=monitored_assets, instance=instance, cursor=cursor,
        repository_def=repository_def, definitions=definitions, resources=resources,
        repository_name=repository_name)
    if cursor_from_latest_materializations:
        context.advance_all_cursors()
    return context


class MultiAssetSensorDefinition(SensorDefinition):
    """A sensor over several assets' materializations, with a cursor per asset.

    Built by `@multi_asset_sensor`; its function receives a MultiAssetSensorEvaluationContext.

    Args:
        name: the sensor's name.
        monitored_assets: the watched assets: keys or an AssetSelection.
        evaluation_fn: the function called at each tick with the context.

    Example:
        ```python
        from headwater import MultiAssetSensorDefinition, SkipReason

        def evaluate(context):
            return SkipReason("waiting")

        sensor = MultiAssetSensorDefinition("both_ready", ["orders", "users"], evaluate,
                                            job_name="report_job")
        assert sensor.sensor_type == "MULTI_ASSET"
        ```
    """

    def __init__(self, name: str, monitored_assets: Any, evaluation_fn: Callable[..., Any],
                 **kwargs: Any):
        self.monitored_assets = monitored_assets
        super().__init__(name=name, evaluation_fn=evaluation_fn, **kwargs)

    @property
    def sensor_type(self) -> str:
        return "MULTI_ASSET"

    def _call_for_tick(self, context: Any) -> Any:
        if isinstance(context, MultiAssetSensorEvaluationContext):
            return self._invoke(context)
        # a plain sensor context (a daemon tick): evaluate on a multi-asset context over the
        # same instance, cursor and resources, and hand the moved cursor back
        inner = MultiAssetSensorEvaluationContext(
            monitored_assets=self.monitored_assets, instance=context._instance,
            cursor=context.cursor, definitions=context.definitions,
            resources=context._resource_defs)
        inner._entered = context._entered
        try:
            result = self._invoke(inner)
        finally:
            inner._close()
        if inner._cursor_updated:
            context.update_cursor(inner.cursor)
        return result

    def _invoke(self, context: MultiAssetSensorEvaluationContext) -> Any:
        result, _ = invoke_evaluation_fn("sensor", self.name, self._evaluation_fn,
                                         self._signature, (context,), {}, lambda: context,
                                         self.required_resource_keys)
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
    """Make a sensor watching several assets (keys or an AssetSelection).

    Use it to start a run when several upstream assets have all been updated. The function
    receives a MultiAssetSensorEvaluationContext, returns RunRequests or a SkipReason, and
    advances the cursors of what it consumed.

    Args:
        monitored_assets: the watched assets: keys or an AssetSelection.
        job_name: the name of the job to run, resolved in Definitions.
        name: the sensor's name; defaults to the function's name.
        minimum_interval_seconds: the least time between two ticks.
        description: shown in the UI; defaults to the function's docstring.
        job: the job to run.
        jobs: several jobs, when requests name their job.
        default_status: whether it runs from its first deployment (STOPPED by default).
        request_assets: assets to materialize instead of a job.
        required_resource_keys: resources reached through `context.resources`.
        tags: the sensor's tags.
        metadata: metadata of the sensor.
        target: a job, assets or an AssetSelection to run.

    Example:
        ```python
        from headwater import (HeadwaterInstance, RunRequest, SkipReason, asset,
                               build_multi_asset_sensor_context, materialize, multi_asset_sensor)

        @asset
        def orders() -> int:
            return 1

        @asset
        def users() -> int:
            return 2

        @asset
        def summary() -> int:
            return 3

        @multi_asset_sensor(monitored_assets=[orders.key, users.key], target=[summary])
        def both_updated(context):
            records = context.latest_materialization_records_by_key()
            if not all(records.values()):
                return SkipReason("waiting for both")
            context.advance_all_cursors()
            return RunRequest()

        instance = HeadwaterInstance.ephemeral()
        materialize([orders, users], instance=instance)
        context = build_multi_asset_sensor_context(monitored_assets=[orders.key, users.key],
                                                   instance=instance)
        assert isinstance(both_updated(context), RunRequest)
        ```
    """
    def decorate(fn: Callable[..., Any]) -> MultiAssetSensorDefinition:
        return MultiAssetSensorDefinition(
            name or fn.__name__, monitored_assets, fn, job_name=job_name,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description or fn.__doc__, job=job, jobs=jobs,
            default_status=default_status, asset_selection=request_assets,
            required_resource_keys=required_resource_keys, tags=tags, metadata=metadata,
            target=target)
    return decorate
