"""Crash points for the crash-recovery tests: `HEADWATER_DAEMON_CRASH_AT=<point>` makes the
daemon or a run worker SIGKILL itself at the named point. Here, below `instigation` and
`worker`, so that both (and the launcher, which runs a worker in process when synchronous)
import it without a cycle. Imports nothing of headwater.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "HEADWATER_DAEMON_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, uncleanly, if the environment asks for it (crash-recovery tests)."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
