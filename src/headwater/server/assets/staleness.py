"""Staleness in the webserver: the code server's snapshot as a StalenessGraph.

The webserver never imports user code, so it reads the definitions from the snapshot (deps,
code versions, partitions, and `identity_deps`: the parents whose partitions map one to one)
and asks the code server (`upstream_partitions`) only for the other partition mappings. The
recorded versions come from the instance. Imports `definitions` and this package's `state`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from headwater.definitions.assets.staleness import StalenessResolver
from headwater.definitions.key import AssetKey
from headwater.server.state import ServerState


class SnapshotStaleness:
    """A StalenessGraph over the workspace's snapshots."""

    def __init__(self, state: ServerState):
        self.state = state
        index = state.workspace.index
        self.assets = index.assets
        # Keyed by AssetKey once per index: the asset list asks for every asset's parents.
        if "staleness_assets" not in index.memo:
            by_key = {AssetKey.from_user_string(k): a for k, (_, a) in self.assets.items()}
            index.memo["staleness_parents"] = {
                key: [AssetKey.from_user_string(d) for d in asset["deps"]]
                for key, asset in by_key.items()}
            index.memo["staleness_assets"] = by_key
        self._by_key: dict[AssetKey, dict[str, Any]] = index.memo["staleness_assets"]
        self._parents: dict[AssetKey, list[AssetKey]] = index.memo["staleness_parents"]
        self._mapped: dict[tuple[str, str | None], dict[str, Any]] = {}

    def _asset(self, key: AssetKey) -> dict[str, Any] | None:
        return self._by_key.get(key)

    def parents(self, key: AssetKey) -> Iterable[AssetKey]:
        return self._parents.get(key, [])

    def code_version(self, key: AssetKey) -> str | None:
        asset = self._asset(key)
        return asset.get("code_version") if asset else None

    def is_source(self, key: AssetKey) -> bool:
        asset = self._asset(key)
        return asset is None or not asset.get("is_materializable", asset["is_executable"])

    def is_partitioned(self, key: AssetKey) -> bool:
        asset = self._asset(key)
        return bool(asset and asset.get("partitions"))

    def upstream_partitions(self, key: AssetKey, partition: str | None,
                            parent: AssetKey) -> Sequence[str | None]:
        if not self.is_partitioned(parent):
            return [None]
        asset = self._asset(key) or {}
        if partition is not None and parent.to_user_string() in asset.get("identity_deps", ()):
            return [partition]
        text = key.to_user_string()
        cache_key = (text, partition)
        if cache_key not in self._mapped:
            location = self.assets[text][0]
            entry = self.state.workspace.entry(location)
            if entry is not None and entry.stale:  # no code to map partitions with
                return []
            params: dict[str, Any] = {"asset": text, "partition": partition}
            reply = self.state.workspace.query(location, "upstream_partitions", params)
            if reply.get("missing_dynamic"):
                params["dynamic"] = {name: self.state.instance.get_dynamic_partitions(name)
                                     for name in reply["missing_dynamic"]}
                reply = self.state.workspace.query(location, "upstream_partitions", params)
            self._mapped[cache_key] = reply["parents"]
        return list(self._mapped[cache_key].get(parent.to_user_string()) or [])


def resolver_for(state: ServerState) -> StalenessResolver:
    return StalenessResolver(SnapshotStaleness(state), state.instance)
