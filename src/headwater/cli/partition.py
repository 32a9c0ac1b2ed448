"""Which partition(s) `headwater asset materialize` runs, checked before anything runs.

One run covers one partition key (`--partition KEY`) or one range (`--partition-range
START...END`) of one partitions definition, so a selection whose partitioned assets have
different partitions definitions is refused, as is a partitioned selection given neither
option, and a range is only one run when every partitioned asset's backfill policy says
`BackfillPolicy.single_run()`. Unpartitioned assets in the selection run as usual beside the
partitioned ones. Imports `definitions` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.partitions.backfill_policy import runs_per_range
from headwater.definitions.partitions.base import PartitionKeyRange
from headwater.definitions.tags import RANGE_END_TAG, RANGE_START_TAG
from headwater.errors import HeadwaterInvalidInvocationError

_RANGE_SEP = "..."


def _partitions_def(graph: Any, key: AssetKey) -> Any:
    return graph.assets_def_by_key[key].partitions_def


def _names(keys: Iterable[AssetKey]) -> str:
    return ", ".join(sorted(k.to_user_string() for k in keys))


def parse_range(text: str) -> tuple[str, str]:
    """(start, end) of `START...END`."""
    start, sep, end = text.partition(_RANGE_SEP)
    if not sep or not start or not end or _RANGE_SEP in end:
        raise HeadwaterInvalidInvocationError(
            f"--partition-range {text!r}: write the first and last partition keys joined by "
            "'...', e.g. --partition-range 2024-01-01...2024-01-31.")
    return start, end


def partition_tags(graph: Any, keys: set[AssetKey], partition: str | None,
                   partition_range: str | None, store: Any = None) -> dict[str, str]:
    """The run tags of a range run ({} for a single key or no partition), or an error that
    says what to change when the selection cannot run as one run."""
    if partition is not None and partition_range is not None:
        raise HeadwaterInvalidInvocationError(
            "Pass --partition KEY or --partition-range START...END, not both.")
    partitioned = {k: _partitions_def(graph, k) for k in keys
                   if _partitions_def(graph, k) is not None}
    given = f"--partition {partition!r}" if partition is not None \
        else f"--partition-range {partition_range!r}"
    if not partitioned:
        if partition is None and partition_range is None:
            return {}
        raise HeadwaterInvalidInvocationError(
            f"{given} was given, but no selected asset is partitioned ({_names(keys)}); "
            f"drop {given.split()[0]} or select partitioned assets.")
    groups: list[tuple[Any, list[AssetKey]]] = []
    for key, pdef in partitioned.items():
        for known, members in groups:
            if known == pdef:
                members.append(key)
                break
        else:
            groups.append((pdef, [key]))
    if len(groups) > 1:
        described = "; ".join(f"{_names(members)}: {pdef}" for pdef, members in groups)
        raise HeadwaterInvalidInvocationError(
            f"The selection holds assets with {len(groups)} different partitions definitions "
            f"({described}), and one run covers partitions of one definition. Materialize "
            f"each group in its own command, e.g. --select {_names(groups[0][1])}.")
    if partition is None and partition_range is None:
        raise HeadwaterInvalidInvocationError(
            f"The selected assets {_names(partitioned)} are partitioned ({groups[0][0]}): pass "
            "--partition KEY or --partition-range START...END (`headwater backfill launch` "
            "runs many partitions, one run each).")
    pdef, owner = groups[0][0], f"assets {_names(partitioned)}"
    if partition is not None:
        pdef.validate_partition_key(partition, dynamic_partitions_store=store, owner=owner)
        return {}
    start, end = parse_range(partition_range or "")
    policies = [graph.assets_def_by_key[k].backfill_policy for k in partitioned]
    if runs_per_range(policies) is not None:
        multi = sorted(k.to_user_string() for k in partitioned
                       if graph.assets_def_by_key[k].backfill_policy is None
                       or graph.assets_def_by_key[k].backfill_policy.max_partitions_per_run)
        raise HeadwaterInvalidInvocationError(
            f"--partition-range runs one run over the range, which asset(s) {', '.join(multi)} "
            "do not allow: give them backfill_policy=BackfillPolicy.single_run(), or run "
            f"`headwater backfill launch --assets {','.join(multi)} --from {start} --to {end}` "
            "(one run per partition or batch).")
    for endpoint in (start, end):
        pdef.validate_partition_key(endpoint, dynamic_partitions_store=store, owner=owner)
    if not pdef.get_partition_keys_in_range(PartitionKeyRange(start, end),
                                            dynamic_partitions_store=store):
        raise HeadwaterInvalidInvocationError(
            f"--partition-range {partition_range!r} holds no partition: is START after END?")
    return {RANGE_START_TAG: start, RANGE_END_TAG: end}
