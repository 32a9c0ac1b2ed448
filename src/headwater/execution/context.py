"""The contexts user code receives: op/asset execution and IO manager input/output.

Each context is a thin view over the step or run that is executing, or over values
given to a `build_*_context` helper in tests (`testing.py`). The resources they hand
out come from `resources.py`, which sits below this module. Imports
`headwater.definitions` and this layer's `log`, `partition`, `resources`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any

from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.partitions.base import PartitionKeyRange
from headwater.definitions.tags import PARENT_RUN_ID_TAG, ROOT_RUN_ID_TAG
from headwater.errors import (
    HeadwaterInvalidPropertyError,
    HeadwaterInvariantViolationError,
)
from headwater.execution import partition as _partition
from headwater.execution.log import LogManager
from headwater.execution.resources import Resources


class OpNode:
    """An op placed in a graph under a name (its alias); other attributes are the op's."""

    __slots__ = ("name", "handle", "definition", "tags", "graph_definition")

    def __init__(self, handle: str | None, definition: Any, tags: Mapping[str, Any] | None = None,
                 graph_definition: Any = None):
        self.graph_definition = graph_definition  # the graph the node is placed in
        self.handle = handle
        self.name = handle.rsplit(".", 1)[-1] if handle else getattr(definition, "name", None)
        self.definition = definition
        merged = getattr(definition, "tags", {}) if tags is None else tags
        # Tag values are strings, as in the run's tags.
        self.tags = {k: v if isinstance(v, str) else json.dumps(v) for k, v in merged.items()}

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.definition, attr)

    def __repr__(self) -> str:
        return f"OpNode(name={self.name!r}, definition={self.definition!r})"


class RunInfo:
    """`context.run`: the run record as user code sees it."""

    __slots__ = ("run_id", "job_name", "tags", "run_config", "parent_run_id", "root_run_id",
                 "asset_selection", "status")

    def __init__(self, run_id: str, job_name: str, tags: Mapping[str, str],
                 run_config: Mapping[str, Any], asset_selection: Any = None):
        self.run_id = run_id
        self.job_name = job_name
        self.tags = dict(tags)
        self.run_config = dict(run_config)
        # a re-execution's tags name the run it re-executes and the first of its chain
        self.parent_run_id = self.tags.get(PARENT_RUN_ID_TAG)
        self.root_run_id = self.tags.get(ROOT_RUN_ID_TAG)
        self.asset_selection = asset_selection
        self.status = "STARTED"

    @property
    def pipeline_name(self) -> str:
        return self.job_name

    @property
    def is_success(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def is_failure(self) -> bool:
        return self.status == "FAILURE"

    @property
    def is_finished(self) -> bool:
        return self.status in ("SUCCESS", "FAILURE", "CANCELED")


_CURRENT: ContextVar[OpExecutionContext | None] = ContextVar("headwater_step_context",
                                                              default=None)


def enter_step_context(ctx: OpExecutionContext) -> Token[OpExecutionContext | None]:
    """Make `ctx` what `OpExecutionContext.get()` returns until `exit_step_context`."""
    return _CURRENT.set(ctx)


def exit_step_context(token: Token[OpExecutionContext | None]) -> None:
    _CURRENT.reset(token)


class NodeHandle(str):
    """Where a node sits in the job: its dotted path ("outer_graph.op"), which it equals as a
    string, with the node's own `name` and the enclosing graph's handle as `parent`."""

    @property
    def name(self) -> str:
        return self.rsplit(".", 1)[-1]

    @property
    def parent(self) -> NodeHandle | None:
        return NodeHandle(self.rsplit(".", 1)[0]) if "." in self else None

    @property
    def path(self) -> list[str]:
        return self.split(".")


class OpExecutionContext:
    """What an op's body gets as `context`: config, resources, log, run, assets, partition."""

    __headwater_context__ = True
    # Set by build_op_context/build_asset_context and direct invocation (execution/invocation.py).
    _built_for_test = False
    _bound_to: str | None = None
    _teardown: Any = None
    _entered = False
    _needs_with = False
    _resources_config: Mapping[str, Any] = {}

    def __init__(
        self,
        *,
        op_def: Any = None,
        node_name: str | None = None,
        step_key: str | None = None,
        run: RunInfo | None = None,
        op_config: Any = None,
        resources: Resources | None = None,
        log: LogManager | None = None,
        instance: Any = None,
        partition_key: str | None = None,
        partition_key_range: Any = None,
        mapping_key: str | None = None,
        asset_keys_by_output: Mapping[str, AssetKey] | None = None,
        asset_keys_by_input: Mapping[str, AssetKey] | None = None,
        selected_output_names: Any = None,
        assets_def: Any = None,
        retry_number: int = 0,
        job_def: Any = None,
        emit: Any = None,
        partitions_def: Any = None,
        node_tags: Mapping[str, Any] | None = None,
    ):
        self._node_tags = node_tags
        self._op_def = op_def
        self._node_name = node_name
        self._step_key = step_key
        self._run = run or RunInfo("EPHEMERAL", "ephemeral_headwater_job", {}, {})
        self._op_config = op_config
        self._resources = resources or Resources()
        self._log = log or LogManager()
        self._instance = instance
        self._partition_key = partition_key
        self._partition_key_range = partition_key_range
        self._mapping_key = mapping_key
        self._asset_keys_by_output = dict(asset_keys_by_output or {})
        self._asset_keys_by_input = dict(asset_keys_by_input or {})
        self._selected_output_names = selected_output_names
        self.check_evaluations: dict[Any, Any] = {}  # this attempt's check results, by key
        self._assets_def = assets_def
        self._retry_number = retry_number
        self._job_def = job_def
        self._emit = emit
        self._partitions_def = partitions_def
        self.output_metadata: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.user_events: list[Any] = []
        self.outputs_seen: set[tuple[str, str | None]] = set()

    # --- the step executing now, and what it must yield -------------------------------
    _typed_stream_error: str | None = None

    @classmethod
    def get(cls) -> OpExecutionContext:
        """The context of the op or asset whose body is executing now."""
        ctx = _CURRENT.get()
        if not isinstance(ctx, cls):
            raise HeadwaterInvariantViolationError(
                f"{cls.__name__}.get() was called outside the body of an op or asset"
                + ("" if ctx is None else f" (the body executing gets a {type(ctx).__name__})")
                + ": call it from code that an executing step runs.")
        return ctx

    def set_requires_typed_event_stream(self, *, error_message: str | None = None) -> None:
        """Require the body to yield or return every output (and asset check result) it
        is expected to produce, as Output / MaterializeResult / AssetCheckResult; a step
        that does not fails, its error ending with `error_message`."""
        self._typed_stream_error = error_message or ""

    @property
    def requires_typed_event_stream(self) -> bool:
        return self._typed_stream_error is not None

    @property
    def typed_event_stream_error_message(self) -> str | None:
        return self._typed_stream_error

    # --- the run ------------------------------------------------------------------------
    @property
    def log(self) -> LogManager:
        return self._log

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def run(self) -> RunInfo:
        return self._run

    headwater_run = run

    @property
    def job_name(self) -> str:
        return self._run.job_name

    @property
    def run_config(self) -> dict[str, Any]:
        return self._run.run_config

    @property
    def run_tags(self) -> dict[str, str]:
        return self._run.tags

    def has_tag(self, key: str) -> bool:
        return key in self._run.tags

    def get_tag(self, key: str) -> str | None:
        return self._run.tags.get(key)

    @property
    def instance(self) -> Any:
        if self._instance is None:
            raise HeadwaterInvalidPropertyError(
                "This context has no instance: pass instance= to build_op_context() or run the "
                "op in a job."
            )
        return self._instance

    @property
    def job_def(self) -> Any:
        return self._job_def

    @property
    def retry_number(self) -> int:
        return self._retry_number

    # --- the op -------------------------------------------------------------------------
    @property
    def op_def(self) -> Any:
        return self._op_def

    @property
    def op(self) -> Any:
        if self._op_def is None:
            return None
        return OpNode(self._node_name, self._op_def, self._node_tags)

    @property
    def op_handle(self) -> NodeHandle | None:
        return None if self._node_name is None else NodeHandle(self._node_name)

    @property
    def node_handle(self) -> NodeHandle | None:
        return self.op_handle

    @property
    def step_key(self) -> str | None:
        return self._step_key

    @property
    def op_config(self) -> Any:
        return self._op_config

    @property
    def resources(self) -> Resources:
        return self._resources

    def get_mapping_key(self) -> str | None:
        return self._mapping_key

    @property
    def selected_output_names(self) -> set[str]:
        if self._selected_output_names is not None:
            return set(self._selected_output_names)
        return set(self._op_def.output_dict) if self._op_def is not None else set()

    def describe_op(self) -> str:
        return f'op "{self._node_name}"'

    # --- assets -------------------------------------------------------------------------
    @property
    def has_assets_def(self) -> bool:
        return self._assets_def is not None

    @property
    def assets_def(self) -> Any:
        if self._assets_def is None:
            raise HeadwaterInvalidPropertyError(
                f"op '{self._node_name}' is not an asset: context.assets_def is only available "
                "inside assets."
            )
        return self._assets_def

    @property
    def asset_key(self) -> AssetKey:
        keys = self.selected_asset_keys
        if len(keys) != 1:
            if not keys:
                raise HeadwaterInvalidPropertyError(
                    "Cannot call `context.asset_key` in an op that is not an asset."
                )
            raise HeadwaterInvalidPropertyError(
                "Cannot call `context.asset_key` in a multi_asset with more than one asset. "
                "Use `context.asset_key_for_output(name)` or `context.selected_asset_keys`."
            )
        return next(iter(keys))

    @property
    def selected_asset_keys(self) -> set[AssetKey]:
        if self._assets_def is None:
            return set()
        selected = self._selected_output_names
        if selected is None:
            return set(self._assets_def.keys)
        return {k for n, k in self._asset_keys_by_output.items() if n in selected}

    @property
    def is_subset(self) -> bool:
        """Whether this step computes only some of its asset definition's outputs."""
        if self._assets_def is None or self._op_def is None:
            return False
        return self.selected_output_names != set(self._op_def.output_dict)

    @property
    def selected_asset_check_keys(self) -> set[Any]:
        """The asset checks this step evaluates."""
        if self._assets_def is None:
            return set()
        return set(self._assets_def.check_keys)

    @property
    def check_specs(self) -> list[Any]:
        return [] if self._assets_def is None else list(self._assets_def.check_specs)

    def asset_key_for_output(self, output_name: str = "result") -> AssetKey:
        if output_name not in self._asset_keys_by_output:
            raise HeadwaterInvariantViolationError(
                f"Output '{output_name}' of '{self._node_name}' is not an asset."
            )
        return self._asset_keys_by_output[output_name]

    def asset_key_for_input(self, input_name: str) -> AssetKey:
        if input_name not in self._asset_keys_by_input:
            raise HeadwaterInvariantViolationError(
                f"Input '{input_name}' of '{self._node_name}' is not an asset."
            )
        return self._asset_keys_by_input[input_name]

    def load_asset_value(self, asset_key: Any, *, python_type: Any = None,
                         partition_key: str | None = None) -> Any:
        """The stored value of an asset of this job's asset graph, read through its IO manager
        (as an input would be): for loading a dependency the function decides on at run time."""
        key = to_asset_key(asset_key)
        layer = getattr(self._job_def, "asset_layer", None)
        assets_def = layer.assets_def_for_key(key) if layer is not None else None
        if assets_def is None:
            raise KeyError(
                f"Asset {key.to_user_string()!r} is not in the asset graph of job "
                f"'{getattr(self._job_def, 'name', '?')}', so no IO manager is known for it. "
                "Load an asset these definitions declare (add it to Definitions(assets=...)).")
        io_key = getattr(assets_def, "io_manager_key", None) or \
            assets_def.get_io_manager_key_for_asset_key(key)
        resources = self._resources._unscoped()  # the IO manager is the run's, not the op's
        if io_key not in resources:
            raise HeadwaterInvariantViolationError(
                f"Cannot load {key.to_user_string()!r}: its IO manager '{io_key}' is not a "
                f"resource of this run. Add resources={{'{io_key}': ...}}.")
        spec = assets_def.specs_by_key[key]
        node = assets_def.node_def
        pdef = getattr(assets_def, "partitions_def", None)
        upstream = OutputContext(
            step_key=node.name if node is not None else None,
            name=assets_def.output_name_by_key.get(key, "result"),
            definition_metadata=spec.metadata, asset_key=key, partition_key=partition_key,
            assets_def=assets_def, resources=resources, instance=self.instance,
        )
        context = InputContext(
            name=key.to_python_identifier(), definition_metadata=spec.metadata,
            upstream_output=upstream, asset_key=key, partition_key=partition_key,
            resources=resources, instance=self.instance,
            headwater_type=resolve_headwater_type(python_type) if python_type is not None else None,
        )
        if pdef is not None:
            upstream.asset_partitions_def = pdef
            context.asset_partitions_def = pdef
        return resources[io_key].load_input(context)

    def output_for_asset_key(self, asset_key: Any) -> str:
        key = to_asset_key(asset_key)
        for name, k in self._asset_keys_by_output.items():
            if k == key:
                return name
        raise HeadwaterInvariantViolationError(f"{key.to_user_string()} is not an output here.")

    # --- partitions (resolved in execution/partition.py) -------------------------------
    @property
    def has_partition_key(self) -> bool:
        return self._partition_key is not None

    @property
    def partition_key(self) -> str:
        if self._partition_key is None:
            if _partition.key_range(self) is not None:
                return _partition.single_key(_partition.run_keys(self), "This run")
            raise HeadwaterInvalidPropertyError(
                "context.partition_key: this run is not partitioned, so it has no partition key. "
                "Check context.has_partition_key first."
            )
        return self._partition_key

    @property
    def partition_keys(self) -> list[str]:
        return list(_partition.run_keys(self))

    @property
    def has_partition_key_range(self) -> bool:
        return _partition.key_range(self) is not None

    @property
    def partition_key_range(self) -> Any:
        return _partition.require_range(self, "partition_key_range")

    asset_partition_key_range = partition_key_range

    @property
    def asset_partition_key(self) -> str:
        return self.partition_key

    @property
    def multi_partition_key(self) -> Any:
        key = self.partition_key
        if not _partition.is_multi(key):
            raise HeadwaterInvariantViolationError(
                f"multi_partition_key is only available for multi-partitioned assets; this run's "
                f"partition key {key!r} belongs to {self._partitions_def}. Use partition_key."
            )
        return key

    @property
    def partition_time_window(self) -> Any:
        return _partition.time_window(_partition._pdef(self), self.partition_keys,
                                      "partition_time_window")

    def asset_partition_key_for_output(self, output_name: str = "result") -> str:
        return self.partition_key

    def asset_partition_keys_for_output(self, output_name: str = "result") -> list[str]:
        return self.partition_keys

    def asset_partition_key_range_for_output(self, output_name: str = "result") -> Any:
        return self.partition_key_range

    def asset_partitions_time_window_for_output(self, output_name: str = "result") -> Any:
        return self.partition_time_window

    def asset_partitions_def_for_output(self, output_name: str = "result") -> Any:
        return _partition._pdef(self)

    def asset_partition_keys_for_input(self, input_name: str) -> list[str]:
        keys = _partition.upstream_keys(self, input_name)
        if keys is None:
            raise HeadwaterInvariantViolationError(
                f"Input '{input_name}' comes from an unpartitioned asset; it has no partition keys.")
        return keys

    def asset_partition_key_for_input(self, input_name: str) -> str:
        return _partition.single_key(self.asset_partition_keys_for_input(input_name),
                                     f"Input '{input_name}'")

    def asset_partition_key_range_for_input(self, input_name: str) -> Any:
        keys = self.asset_partition_keys_for_input(input_name)
        if not keys:
            raise HeadwaterInvariantViolationError(
                f"Input '{input_name}' reads no upstream partitions, so it has no key range.")
        return PartitionKeyRange(keys[0], keys[-1])

    def asset_partitions_time_window_for_input(self, input_name: str) -> Any:
        return _partition.time_window(_partition.upstream_partitions_def(self, input_name),
                                      self.asset_partition_keys_for_input(input_name),
                                      "asset_partitions_time_window_for_input")

    def asset_partitions_def_for_input(self, input_name: str) -> Any:
        return _partition.upstream_partitions_def(self, input_name)

    # --- output metadata ----------------------------------------------------------------
    def add_output_metadata(self, metadata: Mapping[str, Any], output_name: str | None = None,
                            mapping_key: str | None = None) -> None:
        """Attach metadata to an output (and to its materialization, for assets)."""
        if output_name is None:
            outputs = self._op_def.output_dict if self._op_def is not None else {"result": None}
            if len(outputs) != 1:
                raise HeadwaterInvariantViolationError(
                    "Attempted to add metadata for a non-specified output on an op with several "
                    "outputs: pass output_name=."
                )
            output_name = next(iter(outputs))
        elif self._op_def is not None and output_name not in self._op_def.output_dict:
            raise HeadwaterInvariantViolationError(
                f"Tried to add metadata for output '{output_name}', which op "
                f"'{self._op_def.name}' does not have."
            )
        if (output_name, mapping_key) in self.outputs_seen:
            which = f" with mapping_key '{mapping_key}'" if mapping_key is not None else ""
            raise HeadwaterInvariantViolationError(
                f"In op '{self._node_name}', attempted to log output metadata for output "
                f"'{output_name}'{which} which has already been yielded. Metadata must be logged "
                "before the output is yielded."
            )
        # Kept as given (get_output_metadata returns it so); the step normalizes it on output.
        self.output_metadata.setdefault((output_name, mapping_key), {}).update(metadata)

    def add_asset_metadata(self, metadata: Mapping[str, Any], asset_key: Any = None,
                           partition_key: str | None = None) -> None:
        key = to_asset_key(asset_key) if asset_key is not None else self.asset_key
        self.add_output_metadata(metadata, output_name=self.output_for_asset_key(key))

    def get_output_metadata(self, output_name: str = "result",
                            mapping_key: str | None = None) -> dict[str, Any] | None:
        return self.output_metadata.get((output_name, mapping_key))

    def log_event(self, event: Any) -> None:
        """Record an AssetMaterialization, AssetObservation or ExpectationResult."""
        self.user_events.append(event)
        if self._emit is not None:
            self._emit(event)

    def get_events(self) -> list[Any]:
        return list(self.user_events)

    def get_step_execution_context(self) -> OpExecutionContext:
        return self

    @property
    def op_execution_context(self) -> OpExecutionContext:
        return self

    def __enter__(self) -> OpExecutionContext:
        self._entered = True
        return self

    def __exit__(self, *exc: Any) -> None:
        teardown = self._teardown
        if teardown is not None:
            self._teardown = None
            teardown()

    def __del__(self) -> None:
        # A test context built without `with` still tears its resources down when collected.
        teardown = getattr(self, "_teardown", None)
        if teardown is not None:
            self._teardown = None
            try:
                teardown()
            except Exception:
                pass


class AssetExecutionContext(OpExecutionContext):
    """What an asset's body gets as `context`."""

    __headwater_context__ = True

    @property
    def asset_partition_keys(self) -> list[str]:
        return self.partition_keys


class AssetCheckExecutionContext(AssetExecutionContext):
    """What an asset check's body gets as `context`."""

    __headwater_context__ = True

    @property
    def check_key(self) -> Any:
        keys = self.selected_asset_check_keys
        if len(keys) != 1:
            raise HeadwaterInvalidPropertyError(
                f"context.check_key is ambiguous: '{self._node_name}' evaluates {len(keys)} "
                "checks. Use context.selected_asset_check_keys."
            )
        return next(iter(keys))


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
    ):
        self.step_key = step_key
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
