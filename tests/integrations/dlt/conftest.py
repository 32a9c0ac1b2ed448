"""A small paginated REST API on 127.0.0.1 and a dlt environment kept inside tmp_path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

PAGE_SIZE = 10
USERS = [{"id": i, "name": f"user{i}", "plan": "pro" if i % 2 else "free"} for i in range(1, 4)]
EVENTS = [
    {"id": i, "user_id": USERS[i % 3]["id"], "path": f"/page/{i % 5}",
     "ts": f"2024-03-01T10:{i:02d}:00+00:00", "referrers": [{"url": f"https://ref{i % 2}.test"}]}
    for i in range(25)
]


@dataclass
class Api:
    """The running API: its base URL, the paths made to answer 500, the requests it served."""

    url: str
    failing: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"events": EVENTS, "users": USERS})


def _handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            url = urlparse(self.path)
            name = url.path.strip("/")
            api.requests.append(self.path)
            if name in api.failing:
                return self._send(500, {"error": f"the {name} service is down"})
            if name not in api.tables:
                return self._send(404, {"error": f"no endpoint /{name}"})
            rows = api.tables[name]
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            pages = max(1, -(-len(rows) // PAGE_SIZE))
            chunk = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
            return self._send(200, {"data": chunk, "page": page, "total_pages": pages})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[Api]:
    """The weblog API served from a thread for the length of one test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Api(url=f"http://127.0.0.1:{server.server_port}")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def dlt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dlt's data dir inside tmp_path (never ~/.dlt), and no retries of failed requests."""
    home = tmp_path / "dlt_home"
    monkeypatch.setenv("DLT_DATA_DIR", str(home))
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    return home
