"""Helpers the run-related browser tests share: launching a job through the API, waiting
for a run, and finding defunct children of this process in /proc."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


def launch(url: str, job: str) -> str:
    response = httpx.post(f"{url}/api/jobs/{job}/launch", json={"run_config": {}, "tags": {}},
                          timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def get_run(url: str, run_id: str) -> dict[str, Any]:
    return httpx.get(f"{url}/api/runs/{run_id}", timeout=30).json()


def wait_run(url: str, run_id: str, until: Any = None, timeout: float = 60) -> dict[str, Any]:
    """Poll the run until `until(run)` holds (by default: until it has finished)."""
    until = until or (lambda run: run["status"] in FINISHED)
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(url, run_id)
        if until(run):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} did not get there in {timeout}s: {run}")
        time.sleep(0.2)


def step_started(step: str) -> Any:
    return lambda run: any(s["step_key"] == step and s["start"] for s in run["steps"])


def defunct_children(pid: int | None = None) -> list[str]:
    """The zombie (exited, not waited for) children of `pid` (this process by default)."""
    parent = os.getpid() if pid is None else pid
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name_end = stat.rfind(")")
        fields = stat[name_end + 2:].split()
        if fields[0] == "Z" and int(fields[1]) == parent:
            found.append(f"{entry} {stat[stat.find('(') + 1:name_end]} <defunct>")
    return found


def wait_no_defunct(timeout: float = 10) -> list[str]:
    """Defunct children left after `timeout` seconds (a reaper may need a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        zombies = defunct_children()
        if not zombies or time.monotonic() > deadline:
            return zombies
        time.sleep(0.2)
