"""The run workers' fork server: a process that has imported what a run worker needs, and
forks a worker for each launched run.

A run worker started as a new interpreter spends most of its start-up importing (headwater,
SQLAlchemy, the storage) before it takes its run. A process that launches many runs (the
daemon, the webserver) starts this server once, `python -m headwater.daemon.forkserver`,
through `DefaultRunLauncher.warm_up()`; the server imports the run worker's modules, says
`ready`, then reads one request a line on its stdin (the worker's arguments, working
directory, log file and environment, as JSON) and answers the forked child's pid, or an
error, a line on its stdout. `ForkServer` is the launching process's end of it: when the
server cannot fork a run's worker (not ready yet, gone, or the launch differs from it in
what an interpreter fixes at start), the launcher spawns the worker as before.

A forked worker is what a spawned one would be:

- The server opens no database, starts no thread (it checks, and refuses to fork with one)
  and never imports user code: each child opens its own connections and imports its run's
  code itself, fresh for every run.
- The child gets its own session (as `start_new_session`), the run's working directory
  (first on `sys.path`, where `python -m` puts it), the launching process's environment at
  launch time, stdin from /dev/null, stdout and stderr appended to the run's log, SIGCHLD
  and SIGINT handled as by default, and the `sys.argv` of `python -m headwater.daemon.worker`;
  it calls `worker.main` and leaves through the interpreter's own exit (atexit handlers run).
  What differs: its command line in /proc (and `ps`) stays the server's, so it is named
  `hw-run-<first 8 characters of the run id>` instead (`ps -o comm`); its pid is on the run
  (tag `.headwater/run_worker_pid`), as for a spawned worker.
- What an interpreter reads only at start (the PYTHON* variables: path, hash seed, flags)
  cannot change in a fork: a launch whose PYTHON* variables differ from the server's, or
  whose PYTHONPATH has a relative entry, is spawned instead.
- The server ignores SIGCHLD, so the kernel reaps its children; it exits when its stdin
  closes (the launching process ended, or `stop()`), and its children go on without it.
- Linux only (a fork after importing system frameworks is unsafe on macOS).

Imports `daemon.worker` (the server's preload and its children's entry point).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

from headwater.daemon import worker

READY = b"ready\n"
ANSWER_TIMEOUT = 10.0  # seconds a launch waits for the server's answer to one request
#: Imported by the server before it is ready: what a run worker imports before its run's
#: code, the multiprocess executor (the default of a job), and the storage drivers
#: (PostgreSQL's when installed).
PRELOAD = ("headwater", "headwater.storage.sql", "headwater.execution.multiprocess",
           "sqlalchemy.dialects.sqlite.pysqlite", "sqlite3", "yaml")
OPTIONAL_PRELOAD = ("sqlalchemy.dialects.postgresql.psycopg", "psycopg")


def supported() -> bool:
    """Whether run workers may be forked on this system (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def interpreter_settings(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The PYTHON* variables of `environ` (what an interpreter reads at start), or None when
    a fork cannot reproduce them (a relative PYTHONPATH entry resolves against the cwd of the
    interpreter's start)."""
    settings = {k: v for k, v in environ.items() if k.startswith("PYTHON")}
    entries = settings.get("PYTHONPATH", "").split(os.pathsep)
    if any(entry and not os.path.isabs(entry) for entry in entries):
        return None
    return settings


class ForkServer:
    """The launching process's end of a fork server: starts it, and asks it for workers."""

    def __init__(self) -> None:
        self.settings = interpreter_settings(os.environ)
        self._lock = threading.Lock()
        self._pending = b""
        self._ready = False
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "headwater.daemon.forkserver"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            cwd="/", start_new_session=True)  # no terminal signals: it ends with its stdin

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the server to have imported everything."""
        with self._lock:
            return self._check_ready(timeout)

    def fork_worker(self, argv: Sequence[str], cwd: str, log: str) -> int | None:
        """The pid of a run worker forked with `argv` (`worker.main`'s arguments) in `cwd`,
        writing to the file `log`; None when this server cannot start it (spawn it then)."""
        if interpreter_settings(os.environ) != self.settings or self.settings is None:
            return None
        request = {"argv": list(argv), "cwd": cwd, "log": log, "env": dict(os.environ)}
        with self._lock:
            proc = self._proc
            if not self._check_ready(0) or proc is None or proc.stdin is None:
                return None
            try:
                proc.stdin.write(json.dumps(request).encode() + b"\n")
                proc.stdin.flush()
            except OSError:
                self._close()
                return None
            line = self._read_line(ANSWER_TIMEOUT)
            if line is None:  # gone, or stuck: never ask it again
                self._close()
                return None
        try:
            pid = json.loads(line).get("pid")
        except (ValueError, AttributeError):
            return None
        return pid if isinstance(pid, int) else None

    def stop(self) -> None:
        """Close the server's stdin (it exits) and wait for it; its workers go on."""
        with self._lock:
            self._close()

    def _check_ready(self, timeout: float) -> bool:
        if not self._ready and self._proc is not None:
            line = self._read_line(timeout)
            if line == READY.strip():
                self._ready = True
            elif line is not None or not self.alive:
                self._close()  # it said something else, or failed to start
        return self._ready

    def _read_line(self, timeout: float) -> bytes | None:
        """One line from the server, None when none came in `timeout` seconds or it ended."""
        if self._proc is None or self._proc.stdout is None:
            return None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([fd], [], [], max(0.0, remaining))
            if not readable:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                self._close()
                return None
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def _close(self) -> None:
        proc, self._proc, self._ready = self._proc, None, False
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __repr__(self) -> str:
        return f"ForkServer(pid={self.pid}, ready={self._ready})"


_SERVER: ForkServer | None = None
_SERVER_LOCK = threading.Lock()


def start_fork_server() -> ForkServer | None:
    """This process's fork server, started on the first call (and again after it died);
    None where workers cannot be forked (see `supported`, `interpreter_settings`)."""
    global _SERVER
    if not supported() or interpreter_settings(os.environ) is None:
        return None
    with _SERVER_LOCK:
        if _SERVER is None or not _SERVER.alive:
            _SERVER = ForkServer()
            atexit.register(_stop_at_exit, _SERVER, os.getpid())
        return _SERVER


def _stop_at_exit(server: ForkServer, owner: int) -> None:
    """At this process's exit, end its server (not from a fork of this process)."""
    if os.getpid() == owner:
        server.stop()


def fork_server() -> ForkServer | None:
    """This process's fork server when one was started and still runs."""
    server = _SERVER
    return server if server is not None and server.alive else None


# --- the server process ----------------------------------------------------------------


def serve() -> None:
    """Preload, say `ready`, then fork a run worker per request until stdin closes."""
    requests, answers = _take_channels()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in PRELOAD:
        importlib.import_module(name)
    for name in OPTIONAL_PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    answers.write(READY)
    for line in requests:
        answer = _fork(json.loads(line), (requests, answers))
        answers.write(json.dumps(answer).encode() + b"\n")


def _take_channels() -> tuple[IO[bytes], IO[bytes]]:
    """The request and answer pipes, moved off fds 0 and 1 so that nothing printed in this
    process (or inherited by a child) can reach them."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return requests, answers


def _fork(request: dict[str, Any], channels: Sequence[IO[bytes]]) -> dict[str, Any]:
    if threading.active_count() != 1:  # a thread's locks would be copied held
        return {"error": "the fork server runs a thread; it forks no workers"}
    if not os.path.isdir(request["cwd"]):
        return {"error": f"no directory {request['cwd']}"}
    try:
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    except OSError as exc:
        return {"error": f"cannot open {request['log']}: {exc}"}
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _become_worker(request, log, channels)  # never returns
    os.close(log)
    return {"pid": pid}


def _become_worker(request: dict[str, Any], log: int, channels: Sequence[IO[bytes]]) -> None:
    """In the forked child: set the process up as a spawned worker's, run it, and exit."""
    try:
        for channel in channels:
            channel.close()
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        if not getattr(sys.flags, "safe_path", False):  # Python 3.11: -P, PYTHONSAFEPATH
            sys.path[0] = os.getcwd()
        sys.argv = [worker.__file__, *request["argv"]]
        _name_process(request["argv"])
    except BaseException:  # nothing of the run has happened: say why in its log
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(70)
    sys.exit(worker.main(request["argv"]))


def _name_process(argv: Sequence[str]) -> None:
    """Name the child `hw-run-` and its run id's first 8 characters where `ps -o comm` and
    `top` show it: a fork keeps the server's command line, which names no run."""
    with contextlib.suppress(OSError, IndexError), open("/proc/self/comm", "w") as comm:
        comm.write(f"hw-run-{argv[1][:8]}")


if __name__ == "__main__":
    serve()
