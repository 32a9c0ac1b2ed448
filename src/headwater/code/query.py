"""Questions a webserver asks a code server beyond the snapshot, answered in that process.

Served by the code server's call table (`code/calls.py`): `client.call("NAME", params)` runs
`NAME(defs, **params)`; every answer is plain JSON data. Partition keys are listed here
(they can be many, and time windows need the clock, so the snapshot only describes them).
Dynamic partitions live in the instance, which this process does not open: the caller passes
the keys it knows as `dynamic={name: [keys]}`, and an answer names the dynamic definitions it
asked for and did not get in `missing_dynamic`, so the caller can ask again with them.
Imports `definitions` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater.definitions.assets.staleness import AssetGraphStaleness
from headwater.definitions.definitions import Definitions
from headwater.definitions.key import AssetKey


class _DynamicKeys:
    """A dynamic-partitions store backed by what the caller sent; it records what is missing."""

    def __init__(self, known: Mapping[str, Sequence[str]] | None):
        self.known = {k: list(v) for k, v in (known or {}).items()}
        self.missing: list[str] = []

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        if partitions_def_name not in self.known and partitions_def_name not in self.missing:
            self.missing.append(partitions_def_name)
        return self.known.get(partitions_def_name, [])

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return partition_key in self.get_dynamic_partitions(partitions_def_name)


def partition_keys(defs: Definitions, asset: str | None = None, job: str | None = None,
                   dynamic: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """{"keys": [...] | None, "missing_dynamic": [...]} for an asset ("a/b") or a job."""
    if asset is not None:
        graph = defs.resolve_asset_graph()
        key = AssetKey.from_user_string(asset)
        if key not in graph.all_keys:
            raise KeyError(f"No asset {asset!r} in these definitions.")
        spec = graph.spec_by_key[key]
        partitions_def = spec.partitions_def or graph.assets_def_by_key[key].partitions_def
    elif job is not None:
        partitions_def = defs.resolve_job_def(job).partitions_def
    else:
        raise ValueError("partition_keys needs asset= or job=.")
    if partitions_def is None:
        return {"keys": None, "missing_dynamic": []}
    store = _DynamicKeys(dynamic)
    keys = [str(k) for k in partitions_def.get_partition_keys(dynamic_partitions_store=store)]
    return {"keys": keys, "missing_dynamic": store.missing}


def partition_counts(defs: Definitions,
                     dynamic: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """{"counts": {asset: n}, "missing_dynamic": [...]} for every partitioned asset."""
    graph = defs.resolve_asset_graph()
    store = _DynamicKeys(dynamic)
    counts: dict[str, int] = {}
    by_def: dict[int, int] = {}
    for key in graph.all_keys:
        spec = graph.spec_by_key[key]
        partitions_def = spec.partitions_def or graph.assets_def_by_key[key].partitions_def
        if partitions_def is None:
            continue
        if id(partitions_def) not in by_def:  # assets share definitions; count each once
            by_def[id(partitions_def)] = len(partitions_def.get_partition_keys(
                dynamic_partitions_store=store))
        counts[key.to_user_string()] = by_def[id(partitions_def)]
    return {"counts": counts, "missing_dynamic": store.missing}


def upstream_partitions(defs: Definitions, asset: str, partition: str | None = None,
                        dynamic: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """{"parents": {parent: [partition keys] | null (unpartitioned)}, "missing_dynamic"}: the
    partitions of each parent that `partition` of `asset` reads, through its mappings."""
    graph = defs.resolve_asset_graph()
    key = AssetKey.from_user_string(asset)
    if key not in graph.all_keys:
        raise KeyError(f"No asset {asset!r} in these definitions.")
    store = _DynamicKeys(dynamic)
    view = AssetGraphStaleness(graph, store)
    parents: dict[str, list[str] | None] = {}
    for parent in view.parents(key):
        keys = view.upstream_partitions(key, partition, parent)
        parents[parent.to_user_string()] = None if list(keys) == [None] else [str(k) for k in keys]
    return {"parents": parents, "missing_dynamic": store.missing}
