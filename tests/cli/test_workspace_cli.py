"""`-w workspace.yaml` on the command line: `headwater webserver -w` serves a local file and a
remote code server side by side, `headwater daemon run -w` drives both, commands that import
the code themselves refuse a remote location by name, and `headwater code-server start`
refuses to listen beyond loopback without a token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import headwater
from headwater.cli.main import main

SRC = os.path.dirname(os.path.dirname(os.path.abspath(headwater.__file__)))
TOKEN = "cli-test-token"
REMOTE_DEFS = """\
from headwater import Definitions, asset, define_asset_job

@asset
def far_away():
    return 1

defs = Definitions(assets=[far_away], jobs=[define_asset_job("far_job", selection="far_away")])
"""
LOCAL_DEFS = REMOTE_DEFS.replace("far_away", "close_by").replace("far_job", "close_job")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "HEADWATER_HOME": str(tmp_path / "home"), "PYTHONPATH": SRC}
    for name in ("HEADWATER_TOKEN", "HEADWATER_WEBSERVER_TOKEN", "HEADWATER_DATABASE_URL",
                 "HEADWATER_CODE_SERVER_TOKEN"):
        env.pop(name, None)
    return env


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get_json(url: str) -> Any:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A workspace.yaml naming local.py and a code server started on a free port."""
    (tmp_path / "home").mkdir()
    (tmp_path / "remote.py").write_text(REMOTE_DEFS)
    (tmp_path / "local.py").write_text(LOCAL_DEFS)
    (tmp_path / "token.txt").write_text(TOKEN)
    port = _free_port()
    (tmp_path / "workspace.yaml").write_text(f"""\
load_from:
  - python_file: local.py
  - grpc_server:
      host: 127.0.0.1
      port: {port}
      location_name: remote
      token_file: token.txt
""")
    server = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", "code-server", "start", "-f",
         str(tmp_path / "remote.py"), "-p", str(port), "--token-file",
         str(tmp_path / "token.txt")], env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()  # printed once the code is loaded and it listens
        assert "location 'remote' loaded" in line or "loaded; serving on" in line, line
        yield tmp_path, port
    finally:
        _stop(server)
        assert server.stderr is not None
        server.stderr.close()


def test_webserver_serves_a_workspace_file(project: tuple[Path, int]) -> None:
    """`headwater webserver -w workspace.yaml` lists the jobs of the local file and of the
    remote code server."""
    pytest.importorskip("uvicorn")
    tmp_path, _ = project
    port = _free_port()
    web = subprocess.Popen([sys.executable, "-m", "headwater.cli.main", "webserver", "-w",
                            str(tmp_path / "workspace.yaml"), "-p", str(port)],
                           env=_env(tmp_path), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        jobs = _get_json(f"http://127.0.0.1:{port}/api/jobs")
        assert {j["name"]: j["location"] for j in jobs} == {
            "close_job": "local", "far_job": "remote"}
    finally:
        _stop(web)


def test_daemon_runs_once_over_a_workspace_file(project: tuple[Path, int]) -> None:
    """`headwater daemon run -w workspace.yaml --once` reaches both locations."""
    tmp_path, _ = project
    result = subprocess.run([sys.executable, "-m", "headwater.cli.main", "daemon", "run", "-w",
                             str(tmp_path / "workspace.yaml"), "--once"],
                            env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "unreachable" not in result.stderr and "Traceback" not in result.stderr


def test_a_command_that_imports_the_code_refuses_a_remote_location(
        project: tuple[Path, int], monkeypatch: Any) -> None:
    """`definitions validate -w` validates the local location, and names the remote one it
    cannot import, saying how to pick another; -w with -f is refused."""
    tmp_path, port = project
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    local = runner.invoke(main, ["definitions", "validate", "-w", "workspace.yaml",
                                 "-l", "local"])
    assert local.exit_code == 0 and "Definitions are valid" in local.output, local.output
    remote = runner.invoke(main, ["definitions", "validate", "-w", "workspace.yaml"])
    assert remote.exit_code == 1
    assert (f"Code location 'remote' of workspace.yaml is a code server at 127.0.0.1:{port}"
            in remote.output) and "-l NAME" in remote.output
    both = runner.invoke(main, ["definitions", "validate", "-w", "workspace.yaml",
                                "-f", "local.py"])
    assert both.exit_code == 1 and "not both" in both.output


def test_code_server_refuses_open_network_without_token(tmp_path: Path,
                                                        monkeypatch: Any) -> None:
    """Listening on every interface needs a token; the refusal says how to give one."""
    monkeypatch.delenv("HEADWATER_CODE_SERVER_TOKEN", raising=False)
    (tmp_path / "defs.py").write_text(REMOTE_DEFS)
    result = CliRunner().invoke(main, ["code-server", "start", "-f", str(tmp_path / "defs.py"),
                                       "-h", "0.0.0.0", "-p", "0"])
    assert result.exit_code == 2
    assert "--token-file FILE or HEADWATER_CODE_SERVER_TOKEN" in result.output
    lonely = CliRunner().invoke(main, ["code-server", "start", "-f", "defs.py", "-p", "0",
                                       "--tls-cert", str(tmp_path / "defs.py")])
    assert lonely.exit_code == 2 and "both --tls-cert and --tls-key" in lonely.output


def test_dev_hands_the_workspace_file_to_its_daemon() -> None:
    """`headwater dev -w` starts its daemon with the same -w (and -l) options."""
    from headwater.cli.options import Locations

    assert Locations(workspace="ws.yaml", location="sales").to_args() == [
        "-l", "sales", "-w", "ws.yaml"]
