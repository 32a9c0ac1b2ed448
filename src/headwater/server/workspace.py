"""The webserver's view of its code locations: one code server each (a subprocess, or a
server over the network: code/remote.py), and indexes over their snapshots (assets and asset
checks by key, jobs, schedules, sensors by name).

The webserver never imports user code: everything it knows about definitions comes from
`CodeServerClient` snapshots and calls. A location whose code does not load is kept with its
error (file, line, traceback) so the UI can show it, and `reload` tries again. Its last good
snapshot stays in the indexes, marked stale (`LocationEntry.stale`): its assets, jobs,
schedules and sensors remain visible, and only what needs the code itself (launching,
config validation, partition keys) is refused with the load error (`LocationUnavailable`).
The last good snapshot is kept in the instance too, so that a webserver started on a broken
file still shows what the location defined. Snapshots are cached until a reload; the
indexes are rebuilt only when a snapshot id changes. A remote code server that stops
answering puts its location in the same error state (kind `unreachable`); it is pinged again
at most every `probe_interval` seconds as the location is looked at, and loaded afresh once
it answers, without restarting the webserver.

With an instance attached (`attach`), loading takes part in the location's generation
(code/generation.py): a reload asks every other process (the daemon) to reload too.
Imports `code` (client, location, generation) only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.code import generation
from headwater.code.client import CodeServerClient, CodeServerError
from headwater.code.location import CodeLocationOrigin
from headwater.code.remote import RemoteCodeServerClient, RemoteOrigin, client_for

#: seconds between two probes of a remote code server (see `Workspace._probe`)
PROBE_INTERVAL = 2.0


class LocationUnavailable(CodeServerError):
    """A call needs the location's code, which failed to load (its last good snapshot is
    shown, but nothing can run from it)."""


@dataclass
class LocationEntry:
    """One location: its client, its latest good snapshot, and its load error (when the
    latest load failed, the snapshot is the last good one: stale)."""

    client: CodeServerClient | RemoteCodeServerClient
    snapshot: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    generation: int = 0
    loaded_at: float | None = None  # when `snapshot` was loaded
    failed_at: float | None = None  # when the load that gave `error` failed
    attempted: bool = False
    probed_at: float = 0.0  # monotonic time of the last probe of a remote server

    @property
    def name(self) -> str:
        return self.client.name

    @property
    def stale(self) -> bool:
        """The snapshot is the last good one: the code failed to load since."""
        return self.error is not None and self.snapshot is not None


@dataclass
class Index:
    """Lookups over every loaded location's snapshot."""

    assets: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    checks: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    jobs: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    schedules: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    sensors: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Values derived from the lookups above by the routes (the staleness graph's keys, a
    # parents-first order), computed on first use: they live exactly as long as this index.
    memo: dict[str, Any] = field(default_factory=dict)


class Workspace:
    """The code locations a webserver serves, each behind a code server subprocess."""

    def __init__(self, locations: Iterable[CodeLocationOrigin | RemoteOrigin | CodeServerClient
                                           | RemoteCodeServerClient],
                 timeout: float = 60.0, startup_timeout: float | None = None,
                 probe_interval: float = PROBE_INTERVAL):
        self._entries: dict[str, LocationEntry] = {}
        startup = timeout if startup_timeout is None else startup_timeout
        for item in locations:
            client = (item if isinstance(item, (CodeServerClient, RemoteCodeServerClient))
                      else client_for(item, timeout=timeout, startup_timeout=startup))
            self._entries[client.name] = LocationEntry(client)
        self.probe_interval = probe_interval
        self._lock = threading.RLock()
        self._index: Index | None = None
        self.instance: Any = None

    def attach(self, instance: Any) -> None:
        """Keep last good snapshots in `instance`, and take part in location generations."""
        self.instance = instance

    def __repr__(self) -> str:
        return f"Workspace({list(self._entries)!r})"

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def entry(self, name: str) -> LocationEntry | None:
        return self._entries.get(name)

    def origin(self, name: str) -> CodeLocationOrigin:
        """Where runs of the location load its code (for a remote location, the file or
        module the code server imported, as paths on its machine)."""
        return self._entries[name].client.origin

    # --- loading -----------------------------------------------------------------------
    def start(self) -> None:
        """Start every code server and take a first snapshot (errors are kept, not raised)."""
        for entry in self._entries.values():
            self._refresh(entry, reload=False)

    def shutdown(self) -> None:
        for entry in self._entries.values():
            entry.client.shutdown()

    def reload(self, name: str) -> LocationEntry:
        entry = self._entries[name]
        self._refresh(entry, reload=True)
        return entry

    def _refresh(self, entry: LocationEntry, reload: bool) -> None:
        with self._lock:
            entry.attempted = True
            try:
                status = entry.client.reload() if reload else entry.client.start()
                if status.get("error"):
                    self._failed(entry, dict(status["error"]))
                else:
                    self._loaded(entry, entry.client.snapshot())
            except CodeServerError as exc:
                self._failed(entry, _error_dict(exc))
            self._index = None
            if self.instance is not None:
                snapshot_id = None if entry.error else (entry.snapshot or {}).get("snapshot_id")
                entry.generation = (generation.request if reload else generation.adopt)(
                    self.instance, entry.name, snapshot_id)

    def _loaded(self, entry: LocationEntry, snapshot: dict[str, Any]) -> None:
        changed = (entry.snapshot or {}).get("snapshot_id") != snapshot.get("snapshot_id")
        entry.snapshot, entry.error = snapshot, None
        entry.loaded_at, entry.failed_at = time.time(), None
        if self.instance is not None and changed:
            self.instance.storage.set_kvs({_snapshot_key(entry.name): json.dumps(
                {"loaded_at": entry.loaded_at, "snapshot": snapshot})})

    def _failed(self, entry: LocationEntry, error: dict[str, Any]) -> None:
        """Keep the last good snapshot (this process's, or the instance's) beside the error."""
        entry.error, entry.failed_at = error, time.time()
        if entry.snapshot is None and self.instance is not None:
            key = _snapshot_key(entry.name)
            try:
                kept = json.loads(self.instance.storage.get_kvs([key]).get(key) or "null")
            except ValueError:
                kept = None
            if isinstance(kept, dict) and isinstance(kept.get("snapshot"), dict):
                entry.snapshot, entry.loaded_at = kept["snapshot"], kept.get("loaded_at")

    def snapshot(self, name: str) -> dict[str, Any] | None:
        """The location's snapshot: the latest, or the last good one when it is stale."""
        entry = self._entries[name]
        if not entry.attempted:
            self._refresh(entry, reload=False)
        else:
            self._probe(entry)
        return entry.snapshot

    def _probe(self, entry: LocationEntry) -> None:
        """Notice that a remote code server went away or came back (the local ones restart
        by themselves). A failed call marks the location unavailable at once; at most every
        `probe_interval` seconds a ping asks again, and a server that answers again (or
        answers as a new process) is loaded afresh."""
        client = entry.client
        if not isinstance(client, RemoteCodeServerClient):
            return
        with self._lock:
            if client.unreachable is not None and not _unreachable(entry.error):
                self._failed(entry, dict(client.unreachable))
                self._index = None
            now = time.monotonic()
            if now - entry.probed_at < self.probe_interval:
                return
            entry.probed_at = now
            known = client.server_id
            try:
                status = client.ping(timeout=min(client.timeout, 5.0))
            except CodeServerError as exc:
                if entry.error != _error_dict(exc):
                    self._failed(entry, _error_dict(exc))
                    self._index = None
                return
            if _unreachable(entry.error) or status.get("server_id") != known:
                self._refresh(entry, reload=False)

    def locations(self) -> list[dict[str, Any]]:
        out = []
        for entry in self._entries.values():
            snapshot = self.snapshot(entry.name)
            error = entry.error
            out.append({
                "name": entry.name,
                "status": "loaded" if error is None and snapshot is not None else "error",
                "error": None if error is None else {
                    "message": error.get("message"), "file": error.get("file"),
                    "line": error.get("line"), "traceback": error.get("traceback")},
                "snapshot_id": snapshot.get("snapshot_id") if snapshot else None,
                "stale": entry.stale,
                "loaded_at": entry.loaded_at,
                "failed_at": entry.failed_at,
                "generation": entry.generation,
            })
        return out

    # --- lookups -----------------------------------------------------------------------
    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = self._build_index()
            return self._index

    def _build_index(self) -> Index:
        index = Index()
        for name in self._entries:
            snapshot = self.snapshot(name)
            if snapshot is None:
                continue
            for asset in snapshot.get("assets", []):
                index.assets.setdefault(asset["key_string"], (name, asset))
                for check in asset.get("checks", ()):
                    index.checks.setdefault(check["key"], (name, check))
            for job in snapshot.get("jobs", []):
                index.jobs.setdefault(job["name"], (name, job))
            for schedule in snapshot.get("schedules", []):
                index.schedules.setdefault(schedule["name"], (name, schedule))
            for sensor in snapshot.get("sensors", []):
                index.sensors.setdefault(sensor["name"], (name, sensor))
        for key, (_, asset) in index.assets.items():
            for dep in asset["deps"]:
                index.children.setdefault(dep, []).append(key)
        return index

    def client(self, name: str) -> CodeServerClient | RemoteCodeServerClient:
        """The location's code server; LocationUnavailable while its code fails to load or
        its server cannot be reached."""
        entry = self._entries[name]
        self._probe(entry)
        if entry.error is not None and _unreachable(entry.error):
            raise LocationUnavailable(
                f"{entry.error.get('message')} What it defined is shown from its last good "
                "load, but nothing can run from it until the server answers.", entry.error)
        if entry.error is not None:
            raise LocationUnavailable(
                f"Code location {name!r} failed to load ({entry.error.get('message')}); what "
                "it defined is shown from its last good load, but nothing can run from it. "
                "Fix the error and reload the location (Deployment page).", entry.error)
        return entry.client

    def query(self, location: str, name: str, params: Mapping[str, Any]) -> Any:
        """Ask a location's code server one of its calls (code/calls.py)."""
        return self.client(location).call(name, params)


def _snapshot_key(location: str) -> str:
    return f"location_snapshot/{location}"


def _error_dict(exc: CodeServerError) -> dict[str, Any]:
    return {"kind": exc.kind, "message": exc.error.get("message") or str(exc),
            "file": exc.file, "line": exc.line, "traceback": exc.traceback_text or None}


_REMOTE_FAILURES = frozenset({"unreachable", "unauthorized", "tls", "bad_reply"})


def _unreachable(error: Mapping[str, Any] | None) -> bool:
    """The error is that a remote code server could not be reached (not that its code
    failed to load)."""
    return error is not None and error.get("kind") in _REMOTE_FAILURES
