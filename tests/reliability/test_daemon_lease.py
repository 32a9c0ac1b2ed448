"""One daemon per instance (issue 16, defect 10): the daemon's loops run under a lease in the
instance database, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

import headwater as hw
from headwater.daemon.daemon import Daemon
from headwater.daemon.lease import LEASE_KEY, DaemonLease, LeaseLost, lease_seconds
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.instance import HeadwaterInstance

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = socket.gethostname()
DEFS = "import headwater as hw\n\n@hw.asset\ndef a() -> int:\n    return 1\n\ndefs = hw.Definitions(assets=[a])\n"


def _poll(what, timeout: float = 60.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what.__doc__}")
        time.sleep(every)


def _daemon(home, url: str, defs, log) -> subprocess.Popen:
    env = {**os.environ, "HEADWATER_HOME": str(home), "HEADWATER_DATABASE_URL": url,
           "PYTHONPATH": os.path.join(ROOT, "src")}
    return subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", "daemon", "run", "-f", str(defs),
         "--interval", "0.2"], env=env, cwd=str(home), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # KeyboardInterrupt: code servers shut down
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_second_daemon_waits_and_takes_over_from_a_killed_one(database_url, tmp_path):
    """Invariant: two `headwater daemon run` on one instance never both run the loops: the
    second says who holds the lease and writes no heartbeat while the first lives; once the
    first is SIGKILLed, the second takes over (its heartbeats and the lease are its own)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "headwater.yaml").write_text("daemon:\n  lease_seconds: 3\n")
    defs = tmp_path / "defs.py"
    defs.write_text(DEFS)
    instance = HeadwaterInstance.from_url(database_url, str(home))
    with open(tmp_path / "first.log", "w") as first_log, \
            open(tmp_path / "second.log", "w") as second_log:
        first = _daemon(home, database_url, defs, first_log)
        second = None
        try:
            def ids() -> set[str]:
                """the daemons writing heartbeats"""
                return {h.daemon_id for h in instance.storage.get_daemon_heartbeats().values()}

            _poll(lambda: ids() == {f"{HOST}:{first.pid}"})
            second = _daemon(home, database_url, defs, second_log)

            def told() -> bool:
                """the second daemon saying who holds the lease"""
                return f"pid {first.pid} on host {HOST}" in (tmp_path / "second.log").read_text()

            _poll(told)
            assert "waiting to take over" in (tmp_path / "second.log").read_text()
            for _ in range(10):  # a few of the first's iterations: still only its heartbeats
                assert ids() == {f"{HOST}:{first.pid}"}
                assert second.poll() is None
                time.sleep(0.2)
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            killed_at = time.monotonic()
            _poll(lambda: ids() == {f"{HOST}:{second.pid}"}, timeout=60)
            assert time.monotonic() - killed_at < 30
            lease = json.loads(instance.storage.get_kvs([LEASE_KEY])[LEASE_KEY])
            assert (lease["host"], lease["pid"]) == (HOST, second.pid)
            second.terminate()  # SIGTERM, as `headwater dev` stops its daemon
            assert second.wait(timeout=30) == 0
            assert instance.storage.get_kvs([LEASE_KEY]) == {}  # released on a clean stop
        finally:
            for process in (first, second):
                if process is not None:
                    _stop(process)
            instance.dispose()


def test_a_stopped_daemon_is_replaced_and_stands_down_when_continued(database_url, tmp_path):
    """Invariant: a daemon SIGSTOPped (alive, renewing nothing) loses its lease once it
    expires and a waiting daemon takes over; SIGCONTed, the first finds the lease taken and
    runs no loop again: from then on only the second writes heartbeats."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "headwater.yaml").write_text("daemon:\n  lease_seconds: 3\n")
    defs = tmp_path / "defs.py"
    defs.write_text(DEFS)
    instance = HeadwaterInstance.from_url(database_url, str(home))
    with open(tmp_path / "first.log", "w") as first_log, \
            open(tmp_path / "second.log", "w") as second_log:
        first = _daemon(home, database_url, defs, first_log)
        second = None
        try:
            def beats() -> dict[str, float]:
                """the daemons' latest heartbeats"""
                return {h.daemon_id: h.timestamp
                        for h in instance.storage.get_daemon_heartbeats().values()}

            _poll(lambda: f"{HOST}:{first.pid}" in beats())
            second = _daemon(home, database_url, defs, second_log)
            _poll(lambda: "waiting to take over" in (tmp_path / "second.log").read_text())
            os.kill(first.pid, signal.SIGSTOP)
            _poll(lambda: f"{HOST}:{second.pid}" in beats(), timeout=60)
            lease = json.loads(instance.storage.get_kvs([LEASE_KEY])[LEASE_KEY])
            assert (lease["host"], lease["pid"]) == (HOST, second.pid)
            os.kill(first.pid, signal.SIGCONT)
            continued_at = time.time()
            time.sleep(3.0)  # many of the first's intervals, had it gone on
            first_beat = beats().get(f"{HOST}:{first.pid}", 0.0)
            assert first_beat < continued_at, "the continued daemon ran its loops again"
            assert beats()[f"{HOST}:{second.pid}"] > continued_at
            lease = json.loads(instance.storage.get_kvs([LEASE_KEY])[LEASE_KEY])
            assert (lease["host"], lease["pid"]) == (HOST, second.pid)
        finally:
            for process in (first, second):
                if process is not None:
                    if process.poll() is None:
                        os.kill(process.pid, signal.SIGCONT)
                    _stop(process)
            instance.dispose()


def test_a_lease_held_elsewhere_expires_and_a_stalled_holder_stops(database_url, tmp_path):
    """Invariant: a lease of another host is respected until it expires, then taken over; the
    holder that stalled past its expiry learns it lost the lease on its next renewal."""
    with HeadwaterInstance.from_url(database_url, str(tmp_path)) as instance:
        elsewhere = DaemonLease(instance.storage, seconds=1.0)
        elsewhere.host = "another-host"
        assert elsewhere.try_acquire()
        here = DaemonLease(instance.storage, seconds=1.0)
        assert not here.try_acquire()
        assert here.holder()["host"] == "another-host"
        _poll(here.try_acquire, timeout=10, every=0.2)
        with pytest.raises(LeaseLost, match=f"pid {here.pid} on host {HOST}"):
            elsewhere.renew()
        here.renew()  # still ours
        here.release()
        assert instance.storage.get_kvs([LEASE_KEY]) == {}


def test_once_refuses_while_another_daemon_holds_the_lease(database_url, tmp_path):
    """Invariant: `daemon run --once` runs no loop while another live daemon holds the lease,
    and its error names that daemon and how to stop it."""
    with HeadwaterInstance.from_url(database_url, str(tmp_path)) as instance:
        other = DaemonLease(instance.storage, seconds=60.0)
        other.host, other.pid = "db-host", 4242
        assert other.try_acquire()
        with pytest.raises(HeadwaterInvalidInvocationError,
                           match="pid 4242 on host db-host.*kill 4242"):
            Daemon(instance, []).run(once=True)
        other.release()
        Daemon(instance, []).run(once=True)
        assert instance.storage.get_kvs([LEASE_KEY]) == {}


@pytest.mark.parametrize("section, message", [
    ({"lease_seconds": 0}, "at least 1"), ({"lease_seconds": "long"}, "at least 1"),
    ({"lease": 3}, "unknown field(s) lease"), ("30", "must be a mapping")])
def test_bad_lease_settings_are_refused_by_name(section, message):
    """Invariant: a bad `daemon:` section stops the daemon at start, naming the field."""
    with hw.instance_for_test() as base:
        instance = HeadwaterInstance(base.storage, settings={"daemon": section})
        with pytest.raises(HeadwaterInvalidInvocationError, match="daemon") as caught:
            lease_seconds(instance)
        assert message in str(caught.value)
