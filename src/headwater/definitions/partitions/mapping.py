"""Partition mappings: which partitions of an upstream asset a downstream partition reads.

Every mapping answers two questions over subsets of partition keys:
`get_upstream_mapped_partitions_result_for_partitions` (downstream keys -> the upstream keys
they read, plus those they would read that do not exist) and
`get_downstream_partitions_for_partitions` (upstream keys -> downstream keys that read them).

User-defined mappings subclass `PartitionMapping` and implement either those two methods
(Dagster's contract), or only the simpler per-key hook
`upstream_partition_keys(downstream_partition_key, upstream_partitions_def,
downstream_partitions_def) -> list[str]` (and optionally `downstream_partition_keys`, which
otherwise is derived by inverting the first over the downstream keys).

The mappings between multi-dimensional partitions are in `multi_mapping.py`; the default
chosen when an asset gives none (`infer_partition_mapping`) is in `relation.py`. Both build
on this module, which imports neither: it imports `errors` and this layer's partition
modules only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from headwater.definitions.partitions.base import (
    DefaultPartitionsSubset,
    PartitionsDefinition,
    PartitionsSubset,
    partition_loading_context,
)
from headwater.definitions.partitions.time_window import (
    TimeWindowPartitionsDefinition,
    TimeWindowPartitionsSubset,
)
from headwater.errors import HeadwaterInvalidDefinitionError


class UpstreamPartitionsResult(NamedTuple):
    """The upstream partitions a set of downstream partitions reads, and those that don't exist.

    Returned by `PartitionMapping.get_upstream_mapped_partitions_result_for_partitions`.

    Args:
        partitions_subset: the upstream partitions that are read and exist.
        required_but_nonexistent_subset: upstream partitions read but not defined (e.g. the
            day before the first day).

    Example:
        ```python
        from headwater import DailyPartitionsDefinition, TimeWindowPartitionMapping

        days = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-10")
        previous_day = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
        result = previous_day.get_upstream_mapped_partitions_result_for_partitions(
            days.subset_with_partition_keys(["2024-01-01"]), days, days)
        assert list(result.partitions_subset.get_partition_keys()) == []
        assert result.required_but_nonexistent_partition_keys == ["2023-12-31"]
        ```
    """

    partitions_subset: PartitionsSubset
    required_but_nonexistent_subset: PartitionsSubset

    @property
    def required_but_nonexistent_partition_keys(self) -> list[str]:
        return sorted(self.required_but_nonexistent_subset.get_partition_keys())


def subset_of(pdef: PartitionsDefinition | None, keys: Collection[str]) -> PartitionsSubset:
    if pdef is None:
        return DefaultPartitionsSubset(keys)
    return pdef.empty_subset().with_partition_keys(keys)


def keys_of(subset: PartitionsSubset | None) -> list[str]:
    return list(subset.get_partition_keys()) if subset is not None else []


class PartitionMapping:
    """How the partitions of a downstream asset depend on those of an upstream asset.

    Set one with `AssetIn(partition_mapping=...)` or `AssetDep(partition_mapping=...)`; when
    none is given, headwater infers one (identity for equal definitions, time-window overlap
    between time partitions, all partitions otherwise). Subclass it and implement
    `upstream_partition_keys` (and `downstream_partition_keys`) for a rule of your own.

    Example:
        ```python
        from headwater import PartitionMapping, StaticPartitionsDefinition

        class SameInitial(PartitionMapping):
            def upstream_partition_keys(self, downstream_partition_key, upstream_partitions_def,
                                        downstream_partitions_def):
                return [k for k in upstream_partitions_def.get_partition_keys()
                        if k[0] == downstream_partition_key[0]]

        up = StaticPartitionsDefinition(["alpha", "apex", "beta"])
        down = StaticPartitionsDefinition(["a", "b"])
        result = SameInitial().get_upstream_mapped_partitions_result_for_partitions(
            down.subset_with_partition_keys(["a"]), down, up)
        assert sorted(result.partitions_subset.get_partition_keys()) == ["alpha", "apex"]
        ```
    """

    def upstream_partition_keys(self, downstream_partition_key: str,
                                upstream_partitions_def: PartitionsDefinition,
                                downstream_partitions_def: PartitionsDefinition) -> Sequence[str]:
        """The simple hook: the upstream keys one downstream partition reads."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement upstream_partition_keys(downstream_partition_key, "
            "upstream_partitions_def, downstream_partitions_def) or "
            "get_upstream_mapped_partitions_result_for_partitions(...).")

    def downstream_partition_keys(self, upstream_partition_key: str,
                                  upstream_partitions_def: PartitionsDefinition,
                                  downstream_partitions_def: PartitionsDefinition) -> Sequence[str]:
        return [d for d in downstream_partitions_def.get_partition_keys()
                if upstream_partition_key in self.upstream_partition_keys(
                    d, upstream_partitions_def, downstream_partitions_def)]

    def get_upstream_mapped_partitions_result_for_partitions(
            self, downstream_partitions_subset: PartitionsSubset | None,
            downstream_partitions_def: PartitionsDefinition | None,
            upstream_partitions_def: PartitionsDefinition,
            current_time: datetime | None = None,
            dynamic_partitions_store: Any = None) -> UpstreamPartitionsResult:
        with partition_loading_context(current_time, dynamic_partitions_store):
            found: set[str] = set()
            missing: set[str] = set()
            for key in keys_of(downstream_partitions_subset):
                for up in self.upstream_partition_keys(key, upstream_partitions_def,
                                                       downstream_partitions_def):  # type: ignore[arg-type]
                    (found if upstream_partitions_def.has_partition_key(up) else missing).add(up)
            return UpstreamPartitionsResult(subset_of(upstream_partitions_def, found),
                                            DefaultPartitionsSubset(missing))

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset: PartitionsSubset,
            upstream_partitions_def: PartitionsDefinition,
            downstream_partitions_def: PartitionsDefinition | None,
            current_time: datetime | None = None,
            dynamic_partitions_store: Any = None) -> PartitionsSubset:
        with partition_loading_context(current_time, dynamic_partitions_store):
            found: set[str] = set()
            for key in keys_of(upstream_partitions_subset):
                found.update(self.downstream_partition_keys(key, upstream_partitions_def,
                                                            downstream_partitions_def))  # type: ignore[arg-type]
            return subset_of(downstream_partitions_def, found)

    def validate_partition_mapping(self, upstream_partitions_def: PartitionsDefinition | None,
                                   downstream_partitions_def: PartitionsDefinition | None) -> None:
        """Raise if the mapping cannot relate these two definitions."""

    @property
    def description(self) -> str:
        return ""

    def __serdes_state__(self) -> dict[str, Any]:
        return {}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__serdes_state__() == other.__serdes_state__()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self.__serdes_state__().items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.__serdes_state__().items())
        return f"{type(self).__name__}({args})"


class IdentityPartitionMapping(PartitionMapping):
    """Downstream partition `k` reads upstream partition `k`.

    The default between two assets with the same partitions.

    Example:
        ```python
        from headwater import IdentityPartitionMapping, StaticPartitionsDefinition

        regions = StaticPartitionsDefinition(["eu", "us"])
        result = IdentityPartitionMapping().get_upstream_mapped_partitions_result_for_partitions(
            regions.subset_with_partition_keys(["us"]), regions, regions)
        assert list(result.partitions_subset.get_partition_keys()) == ["us"]
        ```
    """

    def get_upstream_mapped_partitions_result_for_partitions(
            self, downstream_partitions_subset, downstream_partitions_def, upstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> UpstreamPartitionsResult:
        if downstream_partitions_subset is None or upstream_partitions_def is None:
            return UpstreamPartitionsResult(subset_of(upstream_partitions_def, ()),
                                            DefaultPartitionsSubset())
        if upstream_partitions_def == downstream_partitions_def:
            return UpstreamPartitionsResult(downstream_partitions_subset, DefaultPartitionsSubset())
        with partition_loading_context(current_time, dynamic_partitions_store):
            keys = keys_of(downstream_partitions_subset)
            found = [k for k in keys if upstream_partitions_def.has_partition_key(k)]
            missing = set(keys) - set(found)
            return UpstreamPartitionsResult(subset_of(upstream_partitions_def, found),
                                            DefaultPartitionsSubset(missing))

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> PartitionsSubset:
        if upstream_partitions_def == downstream_partitions_def:
            return upstream_partitions_subset
        with partition_loading_context(current_time, dynamic_partitions_store):
            return subset_of(downstream_partitions_def, [
                k for k in keys_of(upstream_partitions_subset)
                if downstream_partitions_def is None or downstream_partitions_def.has_partition_key(k)])


class AllPartitionMapping(PartitionMapping):
    """Every downstream partition reads every upstream partition.

    The default when the two assets' partitions are unrelated, e.g. a report per region
    reading a whole list of customers partitioned otherwise.

    Example:
        ```python
        from headwater import AllPartitionMapping, StaticPartitionsDefinition

        up = StaticPartitionsDefinition(["a", "b"])
        down = StaticPartitionsDefinition(["x"])
        result = AllPartitionMapping().get_upstream_mapped_partitions_result_for_partitions(
            down.subset_with_partition_keys(["x"]), down, up)
        assert sorted(result.partitions_subset.get_partition_keys()) == ["a", "b"]
        ```
    """

    def upstream_partition_keys(self, downstream_partition_key, upstream_partitions_def,
                                downstream_partitions_def):
        return upstream_partitions_def.get_partition_keys()

    def get_upstream_mapped_partitions_result_for_partitions(
            self, downstream_partitions_subset, downstream_partitions_def, upstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> UpstreamPartitionsResult:
        return UpstreamPartitionsResult(
            upstream_partitions_def.subset_with_all_partitions(current_time, dynamic_partitions_store),
            DefaultPartitionsSubset())

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> PartitionsSubset:
        if upstream_partitions_subset is None or upstream_partitions_subset.is_empty:
            return subset_of(downstream_partitions_def, ())
        return downstream_partitions_def.subset_with_all_partitions(  # type: ignore[union-attr]
            current_time, dynamic_partitions_store)


class LastPartitionMapping(PartitionMapping):
    """Every downstream partition reads the upstream asset's last partition.

    Use it when an asset needs only the newest snapshot of its upstream asset.

    Example:
        ```python
        from headwater import (AssetIn, DailyPartitionsDefinition, LastPartitionMapping,
                               StaticPartitionsDefinition, asset)

        days = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05")

        @asset(partitions_def=days)
        def snapshot() -> int:
            return 1

        @asset(partitions_def=StaticPartitionsDefinition(["eu"]),
               ins={"snapshot": AssetIn(partition_mapping=LastPartitionMapping())})
        def regional(snapshot: int) -> int:
            return snapshot

        result = LastPartitionMapping().get_upstream_mapped_partitions_result_for_partitions(
            regional.partitions_def.subset_with_partition_keys(["eu"]),
            regional.partitions_def, days)
        assert list(result.partitions_subset.get_partition_keys()) == ["2024-01-04"]
        ```
    """

    def upstream_partition_keys(self, downstream_partition_key, upstream_partitions_def,
                                downstream_partitions_def):
        last = upstream_partitions_def.get_last_partition_key()
        return [last] if last is not None else []

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> PartitionsSubset:
        with partition_loading_context(current_time, dynamic_partitions_store):
            last = upstream_partitions_def.get_last_partition_key()
            if last is None or last not in upstream_partitions_subset:
                return subset_of(downstream_partitions_def, ())
            return downstream_partitions_def.subset_with_all_partitions()  # type: ignore[union-attr]


class SpecificPartitionsPartitionMapping(PartitionMapping):
    """Every downstream partition reads the given upstream partitions.

    Args:
        partition_keys: the upstream keys read by every downstream partition.

    Example:
        ```python
        from headwater import SpecificPartitionsPartitionMapping, StaticPartitionsDefinition

        up = StaticPartitionsDefinition(["current", "archive"])
        down = StaticPartitionsDefinition(["eu", "us"])
        mapping = SpecificPartitionsPartitionMapping(["current"])
        result = mapping.get_upstream_mapped_partitions_result_for_partitions(
            down.subset_with_partition_keys(["eu", "us"]), down, up)
        assert list(result.partitions_subset.get_partition_keys()) == ["current"]
        ```
    """

    def __init__(self, partition_keys: Sequence[str]):
        self.partition_keys = list(partition_keys)

    def upstream_partition_keys(self, downstream_partition_key, upstream_partitions_def,
                                downstream_partitions_def):
        return self.partition_keys

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> PartitionsSubset:
        if any(k in upstream_partitions_subset for k in self.partition_keys):
            return downstream_partitions_def.subset_with_all_partitions(  # type: ignore[union-attr]
                current_time, dynamic_partitions_store)
        return subset_of(downstream_partitions_def, ())

    def __serdes_state__(self) -> dict[str, Any]:
        return {"partition_keys": self.partition_keys}


class StaticPartitionMapping(PartitionMapping):
    """An explicit map from upstream keys to the downstream key(s) that read them.

    For static partitions whose keys differ between the two assets.

    Args:
        downstream_partition_keys_by_upstream_partition_key: each upstream key and the
            downstream key (or keys) that read it.

    Example:
        ```python
        from headwater import StaticPartitionMapping, StaticPartitionsDefinition

        countries = StaticPartitionsDefinition(["fr", "de", "us"])
        regions = StaticPartitionsDefinition(["europe", "americas"])
        mapping = StaticPartitionMapping({"fr": "europe", "de": "europe", "us": "americas"})
        result = mapping.get_upstream_mapped_partitions_result_for_partitions(
            regions.subset_with_partition_keys(["europe"]), regions, countries)
        assert sorted(result.partitions_subset.get_partition_keys()) == ["de", "fr"]
        ```
    """

    def __init__(self, downstream_partition_keys_by_upstream_partition_key:
                 Mapping[str, str | Collection[str]]):
        self._down_by_up = {
            up: frozenset([down] if isinstance(down, str) else down)
            for up, down in downstream_partition_keys_by_upstream_partition_key.items()}
        self._up_by_down: dict[str, set[str]] = {}
        for up, downs in self._down_by_up.items():
            for down in downs:
                self._up_by_down.setdefault(down, set()).add(up)

    def validate_partition_mapping(self, upstream_partitions_def, downstream_partitions_def) -> None:
        for side, pdef, keys in (("upstream", upstream_partitions_def, self._down_by_up),
                                 ("downstream", downstream_partitions_def, self._up_by_down)):
            if pdef is None:
                continue
            known = set(pdef.get_partition_keys())
            unknown = sorted(k for k in keys if k not in known)
            if unknown:
                raise ValueError(
                    f"StaticPartitionMapping maps {side} partition keys {unknown}, which are not "
                    f"keys of the {side} partitions definition {pdef}. Remove them or add them "
                    "to that definition.")

    def upstream_partition_keys(self, downstream_partition_key, upstream_partitions_def,
                                downstream_partitions_def):
        return sorted(self._up_by_down.get(downstream_partition_key, ()))

    def downstream_partition_keys(self, upstream_partition_key, upstream_partitions_def,
                                  downstream_partitions_def):
        return sorted(self._down_by_up.get(upstream_partition_key, ()))

    def get_upstream_mapped_partitions_result_for_partitions(self, downstream_partitions_subset,
                                                             downstream_partitions_def,
                                                             upstream_partitions_def, *args, **kw):
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        return super().get_upstream_mapped_partitions_result_for_partitions(
            downstream_partitions_subset, downstream_partitions_def, upstream_partitions_def,
            *args, **kw)

    def get_downstream_partitions_for_partitions(self, upstream_partitions_subset,
                                                 upstream_partitions_def,
                                                 downstream_partitions_def, *args, **kw):
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        return super().get_downstream_partitions_for_partitions(
            upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            *args, **kw)

    def __serdes_state__(self) -> dict[str, Any]:
        return {"downstream_partition_keys_by_upstream_partition_key":
                {up: sorted(downs) for up, downs in sorted(self._down_by_up.items())}}


class TimeWindowPartitionMapping(PartitionMapping):
    """Time-window partitions: a downstream window reads the upstream windows overlapping it.

    The downstream window's start is moved by `start_offset` and its end by `end_offset`
    downstream partitions (-1, -1: the previous partition). Works across granularities: with
    start_offset=-1, a daily partition of an hourly upstream reads the 48 hours of that day and
    the day before. The default between two time-partitioned assets. `end_offset` smaller than
    `start_offset` raises HeadwaterInvalidDefinitionError.

    Args:
        start_offset: partitions to move the window's start by (negative: earlier).
        end_offset: partitions to move the window's end by.
        allow_nonexistent_upstream_partitions: True leaves out upstream partitions outside
            the upstream definition, instead of reporting them as required but nonexistent.

    Example:
        ```python
        from headwater import DailyPartitionsDefinition, TimeWindowPartitionMapping

        days = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-10")
        last_three = TimeWindowPartitionMapping(start_offset=-2)
        result = last_three.get_upstream_mapped_partitions_result_for_partitions(
            days.subset_with_partition_keys(["2024-01-05"]), days, days)
        assert list(result.partitions_subset.get_partition_keys()) == [
            "2024-01-03", "2024-01-04", "2024-01-05"]
        ```
    """

    def __init__(self, start_offset: int = 0, end_offset: int = 0,
                 allow_nonexistent_upstream_partitions: bool = False):
        if end_offset < start_offset:
            raise HeadwaterInvalidDefinitionError(
                f"TimeWindowPartitionMapping(start_offset={start_offset}, end_offset={end_offset}): "
                "end_offset must not be smaller than start_offset.")
        self.start_offset = start_offset
        self.end_offset = end_offset
        self.allow_nonexistent_upstream_partitions = allow_nonexistent_upstream_partitions

    def __serdes_state__(self) -> dict[str, Any]:
        return {"start_offset": self.start_offset, "end_offset": self.end_offset,
                "allow_nonexistent_upstream_partitions": self.allow_nonexistent_upstream_partitions}

    def validate_partition_mapping(self, upstream_partitions_def, downstream_partitions_def) -> None:
        for side, pdef in (("upstream", upstream_partitions_def),
                           ("downstream", downstream_partitions_def)):
            if not isinstance(pdef, TimeWindowPartitionsDefinition):
                raise HeadwaterInvalidDefinitionError(
                    f"TimeWindowPartitionMapping relates time-window partitions, but the {side} "
                    f"asset is partitioned by {pdef or 'nothing'}. Use another partition mapping.")
        if upstream_partitions_def.timezone != downstream_partitions_def.timezone:
            raise HeadwaterInvalidDefinitionError(
                f"Timezones {upstream_partitions_def.timezone} and "
                f"{downstream_partitions_def.timezone} don't match: a TimeWindowPartitionMapping "
                "relates windows of the same timezone. Give both assets' partitions the same "
                "timezone=.")

    @staticmethod
    def _windows(pdef: TimeWindowPartitionsDefinition, subset: PartitionsSubset) -> list[Any]:
        if isinstance(subset, TimeWindowPartitionsSubset) and subset.partitions_def == pdef:
            return subset.included_time_windows
        return pdef.empty_subset().with_partition_keys(keys_of(subset)).included_time_windows

    def get_upstream_mapped_partitions_result_for_partitions(
            self, downstream_partitions_subset, downstream_partitions_def, upstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> UpstreamPartitionsResult:
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        up: TimeWindowPartitionsDefinition = upstream_partitions_def
        with partition_loading_context(current_time, dynamic_partitions_store):
            first, last = up.get_first_partition_window(), up.get_last_partition_window()
            found, missing = up.empty_subset(), set()
            down: TimeWindowPartitionsDefinition = downstream_partitions_def
            for start, end in self._windows(down, downstream_partitions_subset):
                # offsets count downstream partitions: the window moves, then maps upstream
                start = down._next_tick(start, self.start_offset) if self.start_offset else start
                end = down._next_tick(end, self.end_offset) if self.end_offset else end
                if end <= start:
                    continue
                lo, hi = _overlapping(up, start, end)
                if hi <= lo:
                    continue
                wanted = up.keys_in_window(lo, hi)
                if first is None or last is None:
                    missing.update(wanted)
                    continue
                c_lo, c_hi = max(lo, first.start), min(hi, last.end)
                have = up.keys_in_window(c_lo, c_hi) if c_hi > c_lo else []
                if have:
                    found = found.with_time_windows([_window(c_lo, c_hi)])
                if len(have) != len(wanted):
                    missing.update(set(wanted) - set(have))
            if self.allow_nonexistent_upstream_partitions:
                missing = set()
            return UpstreamPartitionsResult(found, DefaultPartitionsSubset(missing))

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> PartitionsSubset:
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        up: TimeWindowPartitionsDefinition = upstream_partitions_def
        down: TimeWindowPartitionsDefinition = downstream_partitions_def
        with partition_loading_context(current_time, dynamic_partitions_store):
            first, last = down.get_first_partition_window(), down.get_last_partition_window()
            result = down.empty_subset()
            if first is None or last is None:
                return result
            for start, end in self._windows(up, upstream_partitions_subset):
                d_lo, d_hi = _overlapping(down, start, end)
                d_lo = down._next_tick(d_lo, -self.end_offset) if self.end_offset else d_lo
                d_hi = down._next_tick(d_hi, -self.start_offset) if self.start_offset else d_hi
                d_lo, d_hi = max(d_lo, first.start), min(d_hi, last.end)
                if d_hi > d_lo:
                    result = result.with_time_windows([_window(d_lo, d_hi)])
            return result


def _window(start: datetime, end: datetime) -> Any:
    from headwater.definitions.partitions.time_window import TimeWindow
    return TimeWindow(start, end)


def _overlapping(pdef: TimeWindowPartitionsDefinition, start: datetime,
                 end: datetime) -> tuple[datetime, datetime]:
    """The span of `pdef`'s windows (as ticks) that overlap [start, end)."""
    clock = pdef._clock
    lo = clock.to_aware(clock.prev_base(clock.to_base(start)))
    if lo > start:
        lo = pdef._next_tick(lo, -1)
    last = clock.to_aware(clock.prev_base(clock.to_base(end), inclusive=False))
    if last >= end:
        last = pdef._next_tick(last, -1)
    return lo, pdef._next_tick(last)
