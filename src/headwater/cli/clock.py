"""Times and durations as a person reads them in a terminal.

Stored times are epoch seconds; the CLI shows them in the local time zone
(`2026-12-06 09:12:48`) and durations in the largest units that matter (`850ms`, `4.2s`,
`3m 04s`, `2h 05m`). `--json` output keeps the raw numbers. Imports nothing of headwater.
"""

from __future__ import annotations

import time
from datetime import datetime


def format_time(timestamp: float | None, millis: bool = False) -> str:
    """The local date and time of `timestamp` (with milliseconds if asked), or '-'."""
    if timestamp is None:
        return "-"
    moment = datetime.fromtimestamp(timestamp)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}" if millis else text


def format_duration(seconds: float | None) -> str:
    """`850ms`, `4.2s`, `3m 04s`, `2h 05m`, `3d 04h`; '-' when unknown."""
    if seconds is None:
        return "-"
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


def run_duration(start: float | None, end: float | None, now: float | None = None) -> str:
    """How long a run took, or has been running so far (`running 12.0s`); '-' if not started."""
    if start is None:
        return "-"
    if end is None:
        return f"running {format_duration((now or time.time()) - start)}"
    return format_duration(end - start)
