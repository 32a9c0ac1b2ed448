"""One evaluation tick: every target's condition, in dependency order, against one snapshot
of the instance; the run requests that follow; and the cursor the next tick starts from.

`evaluate_automation_conditions(defs, instance, cursor=None, evaluation_time=None)` is the
public entry point (tests call it directly; the automation sensor calls it every tick). A
target is an asset (all its partitions) or an asset check. Each target gets a `_TargetContext`
that knows its partitions, its memory from the cursor (previous true subsets of `since` and
`newly_true` nodes, by their path in the tree), and records what every node was true for, which
becomes the `AutomationResultNode` tree kept as the evaluation.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.automation import subset as S
from headwater.definitions.automation.condition import (
    AutomationCondition,
    DepsAutomationCondition,
)
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.partitions.cron import previous_tick
from headwater.definitions.partitions.mapping import (
    IdentityPartitionMapping,
    TimeWindowPartitionMapping,
)
from headwater.definitions.partitions.relation import infer_partition_mapping
from headwater.definitions.partitions.time_window import TimeWindowPartitionsDefinition
from headwater.definitions.run_request import RunRequest
from headwater.definitions.tags import AUTOMATION_CONDITION_TAG
from headwater.errors import HeadwaterInvalidInvocationError

SAMPLE = 100  # partitions listed per node of a result tree
_UNPARTITIONED = frozenset({None})


# --- cursor ---------------------------------------------------------------------------------

@dataclass
class AutomationCursor:
    """What the next evaluation needs from this one, as JSON (a sensor's cursor)."""

    evaluation_timestamp: float | None = None
    max_storage_id: int | None = None
    # target string -> {"id": condition unique id, "code_version": str|None,
    #                   "requested": [...], "nodes": {path: [...]}}
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"v": 1, "t": self.evaluation_timestamp, "s": self.max_storage_id,
                           "targets": self.targets}, separators=(",", ":"))

    @staticmethod
    def from_json(text: str | None) -> AutomationCursor:
        if not text:
            return AutomationCursor()
        try:
            data = json.loads(text)
            return AutomationCursor(data.get("t"), data.get("s"), dict(data.get("targets") or {}))
        except (ValueError, AttributeError, TypeError):
            raise HeadwaterInvalidInvocationError(
                f"{text[:60]!r} is not an automation cursor: pass the .cursor of a previous "
                "evaluate_automation_conditions result (or its to_json()), or None.") from None


# --- results ----------------------------------------------------------------------------------

@dataclass
class AutomationResultNode:
    """One node of a target's condition with what it was true for at this evaluation.

    `AutomationResult.results` holds one tree per evaluated target; the UI shows them to
    explain why an asset was (not) requested.

    Args:
        description: the node's short name ("missing", "any_deps_updated").
        label: the user's label of the node, if any.
        text: the node's condition written out.
        true_count: how many candidates (partitions, or 1) it was true for.
        candidate_count: how many candidates it was evaluated for.
        true_partitions: the partitions it was true for (None when unpartitioned).
        children: the nodes of its operands.
        key: the target's key (on the root and dependency branches).
        changed: (root only) whether this evaluation differs from the previous one.

    Example:
        ```python
        from headwater import (AutomationCondition, Definitions, HeadwaterInstance, asset,
                               evaluate_automation_conditions)

        @asset(automation_condition=AutomationCondition.missing() & ~AutomationCondition.in_progress())
        def orders() -> int:
            return 1

        result = evaluate_automation_conditions(Definitions(assets=[orders]),
                                                HeadwaterInstance.ephemeral())
        [root] = result.results
        assert root.key == "orders" and root.true
        for child in root.children:
            print(child.description, child.true_count)
        ```
    """

    description: str
    label: str | None
    text: str
    true_count: int
    candidate_count: int
    true_partitions: list[Any] | None
    children: list[AutomationResultNode] = field(default_factory=list)
    key: str | None = None  # set on the root (the target) and on dependency branches
    #: (root only) whether this evaluation differs from the previous one, or requests something
    changed: bool = True

    @property
    def true(self) -> bool:
        return self.true_count > 0

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "description": self.description,
                "condition": self.text, "true_count": self.true_count,
                "candidate_count": self.candidate_count, "true_partitions": self.true_partitions,
                "children": [c.to_json() for c in self.children]}


class AutomationResult:
    """The outcome of one evaluation: what is requested, the runs to launch, the next cursor.

    Returned by `evaluate_automation_conditions`; `results` explains each target's condition.
    Pass `cursor` to the next evaluation so conditions such as `newly_true` see what changed.

    Args:
        requested: the requested partitions (or None for unpartitioned) of each target key.
        run_requests: the runs that would launch.
        cursor: the state for the next evaluation.
        trees: builders of the per-target result trees.
        evaluation_time: the time the conditions were evaluated at.

    Example:
        ```python
        from headwater import (AutomationCondition, Definitions, HeadwaterInstance, asset,
                               evaluate_automation_conditions, materialize)

        @asset
        def raw() -> int:
            return 1

        @asset(automation_condition=AutomationCondition.eager())
        def clean(raw: int) -> int:
            return raw

        defs = Definitions(assets=[raw, clean])
        instance = HeadwaterInstance.ephemeral()
        first = evaluate_automation_conditions(defs, instance)
        assert first.total_requested == 0  # nothing upstream changed yet
        materialize([raw], instance=instance)
        second = evaluate_automation_conditions(defs, instance, cursor=first.cursor)
        assert second.total_requested == 1 and len(second.run_requests) == 1
        again = evaluate_automation_conditions(defs, instance, cursor=second.cursor)
        assert again.total_requested == 0  # already requested once
        ```
    """

    def __init__(self, requested: dict[Any, frozenset[Any]], run_requests: list[RunRequest],
                 cursor: AutomationCursor, trees: list[Callable[[], AutomationResultNode]],
                 evaluation_time: _dt.datetime):
        self._requested = requested
        self.run_requests = run_requests
        self.cursor = cursor
        self._trees = trees
        self._results: list[AutomationResultNode] | None = None
        self.evaluation_time = evaluation_time

    @property
    def results(self) -> list[AutomationResultNode]:
        """One result tree per evaluated target (built when first asked for)."""
        if self._results is None:
            self._results = [build() for build in self._trees]
        return self._results

    @property
    def changed_results(self) -> list[AutomationResultNode]:
        """The result trees that differ from the previous evaluation (or request something):
        what is worth keeping as history."""
        return [r for r in self.results if r.changed]

    @property
    def total_requested(self) -> int:
        return sum(len(v) for v in self._requested.values())

    @property
    def requested_asset_partitions(self) -> set[tuple[AssetKey, Any]]:
        return {(k, p) for k, parts in self._requested.items() if isinstance(k, AssetKey)
                for p in parts}

    @property
    def requested_checks(self) -> set[AssetCheckKey]:
        return {k for k, parts in self._requested.items() if isinstance(k, AssetCheckKey) and parts}

    def get_requested_partitions(self, key: Any) -> set[Any]:
        return set(self._requested.get(_as_target(key), ()))

    def get_num_requested(self, key: Any) -> int:
        return len(self._requested.get(_as_target(key), ()))

    def result_for(self, key: Any) -> AutomationResultNode | None:
        text = _target_str(_as_target(key))
        return next((r for r in self.results if r.key == text), None)

    def __repr__(self) -> str:
        return f"AutomationResult(total_requested={self.total_requested})"


def _as_target(key: Any) -> Any:
    if isinstance(key, (AssetKey, AssetCheckKey)):
        return key
    if isinstance(key, str) and ":" in key:
        return AssetCheckKey.from_user_string(key)
    from headwater.definitions.key import to_asset_key

    return to_asset_key(key)


def _target_str(target: Any) -> str:
    return target.to_user_string()


# --- one tick -------------------------------------------------------------------------------

class _Tick:
    """Shared by every target of one evaluation."""

    def __init__(self, graph: Any, state: Any, cursor: AutomationCursor, now: _dt.datetime,
                 instance: Any):
        self.graph, self.state, self.cursor, self.now = graph, state, cursor, now
        self.instance = instance
        self.requested: dict[Any, frozenset[Any]] = {}
        # per tick, shared by every target: partition lists by partitions definition, latest
        # windows, cron ticks passed
        self._universes: dict[int, tuple[Any, frozenset[Any]]] = {}
        self._latest: dict[tuple[int, Any], tuple[Any, S.Subset]] = {}
        self._cron: dict[tuple[str, str], bool] = {}
        self._pdefs: dict[Any, Any] = {}
        self.mappings: dict[tuple[Any, Any], tuple[Any, Any, bool]] = {}

    def partitions_def(self, target: Any) -> Any:
        if target in self._pdefs:
            return self._pdefs[target]
        if isinstance(target, AssetCheckKey):
            spec = self.graph.check_specs_by_key.get(target)
            pdef = getattr(spec, "partitions_def", None)
        else:
            spec = self.graph.spec_by_key.get(target)
            pdef = getattr(spec, "partitions_def", None)
            if pdef is None:
                pdef = getattr(self.graph.assets_def_by_key.get(target), "partitions_def", None)
        self._pdefs[target] = pdef
        return pdef

    def universe(self, target: Any) -> frozenset[Any]:
        pdef = self.partitions_def(target)
        if pdef is None:
            return _UNPARTITIONED
        found = self._universes.get(id(pdef))
        if found is None:
            found = (pdef, frozenset(pdef.get_partition_keys(
                current_time=self.now, dynamic_partitions_store=self.instance)))
            self._universes[id(pdef)] = found
        return found[1]

    def latest_time_window(self, pdef: Any, lookback: _dt.timedelta | None) -> S.Subset:
        if pdef is None:
            return S.ALL
        found = self._latest.get((id(pdef), lookback))
        if found is None:
            found = (pdef, latest_time_window_keys(pdef, self.now, lookback, self.instance))
            self._latest[(id(pdef), lookback)] = found
        return found[1]

    def cron_tick_passed(self, cron: str, tz: str) -> bool:
        found = self._cron.get((cron, tz))
        if found is None:
            previous = self.cursor.evaluation_timestamp
            tick = previous_tick(cron, self.now.timestamp(), tz) if previous is not None else None
            found = tick is not None and previous is not None and tick.timestamp() > previous
            self._cron[(cron, tz)] = found
        return found


class _TargetContext:
    """The evaluation of one target's condition (or, inside a dependency condition, of the
    operand on one dependency)."""

    def __init__(self, tick: _Tick, target: Any, memory: dict[str, Any], root: Any,
                 path: tuple[str, ...] = (), records: dict[tuple[str, ...], Any] | None = None):
        self.tick, self.target, self.root = tick, target, root
        self.memory = memory  # the root target's entry of the next cursor
        self.previous = tick.cursor.targets.get(_target_str(root)) or {}
        self.records: dict[tuple[str, ...], Any] = {} if records is None else records
        self._stack: list[list[Any]] = [[path, 0]]
        self.state = tick.state
        self.pdef = tick.partitions_def(target)
        self.partitioned = self.pdef is not None

    # -- traversal, results and memory --
    def enter(self) -> tuple[str, ...]:
        frame = self._stack[-1]
        path = (*frame[0], str(frame[1]))
        frame[1] += 1
        self._stack.append([path, 0])
        return path

    def record(self, node: AutomationCondition, candidates: S.Subset, result: S.Subset) -> None:
        path = self._stack.pop()[0]
        self.records[path] = (node, self._size(candidates), self._resolved(result))

    def _size(self, subset: S.Subset) -> int:
        return len(self.universe()) if subset is S.ALL else len(subset)

    def _resolved(self, subset: S.Subset) -> frozenset[Any]:
        return self.universe() if subset is S.ALL else subset

    def _node_key(self) -> str:
        return "/".join(self._stack[-1][0])

    def previous_true(self, node: AutomationCondition) -> S.Subset:
        if self.previous.get("id") != self.memory["id"]:
            return S.EMPTY
        return self._normalize(S.from_json((self.previous.get("nodes") or {}).get(self._node_key())))

    def remember(self, node: AutomationCondition, candidates: S.Subset, value: S.Subset) -> None:
        key = self._node_key()
        before = self.previous_true(node)
        kept = S.minus(before, candidates, self.universe) if not S.is_empty(before) else S.EMPTY
        self.memory["nodes"][key] = S.to_json(self._resolved(S.union(kept, value)))

    # -- facts about the target --
    def universe(self) -> frozenset[Any]:
        return self.tick.universe(self.target)

    def _normalize(self, subset: frozenset[Any]) -> S.Subset:
        """A stored or reported set of partitions, for this target's partitioning."""
        if not self.partitioned:
            return frozenset({None}) if subset else S.EMPTY
        if None in subset:
            return S.ALL  # a run over every partition, or a range
        return subset

    def present(self) -> S.Subset:
        executable = isinstance(self.target, AssetCheckKey) or \
            self.target in self.tick.graph.executable_keys
        return self._normalize(self.state.present(self.target, self.partitioned, executable))

    def in_progress(self) -> S.Subset:
        return self._normalize(self.state.in_progress(self.target))

    def failed(self) -> S.Subset:
        return self._normalize(self.state.failed(self.target))

    def updated_since(self, storage_id: int) -> S.Subset:
        return self._normalize(self.state.updated_since(self.target, storage_id))

    def check_outcome(self) -> bool | None:
        """Whether the target check's latest evaluation passed (None: not a check, or never
        evaluated)."""
        if not isinstance(self.target, AssetCheckKey):
            return None
        return self.state.check_passed(self.target)

    def checks_of_target(self, blocking_only: bool) -> list[AssetCheckKey]:
        if isinstance(self.target, AssetCheckKey):
            return []
        graph = self.tick.graph
        return [k for k in graph.check_keys_for_asset(self.target)
                if not blocking_only or graph.check_specs_by_key[k].blocking]

    @property
    def previous_storage_id(self) -> int | None:
        """The newest event the previous evaluation saw (0: there was none yet); None on
        the first evaluation, when nothing counts as newly updated."""
        cursor = self.tick.cursor
        if cursor.evaluation_timestamp is None:
            return None
        return cursor.max_storage_id or 0

    @property
    def is_initial_evaluation(self) -> bool:
        return self.previous.get("id") != self.memory["id"]

    def previous_requested(self) -> S.Subset:
        entry = self.tick.cursor.targets.get(_target_str(self.target)) or {}
        return self._normalize(S.from_json(entry.get("requested")))

    def code_version_changed(self) -> bool:
        entry = self.tick.cursor.targets.get(_target_str(self.target)) or {}
        if "code_version" not in entry:
            return False
        return entry["code_version"] != _code_version(self.tick.graph, self.target)

    def cron_tick_passed(self, cron: str, tz: str) -> bool:
        return self.tick.cron_tick_passed(cron, tz)

    def latest_time_window(self, lookback: _dt.timedelta | None) -> S.Subset:
        return self.tick.latest_time_window(self.pdef, lookback)

    def requested_this_tick(self, target: Any) -> S.Subset:
        return self.tick.requested.get(target, S.EMPTY)

    # -- dependencies --
    def dependencies(self, allow: Any, ignore: Any) -> list[Any]:
        graph = self.tick.graph
        if isinstance(self.target, AssetCheckKey):
            spec = graph.check_specs_by_key[self.target]
            deps = [spec.asset_key, *spec.additional_deps_keys]
        else:
            deps = sorted(graph.parents(self.target))
        if allow is not None:
            allowed = allow.resolve(graph, allow_missing=True)
            deps = [d for d in deps if d in allowed]
        if ignore is not None:
            ignored = ignore.resolve(graph, allow_missing=True)
            deps = [d for d in deps if d not in ignored]
        return deps

    def _mapping(self, dep: Any) -> Any:
        """(upstream partitions def, mapping, whether the mapping is one-to-one by key)."""
        found = self.tick.mappings.get((self.target, dep))
        if found is None:
            up_def = self.tick.partitions_def(dep)
            assets_def = None if isinstance(self.target, AssetCheckKey) else \
                self.tick.graph.assets_def_by_key.get(self.target)
            declared = assets_def.get_partition_mapping(dep) if assets_def is not None else None
            mapping = infer_partition_mapping(declared, up_def, self.pdef)
            identity = up_def is not None and up_def == self.pdef and (
                isinstance(mapping, IdentityPartitionMapping) or (
                    isinstance(mapping, TimeWindowPartitionMapping)
                    and mapping.start_offset == mapping.end_offset == 0))
            found = (up_def, mapping, identity)
            self.tick.mappings[(self.target, dep)] = found
        return found

    def upstream_candidates(self, dep: Any, candidates: S.Subset) -> S.Subset:
        """The dependency's partitions that the candidate partitions read."""
        up_def, mapping, identity = self._mapping(dep)
        if up_def is None:
            return frozenset({None})
        if self.pdef is None or candidates is S.ALL or identity:
            return S.ALL if self.pdef is None else candidates
        result = mapping.get_upstream_mapped_partitions_result_for_partitions(
            self.pdef.subset_with_partition_keys(candidates), self.pdef, up_def,
            current_time=self.tick.now, dynamic_partitions_store=self.tick.instance)
        return frozenset(result.partitions_subset.get_partition_keys())

    def downstream_of(self, dep: Any, candidates: S.Subset, true_upstream: S.Subset) -> S.Subset:
        """The candidate partitions that read a partition of the dependency in `true_upstream`."""
        if S.is_empty(true_upstream):
            return S.EMPTY
        up_def, mapping, identity = self._mapping(dep)
        if up_def is None or self.pdef is None:
            return candidates
        if identity:
            return S.intersect(candidates, true_upstream)
        upstream = S.resolve(true_upstream, lambda: self.tick.universe(dep))
        down = mapping.get_downstream_partitions_for_partitions(
            up_def.subset_with_partition_keys(upstream), up_def, self.pdef,
            current_time=self.tick.now, dynamic_partitions_store=self.tick.instance)
        return S.intersect(candidates, frozenset(down.get_partition_keys()))

    def on_dependency(self, dep: Any, node: DepsAutomationCondition,
                      evaluate: Callable[[_TargetContext], S.Subset]) -> S.Subset:
        path = (*self._stack[-1][0], f"dep:{_target_str(dep)}")
        child = _TargetContext(self.tick, dep, self.memory, self.root, path, self.records)
        return evaluate(child)


def latest_time_window_keys(pdef: Any, now: _dt.datetime, lookback: _dt.timedelta | None,
                            instance: Any = None) -> S.Subset:
    """The partitions of the latest time window (ALL when not time-partitioned)."""
    time_def = _time_dimension(pdef)
    if time_def is None:
        return S.ALL
    dim_def, dim_name = time_def
    last = dim_def.get_last_partition_key(current_time=now)
    if last is None:
        return S.EMPTY
    keys = {last}
    if lookback is not None:
        window = dim_def.time_window_for_partition_key(last)
        start = window.end - lookback
        for key in reversed(dim_def.get_partition_keys(current_time=now)):
            if dim_def.time_window_for_partition_key(key).end <= start:
                break
            keys.add(key)
    if dim_name is None:
        return frozenset(keys)
    return frozenset(k for k in pdef.get_partition_keys(current_time=now,
                                                        dynamic_partitions_store=instance)
                     if k.keys_by_dimension[dim_name] in keys)


def _time_dimension(pdef: Any) -> tuple[Any, str | None] | None:
    if isinstance(pdef, TimeWindowPartitionsDefinition):
        return pdef, None
    for dim in getattr(pdef, "partitions_defs", None) or ():
        if isinstance(dim.partitions_def, TimeWindowPartitionsDefinition):
            return dim.partitions_def, dim.name
    return None


def _code_version(graph: Any, target: Any) -> str | None:
    if isinstance(target, AssetCheckKey):
        return None
    spec = graph.spec_by_key.get(target)
    return getattr(spec, "code_version", None)


def _result_tree(ctx_records: Mapping[tuple[str, ...], Any], condition: AutomationCondition,
                 path: tuple[str, ...], universe_size: int) -> AutomationResultNode:
    found = ctx_records.get(path)
    if found is None:
        node, candidates, true = condition, 0, frozenset[Any]()
    else:
        node, candidates, true = found
    children = []
    for i, child in enumerate(condition.children):
        child_path = (*path, str(i))
        if isinstance(condition, DepsAutomationCondition):
            # one branch per dependency evaluated, each with the operand's tree
            branches = sorted({p[len(path)] for p in ctx_records if len(p) > len(path)
                               and p[:len(path)] == path and p[len(path)].startswith("dep:")})
            for branch in branches:
                sub = _result_tree(ctx_records, child, (*path, branch, "0"), universe_size)
                sub.key = branch[4:]
                children.append(sub)
            break
        children.append(_result_tree(ctx_records, child, child_path, universe_size))
    sample = sorted(true, key=lambda k: "" if k is None else k)[:SAMPLE]
    return AutomationResultNode(
        description=node.description, label=node.label, text=node.to_text(),
        true_count=len(true), candidate_count=candidates,
        true_partitions=None if sample == [None] or (not sample and universe_size == 1) else sample,
        children=children)


# --- the entry point ------------------------------------------------------------------------

def conditions_of(graph: Any) -> dict[Any, AutomationCondition]:
    """Every asset and check of the graph with an automation condition."""
    found: dict[Any, AutomationCondition] = {}
    for key, spec in graph.spec_by_key.items():
        condition = getattr(spec, "automation_condition", None)
        if condition is not None and key in graph.executable_keys:
            found[key] = condition
    for key, spec in graph.check_specs_by_key.items():
        condition = getattr(spec, "automation_condition", None)
        if condition is not None:
            found[key] = condition
    return found


def evaluate_automation_conditions(
    defs: Any,
    instance: Any,
    cursor: AutomationCursor | str | None = None,
    evaluation_time: _dt.datetime | None = None,
    asset_selection: Any = None,
) -> AutomationResult:
    """Evaluate every automation condition of `defs` once against `instance`.

    Returns what would be requested now, the runs that would launch, and the cursor for the
    next evaluation; nothing is launched. Use it to test conditions: materialize into an
    instance, evaluate, assert on `total_requested` or `get_requested_partitions`.

    Args:
        defs: the Definitions (or a list of assets) holding the conditions.
        instance: the instance the conditions read.
        cursor: the cursor of the previous evaluation (or its JSON); None for the first.
        evaluation_time: the time to evaluate at (now by default; naive times are UTC).
        asset_selection: only the targets this selection picks.

    Example:
        ```python
        from headwater import (AutomationCondition, Definitions, HeadwaterInstance, asset,
                               evaluate_automation_conditions, materialize)

        @asset
        def raw() -> int:
            return 1

        @asset(automation_condition=AutomationCondition.eager())
        def clean(raw: int) -> int:
            return raw

        instance = HeadwaterInstance.ephemeral()
        defs = Definitions(assets=[raw, clean])
        first = evaluate_automation_conditions(defs, instance)
        materialize([raw], instance=instance)
        result = evaluate_automation_conditions(defs, instance, cursor=first.cursor)
        assert result.get_requested_partitions(clean.key) == {None}
        ```
    """
    graph = _graph_of(defs)
    if isinstance(cursor, str) or cursor is None:
        cursor = AutomationCursor.from_json(cursor)
    now = evaluation_time or _dt.datetime.now(_dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=_dt.timezone.utc)
    targets = conditions_of(graph)
    if asset_selection is not None:
        from headwater.definitions.assets.selection import AssetSelection

        selection = AssetSelection.from_coercible(asset_selection)
        keys = selection.resolve(graph, allow_missing=True)
        checks = selection.resolve_checks(graph, allow_missing=True)
        targets = {k: c for k, c in targets.items() if k in keys or k in checks}
    state = instance.get_automation_state(list(graph.all_keys), sorted(graph.check_keys()))
    tick = _Tick(graph, state, cursor, now, instance)
    next_cursor = AutomationCursor(now.timestamp(), state.max_storage_id, {})
    trees: list[Callable[[], AutomationResultNode]] = []
    for target in _order(graph, targets):
        condition = targets[target]
        memory: dict[str, Any] = {"id": condition.unique_id,
                                  "code_version": _code_version(graph, target), "nodes": {}}
        ctx = _TargetContext(tick, target, memory, target)
        previous = cursor.targets.get(_target_str(target)) or {}
        if previous.get("id") == memory["id"]:
            memory["nodes"].update(previous.get("nodes") or {})  # nodes not reached keep state
        true = condition.evaluate(ctx, S.ALL)
        requested_now = ctx._resolved(true)
        tick.requested[target] = requested_now
        memory["requested"] = S.to_json(requested_now)
        next_cursor.targets[_target_str(target)] = memory
        # what each node was evaluated on and true for, in short: an evaluation whose digest
        # equals the previous one (and requests nothing) changed nothing worth keeping
        digest = str(hash(tuple(sorted((path, size, len(true_set))
                                       for path, (_node, size, true_set) in ctx.records.items()))))
        memory["digest"] = digest
        changed = bool(requested_now) or previous.get("digest") != digest
        trees.append(_tree_builder(ctx, condition, target, changed))
    requested = {k: v for k, v in tick.requested.items() if v}
    return AutomationResult(requested, _run_requests(tick, requested), next_cursor, trees, now)


def _tree_builder(ctx: _TargetContext, condition: AutomationCondition,
                  target: Any, changed: bool) -> Callable[[], AutomationResultNode]:
    def build() -> AutomationResultNode:
        tree = _result_tree(ctx.records, condition, ("0",), len(ctx.universe()))
        tree.key = _target_str(target)
        tree.changed = changed
        return tree
    return build


def _graph_of(defs: Any) -> Any:
    resolve = getattr(defs, "resolve_asset_graph", None)
    if resolve is not None:
        return resolve()
    from headwater.definitions.assets.graph import AssetGraph
    from headwater.definitions.assets.job import flatten_assets

    return AssetGraph(flatten_assets(list(defs)))


def _order(graph: Any, targets: Mapping[Any, Any]) -> list[Any]:
    """Assets parents first (so will_be_requested sees them), then checks."""
    assets = [k for k in graph.toposort(k for k in targets if isinstance(k, AssetKey))]
    return assets + sorted(k for k in targets if isinstance(k, AssetCheckKey))


def _run_requests(tick: _Tick, requested: Mapping[Any, frozenset[Any]]) -> list[RunRequest]:
    """One run per partition key (assets sharing a partitioning together) and one for the
    unpartitioned assets; a check joins its asset's run, or one run of checks alone."""
    groups: dict[tuple[Any, Any], list[AssetKey]] = {}
    for key, parts in requested.items():
        if not isinstance(key, AssetKey):
            continue
        pdef = tick.partitions_def(key)
        for part in sorted(parts, key=lambda p: "" if p is None else p):
            groups.setdefault((part, id(pdef) if pdef is not None else None), []).append(key)
    checks = sorted(k for k in requested if isinstance(k, AssetCheckKey))
    requests = []
    unpartitioned = groups.pop((None, None), [])
    if unpartitioned or checks:
        # requested checks run beside the checks of the requested assets (None: just those)
        with_checks = sorted({*checks, *(c for a in unpartitioned
                                         for c in tick.graph.check_keys_for_asset(a))}) \
            if checks else None
        requests.append(RunRequest(asset_selection=sorted(unpartitioned),
                                   asset_check_keys=with_checks,
                                   tags={AUTOMATION_CONDITION_TAG: "true"}))
    for (part, _pdef), keys in sorted(groups.items(), key=lambda kv: str(kv[0][0])):
        requests.append(RunRequest(asset_selection=sorted(keys), partition_key=part,
                                   tags={AUTOMATION_CONDITION_TAG: "true"}))
    return requests


__all__ = ["AutomationCursor", "AutomationResult", "AutomationResultNode",
           "evaluate_automation_conditions"]
