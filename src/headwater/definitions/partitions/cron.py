"""Cron strings: validation and tick times in any IANA timezone, correct across DST changes.

The calendar arithmetic is croniter's, done on naive wall-clock times; this module maps each
wall-clock tick to an instant in the schedule's timezone:

- a tick inside a spring-forward gap (02:30 on a day where 02:00 jumps to 03:00) fires at the
  first instant after the gap (03:00), once;
- a tick inside a fall-back fold (01:30 happens twice) fires once, at the second occurrence,
  unless the cron fires every hour (hour field `*`), in which case it fires at both.

Imports `errors` only.
"""

from __future__ import annotations

import heapq
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headwater.errors import HeadwaterInvalidDefinitionError

_ALIASES = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
            "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
            "@hourly": "0 * * * *"}


def is_valid_cron_string(cron_string: str) -> bool:
    """True for a five-field cron string (or an @daily-style alias) croniter can iterate."""
    from croniter import croniter

    if not isinstance(cron_string, str):
        return False
    expanded = _ALIASES.get(cron_string.strip(), cron_string.strip())
    if len(expanded.split()) != 5:
        return False
    return bool(croniter.is_valid(expanded))


def validate_cron_string(cron_string: str | Sequence[str], owner: str) -> None:
    """Raise an error naming `owner` when a cron string (or one of a list) is invalid."""
    strings = [cron_string] if isinstance(cron_string, str) else list(cron_string)
    if not strings:
        raise HeadwaterInvalidDefinitionError(f"{owner}: cron_schedule is an empty list; pass a "
                                              "cron string such as '0 0 * * *'.")
    for value in strings:
        if not is_valid_cron_string(value):
            raise HeadwaterInvalidDefinitionError(
                f"Found invalid cron schedule '{value}' for {owner}: cron_schedule must be five "
                "fields 'minute hour day-of-month month day-of-week' (e.g. '0 9 * * 1-5' for 9am on "
                "weekdays) or an alias such as '@daily'."
            )
        _warn_on_wide_steps(value, owner)


# the number of values each field of a five-field cron string ranges over
_FIELD_RANGES = (("minute", 60), ("hour", 24), ("day-of-month", 31), ("month", 12),
                 ("day-of-week", 7))


def _warn_on_wide_steps(cron_string: str, owner: str) -> None:
    """`*/90` in the minute field is valid cron, but fires only at minute 0: say so."""
    fields = _ALIASES.get(cron_string.strip(), cron_string.strip()).split()
    for (field_name, size), field in zip(_FIELD_RANGES, fields):
        for part in field.split(","):
            _, _, step = part.partition("/")
            if step.isdigit() and int(step) > size:
                warnings.warn(
                    f"{owner} uses cron schedule '{cron_string}', a cron schedule with an interval "
                    f"greater than the expected range: the step /{step} of its {field_name} field "
                    f"exceeds the {size} values that field ranges over, so it fires once per "
                    f"range, at its start. Use a step of at most {size}.",
                    UserWarning, stacklevel=4)


def resolve_timezone(name: str | None, owner: str) -> ZoneInfo | timezone:
    if not name or name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HeadwaterInvalidDefinitionError(
            f"Invalid execution timezone {name!r} for {owner}: use an IANA name such as "
            "'America/New_York' or 'Europe/Berlin'."
        ) from None


def cron_ticks(cron_string: str | Sequence[str], start: float, tz_name: str | None = None,
               *, inclusive: bool = False, ascending: bool = True) -> Iterator[datetime]:
    """Tick times (aware datetimes in the timezone) after `start` (a timestamp), in order;
    with `ascending=False`, the tick times before it, latest first."""
    strings = [cron_string] if isinstance(cron_string, str) else list(cron_string)
    if len(strings) == 1:
        yield from _ticks_one(strings[0], start, tz_name, inclusive, ascending)
        return
    iterators = [_ticks_one(s, start, tz_name, inclusive, ascending) for s in strings]
    heads = [next(it, None) for it in iterators]
    last: datetime | None = None
    while any(h is not None for h in heads):
        pick = (min if ascending else max)(
            (i for i, h in enumerate(heads) if h is not None), key=lambda i: heads[i])  # type: ignore
        value = heads[pick]
        heads[pick] = next(iterators[pick], None)
        if value != last:
            last = value
            yield value  # type: ignore[misc]


def _ticks_one(cron_string: str, start: float, tz_name: str | None, inclusive: bool,
               ascending: bool) -> Iterator[datetime]:
    from croniter import croniter

    tz = resolve_timezone(tz_name, "a schedule")
    expanded = _ALIASES.get(cron_string.strip(), cron_string.strip())
    every_hour = expanded.split()[1] == "*"
    sign = 1 if ascending else -1
    # Wall-clock ticks come in order, but their instants can interleave around a fold, so
    # instants wait in a heap until no later wall-clock tick can produce an earlier instant
    # (offsets never jump by more than a few hours).
    wall = datetime.fromtimestamp(start, tz).replace(tzinfo=None) - sign * _MARGIN
    it = croniter(expanded, wall)
    heap: list[tuple[float, int, datetime]] = []
    counter = 0
    last: float | None = None
    while True:
        naive = it.get_next(datetime) if ascending else it.get_prev(datetime)
        for instant in _instants(naive, tz, every_hour):
            counter += 1
            heapq.heappush(heap, (sign * instant.timestamp(), counter, instant))
        offset = naive.replace(tzinfo=tz).utcoffset() or timedelta(0)
        frontier = sign * (naive.replace(tzinfo=timezone.utc) - offset).timestamp() \
            - _MARGIN.total_seconds()
        while heap and heap[0][0] <= frontier:
            key, _, instant = heapq.heappop(heap)
            if last is not None and key <= last:
                continue
            if key < sign * start or (key == sign * start and not inclusive):
                continue
            last = key
            yield instant


_MARGIN = timedelta(hours=3)


def _instants(naive: datetime, tz: ZoneInfo | timezone, every_hour: bool) -> list[datetime]:
    """The instants a wall-clock time names in `tz`: one, none (a gap: the gap's end), or two
    (a fold)."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    utc_first = first.astimezone(timezone.utc)
    utc_second = second.astimezone(timezone.utc)
    if utc_first == utc_second:
        return [first]
    if utc_first.astimezone(tz).replace(tzinfo=None) != naive:  # in a gap
        return [_transition(utc_second, utc_first, tz)]
    return [first, second] if every_hour else [second]


def _transition(low: datetime, high: datetime, tz: ZoneInfo | timezone) -> datetime:
    """The first instant in (low, high] whose UTC offset is the post-transition one."""
    after = high.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).utcoffset() == after:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0).astimezone(tz)


def previous_tick(cron_string: str | Sequence[str], at: float, tz_name: str | None = None,
                  inclusive: bool = True) -> datetime | None:
    """The latest tick at or before `at`."""
    return next(cron_ticks(cron_string, at, tz_name, inclusive=inclusive, ascending=False), None)


def next_tick(cron_string: str | Sequence[str], after: float, tz_name: str | None = None) -> datetime:
    return next(cron_ticks(cron_string, after, tz_name))
