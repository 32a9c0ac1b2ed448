"""`headwater daemon run`: the loop that drives schedules, sensors, the run queue and backfills.

One code server per code location holds the user's definitions (a subprocess, or a server
over the network: code/remote.py); the daemon only reads its JSON snapshot and asks it to
evaluate ticks, so broken or slow user code cannot take the daemon down. While a remote code
server does not answer, its location's ticks are skipped (one log line when it goes, one
when it is back) and it is asked again at every iteration. Each iteration: heartbeat, refresh the snapshot (every `snapshot_interval`
seconds, or at once when a reload was requested: see code/generation.py), schedules,
sensors, automation condition sensors, backfills, run queue, and a bounded retention pass
when one is due (daemon/retention.py). Every part is guarded: an error in one location or one
part is recorded and the loop goes on. When the storage itself fails (PostgreSQL unreachable,
a full disk) the daemon logs one line, retries each interval, and logs one more line when the
storage is back. Only the daemon holding the instance's lease (daemon/lease.py) runs the
loops; another one waits for it to stop (or `--once` refuses). Imports `code`, `storage`,
`daemon`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from headwater.code import generation
from headwater.code.client import CodeServerClient, code_server_timeouts
from headwater.code.location import CodeLocationOrigin
from headwater.code.remote import RemoteCodeServerClient, RemoteOrigin, client_for
from headwater.code.run import origin_tag
from headwater.daemon.automation import run_automation_sensors
from headwater.daemon.backfill import run_backfills
from headwater.daemon.lease import DaemonLease, LeaseLost, describe, lease_seconds
from headwater.daemon.queue import run_queue
from headwater.daemon.retention import RetentionPass
from headwater.daemon.run_launcher import run_launcher_of
from headwater.daemon.scheduler import run_schedules
from headwater.daemon.sensors import run_sensors
from headwater.errors import HeadwaterError, HeadwaterInvalidInvocationError, HeadwaterStorageError
from headwater.storage.state import DaemonHeartbeat

DAEMON_TYPES = ("SCHEDULER", "SENSOR", "AUTOMATION", "BACKFILL", "QUEUED_RUN_COORDINATOR")
log = logging.getLogger("headwater.daemon")


class Location:
    """A code location as the daemon sees it: its code server and latest snapshot."""

    def __init__(self, origin: CodeLocationOrigin | RemoteOrigin,
                 client: CodeServerClient | RemoteCodeServerClient | None = None,
                 timeout: float = 30.0, startup_timeout: float = 60.0):
        self.name = origin.resolved().name
        self.client = client or client_for(origin.resolved(), timeout=timeout,
                                           startup_timeout=startup_timeout)
        self.snapshot: dict[str, Any] | None = None
        self.snapshot_at = 0.0
        self.error: str | None = None
        self.generation = 0  # of the code it serves (code/generation.py)
        self.loaded_at = 0.0  # when its code server last imported the code
        self.unreachable = False  # a remote code server that did not answer the last refresh

    @property
    def origin(self) -> CodeLocationOrigin:
        """Where runs of this location load its code (a remote server tells its own)."""
        return self.client.origin

    @property
    def origin_tag(self) -> str:
        return origin_tag(self.origin)

    def sync(self, instance: Any) -> None:
        """Reload the code server when another process asked for a new generation of the
        code, then report the generation served."""
        wanted = generation.requested(instance, self.name)
        if wanted is not None and int(wanted["generation"]) != self.generation:
            # Code loaded after the request is at least as new. A webserver that merely
            # started on the same definitions needs no reload; an explicit reload always
            # does, since a changed sensor body leaves the snapshot as it was.
            fresh = self.loaded_at >= float(wanted.get("requested_at") or 0.0)
            same = (self.snapshot is not None and self.error is None
                    and wanted.get("snapshot_id") == self.snapshot.get("snapshot_id"))
            if not (fresh or (same and wanted.get("reason") == "start")):
                log.info("code location %s: reloading (generation %s)", self.name,
                         wanted["generation"])
                self.loaded_at = time.time()
                try:
                    self.client.reload()
                except Exception as exc:
                    self.error = f"{type(exc).__name__}: {exc}"
                self.refresh(0.0)  # the new snapshot, now
            self.generation = int(wanted["generation"])
        generation.report(instance, self.name, "daemon", self.generation,
                          self.snapshot.get("snapshot_id") if self.snapshot else None,
                          self.error)

    def refresh(self, every: float) -> dict[str, Any] | None:
        """The latest snapshot, asked for again every `every` seconds (and at every call
        while a remote code server does not answer, so that it is back as soon as it is)."""
        due = time.monotonic() - self.snapshot_at >= every
        if self.snapshot is None or due or self.unreachable:
            if not self.client.is_alive():  # the snapshot call (re)starts it: fresh code
                self.loaded_at = time.time()
            try:
                self.snapshot = self._fetch()
                self.error = None
            except Exception as exc:  # keep the last good snapshot
                self.error = f"{type(exc).__name__}: {exc}"
                gone = getattr(exc, "kind", None) in ("unreachable", "unauthorized", "tls",
                                                      "bad_reply")
                if gone and not self.unreachable:  # one line per outage
                    log.warning("code location %s: %s; skipping its schedules and sensors "
                                "until it answers.", self.name, exc)
                elif not gone:
                    log.warning("code location %s: %s", self.name, self.error)
                self.unreachable = gone
            self.snapshot_at = time.monotonic()
        return self.snapshot

    def _fetch(self) -> dict[str, Any]:
        snapshot = self.client.snapshot()
        if self.unreachable:
            log.warning("code location %s: its code server answers again; resuming its "
                        "schedules and sensors.", self.name)
            self.unreachable = False
        if isinstance(self.client, RemoteCodeServerClient) and self.client.ready is None:
            self.client.start()  # learn the origin runs record
        return snapshot


class Daemon:
    """The daemon's state between iterations."""

    def __init__(self, instance: Any, origins: Sequence[CodeLocationOrigin | RemoteOrigin], *,
                 snapshot_interval: float = 10.0,
                 clients: Sequence[CodeServerClient | RemoteCodeServerClient] | None = None):
        self.instance = instance
        timeouts = code_server_timeouts(instance, request=30.0, startup=60.0)
        self.locations = [Location(o, c, **timeouts) for o, c in
                          zip(origins, clients or [None] * len(origins))]  # type: ignore[list-item]
        self.snapshot_interval = snapshot_interval
        self.daemon_id = f"{socket.gethostname()}:{os.getpid()}"
        self.instance_spec = dataclasses.asdict(instance.get_ref())
        self.errors: list[str] = []
        self.retention = RetentionPass(instance)  # validates `retention:` at start
        self.lease = DaemonLease(instance.storage, lease_seconds(instance))

    def heartbeat(self) -> None:
        now = time.time()
        for kind in DAEMON_TYPES:
            self.instance.storage.add_daemon_heartbeat(DaemonHeartbeat(
                kind, self.daemon_id, now, {"errors": self.errors[-5:]}))

    def _guard(self, what: str, fn: Callable[[], Any]) -> Any:
        if self.lease.held:  # a long iteration keeps its lease between parts
            self.lease.renew(force=False)
        try:
            return fn()
        except HeadwaterStorageError:  # the whole iteration waits for the storage (`run`)
            raise
        except Exception:
            message = f"{what}: {traceback.format_exc(limit=5)}"
            self.errors.append(message)
            log.error(message)
            return None

    def iterate(self, force_sensors: bool = False) -> None:
        """One pass over every part of the daemon."""
        self.heartbeat()
        for location in self.locations:
            location.refresh(self.snapshot_interval)
            self._guard(f"reload of {location.name}", partial(location.sync, self.instance))
            snapshot = location.snapshot
            if snapshot is None or location.unreachable:
                continue  # said once, when it stopped answering (Location.refresh)
            args = (self.instance, location.client, location.name, location.origin_tag,
                    snapshot, self.instance_spec)
            self._guard(f"schedules of {location.name}", partial(run_schedules, *args))
            self._guard(f"sensors of {location.name}",
                        partial(run_sensors, *args, force=force_sensors))
            self._guard(f"automation sensors of {location.name}",
                        partial(run_automation_sensors, *args, force=force_sensors))
        self._guard("backfills", lambda: run_backfills(self.instance))
        self._guard("run queue", lambda: run_queue(self.instance))
        self._guard("retention", self.retention.maybe_run)

    def run(self, once: bool = False, interval: float = 1.0,
            should_stop: Callable[[], bool] = lambda: False,
            say: Callable[[str], None] = log.warning) -> None:
        """Iterate while holding the instance's lease: wait for it (saying who holds it),
        or with `once` refuse when another daemon holds it. While the storage fails, log one
        line, retry each interval, and log one more when it is back."""
        outage: float | None = None  # since when the storage fails
        if not once:
            self._warm_up_launcher()
        try:
            while True:
                try:
                    if not self._wait_for_lease(once, interval, should_stop, say):
                        return
                    while True:
                        started = time.monotonic()
                        self.lease.renew()
                        self.iterate(force_sensors=once)
                        if outage is not None:
                            log.warning("storage is back after %.0fs; resuming.",
                                        time.monotonic() - outage)
                            outage = None
                        if once or should_stop():
                            return
                        time.sleep(max(0.0, interval - (time.monotonic() - started)))
                except LeaseLost as exc:
                    say(f"headwater daemon: {exc}; this daemon stopped running the loops and "
                        "waits for the lease again.")
                except HeadwaterStorageError as exc:
                    if once:
                        raise
                    if outage is None:  # one line per outage, not one per iteration
                        outage = time.monotonic()
                        log.warning("storage unavailable, retrying every %.0fs: %s",
                                    max(interval, 1.0), exc)
                    if should_stop():
                        return
                    time.sleep(max(interval, 1.0))
        finally:
            try:
                self.lease.release()
            except HeadwaterStorageError:  # the lease expires by itself
                pass
            for location in self.locations:
                location.client.shutdown()

    def _warm_up_launcher(self) -> None:
        """Let the run launcher get ready for the runs this daemon will launch (the default
        one starts its fork server). A misconfigured launcher is reported where runs are
        launched (the run queue), not here."""
        try:
            run_launcher_of(self.instance).warm_up()
        except HeadwaterError:
            pass

    def _wait_for_lease(self, once: bool, interval: float, should_stop: Callable[[], bool],
                        say: Callable[[str], None]) -> bool:
        """True once this daemon holds the lease; False when told to stop first."""
        told = None
        while not self.lease.try_acquire():
            holder = self.lease.holder()
            if once:
                raise HeadwaterInvalidInvocationError(
                    f"Another daemon runs on this instance ({describe(holder)}): it already "
                    "drives schedules, sensors and the run queue. Stop it first (e.g. `kill "
                    f"{(holder or {}).get('pid')}` on {(holder or {}).get('host')}) to run one "
                    "iteration here.")
            owner = (holder or {}).get("owner")
            if owner != told:
                told = owner
                say(f"headwater daemon: another daemon runs on this instance "
                    f"({describe(holder)}); waiting to take over when it stops. Stop it with "
                    f"`kill {(holder or {}).get('pid')}` on {(holder or {}).get('host')}, or "
                    "this one with Ctrl-C.")
            if should_stop():
                return False
            time.sleep(max(0.2, min(interval, self.lease.seconds / 3)))
        return True
