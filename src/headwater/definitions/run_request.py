"""`RunRequest`: a request to launch one run, the common currency of jobs, schedules, sensors,
backfills and the launchpad.

It sits at the top of `definitions` rather than in `automation` because a job hands one out
(`job.run_request_for_partition`) and must not import the schedules and sensors that
usually do. Imports `errors`, `key` and `tags` only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.definitions.key import AssetCheckKey, AssetKey, to_asset_key, to_check_key
from headwater.definitions.tags import PARTITION_TAG, oversized_tag
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterUnknownPartitionError,
)


def _run_config_dict(run_config: Any) -> dict[str, Any]:
    if run_config is None:
        return {}
    to_dict = getattr(run_config, "to_config_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if not isinstance(run_config, Mapping):
        raise HeadwaterInvalidDefinitionError(
            f"RunRequest(run_config=...) must be a dict or a RunConfig, got {type(run_config).__name__}."
        )
    return dict(run_config)


class RunRequest:
    """A request, from a schedule or sensor, to launch one run.

    `run_key` makes it idempotent: a sensor or schedule launches at most one run per key,
    ever, so a sensor may request the same file on every tick safely. Without `job_name` the
    run is of the sensor's or schedule's own target. A run key that is not a string raises
    HeadwaterInvalidDefinitionError.

    Args:
        run_key: a key unique per run of this sensor or schedule (e.g. a file name).
        run_config: the run config of the run.
        tags: tags of the run (non-string values are stored as JSON).
        job_name: the job to run, when the sensor targets several.
        asset_selection: the assets to materialize, narrowing the target.
        stale_assets_only: whether to materialize only the selected assets that are stale.
        partition_key: the partition to run.
        asset_check_keys: the checks to run, narrowing the target.

    Example:
        ```python
        from headwater import RunRequest

        request = RunRequest(run_key="orders-2024-05-01.csv",
                             run_config={"ops": {"load": {"config": {"path": "orders.csv"}}}},
                             tags={"source": "sftp"}, partition_key="2024-05-01")
        assert request.tags["source"] == "sftp"
        assert request.partition_key == "2024-05-01"
        ```
    """

    __slots__ = ("run_key", "run_config", "tags", "job_name", "asset_selection",
                 "asset_check_keys", "partition_key", "stale_assets_only")

    def __init__(self, run_key: str | None = None, run_config: Any = None,
                 tags: Mapping[str, Any] | None = None, job_name: str | None = None,
                 asset_selection: Sequence[Any] | None = None, stale_assets_only: bool = False,
                 partition_key: str | None = None, asset_check_keys: Sequence[Any] | None = None):
        if run_key is not None and not isinstance(run_key, str):
            raise HeadwaterInvalidDefinitionError(
                f"RunRequest(run_key={run_key!r}): a run key must be a string (e.g. a file name "
                "or a timestamp); use str(...).")
        self.run_key = run_key
        self.run_config = _run_config_dict(run_config)
        self.tags = {str(k): v if isinstance(v, str) else json.dumps(v)
                     for k, v in (tags or {}).items()}
        problem = oversized_tag(self.tags)
        if problem is not None:
            raise HeadwaterInvalidDefinitionError(f"RunRequest(run_key={run_key!r}): {problem}")
        if partition_key is not None:
            self.tags.setdefault(PARTITION_TAG, partition_key)
        self.job_name = job_name
        self.asset_selection = ([to_asset_key(k) for k in asset_selection]
                                if asset_selection is not None else None)
        self.asset_check_keys = ([to_check_key(k) for k in asset_check_keys]
                                 if asset_check_keys is not None else None)
        self.partition_key = partition_key
        self.stale_assets_only = stale_assets_only

    def with_replaced_attrs(self, **changes: Any) -> RunRequest:
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return RunRequest(**values)

    def with_resolved_tags_and_config(self, target_definition: Any, current_time: Any = None,
                                      dynamic_partitions_store: Any = None,
                                      dynamic_partitions_requests: Any = None) -> RunRequest:
        """This request with its partition's run config and tags; its partition key must exist,
        counting the partitions the same tick adds or deletes (`dynamic_partitions_requests`)."""
        partitions_def = getattr(target_definition, "partitions_def", None)
        if self.partition_key is not None and partitions_def is not None:
            store = PendingPartitions(dynamic_partitions_store, dynamic_partitions_requests or ())
            if not partitions_def.has_partition_key(self.partition_key, current_time, store):
                raise HeadwaterUnknownPartitionError(
                    f"Could not find a partition with key `{self.partition_key}`. Run request of "
                    f"'{getattr(target_definition, 'name', target_definition)}': add the "
                    "partition first (e.g. SensorResult(dynamic_partitions_requests=[...])) or "
                    "fix the key.")
        return resolve_partition_request(self, target_definition)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunRequest) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __hash__(self) -> int:
        return hash((self.run_key, self.job_name, self.partition_key))

    def __repr__(self) -> str:
        parts = [f"{n}={getattr(self, n)!r}" for n in self.__slots__
                 if getattr(self, n) not in (None, {}, False)]
        return f"RunRequest({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        return {"run_key": self.run_key, "run_config": self.run_config, "tags": dict(self.tags),
                "job_name": self.job_name, "partition_key": self.partition_key,
                "asset_selection": [k.to_user_string() for k in self.asset_selection]
                if self.asset_selection is not None else None,
                "asset_check_keys": [k.to_db_string() for k in self.asset_check_keys]
                if self.asset_check_keys is not None else None}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> RunRequest:
        keys = data.get("asset_selection")
        checks = data.get("asset_check_keys")
        return RunRequest(run_key=data.get("run_key"), run_config=data.get("run_config"),
                          tags=data.get("tags"), job_name=data.get("job_name"),
                          partition_key=data.get("partition_key"),
                          asset_selection=[AssetKey.from_user_string(k) for k in keys]
                          if keys is not None else None,
                          asset_check_keys=[AssetCheckKey.from_db_string(k) for k in checks]
                          if checks is not None else None)


class PendingPartitions:
    """The dynamic partitions of a store as they will be once `requests` (add / delete
    requests of the same tick) are applied."""

    def __init__(self, store: Any, requests: Sequence[Any]):
        self._store = store
        self._requests = list(requests)

    def get_dynamic_partitions(self, name: str) -> list[str]:
        keys = list(self._store.get_dynamic_partitions(name)) if self._store is not None else []
        for request in self._requests:
            if request.partitions_def_name != name:
                continue
            # by class name: the request classes live in `partitions`, which this room is below
            if type(request).__name__ == "AddDynamicPartitionsRequest":
                keys += [k for k in request.partition_keys if k not in keys]
            else:
                keys = [k for k in keys if k not in set(request.partition_keys)]
        return keys

    def has_dynamic_partition(self, name: str, partition_key: str) -> bool:
        return partition_key in self.get_dynamic_partitions(name)


def run_request_for_partition(job: Any, partition_key: str, run_key: str | None = None,
                              tags: Mapping[str, Any] | None = None,
                              asset_selection: Sequence[Any] | None = None,
                              run_config: Any = None) -> RunRequest:
    """`job.run_request_for_partition(...)`: a RunRequest of one partition of a partitioned job."""
    partitions_def = getattr(job, "partitions_def", None)
    if partitions_def is None:
        raise HeadwaterInvalidDefinitionError(
            f"job '{job.name}' is not partitioned, so it has no partition {partition_key!r}; "
            "pass partitions_def= to the job (or its assets).")
    tags_for = getattr(partitions_def, "get_tags_for_partition_key", None)
    partition_tags = dict(tags_for(partition_key) or {}) if callable(tags_for) else {}
    return RunRequest(run_key=run_key, run_config=run_config,
                      tags={**partition_tags, **dict(tags or {})}, job_name=job.name,
                      asset_selection=asset_selection, partition_key=partition_key)


def resolve_partition_request(request: RunRequest, job_def: Any) -> RunRequest:
    """Add the partition's run config and tags from the job's partitioned config, if any."""
    if request.partition_key is None or job_def is None:
        return request
    partitioned = getattr(job_def, "partitioned_config", None)
    config = dict(request.run_config)
    tags = dict(request.tags)
    if partitioned is not None and not config:
        config_for = getattr(partitioned, "get_run_config_for_partition_key", None)
        if callable(config_for):
            config = dict(config_for(request.partition_key) or {})
        tags_for = getattr(partitioned, "get_tags_for_partition_key", None)
        if callable(tags_for):
            tags = {**dict(tags_for(request.partition_key) or {}), **tags}
    return request.with_replaced_attrs(run_config=config, tags=tags)
