"""Time-window partitions: one partition per tick of a cron schedule, in a timezone.

Partition `i` is the window `[tick_i, tick_{i+1})`, where `tick_0` is the first tick at or
after `start`. A window exists once it has ended (as of the current time), plus
`end_offset` more (or fewer); with `end`, only windows ending by `end` exist.

Daylight saving time. Ticks are computed by `croniter` in one of two clocks:
- schedules that fire every hour or more often (hour field `*`) tick in absolute time, so
  the repeated hour of a fall-back day holds two partitions (the second one's key carries
  its UTC offset, e.g. `2020-11-01-01:00-0800`) and the skipped hour of a spring-forward
  day holds none;
- all other schedules tick in local wall-clock time: a daily window is 23 or 25 hours long
  on DST days; a tick inside the repeated hour means its first occurrence, and a tick
  inside the skipped hour moves to the end of the gap (02:30 -> 03:00).
Sub-hourly and hourly schedules assume the timezone's UTC offsets are whole multiples of
the schedule's period (true for every DST zone except Lord Howe Island).

The fixed cadences (Hourly, Daily, Weekly, Monthly) are in `periodic.py`, which builds on
this module; this module never imports it. Imports `errors` and this layer's `partitions`.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headwater.definitions.partitions.base import (
    PartitionKeyRange,
    PartitionsDefinition,
    PartitionsSubset,
)
from headwater.definitions.partitions.base import current_time as _context_time
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidInvocationError


def _croniter() -> Any:
    """croniter and dateutil cost ~20 ms to import; load them when a cron is first used."""
    from croniter import croniter

    return croniter

_UTC = ZoneInfo("UTC")
_SECOND = timedelta(seconds=1)
DAILY_FMT = "%Y-%m-%d"
HOURLY_FMT = "%Y-%m-%d-%H:%M"


class TimeWindow(NamedTuple):
    """A half-open interval of time `[start, end)`: one partition, or several merged.

    What `context.partition_time_window` and `time_window_for_partition_key` return for
    time-window partitions; both ends are timezone-aware.

    Args:
        start: the first instant of the window.
        end: the first instant after it.

    Example:
        ```python
        from headwater import DailyPartitionsDefinition, TimeWindow

        days = DailyPartitionsDefinition(start_date="2024-03-01")
        window = days.time_window_for_partition_key("2024-03-05")
        assert isinstance(window, TimeWindow)
        assert (window.end - window.start).days == 1
        ```
    """

    start: datetime
    end: datetime


def _zone(name: str | None, owner: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: unknown timezone {name!r}. Use an IANA name such as 'UTC', "
            "'America/New_York' or 'Europe/Berlin'."
        ) from None


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Wall-clock time in `tz`: the first occurrence if repeated, the gap's end if skipped."""
    aware = naive.replace(tzinfo=tz, fold=0)
    if aware.astimezone(_UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return aware
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(_UTC)
    hi = aware.astimezone(_UTC)
    after = hi.astimezone(tz).utcoffset()
    while hi - lo > _SECOND:  # the transition instant: first instant with the later offset
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0).astimezone(tz)


class _Clock:
    """The ticks of a cron schedule in a timezone, as naive datetimes in a base clock."""

    def __init__(self, cron: str, tz: ZoneInfo):
        fields = cron.split()
        self.cron = cron
        self.tz = tz
        self.utc_mode = fields[1] == "*" and fields[2:] == ["*", "*", "*"]
        self.period: timedelta | None = None
        minute = fields[0]
        if self.utc_mode:
            if minute == "*":
                self.period = timedelta(minutes=1)
            elif minute.startswith("*/") and minute[2:].isdigit() and 60 % int(minute[2:]) == 0:
                self.period = timedelta(minutes=int(minute[2:]))
            elif minute.isdigit():
                self.period = timedelta(hours=1)
        elif minute.isdigit() and fields[1].isdigit() and fields[2:4] == ["*", "*"]:
            if fields[4] == "*":
                self.period = timedelta(days=1)
            elif fields[4].isdigit():
                self.period = timedelta(days=7)
        self.anchor = self._cron_next(datetime(2000, 1, 1))

    def _cron_next(self, base: datetime) -> datetime:
        return _croniter()(self.cron, base).get_next(datetime)

    def next_base(self, base: datetime, inclusive: bool = True) -> datetime:
        """The first tick at (if inclusive) or after `base`."""
        if self.period is not None:
            steps = -((self.anchor - base) // self.period)  # ceil
            tick = self.anchor + steps * self.period
            return tick + self.period if (tick == base and not inclusive) else tick
        tick = self._cron_next(base - _SECOND if inclusive else base)
        while tick < base or (tick == base and not inclusive):
            tick = self._cron_next(tick)
        return tick

    def prev_base(self, base: datetime, inclusive: bool = True) -> datetime:
        """The last tick at (if inclusive) or before `base`."""
        if self.period is not None:
            steps = (base - self.anchor) // self.period
            tick = self.anchor + steps * self.period
            return tick - self.period if (tick == base and not inclusive) else tick
        tick = _croniter()(self.cron, base + _SECOND if inclusive else base).get_prev(datetime)
        while tick > base or (tick == base and not inclusive):
            tick = _croniter()(self.cron, tick).get_prev(datetime)
        return tick

    def shift(self, base: datetime, n: int) -> datetime:
        """The tick `n` ticks after (or before, if negative) the tick `base`."""
        if self.period is not None:
            return base + n * self.period
        it = _croniter()(self.cron, base)
        for _ in range(abs(n)):
            base = it.get_next(datetime) if n > 0 else it.get_prev(datetime)
        return base

    def bases(self, first: datetime, count: int) -> list[datetime]:
        if count <= 0:
            return []
        if self.period is not None:
            return [first + i * self.period for i in range(count)]
        it = _croniter()(self.cron, first)
        out = [first]
        while len(out) < count:
            out.append(it.get_next(datetime))
        return out

    def count_between(self, first: datetime, last: datetime) -> int:
        """Ticks in [first, last]; `first` is a tick."""
        if last < first:
            return 0
        if self.period is not None:
            return (last - first) // self.period + 1
        it = _croniter()(self.cron, first)
        n = 1
        while it.get_next(datetime) <= last:
            n += 1
        return n

    def base_at_or_after(self, moment: datetime) -> datetime:
        """The base of the first tick at or after the instant `moment`."""
        base = self.prev_base(self.to_base(moment))
        return base if self.to_aware(base) >= moment else self.next_base(base, inclusive=False)

    def to_aware(self, base: datetime) -> datetime:
        if self.utc_mode:
            return base.replace(tzinfo=_UTC).astimezone(self.tz)
        return localize(base, self.tz)

    def to_base(self, moment: datetime) -> datetime:
        if self.utc_mode:
            return moment.astimezone(_UTC).replace(tzinfo=None)
        return moment.astimezone(self.tz).replace(tzinfo=None)


def _validate_cron(cron: Any, owner: str) -> str:
    if not isinstance(cron, str) or len(cron.split()) != 5 or not _croniter().is_valid(cron):
        raise HeadwaterInvalidDefinitionError(
            f"Found invalid cron schedule '{cron}' for a {owner}. A cron schedule has 5 fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 0 * * *' for daily at midnight."
        )
    return cron


class TimeWindowPartitionsDefinition(PartitionsDefinition):
    """Partitions that are windows of time between the ticks of `cron_schedule`.

    Partition `i` is `[tick_i, tick_i+1)`; it exists once it has ended (plus `end_offset`).
    Prefer the Hourly/Daily/Weekly/Monthly subclasses; use this for other cadences. A bad
    cron, timezone or start raises HeadwaterInvalidDefinitionError.

    Args:
        start: the first window's start (a datetime, a string in `fmt`, or a timestamp).
        fmt: the strftime format of the keys.
        end: no window ends after it; open-ended when not given.
        schedule_type: HOURLY, DAILY, WEEKLY or MONTHLY, instead of `cron_schedule`.
        timezone: the IANA timezone of the ticks and keys (UTC by default).
        end_offset: windows to add (or, negative, remove) after the last ended one.
        minute_offset: with `schedule_type`, the minute of the ticks.
        hour_offset: with `schedule_type`, the hour of the ticks.
        day_offset: with `schedule_type`, the weekday or day of month of the ticks.
        cron_schedule: the cron whose ticks bound the windows.
        exclusions: cron strings or datetimes of windows to leave out (e.g. weekends).

    Example:
        ```python
        from headwater import TimeWindowPartitionsDefinition

        shifts = TimeWindowPartitionsDefinition(start="2024-01-01-06:00", fmt="%Y-%m-%d-%H:%M",
                                                end="2024-01-02-06:00", cron_schedule="0 6,18 * * *")
        assert shifts.get_partition_keys() == ["2024-01-01-06:00", "2024-01-01-18:00"]
        ```
    """

    kind = "time-window partitions"
    #: daily, hourly, ... definitions serialize as the general definition they equal
    __serdes_name__ = "TimeWindowPartitionsDefinition"

    def __init__(self, start: datetime | str | float, fmt: str | None = None,
                 end: datetime | str | float | None = None, schedule_type: Any = None,
                 timezone: str | None = None, end_offset: int = 0, minute_offset: int | None = None,
                 hour_offset: int | None = None, day_offset: int | None = None,
                 cron_schedule: str | None = None, exclusions: Sequence[Any] | None = None):
        owner = type(self).__name__
        if cron_schedule is None:
            if schedule_type is None:
                raise HeadwaterInvalidDefinitionError(
                    f"{owner} needs cron_schedule= (e.g. '0 0 * * *') or schedule_type=.")
            cron_schedule = cron_for(getattr(schedule_type, "value", schedule_type),
                                     minute_offset or 0, hour_offset or 0, day_offset)
        self.cron_schedule = _validate_cron(cron_schedule, owner)
        self.timezone = timezone or "UTC"
        self._tz = _zone(self.timezone, owner)
        self._clock = _Clock(self.cron_schedule, self._tz)
        self.fmt = fmt or _default_fmt(self.cron_schedule)
        self.start = self._moment(start, "start")
        self.end = self._moment(end, "end") if end is not None else None
        self.end_offset = int(end_offset)
        self.exclusions = tuple(exclusions or ())
        self._excluded_cron = [e for e in self.exclusions if isinstance(e, str)
                               and len(e.split()) == 5 and _croniter().is_valid(e)]
        self._excluded_times = {self._moment(e, "exclusions").timestamp()
                                for e in self.exclusions if e not in self._excluded_cron}
        self._first_base = self._clock.next_base(self._clock.to_base(self.start))
        self._cache: dict[int, list[str]] = {}

    # --- parsing and formatting ---------------------------------------------------------
    def _moment(self, value: Any, what: str) -> datetime:
        if isinstance(value, datetime):
            return localize(value, self._tz) if value.tzinfo is None else value.astimezone(self._tz)
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, self._tz)
        for fmt in (self.fmt, self.fmt + "%z", DAILY_FMT, HOURLY_FMT, "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S%z"):
            try:
                parsed = datetime.strptime(value, fmt)
            except (ValueError, TypeError):
                continue
            return (parsed.astimezone(self._tz) if parsed.tzinfo is not None
                    else localize(parsed, self._tz))
        raise HeadwaterInvalidDefinitionError(
            f"{type(self).__name__}: {what} {value!r} does not match the format {self.fmt!r}. "
            f"Write it like {datetime(2024, 1, 5).strftime(self.fmt)!r} or pass a datetime."
        )

    def _format(self, moment: datetime) -> str:
        text = moment.strftime(self.fmt)
        if moment.fold and "%z" not in self.fmt and \
                moment.replace(fold=0).utcoffset() != moment.utcoffset():
            text += moment.strftime("%z")  # the second occurrence of a repeated hour
        return text

    def _parse_key(self, key: str) -> datetime | None:
        """The window start of `key`, or None if `key` is not one of this schedule's keys."""
        if not isinstance(key, str):
            return None
        try:
            parsed = datetime.strptime(key, self.fmt)
            moment = parsed.astimezone(self._tz) if parsed.tzinfo else localize(parsed, self._tz)
        except ValueError:
            if "%z" in self.fmt:
                return None
            try:
                moment = datetime.strptime(key, self.fmt + "%z").astimezone(self._tz)
            except ValueError:
                return None
        clock = self._clock
        tick = clock.to_aware(clock.next_base(clock.to_base(moment)))
        return tick if self._format(tick) == key else None

    # --- the windows --------------------------------------------------------------------
    def _now(self, current_time: datetime | None) -> datetime:
        now = _context_time(current_time)
        if now is None:
            return datetime.now(self._tz)
        return localize(now, self._tz) if now.tzinfo is None else now.astimezone(self._tz)

    def _count(self, current_time: datetime | None = None) -> int:
        """How many windows exist (before exclusions)."""
        clock, first = self._clock, self._first_base
        by_now = max(0, clock.count_between(first, clock.to_base(self._now(current_time))) - 1)
        count = by_now + self.end_offset
        if self.end is not None:
            count = min(count, clock.count_between(first, clock.to_base(self.end)) - 1)
        return max(0, count)

    def _is_excluded(self, moment: datetime) -> bool:
        if moment.timestamp() in self._excluded_times:
            return True
        naive = moment.replace(tzinfo=None)
        return any(_croniter().match(expr, naive) for expr in self._excluded_cron)

    def _window_starts(self, count: int) -> list[datetime]:
        clock = self._clock
        if clock.utc_mode and clock.period is not None:
            first = self._first_base.replace(tzinfo=_UTC).timestamp()
            step = clock.period.total_seconds()
            return [datetime.fromtimestamp(first + i * step, self._tz) for i in range(count)]
        return [clock.to_aware(b) for b in clock.bases(self._first_base, count)]

    def get_partition_keys(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> list[str]:
        count = self._count(current_time)
        keys = self._cache.get(count)
        if keys is None:
            starts = self._window_starts(count)
            if self.exclusions:
                starts = [s for s in starts if not self._is_excluded(s)]
            keys = [self._format(s) for s in starts]
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[count] = keys
        return list(keys)

    def get_num_partitions(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> int:
        if self.exclusions:
            return len(self.get_partition_keys(current_time))
        return self._count(current_time)

    def get_partition_keys_between_indexes(self, start_idx: int, end_idx: int,
                                           current_time: datetime | None = None) -> list[str]:
        return self.get_partition_keys(current_time)[start_idx:end_idx]

    def has_partition_key(self, partition_key: str, current_time: datetime | None = None,
                          dynamic_partitions_store: Any = None) -> bool:
        start = self._parse_key(partition_key)
        if start is None or start < self.start or (self.exclusions and self._is_excluded(start)):
            return False
        return self._index(start) < self._count(current_time)

    def _index(self, window_start: datetime) -> int:
        clock = self._clock
        return clock.count_between(self._first_base, clock.to_base(window_start)) - 1 \
            if not clock.utc_mode or clock.period is None else \
            int((window_start.timestamp() - self._first_base.replace(tzinfo=_UTC).timestamp())
                // clock.period.total_seconds())

    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:
        start = self._parse_key(partition_key)
        if start is None:
            raise HeadwaterInvalidInvocationError(
                f"'{partition_key}' is not a partition key of {self}: keys look like "
                f"{self._format(self.start)!r} (format {self.fmt!r}) and fall on the schedule "
                f"'{self.cron_schedule}'."
            )
        return TimeWindow(start, self._next_tick(start))

    def _next_tick(self, moment: datetime, n: int = 1) -> datetime:
        clock = self._clock
        if clock.utc_mode and clock.period is not None:
            return datetime.fromtimestamp(moment.timestamp() + n * clock.period.total_seconds(),
                                          self._tz)
        return clock.to_aware(clock.shift(clock.base_at_or_after(moment), n))

    def time_windows_for_partition_keys(self, partition_keys: Iterable[str]) -> list[TimeWindow]:
        return [self.time_window_for_partition_key(k) for k in partition_keys]

    def start_time_for_partition_key(self, partition_key: str) -> datetime:
        return self.time_window_for_partition_key(partition_key).start

    def end_time_for_partition_key(self, partition_key: str) -> datetime:
        return self.time_window_for_partition_key(partition_key).end

    def get_first_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        keys = self.get_partition_keys(current_time) if self.exclusions else None
        if (keys is not None and not keys) or self._count(current_time) == 0:
            return None
        return self.time_window_for_partition_key(keys[0]) if keys else \
            TimeWindow(self._clock.to_aware(self._first_base),
                       self._next_tick(self._clock.to_aware(self._first_base)))

    def get_last_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        key = self.get_last_partition_key(current_time)
        return self.time_window_for_partition_key(key) if key is not None else None

    def get_first_partition_key(self, current_time: datetime | None = None,
                                dynamic_partitions_store: Any = None) -> str | None:
        window = self.get_first_partition_window(current_time)
        return self._format(window.start) if window else None

    def get_last_partition_key(self, current_time: datetime | None = None,
                               dynamic_partitions_store: Any = None) -> str | None:
        if self.exclusions:
            keys = self.get_partition_keys(current_time)
            return keys[-1] if keys else None
        count = self._count(current_time)
        if count == 0:
            return None
        return self._format(self._clock.to_aware(self._clock.shift(self._first_base, count - 1)))

    def get_next_partition_key(self, partition_key: str,
                               current_time: datetime | None = None) -> str | None:
        nxt = self._format(self.time_window_for_partition_key(partition_key).end)
        return nxt if self.has_partition_key(nxt, current_time) else None

    def get_partition_key_for_timestamp(self, timestamp: float, end_closed: bool = False) -> str:
        clock = self._clock
        moment = datetime.fromtimestamp(timestamp, self._tz)
        base = clock.prev_base(clock.to_base(moment), inclusive=not end_closed)
        return self._format(clock.to_aware(base))

    def keys_in_window(self, window_start: datetime, window_end: datetime) -> list[str]:
        """The keys of the partitions whose windows start in [window_start, window_end)."""
        clock = self._clock
        first = clock.base_at_or_after(window_start)
        last = clock.prev_base(clock.to_base(window_end))
        starts = [s for s in self._starts_from(first, clock.count_between(first, last))
                  if window_start <= s < window_end]
        if self.exclusions:
            starts = [s for s in starts if not self._is_excluded(s)]
        return [self._format(s) for s in starts]

    def _starts_from(self, first_base: datetime, count: int) -> list[datetime]:
        clock = self._clock
        if clock.utc_mode and clock.period is not None and count > 0:
            first = first_base.replace(tzinfo=_UTC).timestamp()
            step = clock.period.total_seconds()
            return [datetime.fromtimestamp(first + i * step, self._tz) for i in range(count)]
        return [clock.to_aware(b) for b in clock.bases(first_base, count)]

    def get_partition_keys_in_time_window(self, time_window: TimeWindow) -> list[str]:
        return [k for k in self.keys_in_window(*time_window)
                if (self._parse_key(k) or self.start) >= self.start]

    def get_partition_keys_in_range(self, partition_key_range: PartitionKeyRange,
                                    dynamic_partitions_store: Any = None) -> list[str]:
        start, end = (self._parse_key(partition_key_range.start),
                      self._parse_key(partition_key_range.end))
        bad = [k for k, w in ((partition_key_range.start, start), (partition_key_range.end, end))
               if w is None or w < self.start]
        if bad:
            raise HeadwaterInvalidInvocationError(
                f"Partition range {partition_key_range.start} to {partition_key_range.end} does "
                f"not fit {self}: {', '.join(repr(k) for k in bad)} "
                f"{'is' if len(bad) == 1 else 'are'} not partition keys of it (partitions start at "
                f"{self._format(self._clock.to_aware(self._first_base))!r}, format {self.fmt!r})."
            )
        return self.keys_in_window(start, self._next_tick(end))  # type: ignore[arg-type]

    def get_partition_key_range_for_time_window(self, time_window: TimeWindow) -> PartitionKeyRange:
        keys = self.keys_in_window(*time_window)
        return PartitionKeyRange(keys[0], keys[-1])

    def validate_partition_key(self, partition_key: str, dynamic_partitions_store: Any = None,
                               owner: str = "") -> None:
        if self.has_partition_key(partition_key):
            return
        from headwater.errors import HeadwaterUnknownPartitionError
        first, last = self.get_first_partition_key(), self.get_last_partition_key()
        valid = (f"Valid keys run from {first!r} to {last!r} (format {self.fmt!r})."
                 if first is not None else "It has no partitions yet.")
        where = f" of {owner}" if owner else ""
        raise HeadwaterUnknownPartitionError(
            f"Could not find a partition with key `{partition_key}`{where} in {self}. {valid}")

    # --- subsets ------------------------------------------------------------------------
    def empty_subset(self) -> TimeWindowPartitionsSubset:
        return TimeWindowPartitionsSubset(self, ())

    def subset_with_all_partitions(self, current_time: datetime | None = None,
                                   dynamic_partitions_store: Any = None) -> PartitionsSubset:
        return self.empty_subset().with_partition_keys(self.get_partition_keys(current_time))

    def deserialize_subset(self, serialized: str) -> TimeWindowPartitionsSubset:
        data = json.loads(serialized)
        windows = data.get("time_windows", []) if isinstance(data, dict) else data
        return TimeWindowPartitionsSubset(self, [(float(s), float(e)) for s, e in windows])

    # --- identity -----------------------------------------------------------------------
    @property
    def schedule_type(self) -> str | None:
        return _schedule_name(self.cron_schedule)

    @property
    def minute_offset(self) -> int:
        field = self.cron_schedule.split()[0]
        return int(field) if field.isdigit() else 0

    @property
    def hour_offset(self) -> int:
        field = self.cron_schedule.split()[1]
        return int(field) if field.isdigit() else 0

    @property
    def day_offset(self) -> int:
        fields = self.cron_schedule.split()
        for field in (fields[4], fields[2]):
            if field.isdigit():
                return int(field)
        return 0

    def get_cron_schedule(self, minute_of_hour: int | None = None, hour_of_day: int | None = None,
                          day_of_week: int | None = None, day_of_month: int | None = None) -> str:
        fields = self.cron_schedule.split()
        if minute_of_hour is not None:
            fields[0] = str(minute_of_hour)
        if hour_of_day is not None and fields[1] != "*":
            fields[1] = str(hour_of_day)
        if day_of_week is not None and fields[4] != "*":
            fields[4] = str(day_of_week)
        if day_of_month is not None and fields[2] != "*":
            fields[2] = str(day_of_month)
        return " ".join(fields)

    def _state(self) -> tuple[Any, ...]:
        return (self.start.timestamp(), self.end.timestamp() if self.end else None, self.timezone,
                self.fmt, self.end_offset, self.cron_schedule, self.exclusions)

    def __serdes_state__(self) -> dict[str, Any]:
        return {"start": self.start.timestamp(), "fmt": self.fmt,
                "end": self.end.timestamp() if self.end else None, "timezone": self.timezone,
                "end_offset": self.end_offset, "cron_schedule": self.cron_schedule,
                "exclusions": [e.timestamp() if isinstance(e, datetime) else e
                               for e in self.exclusions] or None}

    def get_serializable_unique_identifier(self, dynamic_partitions_store: Any = None) -> str:
        import hashlib
        return hashlib.sha1(repr(self._state()).encode()).hexdigest()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": {}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeWindowPartitionsDefinition) and self._state() == other._state()

    def __hash__(self) -> int:
        return hash(self._state())

    def __repr__(self) -> str:
        return (f"TimeWindowPartitionsDefinition(start={self.start.timestamp()}, "
                f"end={self.end.timestamp() if self.end else None}, timezone={self.timezone!r}, "
                f"fmt={self.fmt!r}, end_offset={self.end_offset}, "
                f"cron_schedule={self.cron_schedule!r})")

    def __str__(self) -> str:
        name = _schedule_name(self.cron_schedule)
        what = name.capitalize() if name else f"Cron schedule '{self.cron_schedule}'"
        text = f"{what}, starting {self.start.strftime(self.fmt)} {self.timezone}."
        if self.end is not None:
            text += f" Ending {self.end.strftime(self.fmt)} {self.timezone}."
        if self.end_offset:
            text += f" End offsetted by {self.end_offset} partition{'s' if abs(self.end_offset) != 1 else ''}."
        return text


def _default_fmt(cron: str) -> str:
    minute, hour = cron.split()[:2]
    return DAILY_FMT if minute.isdigit() and hour.isdigit() else HOURLY_FMT


def _schedule_name(cron: str) -> str | None:
    m, h, dom, mon, dow = cron.split()
    if not m.isdigit():
        return None
    if h == "*" and dom == mon == dow == "*":
        return "HOURLY"
    if not h.isdigit() or mon != "*":
        return None
    if dom == dow == "*":
        return "DAILY"
    if dom == "*" and dow.isdigit():
        return "WEEKLY"
    if dow == "*" and dom.isdigit():
        return "MONTHLY"
    return None


def cron_for(schedule: str, minute: int, hour: int, day: int | None) -> str:
    schedule = str(schedule).upper()
    if schedule == "HOURLY":
        return f"{minute} * * * *"
    if schedule == "DAILY":
        return f"{minute} {hour} * * *"
    if schedule == "WEEKLY":
        return f"{minute} {hour} * * {day or 0}"
    if schedule == "MONTHLY":
        return f"{minute} {hour} {1 if day is None else day} * *"
    raise HeadwaterInvalidDefinitionError(
        f"Unknown schedule_type {schedule!r}: use HOURLY, DAILY, WEEKLY or MONTHLY.")


class TimeWindowPartitionsSubset(PartitionsSubset):
    """Partitions of a time-window definition, kept as merged windows `[start, end)`."""

    def __init__(self, partitions_def: TimeWindowPartitionsDefinition,
                 windows: Iterable[tuple[float, float]] = (), num_partitions: int | None = None):
        self.partitions_def = partitions_def
        self._windows = _merge(partitions_def, sorted(windows))
        self.num_partitions = num_partitions

    @property
    def included_time_windows(self) -> list[TimeWindow]:
        tz = self.partitions_def._tz
        return [TimeWindow(datetime.fromtimestamp(s, tz), datetime.fromtimestamp(e, tz))
                for s, e in self._windows]

    def get_partition_keys(self, current_time: datetime | None = None) -> list[str]:
        pdef = self.partitions_def
        keys: list[str] = []
        for window in self.included_time_windows:
            keys.extend(pdef.keys_in_window(*window))
        return keys

    def get_partition_key_ranges(self, partitions_def: Any = None, current_time: Any = None,
                                 dynamic_partitions_store: Any = None) -> list[PartitionKeyRange]:
        ranges = []
        for window in self.included_time_windows:
            keys = self.partitions_def.keys_in_window(*window)
            if keys:
                ranges.append(PartitionKeyRange(keys[0], keys[-1]))
        return ranges

    def with_partition_keys(self, partition_keys: Iterable[str]) -> TimeWindowPartitionsSubset:
        pdef = self.partitions_def
        windows = list(self._windows)
        for key in partition_keys:
            window = pdef.time_window_for_partition_key(key)
            windows.append((window.start.timestamp(), window.end.timestamp()))
        return TimeWindowPartitionsSubset(pdef, windows)

    def with_time_windows(self, windows: Iterable[TimeWindow]) -> TimeWindowPartitionsSubset:
        return TimeWindowPartitionsSubset(self.partitions_def, [
            *self._windows, *((w.start.timestamp(), w.end.timestamp()) for w in windows)])

    def empty_subset(self) -> TimeWindowPartitionsSubset:
        return TimeWindowPartitionsSubset(self.partitions_def)

    def __contains__(self, key: object) -> bool:
        start = self.partitions_def._parse_key(key) if isinstance(key, str) else None
        if start is None:
            return False
        ts = start.timestamp()
        i = bisect.bisect_right(self._windows, (ts, float("inf"))) - 1
        return i >= 0 and self._windows[i][0] <= ts < self._windows[i][1]

    def __len__(self) -> int:
        return len(self.get_partition_keys())

    @property
    def is_empty(self) -> bool:
        return not self._windows

    def serialize(self) -> str:
        return json.dumps({"version": 1, "time_windows": [list(w) for w in self._windows],
                           "num_partitions": len(self)})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TimeWindowPartitionsSubset):
            return self.partitions_def == other.partitions_def and self._windows == other._windows
        return isinstance(other, PartitionsSubset) and \
            set(self.get_partition_keys()) == set(other.get_partition_keys())

    def __hash__(self) -> int:
        return hash(tuple(self._windows))

    def __repr__(self) -> str:
        return (f"TimeWindowPartitionsSubset(partitions_def={self.partitions_def!r}, "
                f"included_time_windows={self.included_time_windows!r})")


def _merge(pdef: TimeWindowPartitionsDefinition,
           windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in windows:
        if merged and (start <= merged[-1][1] or _only_excluded_between(pdef, merged[-1][1], start)):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _only_excluded_between(pdef: TimeWindowPartitionsDefinition, gap_start: float,
                           gap_end: float) -> bool:
    """Whether every window between two windows is excluded, so that they are adjacent."""
    if not pdef.exclusions:
        return False
    moment = datetime.fromtimestamp(gap_start, pdef._tz)
    for _ in range(1000):
        if moment.timestamp() >= gap_end:
            return True
        if not pdef._is_excluded(moment):
            return False
        moment = pdef._next_tick(moment)
    return False


__all__ = ["TimeWindow", "TimeWindowPartitionsDefinition", "TimeWindowPartitionsSubset"]
