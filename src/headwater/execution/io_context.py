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
    """What `IOManager.handle_output` gets: which output of which step, and where it should go.

    The engine builds it for each output stored; for assets, `asset_key` and the partition
    properties say what to write. Build one with `build_output_context` in tests. Reading
    a property the output lacks (`asset_key` of a plain op output, `partition_key` of an
    unpartitioned run) raises `HeadwaterInvariantViolationError`.

    Args:
        step_key: the step that produced the output.
        name: the output's name (`"result"` for a single output).
        job_name: the job of the run.
        run_id: the run that produced the output.
        definition_metadata: the metadata declared on the output or asset.
        mapping_key: the mapping key, for a dynamic output.
        config: the output's config.
        headwater_type: the output's type.
        log: the run's log, as `context.log`.
        version: the code version of the output.
        resource_config: the IO manager's own config.
        resources: the resources the IO manager requires.
        step_context: the context of the step that produced the output.
        op_def: the op that produced the output.
        asset_key: the asset the output is, if any.
        partition_key: the partition being stored, if any.
        asset_partitions_def: the partitions definition of the asset.
        assets_def: the assets definition the output belongs to.
        instance: the instance of the run.
        asset_partition_keys: the partitions the output covers, for a range.
        output_metadata: the metadata the step attached to this output.

    Example:
        ```python
        from headwater import IOManager, asset, materialize

        class PathIOManager(IOManager):
            stored = {}

            def handle_output(self, context, obj):
                self.stored["/".join(context.asset_key.path)] = obj
                context.log.info("stored %s", context.asset_key.to_user_string())

            def load_input(self, context):
                return self.stored["/".join(context.asset_key.path)]

        @asset(key_prefix="sales")
        def orders() -> list[int]:
            return [1, 2]

        materialize([orders], resources={"io_manager": PathIOManager()})
        assert PathIOManager.stored == {"sales/orders": [1, 2]}
        ```
    """

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
    """What `IOManager.load_input` gets: the input to load, and the output it comes from.

    For an asset input, `asset_key` is the upstream asset and the partition properties say
    which of its partitions to read; `upstream_output` describes the output that stored it.
    Build one with `build_input_context` in tests.

    Args:
        name: the input's name.
        job_name: the job of the run.
        op_def: the op that takes the input.
        config: the input's config.
        definition_metadata: the metadata declared on the input.
        upstream_output: the context of the output the value comes from.
        headwater_type: the input's type.
        log: the run's log, as `context.log`.
        resource_config: the IO manager's own config.
        resources: the resources the IO manager requires.
        step_context: the context of the step taking the input.
        asset_key: the upstream asset, if the input is one.
        partition_key: the partition of the run, if any.
        asset_partitions_def: the partitions definition of the upstream asset.
        instance: the instance of the run.
        asset_partition_keys: the upstream partitions the input reads.

    Example:
        ```python
        from headwater import IOManager, asset, materialize

        class FixedIOManager(IOManager):
            def handle_output(self, context, obj):
                pass

            def load_input(self, context):
                return {"orders": [5, 6]}[context.asset_key.to_user_string()]

        @asset(io_manager_key="fixed")
        def orders() -> list[int]:
            return [1, 2]

        @asset
        def total(orders: list[int]) -> int:
            return sum(orders)

        result = materialize([orders, total], resources={"fixed": FixedIOManager()})
        assert result.asset_value("total") == 11
        ```
    """

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
