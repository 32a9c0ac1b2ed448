"""Claiming runs to launch: the rule both storages apply inside their claim.

Launching a run is a claim in the database, so that several launchers (the daemon, the
webserver, `job launch --wait`, sensors) never start one run twice: a storage flips a run
QUEUED -> STARTING only while no other claimer runs (SQLite's write lock; a PostgreSQL
advisory lock) and only if the row is still QUEUED, and only the caller whose update changed
the row spawns its worker. Which queued runs a claim takes is decided here, from the runs in
progress and the queue's limits: highest `headwater/priority` first, oldest first among equals,
skipping a run whose tag limit is full (a later run with other tags may still start), until the
global limit is reached. Imports `definitions.tags`, `execution.executor` (the tag-limit rule
the executor shares) and this package's `record`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.tags import PRIORITY_TAG
from headwater.execution.executor import limits_allow
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

_S = HeadwaterRunStatus
# A claimed run holds its slot from STARTING until it reaches a terminal status.
IN_PROGRESS = (_S.STARTING, _S.STARTED, _S.CANCELING)


@dataclass(frozen=True, slots=True)
class QueueLimits:
    """How many runs may be in progress at once: in all (None or negative: no limit) and per
    tag rule (`run_queue.tag_concurrency_limits` of headwater.yaml)."""

    max_concurrent_runs: int | None = None
    tag_concurrency_limits: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> QueueLimits:
        """The limits of a `run_queue:` settings section (10 runs at once by default)."""
        return cls(settings.get("max_concurrent_runs", 10),
                   tuple(settings.get("tag_concurrency_limits") or ()))

    def full(self, in_progress: int) -> bool:
        """Whether `in_progress` runs leave no slot."""
        limit = self.max_concurrent_runs
        return limit is not None and limit >= 0 and in_progress >= limit


def pick_runs(queued: Sequence[HeadwaterRun], active: Sequence[HeadwaterRun],
              limits: QueueLimits) -> list[HeadwaterRun]:
    """The runs of `queued` (oldest first) to start now, given the runs in progress."""
    rules = list(limits.tag_concurrency_limits)
    running: dict[int, int] = {}
    for run in active:
        for i in limits_allow(rules, {}, run.tags) or ():
            running[i] = running.get(i, 0) + 1
    picked: list[HeadwaterRun] = []
    for run in sorted(queued, key=_priority):  # stable: oldest first among equal priorities
        if limits.full(len(active) + len(picked)):
            break
        hit = limits_allow(rules, running, run.tags)
        if hit is None:
            continue
        for i in hit:
            running[i] = running.get(i, 0) + 1
        picked.append(run)
    return picked


def _priority(run: HeadwaterRun) -> int:
    try:
        return -int(run.tags.get(PRIORITY_TAG, 0) or 0)
    except ValueError:  # a run with a malformed priority must not block the whole queue
        return 0
