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
from headwater.definitions.partitions.periodic import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from headwater.definitions.partitions.time_window import TimeWindowPartitionsDefinition
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
    """A job's run config as a function of its partition key.

    Pass it as `config=` of a job to partition an op job: each run gets the config (and tags)
    of its partition. Usually built by `@partitioned_config` or the `@daily_partitioned_config`
    family. Without a config function it raises HeadwaterInvalidDefinitionError.

    Args:
        partitions_def: the partitions of the job.
        run_config_for_partition_fn: (older) run config from a Partition object.
        decorated_fn: the function the decorator wrapped, kept for direct calls.
        tags_for_partition_fn: (older) run tags from a Partition object.
        run_config_for_partition_key_fn: run config from a partition key.
        tags_for_partition_key_fn: run tags from a partition key.

    Example:
        ```python
        from headwater import PartitionedConfig, StaticPartitionsDefinition, job, op

        @op(config_schema={"region": str})
        def load(context) -> str:
            return context.op_config["region"]

        regions = StaticPartitionsDefinition(["eu", "us"])
        config = PartitionedConfig(
            regions, run_config_for_partition_key_fn=lambda key: {
                "ops": {"load": {"config": {"region": key}}}})

        @job(config=config)
        def load_region():
            load()

        result = load_region.execute_in_process(partition_key="eu")
        assert result.output_for_node("load") == "eu"
        ```
    """

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
    """Make a PartitionedConfig whose decorated function maps a partition key to run config.

    Args:
        partitions_def: the partitions of the job.
        tags_for_partition_key_fn: run tags from a partition key.

    Example:
        ```python
        from headwater import StaticPartitionsDefinition, job, op, partitioned_config

        @op(config_schema={"table": str})
        def copy_table(context) -> str:
            return context.op_config["table"]

        @partitioned_config(partitions_def=StaticPartitionsDefinition(["users", "orders"]))
        def table_config(partition_key: str):
            return {"ops": {"copy_table": {"config": {"table": partition_key}}}}

        @job(config=table_config)
        def copy():
            copy_table()

        assert copy.execute_in_process(partition_key="orders").output_for_node("copy_table") == "orders"
        ```
    """
    def decorate(fn: Callable[[str], Any]) -> PartitionedConfig:
        return PartitionedConfig(partitions_def, decorated_fn=fn,
                                 run_config_for_partition_key_fn=fn,
                                 tags_for_partition_key_fn=tags_for_partition_key_fn)
    return decorate


def static_partitioned_config(partition_keys: Sequence[str],
                              tags_for_partition_fn: Callable[[str], Mapping[str, str]] | None = None,
                              tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
                              ) -> Callable[[Callable[[str], Any]], PartitionedConfig]:
    """Make a PartitionedConfig over a fixed list of keys; the function maps a key to run config.

    Args:
        partition_keys: the keys.
        tags_for_partition_fn: older spelling of `tags_for_partition_key_fn`.
        tags_for_partition_key_fn: run tags from a partition key.

    Example:
        ```python
        from headwater import job, op, static_partitioned_config

        @op(config_schema={"country": str})
        def report(context) -> str:
            return context.op_config["country"]

        @static_partitioned_config(["fr", "de"], tags_for_partition_key_fn=lambda k: {"country": k})
        def country_config(partition_key: str):
            return {"ops": {"report": {"config": {"country": partition_key}}}}

        @job(config=country_config)
        def country_report():
            report()

        assert country_report.execute_in_process(partition_key="de").success
        ```
    """
    return partitioned_config(StaticPartitionsDefinition(partition_keys),
                              tags_for_partition_key_fn or tags_for_partition_fn)


def dynamic_partitioned_config(partition_fn: Callable[[datetime | None], Sequence[str]],
                               tags_for_partition_fn: Callable[[str], Mapping[str, str]] | None = None,
                               tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
                               ) -> Callable[[Callable[[str], Any]], PartitionedConfig]:
    """Make a PartitionedConfig whose keys come from `partition_fn(current_time)`.

    The older form of dynamic partitions (the keys are computed, not stored); prefer
    DynamicPartitionsDefinition(name=...) for keys added at run time.

    Args:
        partition_fn: returns the keys, given the current time (or None).
        tags_for_partition_fn: older spelling of `tags_for_partition_key_fn`.
        tags_for_partition_key_fn: run tags from a partition key.

    Example:
        ```python
        from headwater import dynamic_partitioned_config

        def customers(current_time):
            return ["acme", "globex"]

        @dynamic_partitioned_config(customers)
        def customer_config(partition_key: str):
            return {"ops": {"sync": {"config": {"customer": partition_key}}}}

        assert customer_config.partitions_def.get_partition_keys() == ["acme", "globex"]
        ```
    """
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
    """Make a daily PartitionedConfig: the function maps a day's `(start, end)` to run config.

    Args:
        start_date: the first day.
        minute_offset: the minute each day starts at.
        hour_offset: the hour each day starts at.
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d").
        end_offset: partitions to add (or remove) after the last ended one.
        tags_for_partition_fn: run tags from a day's `(start, end)`.
        exclusions: cron strings or datetimes of days to leave out.

    Example:
        ```python
        from headwater import daily_partitioned_config, job, op

        @op(config_schema={"day": str})
        def load(context) -> str:
            return context.op_config["day"]

        @daily_partitioned_config(start_date="2024-01-01")
        def day_config(start, end):
            return {"ops": {"load": {"config": {"day": start.strftime("%Y-%m-%d")}}}}

        @job(config=day_config)
        def daily_load():
            load()

        result = daily_load.execute_in_process(partition_key="2024-01-02")
        assert result.output_for_node("load") == "2024-01-02"
        ```
    """
    return _time_window_config(DailyPartitionsDefinition(
        start_date, minute_offset=minute_offset, hour_offset=hour_offset, timezone=timezone,
        fmt=fmt, end_offset=end_offset, exclusions=exclusions), tags_for_partition_fn)


def hourly_partitioned_config(start_date: datetime | str, minute_offset: int = 0,
                              timezone: str | None = None, fmt: str | None = None,
                              end_offset: int = 0,
                              tags_for_partition_fn: Callable[..., Any] | None = None,
                              exclusions: Sequence[Any] | None = None):
    """Make an hourly PartitionedConfig: the function maps an hour's `(start, end)` to run config.

    Args:
        start_date: the first hour.
        minute_offset: the minute each hour starts at.
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d-%H:%M").
        end_offset: partitions to add (or remove) after the last ended one.
        tags_for_partition_fn: run tags from an hour's `(start, end)`.
        exclusions: cron strings or datetimes of hours to leave out.

    Example:
        ```python
        from headwater import hourly_partitioned_config

        @hourly_partitioned_config(start_date="2024-01-01-00:00")
        def hour_config(start, end):
            return {"ops": {"load": {"config": {"hour": start.isoformat()}}}}

        assert hour_config.partitions_def.get_partition_keys()[0] == "2024-01-01-00:00"
        ```
    """
    return _time_window_config(HourlyPartitionsDefinition(
        start_date, minute_offset=minute_offset, timezone=timezone, fmt=fmt,
        end_offset=end_offset, exclusions=exclusions), tags_for_partition_fn)


def weekly_partitioned_config(start_date: datetime | str, minute_offset: int = 0,
                              hour_offset: int = 0, day_offset: int = 0,
                              timezone: str | None = None, fmt: str | None = None,
                              end_offset: int = 0,
                              tags_for_partition_fn: Callable[..., Any] | None = None,
                              exclusions: Sequence[Any] | None = None):
    """Make a weekly PartitionedConfig: the function maps a week's `(start, end)` to run config.

    Args:
        start_date: the first week's start.
        minute_offset: the minute each week starts at.
        hour_offset: the hour each week starts at.
        day_offset: the weekday each week starts on (0 = Sunday).
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d").
        end_offset: partitions to add (or remove) after the last ended one.
        tags_for_partition_fn: run tags from a week's `(start, end)`.
        exclusions: cron strings or datetimes of weeks to leave out.

    Example:
        ```python
        from headwater import weekly_partitioned_config

        @weekly_partitioned_config(start_date="2024-01-07")
        def week_config(start, end):
            return {"ops": {"load": {"config": {"week": start.strftime("%Y-%m-%d")}}}}

        assert week_config.partitions_def.get_partition_keys()[:2] == ["2024-01-07", "2024-01-14"]
        ```
    """
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
    """Make a monthly PartitionedConfig: the function maps a month's `(start, end)` to run config.

    Args:
        start_date: the first month's start.
        minute_offset: the minute each month starts at.
        hour_offset: the hour each month starts at.
        day_offset: the day of the month each month starts on (1).
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d").
        end_offset: partitions to add (or remove) after the last ended one.
        tags_for_partition_fn: run tags from a month's `(start, end)`.
        exclusions: cron strings or datetimes of months to leave out.

    Example:
        ```python
        from headwater import monthly_partitioned_config

        @monthly_partitioned_config(start_date="2024-01-01")
        def month_config(start, end):
            return {"ops": {"load": {"config": {"month": start.strftime("%Y-%m")}}}}

        assert month_config.partitions_def.get_partition_keys()[:2] == ["2024-01-01", "2024-02-01"]
        ```
    """
    return _time_window_config(MonthlyPartitionsDefinition(
        start_date, minute_offset=minute_offset, hour_offset=hour_offset, day_offset=day_offset,
        timezone=timezone, fmt=fmt, end_offset=end_offset, exclusions=exclusions),
        tags_for_partition_fn)
