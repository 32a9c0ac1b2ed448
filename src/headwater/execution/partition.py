"""Partitions in a run: which keys a run covers, and which upstream keys each input reads.

A run covers one partition (`partition_key`, tag `headwater/partition`) or a range (tags
`headwater/asset_partition_range_start` / `_end`). `resolve_partitioned_run` checks the key
against the job's partitions definition and, for a job whose `config=` is a
`PartitionedConfig`, computes the run config and tags. The context helpers map the run's
keys through an input's partition mapping (`upstream_keys`), so that an IO manager loads
exactly the upstream partitions the mapping names. Imports `definitions` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.definitions.partitions.base import (
    DynamicPartitionsDefinition,
    PartitionKeyRange,
    partition_loading_context,
)
from headwater.definitions.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from headwater.definitions.partitions.partitioned_config import PartitionedConfig
from headwater.definitions.partitions.relation import infer_partition_mapping
from headwater.definitions.partitions.time_window import TimeWindow, TimeWindowPartitionsDefinition
from headwater.definitions.tags import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG
from headwater.errors import (
    HeadwaterInvalidInvocationError,
    HeadwaterInvalidPropertyError,
    HeadwaterInvariantViolationError,
)


def job_partitions_def(job: Any) -> Any:
    return getattr(job, "partitions_def", None) or getattr(
        getattr(job, "config", None), "partitions_def", None)


def _store(instance: Any) -> Any:
    return instance if hasattr(instance, "get_dynamic_partitions") else None


def _can_check(pdef: Any, store: Any) -> bool:
    if isinstance(pdef, DynamicPartitionsDefinition):
        return pdef.partition_fn is not None or store is not None
    if isinstance(pdef, MultiPartitionsDefinition):
        return all(_can_check(d.partitions_def, store) for d in pdef.partitions_defs)
    return True


def _owner(job: Any) -> str:
    """How messages name what a run covers: the assets of an asset job, else the job."""
    layer = getattr(job, "asset_layer", None)
    keys = sorted(k.to_user_string() for k in layer.executable_asset_keys) \
        if layer is not None and layer.asset_graph is not None else []
    if not keys:
        return f"job '{job.name}'"
    shown = ", ".join(repr(k) for k in keys[:5]) + (" ..." if len(keys) > 5 else "")
    assets = f"asset {shown}" if len(keys) == 1 else f"assets {shown}"
    # jobs named with leading underscores are the ones materialize() and the UI build
    return assets if job.name.startswith("__") else f"job '{job.name}' ({assets})"


def _run_partitions_def(job: Any) -> Any:
    """The partitions a run of `job` covers: None when nothing it materializes is partitioned
    (an implicit asset job narrowed to unpartitioned assets keeps the partitions of the
    whole job, which a run of these assets does not have)."""
    layer: Any = getattr(job, "asset_layer", None)
    keys = layer.executable_asset_keys if layer is not None and layer.asset_graph is not None \
        else frozenset()
    if keys and all(getattr(layer.assets_def_for_key(k), "partitions_def", None) is None
                    for k in keys):
        return None
    return job_partitions_def(job)


def check_run_partition(job: Any, partition_key: Any, tags: Mapping[str, Any] | None,
                        instance: Any) -> Any:
    """Refuse a run of `job` over a partition (or range) it does not have; the key to run.

    The one check every way of creating or executing a run goes through (materialize,
    execute_in_process, execute_job and the run worker, the CLI, the webserver's launches,
    sensors, schedules and backfills): a partition given to a run that materializes nothing
    partitioned, an unknown key, or a dynamic key not added yet is an error naming the
    assets (or job), the key and the fix, raised before anything is recorded. Returns the
    key as the definition reads it (a MultiPartitionKey for several dimensions)."""
    tags = tags or {}
    if partition_key is None:
        partition_key = tags.get(PARTITION_TAG)
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if partition_key is None and start is None and end is None:
        return None
    pdef = _run_partitions_def(job)
    owner = _owner(job)
    if pdef is None:
        what = (f"partition {partition_key!r}" if partition_key is not None
                else f"partition range {start!r}...{end!r}")
        raise HeadwaterInvalidInvocationError(
            f"Cannot run {what} of {owner}: it is not partitioned. Run it without a partition "
            f"(no partition_key=, --partition or {PARTITION_TAG!r} tag), or give it a "
            "partitions_def.")
    if partition_key is None and (start is None or end is None):
        raise HeadwaterInvalidInvocationError(
            f"A partition range run of {owner} needs both tags {RANGE_START_TAG!r} and "
            f"{RANGE_END_TAG!r}.")
    store = _store(instance)
    with partition_loading_context(dynamic_partitions_store=store):
        if not _can_check(pdef, store):
            return partition_key
        if partition_key is None:
            pdef.get_partition_keys_in_range(PartitionKeyRange(str(start), str(end)))
            return None
        if not isinstance(partition_key, str):
            raise HeadwaterInvalidInvocationError(
                f"Partition key {partition_key!r} of {owner} is a "
                f"{type(partition_key).__name__}; partition keys are strings.")
        if isinstance(pdef, MultiPartitionsDefinition):
            partition_key = pdef.get_partition_key_from_str(partition_key)
        pdef.validate_partition_key(partition_key, owner=owner)
    return partition_key


def resolve_partitioned_run(job: Any, run_config: Any, partition_key: Any,
                            tags: Mapping[str, Any] | None, instance: Any
                            ) -> tuple[Any, Any, dict[str, Any]]:
    """(run_config, partition_key, tags) for a run of `job` over `partition_key` or a range,
    checked by `check_run_partition`; a `PartitionedConfig` gives the config and tags."""
    tags = dict(tags or {})
    partition_key = check_run_partition(job, partition_key, {
        k: v for k, v in tags.items() if k != PARTITION_TAG}, instance)
    if partition_key is None:
        return run_config, None, tags
    pdef = job_partitions_def(job)
    tags.update(pdef.get_tags_for_partition_key(partition_key))
    config = getattr(job, "config", None)
    if isinstance(config, PartitionedConfig):
        with partition_loading_context(dynamic_partitions_store=_store(instance)):
            if run_config is None:
                run_config = config.get_run_config_for_partition_key(partition_key)
            tags.update(config.get_tags_for_partition_key(partition_key))
    return run_config, partition_key, tags


# --- what the contexts ask ------------------------------------------------------------------


def _pdef(ctx: Any) -> Any:
    assets_def = getattr(ctx, "_assets_def", None)
    return getattr(assets_def, "partitions_def", None) or ctx._partitions_def


def key_range(ctx: Any) -> PartitionKeyRange | None:
    """The run's partition key range, or None for an unpartitioned run."""
    if ctx._partition_key_range is not None:
        return ctx._partition_key_range
    if ctx._partition_key is not None:
        return PartitionKeyRange(ctx._partition_key, ctx._partition_key)
    tags = ctx._run.tags
    start: Any = tags.get(RANGE_START_TAG)
    end: Any = tags.get(RANGE_END_TAG)
    if start is None or end is None:
        return None
    pdef = _pdef(ctx)
    if isinstance(pdef, MultiPartitionsDefinition):
        start, end = pdef.get_partition_key_from_str(start), pdef.get_partition_key_from_str(end)
    return PartitionKeyRange(start, end)


def require_range(ctx: Any, what: str) -> PartitionKeyRange:
    found = key_range(ctx)
    if found is None:
        raise HeadwaterInvalidPropertyError(
            f"Cannot access {what} for a non-partitioned run. Check context.has_partition_key "
            "(or has_partition_key_range) first.")
    return found


def run_keys(ctx: Any) -> list[str]:
    """Every partition key the run covers, in the definition's order."""
    cache = ctx.__dict__.setdefault("_partition_cache", {})
    if "keys" not in cache:
        found = require_range(ctx, "partition_keys")
        if found.start == found.end:
            cache["keys"] = [found.start]
        else:
            with partition_loading_context(dynamic_partitions_store=_store(ctx._instance)):
                cache["keys"] = list(_pdef(ctx).get_partition_keys_in_range(found))
    return cache["keys"]


def time_window(pdef: Any, keys: list[str], what: str) -> TimeWindow:
    if isinstance(pdef, MultiPartitionsDefinition) and pdef.time_window_dimension is not None:
        dim = pdef.time_window_dimension
        windows = [dim.partitions_def.time_window_for_partition_key(  # type: ignore[attr-defined]
            pdef.get_partition_key_from_str(k).keys_by_dimension[dim.name]) for k in keys]
    elif isinstance(pdef, TimeWindowPartitionsDefinition):
        windows = [pdef.time_window_for_partition_key(keys[0]),
                   pdef.time_window_for_partition_key(keys[-1])]
    else:
        raise HeadwaterInvalidPropertyError(
            f"{what} needs time-window partitions (e.g. DailyPartitionsDefinition); this one is "
            f"partitioned by {pdef}.")
    return TimeWindow(min(w.start for w in windows), max(w.end for w in windows))


def upstream_keys(ctx: Any, input_name: str) -> list[str] | None:
    """The upstream partition keys input `input_name` reads (None: upstream unpartitioned)."""
    cache = ctx.__dict__.setdefault("_partition_cache", {})
    if ("input", input_name) in cache:
        return cache[("input", input_name)]
    up_key = ctx._asset_keys_by_input.get(input_name)
    if up_key is None:
        raise HeadwaterInvariantViolationError(
            f"Input '{input_name}' of '{ctx._step_key}' is not an asset, so it has no partitions.")
    up_def = _upstream_partitions_def(ctx, up_key)
    keys: list[str] | None = None
    if up_def is not None:
        down = ctx._assets_def
        down_def = getattr(down, "partitions_def", None)
        explicit = down.get_partition_mapping(up_key) if down is not None else None
        mapping = infer_partition_mapping(explicit, up_def, down_def)
        has_range = key_range(ctx) is not None
        subset = (down_def.empty_subset().with_partition_keys(run_keys(ctx))
                  if down_def is not None and has_range else None)
        store = _store(ctx._instance)
        with partition_loading_context(dynamic_partitions_store=store):
            result = (mapping if subset is not None else infer_partition_mapping(None, up_def, None)) \
                .get_upstream_mapped_partitions_result_for_partitions(subset, down_def, up_def)
            missing = result.required_but_nonexistent_partition_keys
            self_dep = down is not None and up_key in down.keys
            if missing and not self_dep:
                raise HeadwaterInvariantViolationError(
                    f"Input '{input_name}' of asset step '{ctx._step_key}' reads partitions "
                    f"{missing[:5]}{' ...' if len(missing) > 5 else ''} of "
                    f"{up_key.to_user_string()}, which do not exist in {up_def}. Pass "
                    "TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True) or "
                    "another partition_mapping.")
            found = result.partitions_subset.get_partition_keys()
            if not isinstance(found, list):
                have = set(found)
                found = [k for k in up_def.get_partition_keys() if k in have]
        if isinstance(up_def, MultiPartitionsDefinition):
            found = [up_def.get_partition_key_from_str(k) for k in found]
        keys = list(found)
    cache[("input", input_name)] = keys
    return keys


def _upstream_partitions_def(ctx: Any, up_key: Any) -> Any:
    job = ctx._job_def
    layer = getattr(job, "asset_layer", None)
    assets_def = layer.assets_def_for_key(up_key) if layer is not None else None
    if assets_def is None:
        return None
    spec = getattr(assets_def, "specs_by_key", {}).get(up_key)
    return getattr(assets_def, "partitions_def", None) or getattr(spec, "partitions_def", None)


def whole_asset_partitions(assets_def: Any, instance: Any) -> tuple[list[str], Any] | None:
    """(every partition key, partitions_def) of a partitioned asset, for a run that reads it
    without a partition of its own (an asset passed to a graph body); None if unpartitioned."""
    up_def = getattr(assets_def, "partitions_def", None)
    if up_def is None:
        return None
    return list(up_def.get_partition_keys(dynamic_partitions_store=_store(instance))), up_def


def upstream_partitions_def(ctx: Any, input_name: str) -> Any:
    up_key = ctx._asset_keys_by_input.get(input_name)
    return _upstream_partitions_def(ctx, up_key) if up_key is not None else None


def single_key(keys: list[str] | None, what: str) -> str:
    if not keys or len(keys) != 1:
        raise HeadwaterInvariantViolationError(
            f"{what} covers {len(keys or [])} partitions, not exactly one: use the plural "
            "(asset_partition_keys / partition key range) accessor instead.")
    return keys[0]


def is_multi(key: Any) -> bool:
    return isinstance(key, MultiPartitionKey)


def upstream_partitions(ctx: Any, name: str) -> tuple[Any, Any]:
    """(keys, partitions_def) of the upstream asset partitions input `name` reads, or Nones."""
    if name not in ctx._asset_keys_by_input:
        return None, None
    up_def = upstream_partitions_def(ctx, name)
    if up_def is None:
        return None, None
    return upstream_keys(ctx, name), up_def
