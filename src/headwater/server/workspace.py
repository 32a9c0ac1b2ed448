"""The webserver's view of its code locations: one code server subprocess each, and indexes
over their snapshots (assets and asset checks by key, jobs, schedules, sensors by name).

The webserver never imports user code: everything it knows about definitions comes from
`CodeServerClient` snapshots and calls. A location whose code does not load is kept with its
error (file, line, traceback) so the UI can show it, and `reload` tries again. Snapshots are
cached until a reload; the indexes are rebuilt only when a snapshot id changes.
Imports `code` (client, location) only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.code.client import CodeServerClient, CodeServerError
from headwater.code.location import CodeLocationOrigin


@dataclass
class LocationEntry:
    """One location: its client, its latest snapshot or load error."""

    client: CodeServerClient
    snapshot: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.client.name


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

    def __init__(self, locations: Iterable[CodeLocationOrigin | CodeServerClient],
                 timeout: float = 60.0):
        self._entries: dict[str, LocationEntry] = {}
        for item in locations:
            client = (item if isinstance(item, CodeServerClient)
                      else CodeServerClient(item, timeout=timeout, startup_timeout=timeout))
            self._entries[client.name] = LocationEntry(client)
        self._lock = threading.RLock()
        self._index: Index | None = None

    def __repr__(self) -> str:
        return f"Workspace({list(self._entries)!r})"

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def entry(self, name: str) -> LocationEntry | None:
        return self._entries.get(name)

    def origin(self, name: str) -> CodeLocationOrigin:
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
            try:
                status = entry.client.reload() if reload else entry.client.start()
                if status.get("error"):
                    entry.snapshot, entry.error = None, dict(status["error"])
                else:
                    entry.snapshot, entry.error = entry.client.snapshot(), None
            except CodeServerError as exc:
                entry.snapshot, entry.error = None, _error_dict(exc)
            self._index = None

    def snapshot(self, name: str) -> dict[str, Any] | None:
        entry = self._entries[name]
        if entry.snapshot is None and entry.error is None:
            self._refresh(entry, reload=False)
        return entry.snapshot

    def locations(self) -> list[dict[str, Any]]:
        out = []
        for entry in self._entries.values():
            snapshot = self.snapshot(entry.name)
            error = entry.error
            out.append({
                "name": entry.name,
                "status": "loaded" if snapshot is not None else "error",
                "error": None if error is None else {
                    "message": error.get("message"), "file": error.get("file"),
                    "line": error.get("line"), "traceback": error.get("traceback")},
                "snapshot_id": snapshot.get("snapshot_id") if snapshot else None,
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

    def client(self, name: str) -> CodeServerClient:
        return self._entries[name].client

    def query(self, location: str, name: str, params: Mapping[str, Any]) -> Any:
        """Ask a location's code server one of its calls (code/calls.py)."""
        return self.client(location).call(name, params)


def _error_dict(exc: CodeServerError) -> dict[str, Any]:
    return {"message": exc.error.get("message") or str(exc), "file": exc.file,
            "line": exc.line, "traceback": exc.traceback_text or None}
