"""Storage faults: one line naming the fix, and no run left behind once the fault is gone.

Invariants: a CLI command that meets a storage fault (PostgreSQL down, unknown database or
role, a corrupt SQLite file, a read-only home, a full disk) exits non-zero with exactly one
line on stderr that names what is wrong and how to fix it, and no traceback; a launched run
whose disk fills up never stays NOT_STARTED/STARTED once there is space again; the daemon and
the webserver survive PostgreSQL being unreachable (through a TCP proxy this test stops and
starts; the real server is never touched), log one line per outage, and resume.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from waiting import free_port, wait_for

import headwater
from headwater.storage import database

SRC = os.path.dirname(os.path.dirname(os.path.abspath(headwater.__file__)))


def _env(url: str | None, home: str) -> dict[str, str]:
    env = {**os.environ, "HEADWATER_HOME": home, "PYTHONPATH": SRC}
    env.pop("HEADWATER_DEBUG", None)
    env.pop("HEADWATER_DATABASE_URL", None)
    if url:
        env["HEADWATER_DATABASE_URL"] = url
    return env


def hw(url: str | None, home: str, *args: str, cwd: str | None = None
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], cwd=cwd or home,
                          env=_env(url, home), capture_output=True, text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def pg_url(database_url: str, port: int | None = None, **parts: str) -> str:
    url = sa.engine.make_url(database.normalize_url(database_url))
    if port is not None:
        url = url.set(host="127.0.0.1", port=port)
    return url.set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[str]:
    """A 2 MB tmpfs (root only); skipped where the machine does not allow mounting one."""
    where = str(tmp_path / "small")
    os.makedirs(where)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", where],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): full-disk and "
                    "read-only tests need one")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", where], check=False)


def fill(folder: str) -> str:
    path = os.path.join(folder, "filler")
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return path


# --- PostgreSQL ------------------------------------------------------------------------

@pytest.fixture
def postgres_url(database_url) -> str:
    if database_url.startswith("sqlite"):
        pytest.skip("a PostgreSQL fault")
    return database_url


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_faults_are_one_line_naming_the_fix(postgres_url, tmp_path):
    """Down, unknown database, unknown role: one line each, with the host, port and fix."""
    home = str(tmp_path)
    down = free_port()
    one_line(hw(pg_url(postgres_url, down), home, "run", "list"),
             f"127.0.0.1:{down}", "is the server running?", f"pg_isready -h 127.0.0.1 -p {down}")
    one_line(hw(pg_url(postgres_url, database="hw_no_such_db"), home, "instance", "info"),
             'no database "hw_no_such_db"', "createdb")
    one_line(hw(pg_url(postgres_url, username="hw_no_such_role"), home, "run", "list"),
             'no role "hw_no_such_role"', "createuser")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_nul_in_python_api_input_is_an_invocation_error(postgres_url, tmp_path):
    """PostgreSQL text cannot hold NUL: a NUL searched for or written through the Python API
    is an invocation error naming the field (not a driver error, not a storage fault that
    long-lived processes would wait out), and nothing is written."""
    from headwater.storage.record import RunsFilter

    instance = headwater.HeadwaterInstance.from_url(postgres_url, str(tmp_path))
    with pytest.raises(headwater.HeadwaterInvalidInvocationError, match=r"NUL.*in job_name"):
        instance.get_runs(RunsFilter(job_name="daily\x00"))
    with pytest.raises(headwater.HeadwaterInvalidInvocationError, match=r"NUL.*in run_id"):
        instance.get_run_by_id("abc\x00")

    @headwater.asset
    def numbers():
        return 1

    with pytest.raises(headwater.HeadwaterInvalidInvocationError, match="NUL"):
        headwater.materialize([numbers], instance=instance, tags={"note": "a\x00b"})
    assert instance.get_runs() == []


# --- SQLite --------------------------------------------------------------------------------

def test_corrupt_sqlite_file_is_one_line_naming_the_path(tmp_path):
    """A file that is not a database: its path and "move it aside" (or restore)."""
    home = str(tmp_path / "home")
    os.makedirs(home)
    with open(os.path.join(home, "headwater.db"), "wb") as f:
        f.write(b"this is not an SQLite file " * 200)
    for args in (("run", "list"), ("instance", "info"), ("instance", "migrate")):
        one_line(hw(None, home, *args), os.path.join(home, "headwater.db"), "move it aside",
                 "restore")


def test_read_only_home_is_one_line_naming_the_path(tmpfs, tmp_path):
    """A home on a read-only mount: the path and what to make writable."""
    assert hw(None, tmpfs, "run", "list", cwd=str(tmp_path)).returncode == 0  # creates the db
    subprocess.run(["mount", "-o", "remount,ro", tmpfs], check=True)
    one_line(hw(None, tmpfs, "run", "list", cwd=str(tmp_path)),
             os.path.join(tmpfs, "headwater.db"), "writable")
    one_line(hw(None, os.path.join(tmpfs, "new"), "run", "list", cwd=str(tmp_path)),
             os.path.join(tmpfs, "new", "headwater.db"), "writable")


FILLING = textwrap.dedent("""
    import os
    from headwater import Definitions, asset, define_asset_job

    @asset
    def fills_the_disk():
        with open(os.path.join(os.environ["HEADWATER_HOME"], "filler"), "wb") as f:
            try:
                while True:
                    f.write(b"\\0" * 65536)
                    f.flush()
            except OSError:
                pass
        return 1

    @asset
    def after(fills_the_disk):
        return fills_the_disk + 1

    defs = Definitions(assets=[fills_the_disk, after],
                       jobs=[define_asset_job("fill", selection="*")])
""")


def test_full_disk_is_one_line_and_fails_the_run_once_space_is_back(tmpfs, tmp_path):
    """On a full disk, creating an instance is one line naming the disk and its free space; a
    launched run whose disk fills mid-run ends FAILURE (at once when SQLite can still append
    to its WAL, else by run monitoring once space is back): it never stays NOT_STARTED or
    STARTED."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "defs.py").write_text(FILLING)
    launched = hw(None, tmpfs, "job", "launch", "-f", "defs.py", "-j", "fill", "--json",
                  cwd=str(code))
    assert launched.returncode == 0, launched.stderr
    run_id = json.loads(launched.stdout)["run_id"]

    def worker_gone() -> bool:
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    command = f.read()
            except OSError:
                continue
            if run_id.encode() in command and b"run-worker" in command:
                return False
        return True

    filler = os.path.join(tmpfs, "filler")
    wait_for("the disk to fill", lambda: os.path.exists(filler))
    wait_for("the run worker to exit", worker_gone)
    # The worker's exit frees what SQLite held (its WAL): fill that too, so that the disk is
    # still full for what follows.
    with open(filler, "ab", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    assert os.statvfs(tmpfs).f_bavail == 0
    # A new instance cannot be created on the full disk: one line naming it and its free space.
    line = one_line(hw(None, os.path.join(tmpfs, "other"), "run", "list", cwd=str(code)),
                    "is full", "MB free", "free space")
    assert tmpfs in line

    os.remove(os.path.join(tmpfs, "filler"))

    def status() -> str:
        listed = hw(None, tmpfs, "run", "list", "--json", cwd=str(code))
        assert listed.returncode == 0, listed.stderr
        return next(r["status"] for r in json.loads(listed.stdout) if r["run_id"] == run_id)

    wait_for("the run to end", lambda: status() not in ("NOT_STARTED", "STARTING", "STARTED"))
    assert status() == "FAILURE"


# --- PostgreSQL down and back --------------------------------------------------------------

class Proxy:
    """A TCP proxy from a local port to PostgreSQL that the test can cut and restore."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._server: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut every open one (as a server that went away)."""
        with self._lock:
            server, self._server = self._server, None
            for sock in [server, *self._sockets]:
                if sock is None:
                    continue
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets = []

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                if self._server is not server:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _heartbeat(real_url: str) -> float:
    engine = sa.create_engine(database.normalize_url(real_url))
    try:
        with engine.connect() as connection:
            value = connection.exec_driver_sql(
                "SELECT max(timestamp) FROM daemon_heartbeats").scalar()
            return float(value or 0.0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_daemon_and_webserver_survive_postgres_down_and_back(postgres_url, tmp_path):
    """With PostgreSQL unreachable for a few seconds, the daemon keeps running and logs one
    line for the outage (no traceback), the webserver answers 503 with the one-line fix; both
    work again once it is back."""
    real = sa.engine.make_url(database.normalize_url(postgres_url))
    proxy = Proxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.start()
    url = pg_url(postgres_url, proxy.port)
    code = tmp_path / "code"
    code.mkdir()
    (code / "defs.py").write_text("from headwater import Definitions, asset\n\n@asset\n"
                                  "def a():\n    return 1\n\ndefs = Definitions(assets=[a])\n")
    home = str(tmp_path / "home")
    assert hw(url, home, "instance", "migrate", cwd=str(code)).returncode == 0
    port = free_port()
    # each process keeps its own copy of its stderr file: ours can close at once
    with open(tmp_path / "daemon.err", "w") as daemon_err, \
            open(tmp_path / "web.err", "w") as web_err:
        procs = {
            "daemon": subprocess.Popen(
                [sys.executable, "-m", "headwater.cli.main", "daemon", "run", "-f", "defs.py",
                 "--interval", "0.5"], cwd=code, env=_env(url, home), stdout=subprocess.DEVNULL,
                stderr=daemon_err),
            "web": subprocess.Popen(
                [sys.executable, "-m", "headwater.cli.main", "webserver", "-f", "defs.py",
                 "--port", str(port)], cwd=code, env=_env(url, home), stdout=subprocess.DEVNULL,
                stderr=web_err),
        }

    def get_runs() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    try:
        wait_for("the webserver", lambda: get_runs()[0] == 200, 90)
        wait_for("a daemon heartbeat", lambda: _heartbeat(postgres_url) > 0, 90)
        proxy.stop()
        cut = time.time()
        wait_for("a 503 from the webserver", lambda: get_runs()[0] == 503, 60)
        status, body = get_runs()
        assert status == 503 and "pg_isready" in json.loads(body)["detail"]
        time.sleep(4)  # several daemon iterations meet the outage
        assert procs["daemon"].poll() is None and procs["web"].poll() is None
        proxy.start()
        wait_for("the daemon to heartbeat again", lambda: _heartbeat(postgres_url) > cut, 90)
        # The heartbeat (its lease renewed) comes first in an iteration, the line saying the
        # storage is back at its end: wait for the line before the daemon is stopped.
        wait_for("the daemon to say the storage is back",
                 lambda: "storage is back" in (tmp_path / "daemon.err").read_text(), 90)
        wait_for("the webserver to answer again", lambda: get_runs()[0] == 200, 60)
        assert procs["daemon"].poll() is None and procs["web"].poll() is None
    finally:
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proxy.stop()
    text = (tmp_path / "daemon.err").read_text()
    assert "Traceback" not in text, text[-3000:]
    assert text.count("storage unavailable") == 1, text[-3000:]
    assert "storage is back" in text, text[-3000:]
    web = (tmp_path / "web.err").read_text()
    assert "Traceback" not in web, web[-3000:]
    assert web.count("storage unavailable") == 1, web[-3000:]
