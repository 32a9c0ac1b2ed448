"""The partitions of a fixed cadence: HourlyPartitionsDefinition, DailyPartitionsDefinition,
WeeklyPartitionsDefinition and MonthlyPartitionsDefinition.

Each is a TimeWindowPartitionsDefinition whose cron schedule is built from a cadence and
offsets (`cron_for`), constructed with Dagster's `start_date` / `end_date` spelling. Imports
`time_window.py` of this room (which never imports this module) and nothing else of headwater.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from headwater.definitions.partitions.time_window import (
    DAILY_FMT,
    HOURLY_FMT,
    TimeWindowPartitionsDefinition,
    cron_for,
)


class _Periodic(TimeWindowPartitionsDefinition):
    """The shared constructor of the daily, hourly, weekly and monthly kinds."""

    _schedule = "DAILY"
    _fmt = DAILY_FMT

    def __init__(self, start_date: datetime | str, end_date: datetime | str | None = None,
                 minute_offset: int = 0, hour_offset: int = 0, day_offset: int | None = None,
                 timezone: str | None = None, fmt: str | None = None, end_offset: int = 0,
                 exclusions: Sequence[Any] | None = None):
        super().__init__(start=start_date, fmt=fmt or self._fmt, end=end_date,
                         timezone=timezone, end_offset=end_offset, exclusions=exclusions,
                         cron_schedule=cron_for(self._schedule, minute_offset, hour_offset,
                                                day_offset))

    @property
    def start_date(self) -> datetime:
        return self.start

    @property
    def end_date(self) -> datetime | None:
        return self.end


class HourlyPartitionsDefinition(_Periodic):
    """One partition per hour, keys like '2024-01-05-13:00' (`minute_offset` shifts them).

    Args:
        start_date: the first partition's start.
        end_date: no partition ends after it; open-ended when not given.
        minute_offset: the minute each partition starts at.
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d-%H:%M").
        end_offset: partitions to add (or remove) after the last ended one.
        exclusions: cron strings or datetimes of partitions to leave out.

    Example:
        ```python
        from headwater import HourlyPartitionsDefinition

        hours = HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-01-01-03:00")
        assert hours.get_partition_keys() == ["2024-01-01-00:00", "2024-01-01-01:00",
                                              "2024-01-01-02:00"]
        ```
    """

    _schedule = "HOURLY"
    _fmt = HOURLY_FMT

    def __init__(self, start_date: datetime | str, end_date: datetime | str | None = None,
                 minute_offset: int = 0, timezone: str | None = None, fmt: str | None = None,
                 end_offset: int = 0, exclusions: Sequence[Any] | None = None):
        super().__init__(start_date, end_date, minute_offset, 0, None, timezone, fmt, end_offset,
                         exclusions)


class DailyPartitionsDefinition(_Periodic):
    """One partition per day, keys like '2024-01-05'.

    The most common partitioning: a day's partition exists once the day has ended (in
    `timezone`), so a daily schedule built from it runs just after midnight for the day before.

    Args:
        start_date: the first day.
        end_date: no partition ends after it; open-ended when not given.
        minute_offset: the minute each day starts at.
        hour_offset: the hour each day starts at (e.g. 6 for days from 06:00).
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d").
        end_offset: partitions to add (1: include today) or remove after the last ended one.
        exclusions: cron strings or datetimes of days to leave out.

    Example:
        ```python
        from headwater import DailyPartitionsDefinition, asset, materialize

        days = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-08")

        @asset(partitions_def=days)
        def daily_orders(context) -> str:
            return context.partition_key

        assert len(days.get_partition_keys()) == 7
        result = materialize([daily_orders], partition_key="2024-01-03")
        assert result.output_for_node("daily_orders") == "2024-01-03"
        ```
    """

    def __init__(self, start_date: datetime | str, end_date: datetime | str | None = None,
                 minute_offset: int = 0, hour_offset: int = 0, timezone: str | None = None,
                 fmt: str | None = None, end_offset: int = 0,
                 exclusions: Sequence[Any] | None = None):
        super().__init__(start_date, end_date, minute_offset, hour_offset, None, timezone, fmt,
                         end_offset, exclusions)


class WeeklyPartitionsDefinition(_Periodic):
    """One partition per week, starting on `day_offset` (0 = Sunday).

    Args:
        start_date: the first week's start.
        end_date: no partition ends after it; open-ended when not given.
        minute_offset: the minute each week starts at.
        hour_offset: the hour each week starts at.
        day_offset: the weekday each week starts on (0 = Sunday).
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d").
        end_offset: partitions to add (or remove) after the last ended one.
        exclusions: cron strings or datetimes of weeks to leave out.

    Example:
        ```python
        from headwater import WeeklyPartitionsDefinition

        weeks = WeeklyPartitionsDefinition(start_date="2024-01-07", end_date="2024-01-28")
        assert weeks.get_partition_keys() == ["2024-01-07", "2024-01-14", "2024-01-21"]
        ```
    """

    _schedule = "WEEKLY"

    def __init__(self, start_date: datetime | str, end_date: datetime | str | None = None,
                 minute_offset: int = 0, hour_offset: int = 0, day_offset: int = 0,
                 timezone: str | None = None, fmt: str | None = None, end_offset: int = 0,
                 exclusions: Sequence[Any] | None = None):
        super().__init__(start_date, end_date, minute_offset, hour_offset, day_offset, timezone,
                         fmt, end_offset, exclusions)


class MonthlyPartitionsDefinition(_Periodic):
    """One partition per month, starting on day `day_offset` (default 1) of the month.

    Args:
        start_date: the first month's start.
        end_date: no partition ends after it; open-ended when not given.
        minute_offset: the minute each month starts at.
        hour_offset: the hour each month starts at.
        day_offset: the day of the month each month starts on.
        timezone: the IANA timezone (UTC by default).
        fmt: the strftime format of the keys ("%Y-%m-%d").
        end_offset: partitions to add (or remove) after the last ended one.
        exclusions: cron strings or datetimes of months to leave out.

    Example:
        ```python
        from headwater import MonthlyPartitionsDefinition

        months = MonthlyPartitionsDefinition(start_date="2024-01-01", end_date="2024-04-01")
        assert months.get_partition_keys() == ["2024-01-01", "2024-02-01", "2024-03-01"]
        ```
    """

    _schedule = "MONTHLY"

    def __init__(self, start_date: datetime | str, end_date: datetime | str | None = None,
                 minute_offset: int = 0, hour_offset: int = 0, day_offset: int = 1,
                 timezone: str | None = None, fmt: str | None = None, end_offset: int = 0,
                 exclusions: Sequence[Any] | None = None):
        super().__init__(start_date, end_date, minute_offset, hour_offset, day_offset, timezone,
                         fmt, end_offset, exclusions)


__all__ = ["DailyPartitionsDefinition", "HourlyPartitionsDefinition", "WeeklyPartitionsDefinition",
           "MonthlyPartitionsDefinition"]
