"""The contexts IO managers receive: `OutputContext` (handle_output) and `InputContext`
(load_input), with what they share in `_IOContext`: the definition metadata, whether the
value is an asset, and its partitions. Imports `headwater.definitions` and this layer's
`log`, `partition`, `resources` (never `context`, which re-exports these classes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.partitions.base import PartitionKeyRange
from headwater.errors import (
    HeadwaterInvariantViolationError,
)
from headwater.execution import partition as _partition
from headwater.execution.log import LogManager
from headwater.execution.resources import Resources


class _IOContext:
    """What InputContext and OutputContext share: the definition metadata, whether the value
    is an asset, and its partitions: the run's partition key, or the keys the step resolved
    (the upstream keys an input reads, the keys an output covers)."""

    _kind = ""  # "Input" or "Output", in messages
    _no_keys = ""  # why there is no key range, in messages
    name: str | None
    definition_metadata: dict[str, Any]
    asset_partitions_def: Any
    _asset_key: AssetKey | None
    _partition_key: str | None
    _asset_partition_keys: list[str] | None
    # an asset without a partitions definition, read or written by a partitioned run: the run
    # has a partition key, the asset's value does not (it is stored whole)
    _unpartitioned_asset = False

    @property
    def metadata(self) -> dict[str, Any]:
        return self.definition_metadata

    @property
    def has_asset_key(self) -> bool:
        return self._asset_key is not None

    @property
    def asset_key(self) -> AssetKey:
        raise NotImplementedError

    @property
    def has_partition_key(self) -> bool:
        return self._partition_key is not None

    @property
    def partition_key(self) -> str:
        if self._partition_key is None:
            raise HeadwaterInvariantViolationError(
                f"{self._kind} '{self.name}' has no partition key; check context.has_partition_key."
            )
        return self._partition_key

    @property
    def has_asset_partitions(self) -> bool:
        if self._unpartitioned_asset:
            return False
        if self._asset_partition_keys is not None:
            return self._asset_key is not None
        return self._partition_key is not None and self._asset_key is not None

    @property
    def asset_partition_key(self) -> str:
        if self._asset_partition_keys is not None:
            return _partition.single_key(self._asset_partition_keys, f"{self._kind} '{self.name}'")
        return self.partition_key

    @property
    def asset_partition_keys(self) -> list[str]:
        if self._asset_partition_keys is not None:
            return list(self._asset_partition_keys)
        return [self.partition_key]

    @property
    def asset_partition_key_range(self) -> PartitionKeyRange:
        keys = self.asset_partition_keys
        if not keys:
            raise HeadwaterInvariantViolationError(
                f"{self._kind} '{self.name}' {self._no_keys}, so it has no key range.")
        return PartitionKeyRange(keys[0], keys[-1])

    @property
    def asset_partitions_time_window(self) -> Any:
        return _partition.time_window(self.asset_partitions_def, self.asset_partition_keys,
                                      "asset_partitions_time_window")

    def get_asset_identifier(self) -> list[str]:
        path = list(self.asset_key.path)
        return path + [self.asset_partition_key] if self.has_asset_partitions else path


class OutputContext(_IOContext):
    """What `IOManager.handle_output` gets: where the value comes from and where it goes."""

    _kind = "Output"
    _no_keys = "covers no partitions"

    def __init__(
        self,
        *,
        step_key: str | None = None,
        name: str | None = None,
        job_name: str | None = None,
        run_id: str | None = None,
        definition_metadata: Mapping[str, Any] | None = None,
        mapping_key: str | None = None,
        config: Any = None,
        headwater_type: Any = None,
        log: LogManager | None = None,
        version: str | None = None,
        resource_config: Any = None,
        resources: Any = None,
        step_context: Any = None,
        op_def: Any = None,
        asset_key: AssetKey | None = None,
        partition_key: str | None = None,
        asset_partitions_def: Any = None,
        assets_def: Any = None,
        instance: Any = None,
        asset_partition_keys: Any = None,
        output_metadata: Mapping[str, Any] | None = None,
    ):
        self.step_key = step_key
        # what the step attached to this output (Output(metadata=...), add_output_metadata)
        self.output_metadata = dict(output_metadata or {})
        self.name = name
        self.job_name = job_name
        self.run_id = run_id
        self.definition_metadata = dict(definition_metadata or {})
        self.mapping_key = mapping_key
        self.config = config
        self.headwater_type = headwater_type
        self.log = log or LogManager()
        self.version = version
        self.resource_config = resource_config
        self.resources = resources if isinstance(resources, Resources) else Resources(resources)
        self.step_context = step_context
        self.op_def = op_def
        self._asset_key = asset_key
        self._partition_key = partition_key
        self.asset_partitions_def = asset_partitions_def
        self._assets_def = assets_def
        self.instance = instance
        self.added_metadata: dict[str, Any] = {}
        # Content-hash data versions: the engine sets `wants_content_hash` when the asset or
        # its IO manager opts in; an IO manager that hashes the bytes it writes (see
        # ContentHasher) sets `content_hash`, else the engine hashes the value's pickle.
        self.wants_content_hash = False
        self.content_hash: str | None = None
        # None: the run's partition key alone; a list: the keys this output covers.
        self._asset_partition_keys = (list(asset_partition_keys)
                                      if asset_partition_keys is not None else None)

    @property
    def asset_key(self) -> AssetKey:
        if self._asset_key is None:
            raise HeadwaterInvariantViolationError(
                f"Output '{self.name}' of step '{self.step_key}' is not an asset; check "
                "context.has_asset_key first."
            )
        return self._asset_key

    @property
    def assets_def(self) -> Any:
        return self._assets_def

    @property
    def asset_spec(self) -> Any:
        return self._assets_def.specs_by_key[self.asset_key] if self._assets_def else None

    def get_identifier(self) -> list[str]:
        if self._asset_key is not None:
            return self.get_asset_identifier()
        parts = [self.run_id or "", self.step_key or "", self.name or ""]
        if self.mapping_key:
            parts.append(self.mapping_key)
        return parts

    def get_run_scoped_output_identifier(self) -> list[str]:
        """[run_id, step_key, output name(, mapping key)]: unique to this output in this run."""
        parts = [self.run_id or "", self.step_key or "", self.name or ""]
        return parts + [self.mapping_key] if self.mapping_key else parts

    def add_output_metadata(self, metadata: Mapping[str, Any]) -> None:
        self.added_metadata.update(normalize_metadata(metadata, allow_invalid=True))

    def get_logged_metadata(self) -> dict[str, Any]:
        return dict(self.added_metadata)

    def _asset_opts_in(self, metadata_key: str) -> bool:
        """Whether the output's asset carries `metadata_key: True` in its definition metadata."""
        assets_def = self._assets_def
        spec = assets_def.specs_by_key.get(self._asset_key) if assets_def is not None else None
        value = spec.metadata.get(metadata_key) if spec is not None else None
        return getattr(value, "value", value) is True

    def log_event(self, event: Any) -> None:
        if self.step_context is not None:
            self.step_context.log_event(event)


class InputContext(_IOContext):
    """What `InputManager.load_input` gets: the input, and the output it comes from."""

    _kind = "Input"
    _no_keys = "reads no upstream partitions"

    def __init__(
        self,
        *,
        name: str | None = None,
        job_name: str | None = None,
        op_def: Any = None,
        config: Any = None,
        definition_metadata: Mapping[str, Any] | None = None,
        upstream_output: OutputContext | None = None,
        headwater_type: Any = None,
        log: LogManager | None = None,
        resource_config: Any = None,
        resources: Any = None,
        step_context: Any = None,
        asset_key: AssetKey | None = None,
        partition_key: str | None = None,
        asset_partitions_def: Any = None,
        instance: Any = None,
        asset_partition_keys: Any = None,
    ):
        self.name = name
        self.job_name = job_name
        self.op_def = op_def
        self.config = config
        self.definition_metadata = dict(definition_metadata or {})
        self.upstream_output = upstream_output
        self.headwater_type = headwater_type
        self.log = log or LogManager()
        self.resource_config = resource_config
        self.resources = resources if isinstance(resources, Resources) else Resources(resources)
        self.step_context = step_context
        self._asset_key = asset_key
        self._partition_key = partition_key
        self.asset_partitions_def = asset_partitions_def
        self.instance = instance
        # None: the run's partition key alone; a list: the upstream keys this input reads.
        self._asset_partition_keys = (list(asset_partition_keys)
                                      if asset_partition_keys is not None else None)

    @property
    def asset_key(self) -> AssetKey:
        if self._asset_key is None:
            raise HeadwaterInvariantViolationError(
                f"Input '{self.name}' is not an asset; check context.has_asset_key first."
            )
        return self._asset_key

    def get_identifier(self) -> list[str]:
        if self.upstream_output is None:
            raise HeadwaterInvariantViolationError(
                f"Input '{self.name}' has no upstream output to identify."
            )
        return self.upstream_output.get_identifier()
