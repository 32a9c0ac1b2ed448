"""`headwater dev` and `headwater webserver` as real processes: serve, then stop on a signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("uvicorn")

DEFS = """\
from headwater import Definitions, asset

@asset
def hello():
    return 1

defs = Definitions(assets=[hello])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("command", ["dev", "webserver"])
def test_serves_then_stops_everything_on_sigint(tmp_path, command: str) -> None:
    """The command serves the API; SIGINT stops it and every process it started."""
    (tmp_path / "defs.py").write_text(DEFS)
    port = _free_port()
    env = {**os.environ, "HEADWATER_HOME": str(tmp_path / "home")}
    env.pop("HEADWATER_TOKEN", None)
    env.pop("HEADWATER_WEBSERVER_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", command, "-f", "defs.py", "-p", str(port),
         "-h", "127.0.0.1"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assets = _get(f"http://127.0.0.1:{port}/api/assets")
        assert [a["key"] for a in assets["items"]] == ["hello"]
        children = _children(process.pid)
        assert children, "the code server runs in a subprocess"
        process.send_signal(signal.SIGINT)
        process.wait(30)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [c for c in children if _alive(c)]
        assert (tmp_path / "home" / "headwater.db").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    assert f"http://127.0.0.1:{port}" in stderr
