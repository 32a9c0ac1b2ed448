"""Machines simulated on one host, for the several-machines test: where each machine's
processes run, the address its servers listen on, and the address every machine reaches the
shared services (PostgreSQL, RabbitMQ, Redis) at.

- `LoopbackNetwork`: every process in this host's network namespace; machine B listens on
  127.0.0.2, C on 127.0.0.3, and so on. Needs nothing.
- `NamespaceNetwork`: machines B, C, ... each in a Linux network namespace of its own, joined
  to this host's namespace (machine A) by a veth pair, with an address of its own and no
  other way out: a process there cannot reach 127.0.0.1 of machine A, nor another machine's
  loopback. The shared services listen on 127.0.0.1 only, so each is forwarded from one
  "database host" address (on A's loopback, reached from every namespace through its
  default route) by a small TCP relay in the test's process. Needs root (CAP_NET_ADMIN and
  CAP_SYS_ADMIN) and the `ip` command; `NamespaceNetwork.available()` says why not when not.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import threading
import uuid
from typing import Any

SERVICE_PORTS = (5432, 5672, 6379)  # PostgreSQL, RabbitMQ, Redis on 127.0.0.1


class LoopbackNetwork:
    """Machines told apart by loopback address only."""

    kind = "loopback"
    service_host = "127.0.0.1"

    def host(self, machine: str) -> str:
        return "127.0.0.1" if machine == "a" else f"127.0.0.{ord(machine) - ord('a') + 1}"

    def port(self, machine: str) -> int:
        with socket.socket() as sock:
            sock.bind((self.host(machine), 0))
            return int(sock.getsockname()[1])

    def command(self, machine: str, argv: list[str]) -> list[str]:
        return argv

    def close(self) -> None:
        pass


class NamespaceNetwork:
    """Machines B, C, ... in network namespaces of their own (see the module docstring)."""

    kind = "namespaces"

    @staticmethod
    def available() -> str | None:
        """None when namespaces can be made here, else why not."""
        if os.geteuid() != 0:
            return "network namespaces need root"
        if shutil.which("ip") is None:
            return "network namespaces need the `ip` command (iproute2)"
        probe = f"hwprobe{uuid.uuid4().hex[:6]}"
        made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
        if made.returncode != 0:
            return f"cannot create a network namespace: {made.stderr.strip()}"
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
        return None

    def __init__(self, machines: str):
        self.tag = uuid.uuid4().hex[:4]
        self.net = f"10.{random.randint(100, 250)}"
        self.service_host = f"{self.net}.0.1"
        self.namespaces: dict[str, str] = {}
        self.relays: list[_Relay] = []
        self._added_service_host = False
        try:
            _ip("addr", "add", f"{self.service_host}/32", "dev", "lo")
            self._added_service_host = True
            for index, machine in enumerate(machines, start=1):
                self._join(machine, index)
            self.relays = [_Relay(self.service_host, port) for port in SERVICE_PORTS]
        except BaseException:
            self.close()
            raise

    def _join(self, machine: str, index: int) -> None:
        namespace = f"hw-{self.tag}-{machine}"
        outside, inside = f"hw{self.tag}{machine}0", f"hw{self.tag}{machine}1"
        _ip("netns", "add", namespace)
        self.namespaces[machine] = namespace
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("addr", "add", f"{self.net}.{index}.1/30", "dev", outside)
        _ip("link", "set", outside, "up")
        in_ns = ["netns", "exec", namespace, "ip"]
        _ip(*in_ns, "addr", "add", f"{self.net}.{index}.2/30", "dev", inside)
        _ip(*in_ns, "link", "set", inside, "up")
        _ip(*in_ns, "link", "set", "lo", "up")
        _ip(*in_ns, "route", "add", "default", "via", f"{self.net}.{index}.1")

    def host(self, machine: str) -> str:
        if machine not in self.namespaces:
            return "127.0.0.1"
        index = list(self.namespaces).index(machine) + 1
        return f"{self.net}.{index}.2"

    def port(self, machine: str) -> int:
        return random.randint(20000, 40000)  # a new namespace has every port free

    def command(self, machine: str, argv: list[str]) -> list[str]:
        if machine not in self.namespaces:
            return argv
        return ["ip", "netns", "exec", self.namespaces[machine], *argv]

    def close(self) -> None:
        for relay in self.relays:
            relay.close()
        for namespace in self.namespaces.values():  # its veth pair goes with it
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        if self._added_service_host:
            subprocess.run(["ip", "addr", "del", f"{self.service_host}/32", "dev", "lo"],
                           capture_output=True)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


class _Relay:
    """Accepts connections on (host, port) and relays each to 127.0.0.1:port."""

    def __init__(self, host: str, port: int):
        self.port = port
        self.server = socket.create_server((host, port))
        self.closing = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name=f"relay-{port}").start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self.closing = True
        self.server.close()
        for sock in self.sockets:
            _quietly(sock.close)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _quietly(lambda: sink.shutdown(socket.SHUT_WR))


def _quietly(fn: Any) -> None:
    try:
        fn()
    except OSError:
        pass
