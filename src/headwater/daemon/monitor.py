"""Run monitoring: find runs whose worker died and end them.

`monitor_runs(instance)` looks at every run in progress. A run whose worker process (pid
recorded by the launcher, on this host) is gone, or whose heartbeat is older than
`heartbeat_timeout` seconds, or that stayed STARTING longer than `start_timeout`, is marked
FAILURE (CANCELED if it was being canceled) with the reason. A STARTED run running longer
than its `headwater/max_runtime` tag (seconds) is canceled, its CANCELING event saying so. The daemon calls it every few
seconds; `headwater run list` calls it too. Imports `storage`, `daemon.launcher`,
`daemon.worker`.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from headwater.daemon.launcher import IN_PROGRESS, cancel_run, reap_children
from headwater.daemon.worker import heartbeat_key
from headwater.definitions.tags import (
    MAX_RUNTIME_SECONDS_TAG,
    RUN_WORKER_HOST_TAG,
    RUN_WORKER_PID_TAG,
)
from headwater.storage.record import HeadwaterRunStatus, RunsFilter


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def monitor_runs(instance: Any, heartbeat_timeout: float = 30.0,
                 start_timeout: float = 120.0) -> list[str]:
    """Mark runs whose worker died; the ids of the runs ended."""
    reap_children()
    records = instance.get_run_records(RunsFilter(statuses=list(IN_PROGRESS)))
    if not records:
        return []
    host = socket.gethostname()
    beats = instance.storage.get_kvs([heartbeat_key(r.headwater_run.run_id) for r in records])
    now = time.time()
    ended = []
    for record in records:
        run = record.headwater_run
        reason = None
        pid = run.tags.get(RUN_WORKER_PID_TAG)
        beat = beats.get(heartbeat_key(run.run_id))
        if pid and run.tags.get(RUN_WORKER_HOST_TAG) == host and not pid_alive(int(pid)):
            reason = f"its run worker (pid {pid}) exited without finishing the run"
        elif beat is not None and now - float(beat) > heartbeat_timeout:
            reason = (f"its run worker sent no heartbeat for {now - float(beat):.0f}s "
                      f"(limit {heartbeat_timeout:.0f}s)")
        elif beat is None and run.status is HeadwaterRunStatus.STARTING and \
                now - record.update_timestamp.timestamp() > start_timeout:
            reason = f"its run worker did not start within {start_timeout:.0f}s"
        if reason is None:
            if _past_max_runtime(record, now):
                limit = run.tags[MAX_RUNTIME_SECONDS_TAG]
                cancel_run(instance, run.run_id, f"Exceeded the maximum runtime of {limit} "
                                                 f"seconds ({MAX_RUNTIME_SECONDS_TAG} tag).")
                ended.append(run.run_id)
            continue
        current = instance.get_run_by_id(run.run_id)  # it may have just finished
        if current is None or current.is_finished:
            continue
        if current.status is HeadwaterRunStatus.CANCELING:
            instance.report_run_canceled(current, f"Run canceled: {reason}.")
        else:
            instance.report_run_failed(current, f"Run failed: {reason}. See `headwater run "
                                                f"logs {run.run_id}` for its output.")
        ended.append(run.run_id)
    return ended


def _past_max_runtime(record: Any, now: float) -> bool:
    run = record.headwater_run
    limit = run.tags.get(MAX_RUNTIME_SECONDS_TAG)
    if limit is None or run.status is not HeadwaterRunStatus.STARTED or not record.start_time:
        return False
    try:
        return now - float(record.start_time) > float(limit)
    except ValueError:
        return False
