"""Run monitoring: find runs whose process died or hangs, end them, and kill what is left.

Every run recorded in a persistent instance tags itself with its process (pid and host) and
writes a heartbeat every second while it executes (`execution.executor.RunWatch`), whether
a run worker launched it or `asset materialize`, `job execute` or `materialize(instance=)`
executes it in the calling process. `monitor_runs(instance)` looks at every run in progress.
A run whose process on this host is gone, whose heartbeat is older than the heartbeat
timeout, or that stayed STARTING longer than the start timeout is declared dead: ended
FAILURE (CANCELED if it was being canceled) with the reason, after its process, if it is
still alive on this host, is killed. A run CANCELING for longer than the cancel timeout is
ended CANCELED the same way. A run on another host that is declared dead sees its status
change and stops itself. A run started by the configured run launcher
(daemon/run_launcher.py) whose launcher checks run workers is also declared dead once the
launcher says its worker (a container, a Kubernetes Job) ended without ending the run.
Once a dead run started by a launcher other than `DefaultRunLauncher` (whose local worker
the kill above stops) is ended, that launcher is asked to stop its worker
(`terminate(run_id)`), so a hung container or Job does not run on: the run's end names the
launcher, and an engine event says how the stop went. A terminate that raises is logged
and recorded in that event; the run keeps the status it was given. A STARTED run running
longer than its `headwater/max_runtime` tag
(seconds) is canceled, its CANCELING event saying so. The timeouts come from headwater.yaml
(`run_monitoring:` `heartbeat_timeout_seconds`, `start_timeout_seconds`,
`cancel_timeout_seconds`; `enabled: false` turns monitoring off), or the arguments. The daemon calls it every few seconds;
`headwater run list` calls it too. Imports `storage`, `execution`, `daemon.launcher`,
`daemon.run_launcher`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from typing import Any

from headwater.daemon.launcher import (
    IN_PROGRESS,
    cancel_run,
    launched_by,
    pid_alive,
    reap_children,
    worker_ended,
)
from headwater.daemon.run_launcher import DefaultRunLauncher, RunLauncher, run_launcher_of
from headwater.definitions.tags import (
    MAX_RUNTIME_SECONDS_TAG,
    RUN_WORKER_HOST_TAG,
    RUN_WORKER_PID_TAG,
)
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.execution.event import (
    EngineData,
    HeadwaterEvent,
    HeadwaterEventType,
    SerializableError,
)
from headwater.execution.executor import heartbeat_key
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus, RunsFilter

__all__ = ["monitor_runs", "pid_alive", "monitoring_settings"]

log = logging.getLogger("headwater.daemon")

DEFAULTS = {"heartbeat_timeout_seconds": 30.0, "start_timeout_seconds": 120.0,
            "cancel_timeout_seconds": 180.0}


def monitoring_settings(instance: Any) -> dict[str, Any]:
    """The run monitoring settings: headwater.yaml `run_monitoring:` over the defaults
    (`enabled: false` turns monitoring off)."""
    get = getattr(instance, "get_settings", None)
    given = dict(get("run_monitoring") if callable(get) else {})
    unknown = sorted(set(given) - set(DEFAULTS) - {"enabled"})
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml run_monitoring: unknown setting(s) {', '.join(unknown)}; the "
            f"settings are {', '.join(sorted(DEFAULTS))} (seconds).")
    enabled = given.get("enabled", True)
    if not isinstance(enabled, bool):
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml run_monitoring.enabled: expected true or false, got {enabled!r}.")
    settings: dict[str, Any] = {**DEFAULTS, "enabled": enabled}
    for name in DEFAULTS:
        if name in given:
            value = given[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise HeadwaterInvalidInvocationError(
                    f"headwater.yaml run_monitoring.{name}: expected a positive number of "
                    f"seconds, got {value!r}.")
            settings[name] = float(value)
    return settings


def monitor_runs(instance: Any, heartbeat_timeout: float | None = None,
                 start_timeout: float | None = None,
                 cancel_timeout: float | None = None) -> list[str]:
    """End the runs whose process died or hangs; the ids of the runs ended or canceled."""
    reap_children()
    records = instance.get_run_records(RunsFilter(statuses=list(IN_PROGRESS)))
    if not records:
        return []
    settings = monitoring_settings(instance)
    if not settings["enabled"]:
        return []
    heartbeat_timeout = settings["heartbeat_timeout_seconds"] if heartbeat_timeout is None \
        else heartbeat_timeout
    start_timeout = settings["start_timeout_seconds"] if start_timeout is None else start_timeout
    cancel_timeout = settings["cancel_timeout_seconds"] if cancel_timeout is None \
        else cancel_timeout
    host = socket.gethostname()
    launcher = run_launcher_of(instance)
    beats = instance.storage.get_kvs([heartbeat_key(r.headwater_run.run_id) for r in records])
    now = time.time()
    ended = []
    for record in records:
        run = record.headwater_run
        pid = _local_pid(run, host)
        beat = beats.get(heartbeat_key(run.run_id))
        reason = _why_dead(record, pid, beat, now, heartbeat_timeout, start_timeout,
                           cancel_timeout) or worker_ended(launcher, run)
        if reason is None:
            if _past_max_runtime(record, now):
                limit = run.tags[MAX_RUNTIME_SECONDS_TAG]
                try:
                    cancel_run(instance, run.run_id, f"Exceeded the maximum runtime of {limit} "
                                                     f"seconds ({MAX_RUNTIME_SECONDS_TAG} tag).")
                except HeadwaterInvalidInvocationError:
                    continue  # it finished meanwhile
                ended.append(run.run_id)
            continue
        current = instance.get_run_by_id(run.run_id)  # it may have just finished
        if current is None or current.is_finished:
            continue
        _end_dead_run(instance, launcher, current, reason, pid, record)
        ended.append(run.run_id)
    return ended


def _end_dead_run(instance: Any, launcher: RunLauncher, run: HeadwaterRun, reason: str,
                  pid: int | None, record: Any) -> None:
    """Kill the run's local process, end the run FAILURE (CANCELED if it was being canceled)
    saying why, then have its launcher stop its worker where that runs."""
    done = _kill(pid, record) if pid is not None else ""
    stops = _stops_worker(launcher, run)
    if stops:
        done += f"; {launcher!r} is asked to stop its worker"
    if run.status is HeadwaterRunStatus.CANCELING:
        instance.report_run_canceled(run, f"Run canceled: {reason}{done}.")
    else:
        instance.report_run_failed(run, f"Run failed: {reason}{done}. See `headwater run logs "
                                        f"{run.run_id}` for its output.")
    if stops:
        _stop_worker(instance, launcher, run)


def _stops_worker(launcher: RunLauncher, run: HeadwaterRun) -> bool:
    """Whether the launcher is to stop the worker of the dead run: it started the run (a run
    executed in its caller's process has no launcher), and it is not the default launcher,
    whose worker is a local process that `_kill` has already stopped."""
    return not isinstance(launcher, DefaultRunLauncher) and launched_by(launcher, run)


def _stop_worker(instance: Any, launcher: RunLauncher, run: HeadwaterRun) -> None:
    """Have the launcher stop the worker of the run just ended (a hung container or Job would
    run on), and record how it went in an engine event. The run is ended before this call, so
    a launcher that fails or hangs cannot keep it in progress; a failure is logged and kept
    in the event."""
    error = None
    try:
        stopped = launcher.terminate(run.run_id)
    except Exception as exc:  # an API that does not answer, a permission missing
        log.warning("Run %s: %r could not stop its worker", run.run_id, launcher, exc_info=True)
        error = SerializableError.from_exception(exc)
        message = (f"Run monitoring could not stop the run's worker with {launcher!r}: "
                   f"{type(exc).__name__}: {exc}. The run stays ended; check that its worker "
                   "(container, Job) is gone.")
    else:
        message = (f"Run monitoring had {launcher!r} stop the run's worker." if stopped else
                   f"Run monitoring asked {launcher!r} to stop the run's worker; there was "
                   "none left to stop.")
    instance.store_event(HeadwaterEvent(
        HeadwaterEventType.ENGINE_EVENT, run.run_id, run.job_name, time.time(),
        message=message, payload=EngineData(error=error)))


def _why_dead(record: Any, pid: int | None, beat: str | None, now: float,
              heartbeat_timeout: float, start_timeout: float,
              cancel_timeout: float) -> str | None:
    """Why the run is declared dead, or None while it looks alive."""
    run = record.headwater_run
    if pid is not None and not pid_alive(pid):
        return f"its process (pid {pid}) exited without finishing the run"
    if beat is not None and now - float(beat) > heartbeat_timeout:
        return (f"its process sent no heartbeat for {now - float(beat):.0f}s "
                f"(limit {heartbeat_timeout:g}s)")
    waited = now - record.update_timestamp.timestamp()
    if beat is None and run.status is HeadwaterRunStatus.STARTING and waited > start_timeout:
        return f"its run worker did not start within {start_timeout:g}s"
    if run.status is HeadwaterRunStatus.CANCELING and waited > cancel_timeout:
        return f"it did not stop within {cancel_timeout:g}s of the cancel request"
    return None


def _local_pid(run: Any, host: str) -> int | None:
    """The pid of the run's process when it runs on this host (None otherwise)."""
    pid = run.tags.get(RUN_WORKER_PID_TAG)
    if not pid or run.tags.get(RUN_WORKER_HOST_TAG) != host:
        return None
    try:
        return int(pid)
    except ValueError:
        return None


def _kill(pid: int, record: Any) -> str:
    """Kill the run's process if it still runs (and is not this one, nor a newer process that
    reused its pid); what to add to the reason."""
    if pid == os.getpid() or not pid_alive(pid) or not _started_by(pid, record):
        return ""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return ""
    reap_children()
    return f"; its process (pid {pid}) was killed"


def _started_by(pid: int, record: Any) -> bool:
    """Whether process `pid` started before the run's last update (its pid tag is written
    once the process runs), so it is the run's and not a later process given the same pid;
    True where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, IndexError, ValueError, StopIteration):
        return True
    started = boot + ticks / os.sysconf("SC_CLK_TCK")
    return started <= record.update_timestamp.timestamp() + 1.0


def _past_max_runtime(record: Any, now: float) -> bool:
    run = record.headwater_run
    limit = run.tags.get(MAX_RUNTIME_SECONDS_TAG)
    if limit is None or run.status is not HeadwaterRunStatus.STARTED or not record.start_time:
        return False
    try:
        return now - float(record.start_time) > float(limit)
    except ValueError:
        return False
