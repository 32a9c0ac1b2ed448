"""Retention: how long the instance keeps schedule and sensor ticks and finished runs.

headwater.yaml's `retention:` section has Dagster's shape for ticks, `schedule:` and `sensor:`
each with `purge_after_days:` either one number for every tick status or a mapping of
`skipped` / `failure` / `success` to days (-1 keeps them forever), and headwater's own
`runs: {purge_after_days: N}` for finished runs. Defaults: skipped ticks go after 7 days, other
ticks and every run are kept. A run goes with its tags, events, check executions, op outputs
and compute logs (`<storage>/<run_id>/`) and its worker log (`logs/<run_id>.log`); asset
values (`<storage>/<asset key path>`) are never touched, and a run holding an asset's latest
materialization or observation, or a check's latest evaluation, stays until a newer one
replaces it. Ticks still STARTED are never purged.

`RetentionPass` is what the daemon runs every `interval` seconds (and at once again while a
pass hit its bounds, so a backlog drains over a few iterations without holding the loop):
each pass deletes at most `tick_limit` ticks and `run_limit` runs. `headwater instance prune`
without `--older-than` runs passes until nothing is left. Imports `errors` only (and the
instance's storage, through the instance it is given).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.errors import HeadwaterInvalidInvocationError

log = logging.getLogger("headwater.daemon")

TICK_STATUSES = ("skipped", "failure", "success")
DEFAULT_TICK_DAYS: Mapping[str, float | None] = {"skipped": 7.0, "failure": None, "success": None}
_KINDS = {"schedule": "SCHEDULE", "sensor": "SENSOR"}
_DAY = 86400.0
_RUN_ID = re.compile(r"[A-Za-z0-9_.-]+")


def _days(value: Any, where: str) -> float | None:
    """Days from a setting: a non-negative number, or -1 for "keep forever" (None)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HeadwaterInvalidInvocationError(
            f"{where} must be a number of days (-1 keeps forever), got {value!r}.")
    if value == -1:
        return None
    if value < 0:
        raise HeadwaterInvalidInvocationError(
            f"{where} is {value}: use 0 or more days, or -1 to keep forever.")
    return float(value)


def _mapping(value: Any, where: str, allowed: tuple[str, ...], example: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise HeadwaterInvalidInvocationError(f"{where} must be a mapping, e.g. {example}.")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"{where} has unknown field(s) {', '.join(unknown)}: it takes "
            f"{', '.join(allowed)}.")
    return value


@dataclass(frozen=True)
class RetentionSettings:
    """Days to keep ticks per instigator type ("SCHEDULE"/"SENSOR") and lowercase status,
    and finished runs; None keeps forever."""

    ticks: Mapping[str, Mapping[str, float | None]] = field(default_factory=lambda: {
        kind: dict(DEFAULT_TICK_DAYS) for kind in _KINDS.values()})
    runs: float | None = None

    @classmethod
    def from_settings(cls, section: Any, where: str = "headwater.yaml: retention"
                      ) -> RetentionSettings:
        """Validate a `retention:` section (None or {} gives the defaults)."""
        top = _mapping(section, where, ("schedule", "sensor", "runs"),
                       "`retention: {sensor: {purge_after_days: {skipped: 7}}}`")
        ticks: dict[str, dict[str, float | None]] = {}
        for name, kind in _KINDS.items():
            at = f"{where}.{name}"
            part = _mapping(top.get(name), at, ("purge_after_days",),
                            f"`{name}: {{purge_after_days: 30}}`")
            days = dict(DEFAULT_TICK_DAYS)
            value = part.get("purge_after_days")
            if isinstance(value, Mapping):
                by_status = _mapping(value, f"{at}.purge_after_days", TICK_STATUSES,
                                     "`{skipped: 7, failure: 30, success: -1}`")
                for status, given in by_status.items():
                    days[status] = _days(given, f"{at}.purge_after_days.{status}")
            elif value is not None:
                every = _days(value, f"{at}.purge_after_days")
                days = dict.fromkeys(TICK_STATUSES, every)
            ticks[kind] = days
        runs = _mapping(top.get("runs"), f"{where}.runs", ("purge_after_days",),
                        "`runs: {purge_after_days: 90}`")
        run_days = (None if runs.get("purge_after_days") is None
                    else _days(runs["purge_after_days"], f"{where}.runs.purge_after_days"))
        return cls(ticks, run_days)


@dataclass
class PassResult:
    """What one retention pass deleted, and whether it stopped at a bound."""

    ticks: int = 0
    runs: list[str] = field(default_factory=list)
    more: bool = False


class RetentionPass:
    """Applies the instance's retention settings in bounded passes."""

    def __init__(self, instance: Any, settings: RetentionSettings | None = None, *,
                 interval: float = 60.0, tick_limit: int = 5000, run_limit: int = 50):
        self.instance = instance
        self.settings = settings if settings is not None else settings_of(instance)
        self.interval = interval
        self.tick_limit = tick_limit
        self.run_limit = run_limit
        self._last = float("-inf")
        self._more = False

    def due(self) -> bool:
        return self._more or time.monotonic() - self._last >= self.interval

    def maybe_run(self) -> PassResult | None:
        """A pass when one is due (the first call, then every `interval`, or at once while
        the last one stopped at a bound)."""
        return self.run() if self.due() else None

    def run(self, now: float | None = None) -> PassResult:
        self._last = time.monotonic()
        current = time.time() if now is None else now
        result = PassResult()
        storage = self.instance.storage
        budget = self.tick_limit
        for state in storage.all_instigator_state():
            days = self.settings.ticks.get(state.instigator_type)
            if not days:
                continue
            for status, keep in days.items():
                if keep is None or budget <= 0:
                    continue
                deleted = storage.purge_ticks(state.origin_id, current - keep * _DAY,
                                              statuses=[status.upper()], limit=budget)
                result.ticks += deleted
                budget -= deleted
        if budget <= 0:
            result.more = True
        if self.settings.runs is not None:
            result.runs = storage.purge_runs(current - self.settings.runs * _DAY,
                                             self.run_limit)
            self._delete_files(result.runs)
            result.more = result.more or len(result.runs) >= self.run_limit
        self._more = result.more
        if result.ticks or result.runs:
            log.info("retention: deleted %d tick(s) and %d run(s)", result.ticks,
                     len(result.runs))
        return result

    def _delete_files(self, run_ids: list[str]) -> None:
        """The op outputs and compute logs (`<storage>/<run_id>/`) and worker log of runs."""
        if getattr(self.instance, "is_ephemeral", True):
            return
        storage_dir = self.instance.storage_directory()
        logs = os.path.join(self.instance.root_directory, "logs")
        for run_id in run_ids:
            if not _RUN_ID.fullmatch(run_id) or run_id in (".", ".."):
                continue  # not a name this instance could have written a directory for
            shutil.rmtree(os.path.join(storage_dir, run_id), ignore_errors=True)
            try:
                os.remove(os.path.join(logs, f"{run_id}.log"))
            except FileNotFoundError:
                pass


def settings_of(instance: Any) -> RetentionSettings:
    """The instance's validated `retention:` settings."""
    raw = getattr(instance, "_settings", None)  # as written: get_settings wants a mapping
    return RetentionSettings.from_settings(raw.get("retention") if isinstance(raw, Mapping)
                                           else None)


def apply_all(instance: Any) -> PassResult:
    """Passes until nothing more is due (for `headwater instance prune`); the totals."""
    retention = RetentionPass(instance)
    total = PassResult()
    while True:
        result = retention.run()
        total.ticks += result.ticks
        total.runs.extend(result.runs)
        if not result.more:
            return total
