"""`headwater dev` and `headwater webserver` and their port: a port in use is one line and
leaves nothing running; the "webserver on http://..." line comes once the port answers."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

import headwater

pytest.importorskip("uvicorn")

SRC = os.path.dirname(os.path.dirname(os.path.abspath(headwater.__file__)))
DEFS = """\
from headwater import Definitions, asset

@asset
def hello():
    return 1

defs = Definitions(assets=[hello])
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "HEADWATER_HOME": str(tmp_path / "home"), "PYTHONPATH": SRC}
    for name in ("HEADWATER_TOKEN", "HEADWATER_WEBSERVER_TOKEN", "HEADWATER_DATABASE_URL"):
        env.pop(name, None)
    return env


def _processes_of(tmp_path: Path) -> list[int]:
    """The live processes whose environment names this test's home (what the command
    started inherits it), this test's own process excepted."""
    marker = f"HEADWATER_HOME={tmp_path / 'home'}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if marker in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another socket listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("command", ["dev", "webserver"])
def test_a_port_in_use_is_one_line_and_leaves_nothing_running(tmp_path: Path, busy_port: int,
                                                              command: str) -> None:
    """The port and the -p to pass instead, exit 1, no traceback, no daemon or code server."""
    (tmp_path / "defs.py").write_text(DEFS)
    result = subprocess.run(
        [sys.executable, "-m", "headwater.cli.main", command, "-f", "defs.py",
         "-p", str(busy_port), "-h", "127.0.0.1"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"Error: port {busy_port} on 127.0.0.1 is in use; pass -p with another port "
        f"(e.g. -p {busy_port + 1})."]
    assert _processes_of(tmp_path) == []


def test_an_address_of_another_machine_is_one_line(tmp_path: Path) -> None:
    """-h with an address no interface has: which -h to pass instead."""
    (tmp_path / "defs.py").write_text(DEFS)
    result = subprocess.run(
        [sys.executable, "-m", "headwater.cli.main", "webserver", "-f", "defs.py",
         "-h", "192.0.2.1", "-p", "0"],  # TEST-NET-1: never a local address
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "Error: -h 192.0.2.1 is not an address of this machine; pass one of its addresses, "
        "e.g. -h 127.0.0.1 (this machine only) or -h 0.0.0.0 (every interface)."]


def _read_into(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_the_address_line_comes_once_the_port_answers(tmp_path: Path) -> None:
    """With -p 0 the line names the port the system picked, and that port answers at once."""
    (tmp_path / "defs.py").write_text(DEFS)
    process = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", "webserver", "-f", "defs.py", "-p", "0"],
        cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_into, args=(process.stderr, lines), daemon=True).start()
    try:
        line = lines.get(timeout=60)
        while "webserver on http://" not in line:
            line = lines.get(timeout=60)
        url = line.split()[-1]
        assert int(url.rsplit(":", 1)[1]) != 0, line
        with urllib.request.urlopen(f"{url}/api/assets", timeout=10) as response:
            assert response.status == 200  # no retry: it was serving when it said so
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
