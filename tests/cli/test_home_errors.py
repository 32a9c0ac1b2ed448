"""An unusable HEADWATER_HOME (a file, a directory this user cannot write, a path that cannot
be created) ends every command that opens the instance with one line naming the variable,
the path and the fix: exit 1, no traceback, nothing started."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import headwater

SRC = os.path.dirname(os.path.dirname(os.path.abspath(headwater.__file__)))
DEFS = """\
from headwater import Definitions, asset, define_asset_job

@asset
def hello():
    return 1

defs = Definitions(assets=[hello], jobs=[define_asset_job("hello_job", "*")])
"""
# Every kind of command that opens the instance: its own, a run here, the daemon, the servers.
NEEDS_INSTANCE = {
    "instance info": ["instance", "info"],
    "run list": ["run", "list"],
    "asset materialize": ["asset", "materialize", "-f", "defs.py", "--select", "*"],
    "job execute": ["job", "execute", "-f", "defs.py", "-j", "hello_job"],
    "daemon run": ["daemon", "run", "-f", "defs.py", "--once"],
    "webserver": ["webserver", "-f", "defs.py", "-p", "0"],
    "dev": ["dev", "-f", "defs.py", "-p", "0"],
}
SOME = ["instance info", "job execute", "dev"]


def headwater_cli(args: list[str], cwd: Path, home: str,
                  prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEADWATER_HOME": home, "PYTHONPATH": SRC}
    env.pop("HEADWATER_DATABASE_URL", None)
    return subprocess.run([*prefix, sys.executable, "-m", "headwater.cli.main", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "defs.py").write_text(DEFS)
    return tmp_path


@pytest.mark.parametrize("command", sorted(NEEDS_INSTANCE))
def test_a_home_that_is_a_file(project: Path, command: str) -> None:
    """HEADWATER_HOME names a file: it says so, and to point the variable at a directory."""
    home = project / "home"
    home.write_text("not a folder")
    line = one_line(headwater_cli(NEEDS_INSTANCE[command], project, str(home)))
    assert line == (f"Error: HEADWATER_HOME={home} is a file, not a directory: set "
                    "HEADWATER_HOME to a directory (headwater creates it when missing), or move "
                    "the file aside.")
    assert home.read_text() == "not a folder"


@pytest.mark.parametrize("command", SOME)
def test_a_home_whose_parent_is_a_file_cannot_be_created(project: Path, command: str) -> None:
    """HEADWATER_HOME below a file: which path is in the way, and the fix."""
    (project / "blocker").write_text("")
    home = project / "blocker" / "home"
    line = one_line(headwater_cli(NEEDS_INSTANCE[command], project, str(home)))
    assert line.startswith(f"Error: HEADWATER_HOME={home} does not exist and cannot be created "
                           f"({project / 'blocker'} is a file)"), line
    assert f"mkdir -p {home}" in line and "set HEADWATER_HOME to a writable directory" in line


def _without_write_permission() -> tuple[str, ...]:
    """A command prefix under which this user obeys file modes: none for an ordinary user;
    for root, setpriv dropping the capabilities that let root write anywhere."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot take away the right to write")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")


@pytest.mark.parametrize("command", SOME)
def test_a_home_without_write_permission(project: Path, command: str) -> None:
    """A read-only directory as the home, or as the parent of a home to create: the path,
    why, and the fix; nothing is written."""
    prefix = _without_write_permission()
    locked = project / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        line = one_line(headwater_cli(NEEDS_INSTANCE[command], project, str(locked), prefix))
        assert line == (f"Error: HEADWATER_HOME={locked} is not writable by this user, so the "
                        f"instance database {locked / 'headwater.db'} cannot be written there: "
                        f"make it writable (ls -ld {locked} shows its owner and mode), or set "
                        "HEADWATER_HOME to a writable directory.")
        below = locked / "home"
        line = one_line(headwater_cli(NEEDS_INSTANCE[command], project, str(below), prefix))
        assert line.startswith(f"Error: HEADWATER_HOME={below} does not exist and cannot be "
                               f"created (permission denied in {locked})"), line
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o755)


def test_the_default_home_is_named_as_the_default(project: Path) -> None:
    """Without HEADWATER_HOME, ./.headwater is named, and the variable to set instead."""
    (project / ".headwater").write_text("")
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("HEADWATER_HOME", None)
    env.pop("HEADWATER_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "headwater.cli.main", "run", "list"],
                            cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert one_line(result).startswith(
        f"Error: The instance home {project / '.headwater'} (HEADWATER_HOME is not set, so it "
        "is ./.headwater) is a file, not a directory: set HEADWATER_HOME to a directory")
