"""AssetGraphView: what a selection needs to know about an asset graph, and the view read
off a plain iterable of asset definitions.

`assets/graph.py`'s AssetGraph implements the protocol for a whole Definitions; the
view here serves `AssetSelection.resolve(assets)` over a bare list (tests, jobs built
before any Definitions). It reads the definitions by duck typing so that it imports
nothing but `key` and the stdlib.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from headwater.definitions.key import AssetKey, to_asset_key


@runtime_checkable
class AssetGraphView(Protocol):
    """What a selection needs to know about an asset graph."""

    @property
    def all_keys(self) -> frozenset[AssetKey]: ...  # every asset, external/source ones included

    @property
    def materializable_keys(self) -> frozenset[AssetKey]: ...  # assets with a computation

    def parents(self, key: AssetKey) -> frozenset[AssetKey]: ...
    def children(self, key: AssetKey) -> frozenset[AssetKey]: ...
    def group_name(self, key: AssetKey) -> str: ...
    def tags(self, key: AssetKey) -> Mapping[str, str]: ...
    def kinds(self, key: AssetKey) -> frozenset[str]: ...
    def owners(self, key: AssetKey) -> tuple[str, ...]: ...
    def code_version(self, key: AssetKey) -> str | None: ...
    def check_keys(self) -> frozenset: ...
    # the keys that can only be materialized together with `key` (itself included)
    def required_neighbors(self, key: AssetKey) -> frozenset[AssetKey]: ...


def _per_key(obj: Any, key: AssetKey, by_key: str, single: str, default: Any) -> Any:
    mapping = getattr(obj, by_key, None)
    if isinstance(mapping, Mapping) and key in mapping:
        return mapping[key]
    value = getattr(obj, single, None)
    return default if value is None else value


def _dep_key(dep: Any) -> AssetKey:
    asset_key = getattr(dep, "asset_key", None)
    return asset_key if isinstance(asset_key, AssetKey) else to_asset_key(dep)


class AssetDefinitionsView:
    """An AssetGraphView read off asset definitions by duck typing.

    Reads `keys` (or `key`), `is_materializable` (default True), `can_subset`, and per key
    `asset_deps`/`deps`, `group_names_by_key`/`group_name`, `tags_by_key`/`tags`,
    `kinds_by_key`/`kinds`, `owners_by_key`/`owners`, `code_versions_by_key`/`code_version`.
    """

    def __init__(self, assets: Iterable[Any]):
        self._parents: dict[AssetKey, frozenset[AssetKey]] = {}
        self._children: dict[AssetKey, set[AssetKey]] = {}
        self._info: dict[
            AssetKey, tuple[str, Mapping[str, str], frozenset[str], tuple[str, ...], str | None]
        ] = {}
        self._together: dict[AssetKey, frozenset[AssetKey]] = {}
        materializable: set[AssetKey] = set()
        checks: set[Any] = set()
        for obj in assets:
            checks.update(getattr(obj, "check_keys", None) or ())
            many = getattr(obj, "keys", None)
            keys = (
                [to_asset_key(k) for k in many]
                if many is not None and not callable(many)
                else [to_asset_key(obj)]
            )
            if (len(keys) > 1 and not getattr(obj, "can_subset", True)
                    and getattr(obj, "is_executable", True)):
                self._together.update(dict.fromkeys(keys, frozenset(keys)))
            for key in keys:
                if getattr(obj, "is_materializable", True):
                    materializable.add(key)
                asset_deps = getattr(obj, "asset_deps", None)
                if isinstance(asset_deps, Mapping) and key in asset_deps:
                    deps: Iterable[Any] = asset_deps[key]
                else:
                    deps = getattr(obj, "deps", None) or ()
                # a self-dependency reads the asset's own earlier partitions: not an edge
                self._parents[key] = frozenset(_dep_key(d) for d in deps) - {key}
                self._info[key] = (
                    _per_key(obj, key, "group_names_by_key", "group_name", "default"),
                    _per_key(obj, key, "tags_by_key", "tags", {}),
                    frozenset(_per_key(obj, key, "kinds_by_key", "kinds", ())),
                    tuple(_per_key(obj, key, "owners_by_key", "owners", ())),
                    _per_key(obj, key, "code_versions_by_key", "code_version", None),
                )
        for key, parents in self._parents.items():
            for parent in parents:
                self._children.setdefault(parent, set()).add(key)
        self.all_keys = frozenset(self._parents)
        self.materializable_keys = frozenset(materializable)
        self._check_keys = frozenset(checks)

    def parents(self, key: AssetKey) -> frozenset[AssetKey]:
        return self._parents.get(key, frozenset())

    def children(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset(self._children.get(key, ()))

    def group_name(self, key: AssetKey) -> str:
        return self._info[key][0]

    def tags(self, key: AssetKey) -> Mapping[str, str]:
        return self._info[key][1]

    def kinds(self, key: AssetKey) -> frozenset[str]:
        return self._info[key][2]

    def owners(self, key: AssetKey) -> tuple[str, ...]:
        return self._info[key][3]

    def code_version(self, key: AssetKey) -> str | None:
        return self._info[key][4]

    def check_keys(self) -> frozenset:
        return self._check_keys

    def required_neighbors(self, key: AssetKey) -> frozenset[AssetKey]:
        return self._together.get(key, frozenset((key,)))
