"""Reading dbt's manifest.json: loading it once per file version, and the questions asked of it.

A manifest is passed around as the plain dict dbt wrote. `load_manifest` accepts a dict, a
path, or a `DbtProject`-like object with a `manifest_path`; a path is read and parsed once and
kept until the file changes (its size or modification time), so definitions that name the same
manifest several times, and runs in a long-lived process, do not parse it again.

Imports the standard library and this package's `errors` only.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from headwater_dbt.errors import HeadwaterDbtError, HeadwaterDbtManifestNotFoundError

#: The dbt resource types that become assets of a `@dbt_assets` definition.
ASSET_RESOURCE_TYPES = ("model", "seed", "snapshot")

_CACHE: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}
_CACHE_LOCK = threading.Lock()


def load_manifest(manifest: Any) -> dict[str, Any]:
    """The manifest as a dict, read from `manifest` (a dict, a path, or a DbtProject)."""
    if isinstance(manifest, Mapping):
        return _checked(dict(manifest), "the manifest dict")
    path_attr = getattr(manifest, "manifest_path", None)
    if path_attr is not None:
        manifest = path_attr
    if not isinstance(manifest, (str, os.PathLike)):
        raise HeadwaterDbtError(
            f"manifest={manifest!r} is neither a dict, a path to manifest.json nor a DbtProject. "
            "Pass manifest=my_project.manifest_path (or the path of target/manifest.json).")
    path = Path(manifest).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise HeadwaterDbtManifestNotFoundError(
            f"dbt manifest {path} does not exist. Parse the project first: run `dbt parse` in "
            "its directory, call DbtProject(...).prepare_if_dev() with "
            "HEADWATER_DBT_PARSE_PROJECT_ON_LOAD=1 set, or run `headwater dev`.") from None
    version = (stat.st_mtime_ns, stat.st_size)
    with _CACHE_LOCK:
        cached = _CACHE.get(str(path))
        if cached is not None and cached[0] == version:
            return cached[1]
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise HeadwaterDbtError(
            f"dbt manifest {path} could not be read as JSON ({exc}). Parse the project again "
            "with `dbt parse` to rewrite it.") from exc
    data = _checked(data, str(path))
    with _CACHE_LOCK:
        _CACHE[str(path)] = (version, data)
    return data


def _checked(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or "nodes" not in data or "sources" not in data:
        raise HeadwaterDbtError(
            f"{where} is not a dbt manifest (it has no 'nodes' and 'sources'). Pass the "
            "manifest.json that `dbt parse` writes into the project's target directory.")
    return data


def node(manifest: Mapping[str, Any], unique_id: str) -> dict[str, Any]:
    """The properties of the node, source, exposure... named by `unique_id`."""
    for section in ("nodes", "sources", "exposures", "metrics", "semantic_models",
                    "saved_queries", "unit_tests"):
        found = manifest.get(section, {}).get(unique_id)
        if found is not None:
            return dict(found)
    raise HeadwaterDbtError(f"the dbt manifest has no node '{unique_id}'.")


def all_nodes(manifest: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(unique_id, properties) of every node and source, in manifest order."""
    yield from manifest.get("nodes", {}).items()
    yield from manifest.get("sources", {}).items()


def parents(manifest: Mapping[str, Any], unique_id: str) -> list[str]:
    """The nodes and sources `unique_id` reads from directly."""
    parent_map = manifest.get("parent_map")
    if parent_map and unique_id in parent_map:
        return list(parent_map[unique_id])
    props = node(manifest, unique_id)
    return list(props.get("depends_on", {}).get("nodes", []))


def children_map(manifest: Mapping[str, Any]) -> dict[str, list[str]]:
    """unique_id -> the nodes that read it directly."""
    child_map = manifest.get("child_map")
    if child_map:
        return {k: list(v) for k, v in child_map.items()}
    result: dict[str, list[str]] = {uid: [] for uid, _ in all_nodes(manifest)}
    for uid, props in all_nodes(manifest):
        for parent in props.get("depends_on", {}).get("nodes", []):
            result.setdefault(parent, []).append(uid)
    return result


def headwater_meta(props: Mapping[str, Any]) -> dict[str, Any]:
    """The `meta: {headwater: {...}}` of a node, from its `config:` block and its properties
    (the node's own `meta` wins where both set a key)."""
    config_meta = (props.get("config") or {}).get("meta") or {}
    merged = dict(config_meta.get("headwater") or {})
    merged.update((props.get("meta") or {}).get("headwater") or {})
    return merged


def attached_node(manifest: Mapping[str, Any], test: Mapping[str, Any]) -> str | None:
    """The node a data test is about: dbt's `attached_node` for a generic test; for a singular
    test the node named by `meta: {headwater: {ref: {name: ...}}}`, else its only parent."""
    if test.get("attached_node"):
        return str(test["attached_node"])
    ref = headwater_meta(test).get("ref")
    if isinstance(ref, Mapping) and ref.get("name"):
        package = ref.get("package_name") or test.get("package_name")
        for uid, props in manifest.get("nodes", {}).items():
            if props.get("resource_type") in ASSET_RESOURCE_TYPES \
                    and props.get("name") == ref["name"] and props.get("package_name") == package:
                return str(uid)
        raise HeadwaterDbtError(
            f"dbt test '{test.get('name')}' sets meta: {{headwater: {{ref: {{name: "
            f"'{ref['name']}'}}}}}}, but the project has no model, seed or snapshot of that name.")
    deps = [d for d in test.get("depends_on", {}).get("nodes", [])
            if d.split(".")[0] in (*ASSET_RESOURCE_TYPES, "source")]
    return deps[0] if len(deps) == 1 else None
