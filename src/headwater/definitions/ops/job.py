"""Jobs: a graph bound to resources, config, executor and tags (JobDefinition).

The `@job` decorator and `GraphDefinition.to_job` build these from `graph.py`, which sits
above this module: here the graph is only held, asked for its nodes, and cut by its own
`subset`. Imports `composition`, `key`, `metadata`, `run_request`, `errors`; `graph` for
annotations only. Running is reached through `_runtime` (the engine registers itself),
never by importing `headwater.execution`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from headwater.definitions import _runtime
from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.composition import (
    Invocation,
    OutputHandle,
    check_unique_definitions,
)
from headwater.definitions.ops.input_source import check_job_inputs
from headwater.definitions.run_request import run_request_for_partition
from headwater.errors import (
    HeadwaterDeprecationWarning,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidSubsetError,
    HeadwaterInvariantViolationError,
)

if TYPE_CHECKING:
    from headwater.definitions.ops.graph import GraphDefinition  # graph.py imports this module


@dataclass(frozen=True)
class OpSelectionData:
    """How a job was narrowed: the `op_selection` clauses and the node names they resolved to."""

    op_selection: tuple[str, ...]
    resolved_op_selection: frozenset[str]


@dataclass
class AssetLayer:
    """Which node outputs and inputs of a job are assets, and the asset graph they come from."""

    assets_defs_by_node: dict[str, Any] = field(default_factory=dict)
    key_by_output: dict[tuple[str, str], AssetKey] = field(default_factory=dict)
    key_by_input: dict[tuple[str, str], AssetKey] = field(default_factory=dict)
    selected_keys: frozenset[AssetKey] = frozenset()
    assets_defs: list[Any] = field(default_factory=list)
    source_assets: list[Any] = field(default_factory=list)
    asset_graph: Any = None  # the AssetGraph an asset job was built from (assets/job.py)
    selected_check_keys: frozenset[Any] = frozenset()  # the asset checks the job evaluates
    # node -> check nodes it waits for (blocking checks on the assets it reads)
    blocking_upstream: dict[str, set[str]] = field(default_factory=dict)
    # step key -> the outputs it yields, for the ops of a graph-backed asset run in part
    selected_outputs: dict[str, frozenset[str]] = field(default_factory=dict)

    def assets_def_for_key(self, key: AssetKey) -> Any:
        return self._index()[0].get(key)

    @property
    def executable_asset_keys(self) -> frozenset[AssetKey]:
        """The selected keys that this job materializes (source assets excluded)."""
        by_key = self._index()[0]
        return frozenset(k for k in self.selected_keys
                         if getattr(by_key.get(k), "is_executable", False))

    def outputs_of_node(self, node: str) -> dict[str, AssetKey]:
        return self._index()[1].get(node, {})

    def inputs_of_node(self, node: str) -> dict[str, AssetKey]:
        return self._index()[2].get(node, {})

    def _index(self) -> tuple[dict[AssetKey, Any], dict[str, dict[str, AssetKey]],
                              dict[str, dict[str, AssetKey]]]:
        """Lookups by key and by node, built once (the layer is complete before any run)."""
        cached = self.__dict__.get("_cache")
        if cached is None:
            by_key: dict[AssetKey, Any] = {}
            for assets_def in self.assets_defs:
                for key in assets_def.keys:
                    by_key.setdefault(key, assets_def)
            outputs: dict[str, dict[str, AssetKey]] = {}
            for (node, out), key in self.key_by_output.items():
                outputs.setdefault(node, {})[out] = key
            inputs: dict[str, dict[str, AssetKey]] = {}
            for (node, name), key in self.key_by_input.items():
                inputs.setdefault(node, {})[name] = key
            cached = (by_key, outputs, inputs)
            self.__dict__["_cache"] = cached
        return cached


@dataclass(frozen=True, slots=True, kw_only=True)
class JobOptions:
    """How a job runs, apart from its graph, its name and its resources.

    `define_asset_job` builds one from its arguments; the unresolved asset job keeps it and
    `build_asset_job` hands it on to `JobDefinition.from_options`. Every field is the
    `JobDefinition(...)` argument of the same name, so a new option is a field here (plus
    its spelling in the public signatures) and passes through the layers unchanged.
    """

    description: str | None = None
    config: Any = None
    tags: Mapping[str, Any] = field(default_factory=dict)
    run_tags: Mapping[str, Any] | None = None  # None: runs take the job's tags
    metadata: Mapping[str, Any] = field(default_factory=dict)
    partitions_def: Any = None
    executor_def: Any = None
    hooks: Any = None
    op_retry_policy: Any = None
    owners: Sequence[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", dict(self.tags or {}))
        if self.owners is not None:
            object.__setattr__(self, "owners", list(self.owners))
        object.__setattr__(self, "metadata", dict(self.metadata or {}))
        if self.run_tags is not None:
            object.__setattr__(self, "run_tags", dict(self.run_tags))

    def as_arguments(self) -> dict[str, Any]:
        """The options as `JobDefinition(...)` keyword arguments."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class JobDefinition:
    """A graph made ready to run: the graph plus its resources, config, executor, tags and hooks.

    Built by `@job`, `GraphDefinition.to_job` or `define_asset_job` rather than directly.
    `execute_in_process()` runs it in the calling process; `Definitions(jobs=[...])` makes
    it visible to the UI, schedules and sensors.

    Args:
        graph_def: the graph of ops the job runs.
        name: the job's name; defaults to the graph's.
        description: shown in the UI; defaults to the graph's.
        resource_defs: resources by key, for the ops that require them.
        config: run config applied by default (a dict, `RunConfig` or `ConfigMapping`).
        tags: tags of the job; its runs get them too unless `run_tags` is given.
        metadata: metadata shown with the job in the UI.
        logger_defs: loggers by name, which also receive the messages of `context.log`.
        executor_def: how steps run; by default multiprocess, or in process when so configured.
        hooks: hooks applied to every op of the job.
        op_retry_policy: the `RetryPolicy` of ops that do not set their own.
        partitions_def: partitions the job's runs target, one per run.
        input_values: values of top-level inputs of the graph left unconnected.
        run_tags: tags each run gets instead of `tags`.
        asset_layer: which assets the ops materialize (set by asset jobs, not by users).
        op_selection: the ops this job keeps of its graph (set by `get_subset`).
        owners: who owns the job (emails or `team:` names).

    Example:
        ```python
        from headwater import GraphDefinition, JobDefinition, op

        @op
        def hello() -> str:
            return "hello"

        graph = GraphDefinition(name="greeting", node_defs=[hello])
        greet = JobDefinition(graph_def=graph, name="greet", tags={"team": "web"})
        result = greet.execute_in_process()
        assert result.output_for_node("hello") == "hello"
        ```
    """

    def __init__(
        self,
        graph_def: GraphDefinition,
        name: str | None = None,
        description: str | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        config: Any = None,
        tags: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        logger_defs: Mapping[str, Any] | None = None,
        executor_def: Any = None,
        hooks: Any = None,
        op_retry_policy: Any = None,
        partitions_def: Any = None,
        input_values: Mapping[str, Any] | None = None,
        run_tags: Mapping[str, Any] | None = None,
        asset_layer: AssetLayer | None = None,
        op_selection: Sequence[str] | None = None,
        owners: Sequence[str] | None = None,
    ):
        check_unique_definitions(name or graph_def.name, [
            inv.node_def for inv in graph_def.invocations.values()], recursive=True)
        self.owners = validated_owners(name or graph_def.name, owners)
        _check_job_name(name or graph_def.name)
        self.graph = graph_def
        self.name = name or graph_def.name
        self.description = description if description is not None else graph_def.description
        self.resource_defs = dict(resource_defs or {})
        self.config = config
        self.tags = _string_tags(self.name, {**graph_def.tags, **dict(tags or {})})
        # None: runs take the job's tags; a mapping (even empty) replaces them.
        self._run_tags = dict(run_tags) if run_tags is not None else None
        self.metadata = normalize_metadata(metadata)
        self.logger_defs = dict(logger_defs or {})
        self.executor_def = executor_def
        self.hook_defs = frozenset(hooks or ())
        self.op_retry_policy = op_retry_policy
        # A PartitionedConfig as config= makes the job partitioned by its partitions_def.
        self.partitions_def = partitions_def if partitions_def is not None else getattr(
            config, "partitions_def", None)
        self.input_values = dict(input_values or {})
        self.asset_layer = asset_layer or AssetLayer()
        if not self.asset_layer.assets_defs:  # an asset job's inputs come from its assets
            check_job_inputs(self.name, graph_def, self.input_values)
        self.op_selection = list(op_selection) if op_selection else None
        self._run_config_shape: Any = None  # built on first use by run_config_schema_type
        self._in_memory_variant: JobDefinition | None = None  # made by execute_in_process
        for hook in self.hook_defs:
            if not callable(hook):
                raise HeadwaterInvalidDefinitionError(
                    f"job '{self.name}': hooks must be hook definitions, got {hook!r}."
                )

    @classmethod
    def from_options(cls, graph_def: GraphDefinition, options: JobOptions,
                     **wiring: Any) -> JobDefinition:
        """A job from its graph, its options and its wiring (name, resource_defs, asset_layer)."""
        return cls(graph_def, **wiring, **options.as_arguments())

    @property
    def graph_def(self) -> GraphDefinition:
        return self.graph

    @property
    def op_selection_data(self) -> OpSelectionData | None:
        """For a job cut by `op_selection`, the clauses given and the top-level nodes kept."""
        if self.op_selection is None:
            return None
        return OpSelectionData(tuple(self.op_selection), frozenset(self.graph.invocations))

    @property
    def nodes(self) -> list[Invocation]:
        return self.graph.nodes

    @property
    def node_defs(self) -> list[Any]:
        return self.graph.node_defs

    @property
    def all_node_defs(self) -> list[Any]:
        return self.graph.iterate_op_defs()

    @property
    def loggers(self) -> dict[str, Any]:
        """The logger definitions of this job, by name."""
        return dict(self.logger_defs)

    def has_node(self, name: str) -> bool:
        """Whether a node of this name is anywhere in the job, nested graphs included."""
        graphs = [self.graph]
        while graphs:
            graph = graphs.pop()
            if graph.has_node_named(name):
                return True
            graphs.extend(inv.node_def for inv in graph.invocations.values()
                          if hasattr(inv.node_def, "invocations"))
        return False

    def get_node(self, name: str) -> Invocation:
        return self.graph.node_named(name)

    def get_node_named(self, name: str) -> Invocation:
        """The top-level node (op or graph invocation) called `name`."""
        return self.graph.node_named(name)

    @property
    def required_resource_keys(self) -> frozenset[str]:
        return self.graph.required_resource_keys

    @property
    def run_tags(self) -> dict[str, Any]:
        """The tags every run of this job gets: `run_tags=` if given, else the job's tags."""
        return dict(self.tags) if self._run_tags is None else dict(self._run_tags)

    @property
    def partitioned_config(self) -> Any:
        """The job's run config by partition key: its PartitionedConfig, or for a job
        partitioned by `partitions_def=` alone, the same config for every partition."""
        from headwater.definitions.partitions.partitioned_config import PartitionedConfig

        if isinstance(self.config, PartitionedConfig):
            return self.config
        if self.partitions_def is None:
            return None
        static = dict(self.config) if isinstance(self.config, Mapping) else {}
        return PartitionedConfig(self.partitions_def,
                                 run_config_for_partition_key_fn=lambda _key: dict(static))

    @property
    def is_asset_job(self) -> bool:
        return bool(self.asset_layer.assets_defs)

    def execute_in_process(
        self,
        run_config: Any = None,
        instance: Any = None,
        partition_key: str | None = None,
        raise_on_error: bool = True,
        op_selection: Sequence[str] | None = None,
        asset_selection: Sequence[Any] | None = None,
        run_id: str | None = None,
        input_values: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        resources: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run this job in the calling process and return its result."""
        execute = _runtime.engine().execute_job_in_process
        job = self
        if op_selection:
            job = job.get_subset(op_selection=op_selection)
        if resources:
            job = job._copy(resource_defs={**job.resource_defs, **resources})
        return execute(
            job,
            run_config=run_config,
            instance=instance,
            partition_key=partition_key,
            raise_on_error=raise_on_error,
            asset_selection=asset_selection,
            run_id=run_id,
            input_values=input_values,
            tags=tags,
        )

    def with_resources(self, resources: Mapping[str, Any]) -> JobDefinition:
        clash = set(resources) & set(self.resource_defs)
        if clash and not self.is_asset_job:
            raise HeadwaterInvalidDefinitionError(
                f"job '{self.name}' already binds resources {sorted(clash)}; pass them in one place."
            )
        return self._copy(resource_defs={**self.resource_defs, **resources})

    def with_top_level_resources(self, resources: Mapping[str, Any]) -> JobDefinition:
        return self._copy(resource_defs={**resources, **self.resource_defs})

    def run_request_for_partition(self, partition_key: str, **kwargs: Any) -> Any:
        """A RunRequest for one partition of this job (see run_request.py)."""
        return run_request_for_partition(self, partition_key, **kwargs)

    def with_executor_def(self, executor_def: Any) -> JobDefinition:
        """A copy of this job that runs with `executor_def`."""
        return self._copy(executor_def=executor_def)

    def with_logger_defs(self, logger_defs: Mapping[str, Any]) -> JobDefinition:
        """A copy of this job whose loggers are `logger_defs`."""
        return self._copy(logger_defs=dict(logger_defs))

    def with_metadata(self, metadata: Mapping[str, Any]) -> JobDefinition:
        """A copy of this job with `metadata` replacing its metadata."""
        return self._copy(metadata=normalize_metadata(metadata))

    def get_job_snapshot(self) -> JobSnap:
        """What this job looks like, as recorded beside its runs."""
        return JobSnap(
            name=self.name, description=self.description, tags=dict(self.tags),
            metadata=dict(self.metadata), owners=list(self.owners),
            node_names=tuple(sorted(inv.name for inv in self.graph.invocations.values())))

    def _copy(self, **changes: Any) -> JobDefinition:
        new = object.__new__(JobDefinition)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        new._run_config_shape = None  # the copy's resources or config may differ
        new._in_memory_variant = None
        return new

    def get_subset(self, op_selection: Sequence[str] | None = None) -> JobDefinition:
        if not op_selection:
            return self
        names = select_nodes(self.graph, op_selection, self.name)
        sub = self.graph.subset(names)
        if not self.asset_layer.assets_defs:
            check_job_inputs(self.name, sub, self.input_values, HeadwaterInvalidSubsetError)
        return self._copy(graph=sub, op_selection=list(op_selection))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise HeadwaterInvariantViolationError(
            f"Attempted to call job '{self.name}' directly. Jobs should be invoked by using an "
            f"execution API function (e.g. `job.execute_in_process`): {self.name}."
            "execute_in_process()."
        )

    def __repr__(self) -> str:
        return f"JobDefinition(name={self.name!r})"


@dataclass(frozen=True)
class JobSnap:
    """A job's identity and descriptive fields; `snapshot_id` changes when any of them does."""

    name: str
    description: str | None
    tags: Mapping[str, Any]
    metadata: Mapping[str, Any]
    owners: list[str]
    node_names: tuple[str, ...]

    @property
    def snapshot_id(self) -> str:
        import hashlib

        text = json.dumps([self.name, self.description, sorted(self.tags.items()),
                           sorted((k, repr(v)) for k, v in self.metadata.items()),
                           self.owners, self.node_names], default=repr)
        return hashlib.sha1(text.encode()).hexdigest()


_CLAUSE = re.compile(r"^(?P<up>\*|\+*)(?P<name>[A-Za-z0-9_.\-]+)(?P<down>\*|\+*)$")


def select_nodes(graph: GraphDefinition, selection: Sequence[str] | str,
                 job_name: str) -> dict[str, Any]:
    """Resolve op-selection clauses ("*a", "a+", "g.inner*") against a graph.

    Returns the selected top-level nodes, each mapped to None (the whole node) or, for a
    graph of which only some nodes are selected ("g.inner"), to its own selection."""
    parents: dict[str, set[str]] = {n: set() for n in graph.invocations}
    children: dict[str, set[str]] = {n: set() for n in graph.invocations}
    for inv in graph.invocations.values():
        for binding in inv.bindings.values():
            for b in binding if isinstance(binding, list) else [binding]:
                handle = getattr(b, "handle", b)
                if isinstance(handle, OutputHandle):
                    parents[inv.name].add(handle.node_name)
                    children[handle.node_name].add(inv.name)
    whole: set[str] = set()
    partial: dict[str, list[dict[str, Any]]] = {}
    if isinstance(selection, str):
        selection = [selection]
    for clause in selection:
        for part in clause.split(","):
            part = part.strip()
            if part == "*":
                whole |= set(graph.invocations)
                continue
            match = _CLAUSE.match(part)
            if not match:
                raise HeadwaterInvalidSubsetError(
                    f"job '{job_name}': op selection clause {part!r} is not valid; write "
                    "'name', '*name', 'name*', '+name', 'name++' or 'graph.inner'."
                )
            name, _, inner = match["name"].partition(".")
            if name not in graph.invocations:
                raise HeadwaterInvalidSubsetError(
                    f"op_selection={list(selection)!r} names op '{name}', which job "
                    f"'{job_name}' does not have. Check the spelling against the job's ops."
                )
            if inner:
                node_def = graph.invocations[name].node_def
                if not hasattr(node_def, "invocations"):
                    raise HeadwaterInvalidSubsetError(
                        f"op_selection clause {part!r} of job '{job_name}' selects inside "
                        f"'{name}', which is an op, not a graph.")
                partial.setdefault(name, []).append(select_nodes(
                    node_def, [f"{match['up']}{inner}{match['down']}"], job_name))
                continue
            whole.add(name)
            whole |= _walk(name, parents, _depth(match["up"]))
            whole |= _walk(name, children, _depth(match["down"]))
    selected: dict[str, Any] = dict.fromkeys(whole)
    for name, inner_selections in partial.items():
        if name not in selected:
            selected[name] = _merge_selections(inner_selections)
    return selected


def _merge_selections(selections: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One selection from several: a node selected whole anywhere is selected whole."""
    merged: dict[str, Any] = {}
    for selection in selections:
        for name, inner in selection.items():
            if name in merged and (merged[name] is None or inner is None):
                merged[name] = None
            elif name in merged:
                merged[name] = _merge_selections([merged[name], inner])
            else:
                merged[name] = inner
    return merged


def _depth(marks: str) -> int | None:
    return None if marks == "*" else len(marks)


def _walk(start: str, edges: Mapping[str, set[str]], depth: int | None) -> set[str]:
    found: set[str] = set()
    frontier = {start}
    level = 0
    while frontier and (depth is None or level < depth):
        nxt = set()
        for n in frontier:
            nxt |= edges[n] - found
        found |= nxt
        frontier = nxt
        level += 1
    return found


def _check_job_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_]+", name or ""):
        raise HeadwaterInvalidDefinitionError(
            f"job name {name!r} is not a valid name: use letters, digits and underscores only "
            "(regex ^[A-Za-z0-9_]+$), e.g. 'daily_revenue'."
        )


_TAG_KEY_PART = re.compile(r"[A-Za-z0-9_.\-]{1,63}")


def _warn_of_odd_tag_keys(job_name: str, keys: Sequence[str]) -> None:
    """Job tag keys outside the tag key format still work, with a deprecation warning
    pointing at the user's code (the first frame outside headwater)."""
    odd = [k for k in keys if not all(_TAG_KEY_PART.fullmatch(p) for p in k.split("/", 1))]
    if not odd:
        return
    package = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(
        f"job '{job_name}': tag keys {odd} do not follow the tag key format: an optional "
        "'prefix/' and a name, each 1-63 letters, digits, '_', '-' or '.'. They still work, "
        "but such keys are deprecated; rename them, e.g. 'team' or 'my_org/team'.",
        HeadwaterDeprecationWarning, stacklevel=level)


def _string_tags(job_name: str, tags: Mapping[str, Any]) -> dict[str, str]:
    """Tag values are strings; other JSON-serializable values are stored as JSON."""
    _warn_of_odd_tag_keys(job_name, list(tags))
    result = {}
    for key, value in tags.items():
        if isinstance(value, str):
            result[key] = value
            continue
        try:
            result[key] = json.dumps(value)
        except TypeError:
            raise HeadwaterInvalidDefinitionError(
                f"job '{job_name}': Invalid value for tag '{key}': {value!r} is neither a string "
                "nor JSON-serializable. Pass a string."
            ) from None
    return result


def validated_owners(job_name: str, owners: Sequence[str] | None) -> list[str]:
    """Owners are user emails or team names prefixed with 'team:'."""
    for owner in owners or ():
        if owner.startswith("team:"):
            if not owner[5:].strip():
                raise HeadwaterInvalidDefinitionError(
                    f"job '{job_name}': owner {owner!r} is invalid. Team name cannot be empty "
                    "after 'team:' prefix; write e.g. 'team:data-eng'."
                )
        elif not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", owner):
            raise HeadwaterInvalidDefinitionError(
                f"job '{job_name}': invalid owner {owner!r}. Owner must be an email address or a "
                "team name prefixed with 'team:' (e.g. 'user@example.com' or 'team:data-eng')."
            )
    return list(owners or ())
