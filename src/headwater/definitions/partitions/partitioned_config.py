"""Partitioned jobs: run config (and tags) computed from a partition key.

`PartitionedConfig(partitions_def, run_config_for_partition_key_fn, tags_for_partition_key_fn)`
given as a job's `config=` makes the job partitioned: launching partition `k` runs with
`run_config_for_partition_key_fn(k)`. The decorators build one from a function:
`@daily_partitioned_config(start_date=...)` passes the window `(start, end)`,
`@static_partitioned_config([...])`, `@dynamic_partitioned_config(fn)` and
`@partitioned_config(partitions_def)` pass the key. Imports `errors` and this layer's
partition modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from headwater.definitions.partitions.base import (
    DynamicPartitionsDefinition,
    PartitionsDefinition,
    StaticPartitionsDefinition,
)
from headwater.definitions.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidInvocationError


def _as_dict(config: Any) -> dict[str, Any]:
    to_dict = getattr(config, "to_config_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if isinstance(config, Mapping):
        return dict(config)
    raise HeadwaterInvalidInvocationError(
        f"A partitioned config function must return a dict or RunConfig, got {config!r}.")


class PartitionedConfig:
    """A job's run config as a function of its partition key."""

    def __init__(self, partitions_def: PartitionsDefinition,
                 run_config_for_partition_fn: Callable[..., Any] | None = None,
                 decorated_fn: Callable[..., Any] | None = None,
                 tags_for_partition_fn: Callable[..., Any] | None = None,
                 run_config_for_partition_key_fn: Callable[[str], Any] | None = None,
                 tags_for_partition_key_fn: Callable[[str], Mapping[str, Any]] | None = None):
        if run_config_for_partition_key_fn is None and run_config_for_partition_fn is None:
            raise HeadwaterInvalidDefinitionError(
                "PartitionedConfig needs run_config_for_partition_key_fn=, a function from a "
                "partition key to run config.")
        self.partitions_def = partitions_def
        self._config_fn = run_config_for_partition_key_fn
        self._legacy_config_fn = run_config_for_partition_fn
        self._tags_fn = tags_for_partition_key_fn
        self._legacy_tags_fn = tags_for_partition_fn
        self.decorated_fn = decorated_fn

    @property
    def run_config_for_partition_key_fn(self) -> Callable[[str], Any] | None:
        return self._config_fn

    @property
    def tags_for_partition_key_fn(self) -> Callable[[str], Mapping[str, Any]] | None:
        return self._tags_fn

    def get_partition_keys(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> Sequence[str]:
        return self.partitions_def.get_partition_keys(current_time, dynamic_partitions_store)

    def get_run_config_for_partition_key(self, partition_key: str) -> dict[str, Any]:
        if self._config_fn is not None:
            return _as_dict(self._config_fn(partition_key))
        return _as_dict(self._legacy_config_fn(_Partition(partition_key)))  # type: ignore[misc]

    def get_tags_for_partition_key(self, partition_key: str,
                                   job_name: str | None = None) -> dict[str, str]:
        tags: Mapping[str, Any] = {}
        if self._tags_fn is not None:
            tags = self._tags_fn(partition_key) or {}
        elif self._legacy_tags_fn is not None:
            tags = self._legacy_tags_fn(_Partition(partition_key)) or {}
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in tags.items()}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.decorated_fn is None:
            raise HeadwaterInvalidInvocationError(
                "Only a PartitionedConfig made by a decorator can be called directly.")
        return self.decorated_fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"PartitionedConfig(partitions_def={self.partitions_def!r})"


class _Partition:
    """The legacy `Partition` argument of run_config_for_partition_fn: its name and value."""

    def __init__(self, key: str):
        self.name = key
        self.value = key


def partitioned_config(partitions_def: PartitionsDefinition,
                       tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
                       ) -> Callable[[Callable[[str], Any]], PartitionedConfig]:
    """`@partitioned_config(partitions_def)`: the decorated function maps a key to run config."""
    def decorate(fn: Callable[[str], Any]) -> PartitionedConfig:
        return PartitionedConfig(partitions_def, decorated_fn=fn,
                                 run_config_for_partition_key_fn=fn,
                                 tags_for_partition_key_fn=tags_for_partition_key_fn)
    return decorate


def static_partitioned_config(partition_keys: Sequence[str],
                              tags_for_partition_fn: Callable[[str], Mapping[str, str]] | None = None,
                              tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
                              ) -> Callable[[Callable[[str], Any]], PartitionedConfig]:
    """`@static_partitioned_config(["a", "b"])`: run config for each of a fixed list of keys."""
    return partitioned_config(StaticPartitionsDefinition(partition_keys),
                              tags_for_partition_key_fn or tags_for_partition_fn)


def dynamic_partitioned_config(partition_fn: Callable[[datetime | None], Sequence[str]],
                               tags_for_partition_fn: Callable[[str], Mapping[str, str]] | None = None,
                               tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
                               ) -> Callable[[Callable[[str], Any]], PartitionedConfig]:
    """`@dynamic_partitioned_config(fn)`: keys come from `fn(current_time)`."""
    return partitioned_config(DynamicPartitionsDefinition(partition_fn),
                              tags_for_partition_key_fn or tags_for_partition_fn)


def _time_window_config(pdef: TimeWindowPartitionsDefinition,
                        tags_for_partition_fn: Callable[[datetime, datetime], Any] | None,
                        ) -> Callable[[Callable[[datetime, datetime], Any]], PartitionedConfig]:
    def decorate(fn: Callable[[datetime, datetime], Any]) -> PartitionedConfig:
        def config_for_key(key: str) -> Any:
            return fn(*pdef.time_window_for_partition_key(key))

        tags_for_key = None
        if tags_for_partition_fn is not None:
            def tags_for_key(key: str) -> Any:
                return tags_for_partition_fn(*pdef.time_window_for_partition_key(key))

        return PartitionedConfig(pdef, decorated_fn=fn, run_config_for_partition_key_fn=config_for_key,
                                 tags_for_partition_key_fn=tags_for_key)
    return decorate


def daily_partitioned_config(start_date: datetime | str, minute_offset: int = 0,
                             hour_offset: int = 0, timezone: str | None = None,
                             fmt: str | None = None, end_offset: int = 0,
                             tags_for_partition_fn: Callable[..., Any] | None = None,
                             exclusions: Sequence[Any] | None = None):
    """`@daily_partitioned_config(start_date=...)`: fn(start, end) -> run config, per day."""
    return _time_window_config(DailyPartitionsDefinition(
        start_date, minute_offset=minute_offset, hour_offset=hour_offset, timezone=timezone,
        fmt=fmt, end_offset=end_offset, exclusions=exclusions), tags_for_partition_fn)


def hourly_partitioned_config(start_date: datetime | str, minute_offset: int = 0,
                              timezone: str | None = None, fmt: str | None = None,
                              end_offset: int = 0,
                              tags_for_partition_fn: Callable[..., Any] | None = None,
                              exclusions: Sequence[Any] | None = None):
    """`@hourly_partitioned_config(start_date=...)`: fn(start, end) -> run config, per hour."""
    return _time_window_config(HourlyPartitionsDefinition(
        start_date, minute_offset=minute_offset, timezone=timezone, fmt=fmt,
        end_offset=end_offset, exclusions=exclusions), tags_for_partition_fn)


def weekly_partitioned_config(start_date: datetime | str, minute_offset: int = 0,
                              hour_offset: int = 0, day_offset: int = 0,
                              timezone: str | None = None, fmt: str | None = None,
                              end_offset: int = 0,
                              tags_for_partition_fn: Callable[..., Any] | None = None,
                              exclusions: Sequence[Any] | None = None):
    """`@weekly_partitioned_config(start_date=...)`: fn(start, end) -> run config, per week."""
    return _time_window_config(WeeklyPartitionsDefinition(
        start_date, minute_offset=minute_offset, hour_offset=hour_offset, day_offset=day_offset,
        timezone=timezone, fmt=fmt, end_offset=end_offset, exclusions=exclusions),
        tags_for_partition_fn)


def monthly_partitioned_config(start_date: datetime | str, minute_offset: int = 0,
                               hour_offset: int = 0, day_offset: int = 1,
                               timezone: str | None = None, fmt: str | None = None,
                               end_offset: int = 0,
                               tags_for_partition_fn: Callable[..., Any] | None = None,
                               exclusions: Sequence[Any] | None = None):
    """`@monthly_partitioned_config(start_date=...)`: fn(start, end) -> run config, per month."""
    return _time_window_config(MonthlyPartitionsDefinition(
        start_date, minute_offset=minute_offset, hour_offset=hour_offset, day_offset=day_offset,
        timezone=timezone, fmt=fmt, end_offset=end_offset, exclusions=exclusions),
        tags_for_partition_fn)
