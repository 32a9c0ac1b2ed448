"""A code location's generation: which version of its code every process should serve.

Several processes hold a location's definitions at once, each in a code server of its own:
the webserver (for the UI and launches) and the daemon (for schedules, sensors and
automation). Run workers import the code afresh for every run. Reloading in one process
must reach the others, so a reload is a request recorded in the instance, not a private act:

- the webserver's reload (or its start on code that differs from what was requested last)
  bumps the location's *generation* and records the snapshot id it loaded;
- the daemon reads the requested generation on every iteration; when it differs from the
  one it serves, it reloads its own code server (unless it imported the code after the
  request, or the request only says a process started on the same definitions), then
  reports the generation it serves, with its snapshot id and load error, back into
  the instance;
- the webserver shows both ("webserver v3, daemon v3") so a user knows when every process
  runs the new code.

Both records live in the instance's key-value store as JSON. Imports `storage` only through
the instance it is given.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

#: the processes that report the generation they serve
PROCESSES = ("daemon",)


def _requested_key(location: str) -> str:
    return f"location_generation/{location}"


def _loaded_key(location: str, process: str) -> str:
    return f"location_loaded/{location}/{process}"


def _read(instance: Any, key: str) -> dict[str, Any] | None:
    raw = instance.storage.get_kvs([key]).get(key)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def requested(instance: Any, location: str) -> dict[str, Any] | None:
    """{"generation", "snapshot_id", "requested_at"} last requested for `location`, or None."""
    return _read(instance, _requested_key(location))


def request(instance: Any, location: str, snapshot_id: str | None,
            reason: str = "reload") -> int:
    """Ask every process to serve new code of `location` (which loaded as `snapshot_id`, or
    None when it failed to load); the new generation. `reason` is "reload" (a user asked:
    every process reloads) or "start" (a process started on other definitions than those
    recorded: a process that has the same snapshot keeps its code)."""
    current = requested(instance, location)
    generation = int(current["generation"]) + 1 if current else 1
    instance.storage.set_kvs({_requested_key(location): json.dumps({
        "generation": generation, "snapshot_id": snapshot_id, "requested_at": time.time(),
        "reason": reason})})
    return generation


def adopt(instance: Any, location: str, snapshot_id: str | None) -> int:
    """The generation of code a process just loaded afresh (at its start): the requested one
    when it is the same code (or the code failed to load, so that others keep theirs), else
    a new generation that tells the others to reload."""
    current = requested(instance, location)
    if current is not None and (snapshot_id is None or current.get("snapshot_id") == snapshot_id):
        return int(current["generation"])
    if current is None and snapshot_id is None:
        return 0
    return request(instance, location, snapshot_id, reason="start")


def report(instance: Any, location: str, process: str, generation: int,
           snapshot_id: str | None, error: str | None) -> None:
    """Record which generation `process` serves (the daemon, after each iteration's check)."""
    instance.storage.set_kvs({_loaded_key(location, process): json.dumps({
        "process": process, "generation": generation, "snapshot_id": snapshot_id,
        "error": error, "timestamp": time.time(), "pid": os.getpid()})})


def reports(instance: Any, location: str) -> dict[str, Mapping[str, Any]]:
    """{process: its last report} for the processes that reported on `location`."""
    keys = {_loaded_key(location, p): p for p in PROCESSES}
    found = instance.storage.get_kvs(list(keys))
    out: dict[str, Mapping[str, Any]] = {}
    for key, raw in found.items():
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, dict):
            out[keys[key]] = value
    return out
