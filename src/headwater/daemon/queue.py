"""The run-queue part of the daemon: start queued runs within the concurrency limits
(`run_queue:` in headwater.yaml) and notice run workers that died. The limits and the launching
are the run coordinator's (daemon/launcher.py, daemon/monitor.py); this is the daemon's
entry point to them. Imports `daemon`.
"""

from __future__ import annotations

from typing import Any

from headwater.daemon.launcher import dequeue_runs, queue_settings
from headwater.daemon.monitor import monitor_runs


def run_queue(instance: Any) -> list[str]:
    """Start the queued runs whose turn has come; their ids."""
    started = dequeue_runs(instance) if queue_settings(instance) is not None else []
    monitor_runs(instance)
    return started
