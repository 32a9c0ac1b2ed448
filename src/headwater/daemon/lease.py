"""One daemon per instance: a lease row in the instance database.

The lease is one key of the instance's key-value store holding JSON {owner, host, pid,
acquired, expires}. Taking, renewing and releasing it are compare-and-swap writes on that
row (`Storage.swap_kv`: a conditional UPDATE, or an INSERT that the primary key refuses to a
second writer), so two daemons racing for it on SQLite or PostgreSQL cannot both win. The
holder renews it every iteration (and between the parts of a long one); a holder that died
stops renewing and its lease expires after `lease_seconds` (headwater.yaml
`daemon: {lease_seconds: 30}`), when a waiting daemon takes over; a holder on the same host
whose process is gone is replaced at once. A holder that finds its
lease taken (it was paused past the expiry) stops running the loops at once. Imports `errors`.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any

from headwater.errors import HeadwaterInvalidInvocationError

LEASE_KEY = "daemon/lease"
DEFAULT_LEASE_SECONDS = 30.0


class LeaseLost(Exception):
    """Another daemon took this daemon's lease (this one stalled past its expiry)."""


def lease_seconds(instance: Any) -> float:
    """The validated `daemon: {lease_seconds: N}` of headwater.yaml (default 30)."""
    raw = getattr(instance, "_settings", None)
    section = raw.get("daemon") if isinstance(raw, Mapping) else None
    where = "headwater.yaml: daemon"
    if section is None:
        return DEFAULT_LEASE_SECONDS
    if not isinstance(section, Mapping):
        raise HeadwaterInvalidInvocationError(
            f"{where} must be a mapping, e.g. `daemon: {{lease_seconds: 30}}`.")
    unknown = sorted(str(k) for k in section if k != "lease_seconds")
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"{where} has unknown field(s) {', '.join(unknown)}: it takes lease_seconds.")
    value = section.get("lease_seconds", DEFAULT_LEASE_SECONDS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1:
        raise HeadwaterInvalidInvocationError(
            f"{where}.lease_seconds must be a number of seconds, at least 1, got {value!r}.")
    return float(value)


class DaemonLease:
    """This daemon's claim on the instance."""

    def __init__(self, storage: Any, seconds: float = DEFAULT_LEASE_SECONDS):
        self.storage = storage
        self.seconds = seconds
        self.owner = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.held = False
        self._raw: str | None = None  # the row as this daemon last wrote it
        self._renewed = 0.0

    def holder(self) -> dict[str, Any] | None:
        """The current lease (whoever holds it), None when there is none."""
        raw = self.storage.get_kvs([LEASE_KEY]).get(LEASE_KEY)
        return _parse(raw)

    def _value(self, now: float, acquired: float) -> str:
        return json.dumps({"owner": self.owner, "host": self.host, "pid": self.pid,
                           "acquired": acquired, "expires": now + self.seconds})

    def try_acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours."""
        raw = self.storage.get_kvs([LEASE_KEY]).get(LEASE_KEY)
        current = _parse(raw)
        now = time.time()
        if current is not None and current.get("owner") != self.owner \
                and float(current.get("expires", 0)) > now and not self._gone(current):
            self.held = False
            return False
        acquired = now if current is None or current.get("owner") != self.owner \
            else float(current.get("acquired", now))
        value = self._value(now, acquired)
        self.held = self.storage.swap_kv(LEASE_KEY, raw, value)
        if self.held:
            self._raw, self._renewed = value, time.monotonic()
        return self.held

    def _gone(self, holder: Mapping[str, Any]) -> bool:
        """Whether the holder is a process of this host that no longer runs (its lease need
        not run out: a daemon killed here is replaced at once)."""
        if holder.get("host") != self.host or not isinstance(holder.get("pid"), int):
            return False
        pid = int(holder["pid"])
        if pid == self.pid:
            return False  # this process restarted its daemon: the old owner id is gone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False  # alive, another user's
        try:
            with open(f"/proc/{pid}/stat") as f:  # a killed child not reaped yet
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except (OSError, IndexError):
            return False

    def renew(self, force: bool = True) -> None:
        """Push the expiry forward (unless `force` is False and it was renewed less than a
        third of the lease ago); raises LeaseLost when another daemon holds it now."""
        if not force and time.monotonic() - self._renewed < self.seconds / 3:
            return
        now = time.time()
        acquired = float((_parse(self._raw) or {}).get("acquired", now))
        value = self._value(now, acquired)
        if not self.storage.swap_kv(LEASE_KEY, self._raw, value):
            self.held = False
            holder = self.holder()
            raise LeaseLost(f"another daemon ({describe(holder)}) took this instance's lease")
        self._raw, self._renewed = value, time.monotonic()

    def release(self) -> None:
        if self.held and self._raw is not None:
            self.storage.swap_kv(LEASE_KEY, self._raw, None)
        self.held = False


def _parse(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return {"owner": None, "expires": 0}  # unreadable: treat it as expired
    return value if isinstance(value, dict) else {"owner": None, "expires": 0}


def describe(holder: Mapping[str, Any] | None) -> str:
    """"pid 123 on host h, since 12:00:00 UTC" for a lease."""
    if not holder:
        return "no daemon"
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC",
                          time.gmtime(float(holder.get("acquired") or 0)))
    return f"pid {holder.get('pid')} on host {holder.get('host')}, since {since}"
