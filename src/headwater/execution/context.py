"""The contexts user code receives: op/asset execution and IO manager input/output.

Each context is a thin view over the step or run that is executing, or over values
given to a `build_*_context` helper in tests (`testing.py`). The resources they hand
out come from `resources.py`, which sits below this module. Imports
`headwater.definitions` and this layer's `io_context` (the IO manager contexts, re-exported
here), `log`, `partition`, `resources`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any

from headwater.definitions.checks.definition import AssetChecksDefinition
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.partitions.base import PartitionKeyRange
from headwater.definitions.tags import PARENT_RUN_ID_TAG, ROOT_RUN_ID_TAG
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidPropertyError,
    HeadwaterInvariantViolationError,
)
from headwater.execution import partition as _partition
from headwater.execution.io_context import InputContext as InputContext
from headwater.execution.io_context import OutputContext as OutputContext
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
    """What an op's function gets as `context`: its config, resources, log, run and partition.

    The engine builds it for each step; in tests, build one with `build_op_context`. Inside a
    running op, `OpExecutionContext.get()` returns the current one.

    Args:
        op_def: the op being run (`context.op_def`).
        node_name: the op's name in its graph (its alias, if any).
        step_key: the key of the step in the run's plan.
        run: the run as user code sees it (`context.run`).
        op_config: the config of this op or asset (`context.op_config`).
        resources: the resources the op required (`context.resources`).
        log: the log manager behind `context.log`.
        instance: the instance the run is recorded in.
        partition_key: the partition being run, if any.
        partition_key_range: the range of partitions, for a run over a range.
        mapping_key: the mapping key, below a `DynamicOut`.
        asset_keys_by_output: the asset each output materializes.
        asset_keys_by_input: the asset each input loads.
        selected_output_names: the outputs this step must produce (a subset run).
        assets_def: the assets definition being materialized, if any.
        retry_number: 0 on the first attempt, then 1, 2, ... on retries.
        job_def: the job being run.
        emit: where the events logged by user code go.
        partitions_def: the partitions definition of the step's assets.
        node_tags: the tags of the op in its graph.

    Example:
        ```python
        from headwater import OpExecutionContext, job, op

        @op
        def report(context: OpExecutionContext) -> str:
            context.log.info("running in %s", context.job_name)
            return context.run.tags.get("team", "nobody")

        @job(tags={"team": "data"})
        def daily():
            report()

        assert daily.execute_in_process().output_for_node("report") == "data"
        ```
    """

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
        # add_asset_metadata(partition_key=...): for that partition's materialization only
        self.partition_metadata: dict[tuple[AssetKey, str], dict[str, Any]] = {}
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

    def _check_yield_order(self, output_name: str) -> None:
        """A multi-asset yields an asset after those of its required outputs it depends on."""
        key, yielded = self._asset_keys_by_output[output_name], {n for n, _ in self.outputs_seen}
        for dep in getattr(self._assets_def.specs_by_key.get(key), "deps", ()):
            name = next((n for n, k in self._asset_keys_by_output.items() if k == dep.asset_key), "")
            if name in self.selected_output_names and name not in yielded and name != output_name \
                    and self._op_def.output_dict[name].is_required:
                raise HeadwaterInvariantViolationError(
                    f'Asset "{key.to_user_string()}" was yielded before its dependency '
                    f'"{dep.asset_key.to_user_string()}" by op "{self._node_name}": yield the '
                    "assets of a multi-asset in dependency order.")

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
            raise HeadwaterInvariantViolationError(
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
        return {k for n, k in self._asset_keys_by_output.items()
                if n in selected and k in self._assets_def.keys}

    @property
    def is_subset(self) -> bool:
        """Whether this step computes only some of its asset definition's assets or checks
        (for an op inside a graph asset: whether the asset itself runs in part)."""
        if self._assets_def is None or self._op_def is None:
            return False
        return bool(getattr(self._assets_def, "is_subset", False)) or \
            self.selected_output_names != set(self._op_def.output_dict)

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
        """Attach metadata to an asset's materialization; with `partition_key`, to the
        materialization of that one partition of the run's range only."""
        key = to_asset_key(asset_key) if asset_key is not None else self.asset_key
        output_name = self.output_for_asset_key(key)
        if partition_key is None:
            self.add_output_metadata(metadata, output_name=output_name)
            return
        keys = self.partition_keys if _partition.key_range(self) is not None else []
        if partition_key not in keys:
            raise HeadwaterInvariantViolationError(
                f"add_asset_metadata(partition_key={partition_key!r}) for asset "
                f"'{key.to_user_string()}': this step materializes "
                + (f"partitions {keys}" if keys else "no partitions")
                + "; pass one of them, or no partition_key to attach the metadata to all.")
        if (output_name, None) in self.outputs_seen:
            self.add_output_metadata(metadata, output_name=output_name)  # raises: too late
        self.partition_metadata.setdefault((key, partition_key), {}).update(metadata)

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
    """What an asset's function gets as `context`: an op context plus the asset's own view.

    Besides everything `OpExecutionContext` has, it answers for the asset being materialized
    (`asset_key`, `asset_partition_keys`, `add_output_metadata`). Build one with
    `build_asset_context` in tests.

    Args:
        op_def: the op being run (`context.op_def`).
        node_name: the op's name in its graph (its alias, if any).
        step_key: the key of the step in the run's plan.
        run: the run as user code sees it (`context.run`).
        op_config: the config of this op or asset (`context.op_config`).
        resources: the resources the op required (`context.resources`).
        log: the log manager behind `context.log`.
        instance: the instance the run is recorded in.
        partition_key: the partition being run, if any.
        partition_key_range: the range of partitions, for a run over a range.
        mapping_key: the mapping key, below a `DynamicOut`.
        asset_keys_by_output: the asset each output materializes.
        asset_keys_by_input: the asset each input loads.
        selected_output_names: the outputs this step must produce (a subset run).
        assets_def: the assets definition being materialized, if any.
        retry_number: 0 on the first attempt, then 1, 2, ... on retries.
        job_def: the job being run.
        emit: where the events logged by user code go.
        partitions_def: the partitions definition of the step's assets.
        node_tags: the tags of the op in its graph.

    Example:
        ```python
        from headwater import AssetExecutionContext, asset, materialize

        @asset
        def orders(context: AssetExecutionContext) -> list[int]:
            context.add_output_metadata({"rows": 2})
            return [1, 2]

        result = materialize([orders])
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 2
        ```
    """

    __headwater_context__ = True

    @property
    def asset_partition_keys(self) -> list[str]:
        return self.partition_keys


class AssetCheckExecutionContext(AssetExecutionContext):
    """What an asset check's function gets as `context`: an asset context with its check key.

    `check_key` names the check being evaluated (or raises `HeadwaterInvalidPropertyError`
    for a multi-check). Build one with `build_asset_check_context` in tests.

    Args:
        op_def: the op being run (`context.op_def`).
        node_name: the op's name in its graph (its alias, if any).
        step_key: the key of the step in the run's plan.
        run: the run as user code sees it (`context.run`).
        op_config: the config of this op or asset (`context.op_config`).
        resources: the resources the op required (`context.resources`).
        log: the log manager behind `context.log`.
        instance: the instance the run is recorded in.
        partition_key: the partition being run, if any.
        partition_key_range: the range of partitions, for a run over a range.
        mapping_key: the mapping key, below a `DynamicOut`.
        asset_keys_by_output: the asset each output materializes.
        asset_keys_by_input: the asset each input loads.
        selected_output_names: the outputs this step must produce (a subset run).
        assets_def: the assets definition being materialized, if any.
        retry_number: 0 on the first attempt, then 1, 2, ... on retries.
        job_def: the job being run.
        emit: where the events logged by user code go.
        partitions_def: the partitions definition of the step's assets.
        node_tags: the tags of the op in its graph.

    Example:
        ```python
        from headwater import AssetCheckExecutionContext, AssetCheckResult, asset
        from headwater import asset_check, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        @asset_check(asset=orders)
        def has_rows(context: AssetCheckExecutionContext, orders: list[int]) -> AssetCheckResult:
            return AssetCheckResult(passed=bool(orders), metadata={"check": context.check_key.name})

        result = materialize([orders, has_rows])
        assert result.get_asset_check_evaluations()[0].passed
        ```
    """

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


def context_class_for(step: Any) -> type:
    """The context a step's function gets: by what the step computes, unless the function's
    `context` annotation asks for the plain OpExecutionContext; an asset context annotated on
    an op or a check is a definition error."""
    kind = ("asset_check" if isinstance(step.assets_def, AssetChecksDefinition)
            else "op" if step.assets_def is None else "asset")
    default = {"op": OpExecutionContext, "asset": AssetExecutionContext,
               "asset_check": AssetCheckExecutionContext}[kind]
    if kind == "asset" and isinstance(step.assets_def.node_def, GraphDefinition):
        # An op inside a graph-backed asset is an op: it gets an asset context only if it
        # asks for one with its annotation.
        default = OpExecutionContext
    sig = step.op_def.signature
    if sig.context_arg is None:
        return default
    annotation = _context_annotation(step.op_def.compute_fn, sig.context_arg)
    if annotation is OpExecutionContext:
        return OpExecutionContext
    if annotation is AssetExecutionContext and kind == "asset":
        return AssetExecutionContext
    if annotation is AssetExecutionContext and kind != "asset":
        raise HeadwaterInvalidDefinitionError(
            f"Cannot annotate @{kind} `context` parameter with type AssetExecutionContext "
            f"('{step.op_def.name}'): annotate it with "
            f"{'AssetCheckExecutionContext' if kind == 'asset_check' else 'OpExecutionContext'}"
            ", or leave it unannotated.")
    return default


def _context_annotation(fn: Any, name: str) -> Any:
    try:
        annotation = inspect.signature(fn).parameters[name].annotation
    except (KeyError, TypeError, ValueError):
        return None
    if isinstance(annotation, str):  # from __future__ import annotations
        return {"OpExecutionContext": OpExecutionContext,
                "AssetExecutionContext": AssetExecutionContext}.get(annotation.rsplit(".", 1)[-1])
    return annotation
