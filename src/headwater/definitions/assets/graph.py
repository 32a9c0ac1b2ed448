"""The asset graph: every asset of a set of definitions, and who depends on whom.

Built once from AssetsDefinitions and immutable afterwards; selection resolves against
it (it implements `selection.AssetGraphView`). Cross-definition rules (duplicate keys,
inputs that match no asset, cycles) are found here and reported all together by
`Definitions`. Imports `definition`, `key`, `partition_mapping` and `errors` of this layer.
"""

from __future__ import annotations

import difflib
import heapq
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.assets.definition import (
    AssetsDefinition,
    AssetSpec,
    external_asset_from_spec,
)
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.partitions.relation import mapping_problem
from headwater.definitions.tags import EXTERNAL_DEP_METADATA


@dataclass(frozen=True, slots=True)
class AssetNode:
    """One asset as the graph sees it: its spec, its definition and its neighbours."""

    key: AssetKey
    spec: AssetSpec
    assets_def: AssetsDefinition
    parent_keys: frozenset[AssetKey]
    child_keys: frozenset[AssetKey]

    @property
    def group_name(self) -> str:
        return self.spec.group_name or "default"

    @property
    def partitions_def(self) -> Any:
        return self.spec.partitions_def or getattr(self.assets_def, "partitions_def", None)

    @property
    def is_materializable(self) -> bool:
        return bool(self.assets_def.is_materializable)

    @property
    def is_executable(self) -> bool:
        return bool(self.assets_def.is_executable)

    @property
    def is_observable(self) -> bool:
        return bool(getattr(self.assets_def, "is_observable", False))

    @property
    def is_external(self) -> bool:
        return not self.is_executable

    @property
    def automation_condition(self) -> Any:
        return self.spec.automation_condition

    @property
    def code_version(self) -> str | None:
        return self.spec.code_version

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(self.spec.owners)

    @property
    def tags(self) -> Mapping[str, str]:
        return self.spec.tags

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.spec.metadata

    @property
    def kinds(self) -> frozenset[str]:
        return self.spec.kinds

    @property
    def description(self) -> str | None:
        return self.spec.description

    def __repr__(self) -> str:
        return f"AssetNode(key={self.key!r})"


def where(assets_def: AssetsDefinition) -> str:
    """`file.py:line` of the function behind an asset, for error messages."""
    fn = getattr(assets_def.node_def, "compute_fn", None)
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    return f" ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


class AssetGraph:
    """Assets by key with their parents and children."""

    def __init__(self, assets_defs: Sequence[AssetsDefinition]):
        self.assets_defs = list(assets_defs)
        self.problems: list[str] = []
        self.assets_def_by_key: dict[AssetKey, AssetsDefinition] = {}
        self.spec_by_key: dict[AssetKey, AssetSpec] = {}
        for assets_def in self.assets_defs:
            for key in assets_def.keys:
                previous = self.assets_def_by_key.get(key)
                if previous is not None and previous is not assets_def:
                    if previous.is_executable or assets_def.is_executable:
                        if previous.is_executable and not assets_def.is_executable:
                            continue  # a computed asset wins over an external declaration
                        if not (previous.is_executable and assets_def.is_executable):
                            self.assets_def_by_key[key] = assets_def
                            self.spec_by_key[key] = assets_def.specs_by_key[key]
                            continue
                        self.problems.append(
                            f"Duplicate asset key: {key!r} is defined by "
                            f"{_describe(previous)} and by {_describe(assets_def)}. Give one "
                            "of them another name or key_prefix."
                        )
                    elif previous.specs_by_key[key] != assets_def.specs_by_key[key] and not (
                            hasattr(previous, "io_manager_key") or hasattr(assets_def, "io_manager_key")):
                        self.problems.append(
                            f"Received conflicting AssetSpecs for asset {key.to_user_string()!r}: "
                            f"{previous.specs_by_key[key]!r} and {assets_def.specs_by_key[key]!r}. "
                            "Declare each external asset once (or twice identically).")
                    continue
                self.assets_def_by_key[key] = assets_def
                self.spec_by_key[key] = assets_def.specs_by_key[key]
        self._parents: dict[AssetKey, set[AssetKey]] = {k: set() for k in self.spec_by_key}
        self._children: dict[AssetKey, set[AssetKey]] = {k: set() for k in self.spec_by_key}
        stub_metadata: dict[AssetKey, Mapping[str, Any]] = {}
        for key, spec in list(self.spec_by_key.items()):
            for dep in spec.deps:
                parent = dep.asset_key
                if parent == key:
                    continue  # reads its own earlier partitions (through a partition mapping)
                if parent not in self.spec_by_key:
                    known = stub_metadata.setdefault(parent, dep.metadata)
                    if dep.metadata and known and known != dep.metadata:
                        self.problems.append(
                            f"Conflicting metadata found on AssetDeps referencing "
                            f"{parent.to_string()}: {dict(known)} != {dict(dep.metadata)}. Give "
                            "every AssetDep on this key the same metadata, or none, and put the "
                            "asset's own metadata on an AssetSpec(metadata=...) instead."
                        )
                    elif dep.metadata:
                        stub_metadata[parent] = dep.metadata
                self._parents[key].add(parent)
                self._children.setdefault(parent, set()).add(key)
                self._parents.setdefault(parent, set())
        self._index_checks(stub_metadata)
        implicit = {key: external_asset_from_spec(AssetSpec(key, metadata=metadata))
                    for key, metadata in stub_metadata.items()}
        for key, assets_def in implicit.items():
            self.assets_def_by_key[key] = assets_def
            self.spec_by_key[key] = assets_def.specs_by_key[key]
            self.assets_defs.append(assets_def)
            self._parents.setdefault(key, set())
            self._children.setdefault(key, set())
        self.implicit_keys = frozenset(implicit)
        self.all_keys = frozenset(self.spec_by_key)
        self.materializable_keys = frozenset(
            k for k, a in self.assets_def_by_key.items() if a.is_materializable
        )
        self.executable_keys = frozenset(
            k for k, a in self.assets_def_by_key.items() if a.is_executable
        )
        self.external_keys = self.all_keys - self.executable_keys

    def _index_checks(self, stub_metadata: dict[AssetKey, Mapping[str, Any]]) -> None:
        """Every check by key, with the definition that evaluates it; a checked asset that no
        definition declares becomes an external asset, as a dep on it would."""
        self.check_specs_by_key: dict[Any, Any] = {}
        self.assets_def_by_check_key: dict[Any, AssetsDefinition] = {}
        self._checks_by_asset: dict[AssetKey, list[Any]] = {}
        for assets_def in self.assets_defs:
            for spec in assets_def.check_specs:
                previous = self.assets_def_by_check_key.get(spec.key)
                if previous is not None:
                    if previous is not assets_def:
                        self.problems.append(
                            f"Duplicate asset check key: {spec.key.to_user_string()} (asset "
                            f"'{spec.asset_key.to_user_string()}', check '{spec.name}') is "
                            f"declared by {_describe(previous)} and by {_describe(assets_def)}. "
                            "Give one of the checks another name.")
                    continue
                self.check_specs_by_key[spec.key] = spec
                self.assets_def_by_check_key[spec.key] = assets_def
                self._checks_by_asset.setdefault(spec.asset_key, []).append(spec.key)
                for key in (spec.asset_key, *spec.additional_deps_keys):
                    if key not in self.spec_by_key:
                        stub_metadata.setdefault(key, {})
        for keys in self._checks_by_asset.values():
            keys.sort()

    def check_keys_for_asset(self, key: AssetKey) -> list[Any]:
        return list(self._checks_by_asset.get(key, ()))

    # --- AssetGraphView -----------------------------------------------------------------
    def parents(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset(self._parents.get(key, ()))

    def children(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset(self._children.get(key, ()))

    def group_name(self, key: AssetKey) -> str:
        return self.spec_by_key[key].group_name or "default"

    def tags(self, key: AssetKey) -> Mapping[str, str]:
        return self.spec_by_key[key].tags

    def kinds(self, key: AssetKey) -> frozenset[str]:
        return self.spec_by_key[key].kinds

    def owners(self, key: AssetKey) -> tuple[str, ...]:
        return tuple(self.spec_by_key[key].owners)

    def code_version(self, key: AssetKey) -> str | None:
        return self.spec_by_key[key].code_version

    def check_keys(self) -> frozenset[Any]:
        return frozenset(self.check_specs_by_key)

    def required_neighbors(self, key: AssetKey) -> frozenset[AssetKey]:
        assets_def = self.assets_def_by_key.get(key)
        if assets_def is None or assets_def.can_subset or not assets_def.is_executable:
            return frozenset((key,))
        return frozenset(assets_def.keys)

    # --- Dagster's public accessors (`defs.resolve_asset_graph()` in users' tests) ------------
    def get_all_asset_keys(self) -> frozenset[AssetKey]:
        return self.all_keys

    def has(self, key: Any) -> bool:
        return to_asset_key(key) in self.spec_by_key

    def get(self, key: Any) -> AssetNode:
        """The node of asset `key` (an AssetKey, or its string or path)."""
        asset_key = to_asset_key(key)
        if asset_key not in self.spec_by_key:
            near = similar_keys(asset_key, sorted(self.all_keys))
            hint = f" Did you mean {near[0].to_user_string()!r}?" if near else ""
            raise KeyError(
                f"The asset graph has no asset {asset_key.to_user_string()!r}.{hint} Check "
                "graph.has(key) first, or list graph.get_all_asset_keys()."
            )
        return AssetNode(
            key=asset_key, spec=self.spec_by_key[asset_key],
            assets_def=self.assets_def_by_key[asset_key],
            parent_keys=self.parents(asset_key), child_keys=self.children(asset_key),
        )

    # --- validation ---------------------------------------------------------------------
    def find_problems(self) -> list[str]:
        """Every cross-definition problem: duplicates, unknown inputs, near-miss deps, cycles."""
        problems = list(self.problems)
        known = sorted(k for k in self.spec_by_key if k not in self.implicit_keys)
        for assets_def in self.assets_defs:
            if assets_def.node_def is None:
                continue
            data_inputs = _data_input_keys(assets_def)
            for key in assets_def.keys:
                for dep in self.spec_by_key[key].deps:
                    parent = dep.asset_key
                    if parent not in self.implicit_keys:
                        continue
                    similar = [k for k in similar_keys(parent, known)
                               if k != key and not _named_after(k, parent)]
                    if parent in data_inputs:
                        problems.append(unknown_input_message(assets_def, key, parent, similar))
                    elif similar and not dep.metadata.get(EXTERNAL_DEP_METADATA):
                        problems.append(
                            f"asset '{key.to_user_string()}'{where(assets_def)} depends on "
                            f"'{parent.to_user_string()}', which is not defined. Did you mean "
                            + " or ".join(f"'{s.to_user_string()}'" for s in similar)
                            + "? (A dep on an asset headwater does not compute is allowed; "
                            "declare it with AssetSpec to make that explicit.)"
                        )
        problems.extend(self._partition_problems())
        problems.extend(self._check_problems(known))
        cycle = self.find_cycle()
        if cycle:
            path = " -> ".join(k.to_user_string() for k in cycle)
            problems.append(f"Assets form a cycle: {path}. Remove one of these dependencies.")
        return problems

    def _partition_problems(self) -> list[str]:
        """Partitioned assets whose upstream is partitioned differently, with no mapping."""
        problems = []
        for key, assets_def in self.assets_def_by_key.items():
            down_def = getattr(assets_def, "partitions_def", None)
            if assets_def.node_def is None:
                continue
            for parent in self._parents.get(key, ()):
                up_assets = self.assets_def_by_key.get(parent)
                if up_assets is None or up_assets.node_def is None:
                    continue  # a spec may not say all there is about its partitions
                up_def = getattr(up_assets, "partitions_def", None)
                problem = mapping_problem(assets_def.get_partition_mapping(parent), up_def, down_def)
                if problem:
                    problems.append(
                        f"Invalid partition mapping from {key.to_user_string()} to "
                        f"{parent.to_user_string()}: asset '{key.to_user_string()}'"
                        f"{where(assets_def)} depends on '{parent.to_user_string()}', but "
                        f"{problem}")
        return problems

    def _check_problems(self, known: Sequence[AssetKey]) -> list[str]:
        """Checks on misspelled assets, with another partitioning than their asset, or whose
        blocking would wait on the asset's own downstream (a cycle)."""
        problems = []
        for check_key, spec in sorted(self.check_specs_by_key.items()):
            owner = self.assets_def_by_check_key[check_key]
            name = f"Asset check '{check_key.to_user_string()}'{where(owner)}"
            target = spec.asset_key
            if target in self.implicit_keys:
                similar = [k for k in similar_keys(target, known) if _looks_like_typo(target, k)]
                if similar:
                    problems.append(
                        f"{name} targets asset '{target.to_user_string()}', which is not defined. "
                        "Did you mean " + " or ".join(f"'{s.to_user_string()}'" for s in similar)
                        + "? (A check on an asset headwater does not compute is allowed; declare "
                        "it with AssetSpec to make that explicit.)")
            check_pdef = spec.partitions_def or getattr(owner, "partitions_def", None)
            asset_pdef = getattr(self.spec_by_key.get(target), "partitions_def", None) or \
                getattr(self.assets_def_by_key.get(target), "partitions_def", None)
            here = where(owner)
            if check_pdef is not None and asset_pdef is not None and check_pdef != asset_pdef:
                problems.append(
                    f"Asset check '{check_key.to_user_string()}' targets asset "
                    f"'{target.to_user_string()}' but has a different partitions definition "
                    f"({check_pdef!r}; the asset has {asset_pdef!r}){here}. Give the check the "
                    "asset's partitions_def, or none.")
            elif check_pdef is not None and asset_pdef is None:
                problems.append(
                    f"{name} is partitioned but its asset '{target.to_user_string()}' is not. "
                    "Remove partitions_def from the check.")
            if spec.blocking and spec.additional_deps_keys:  # a walk only where a cycle can be
                below = self._descendants(target)
                looping = sorted(k for k in spec.additional_deps_keys if k in below)
                if looping:
                    problems.append(
                        f"{name} is blocking and reads {[k.to_user_string() for k in looping]}, "
                        f"which depend on '{target.to_user_string()}': the downstream assets "
                        "would wait for the check and the check for them (a cycle). Make the "
                        "check non-blocking, or drop those inputs.")
        return problems

    def _descendants(self, key: AssetKey) -> set[AssetKey]:
        seen: set[AssetKey] = set()
        stack = [key]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def find_cycle(self) -> list[AssetKey] | None:
        """A cycle as a path whose first and last keys are equal, or None."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self._parents, white)
        for start in sorted(self._parents):
            if color[start] != white:
                continue
            stack: list[tuple[AssetKey, Any]] = [(start, iter(sorted(self._children.get(start, ()))))]
            path = [start]
            color[start] = grey
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    color[node] = black
                    stack.pop()
                    path.pop()
                    continue
                if color.get(nxt, white) == grey:
                    return path[path.index(nxt):] + [nxt]
                if color.get(nxt, white) == white:
                    color[nxt] = grey
                    path.append(nxt)
                    stack.append((nxt, iter(sorted(self._children.get(nxt, ())))))
        return None

    def toposort(self, keys: Iterable[AssetKey] | None = None) -> list[AssetKey]:
        # Of the keys whose parents are all placed, the smallest goes next: independent
        # assets run in key order, as users reading a run's events expect.
        wanted = set(self.spec_by_key if keys is None else keys)
        indegree = {k: len(self._parents.get(k, set()) & wanted) for k in wanted}
        ready = [k for k, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order: list[AssetKey] = []
        while ready:
            key = heapq.heappop(ready)
            order.append(key)
            for child in self._children.get(key, ()):
                if child in indegree:
                    indegree[child] -= 1
                    if indegree[child] == 0:
                        heapq.heappush(ready, child)
        return order


def _describe(assets_def: AssetsDefinition) -> str:
    name = assets_def.node_def.name if assets_def.node_def is not None else "an external asset"
    if not assets_def.keys and assets_def.check_keys:
        return f"check op '{name}'{where(assets_def)}"
    return f"'{name}'{where(assets_def)}"


def _data_input_keys(assets_def: AssetsDefinition) -> set[AssetKey]:
    node = assets_def.node_def
    keys = set()
    for name, key in assets_def.keys_by_input_name.items():
        input_def = node.input_dict.get(name) if node is not None else None
        if input_def is None or not input_def.headwater_type.is_nothing:
            keys.add(key)
    return keys


def _looks_like_typo(wanted: AssetKey, defined: AssetKey) -> bool:
    """Whether `wanted` is a misspelling of `defined` rather than a sibling in a numbered
    family ('asset1' next to 'asset2' is a family; 'cusotmers' next to 'customers', or
    'orders' next to 'sales/orders', is a typo)."""
    if wanted.path[-1] == defined.path[-1]:
        return True
    strip = str.maketrans("", "", "0123456789")
    return wanted.to_user_string().translate(strip) != defined.to_user_string().translate(strip)


def _named_after(defined: AssetKey, wanted: AssetKey) -> bool:
    """Whether `defined` is `wanted`'s name with a prefix (`dlt_shop_users` for `shop_users`):
    integrations name an asset after the external data it reads, which is no misspelling."""
    return defined.path[-1].endswith("_" + wanted.path[-1])


def similar_keys(key: AssetKey, known: Sequence[AssetKey]) -> list[AssetKey]:
    """Defined keys close to `key`: same last part, or a close spelling of the whole path."""
    text = key.to_user_string()
    by_text = {k.to_user_string(): k for k in known}
    # keys sharing the prefix are compared on their last part only: a long shared prefix
    # ("warehouse/raw_orders", "warehouse/stg_orders") does not make two names close
    siblings = {k.path[-1]: k for k in known if k.path[:-1] == key.path[:-1]}
    others = [t for t, k in by_text.items() if k.path[:-1] != key.path[:-1]]
    result = [siblings[c] for c in difflib.get_close_matches(key.path[-1], list(siblings), n=3,
                                                             cutoff=0.8)]
    result += [by_text[c] for c in difflib.get_close_matches(text, others, n=3, cutoff=0.8)]
    for k in known:
        if k not in result and (k.path[-1] == key.path[-1] or "/".join(k.path) == text.replace(".", "/")):
            result.append(k)
    return result[:3]


def unknown_input_message(
    assets_def: AssetsDefinition, key: AssetKey, parent: AssetKey, similar: Sequence[AssetKey]
) -> str:
    message = (
        f"asset '{key.to_user_string()}'{where(assets_def)}: Input asset "
        f'"{parent.to_string()}" is not produced by any of the provided asset ops and is not one '
        "of the provided sources."
    )
    if similar:
        message += " Did you mean one of the following?\n\t" + ", ".join(
            s.to_string() for s in sorted(similar)
        )
    else:
        message += (
            " Define it as an asset, declare it with AssetSpec if it is produced elsewhere, or "
            "fix the parameter name."
        )
    return message
