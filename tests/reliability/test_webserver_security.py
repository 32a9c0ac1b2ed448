"""What the webserver refuses, tried against a real uvicorn server on a free port (and, for the
browser-origin attacks, a real Chromium): a web page on another origin, or a DNS name rebound
to 127.0.0.1, cannot change anything; oversized or odd input is a 4xx that stores nothing;
the access token need not appear on the command line.

Invariant of the file: nothing a browser can be made to send without the user's intent (a
form, a no-cors fetch, a forged Host) starts, stops, reloads or cancels anything."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

from test_browser import (  # noqa: E402
    ARGS,
    CHROMIUM,
    PROJECT,
    ROOT,
    Server,
    free_port,
    serve,
    shot,
)

from headwater.errors import HeadwaterInvalidInvocationError  # noqa: E402
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus  # noqa: E402

pytestmark = pytest.mark.reliability
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=15_000)

#: the header the UI sends on every request (documented in docs/webserver-api.md)
REQUEST_HEADER = "X-Headwater-Request"
HEADER = {REQUEST_HEADER: "1"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any]]:
    """The webserver as `create_app` makes it by default (no token), over the UI project."""
    yield from serve(tmp_path_factory.mktemp("websec"), PROJECT)


def automation_status(url: str, kind: str, name: str) -> str:
    found = httpx.get(f"{url}/api/{kind}", timeout=30).json()
    return str(next(item["status"] for item in found if item["name"] == name))


def schedule_status(url: str) -> str:
    return automation_status(url, "schedules", "nightly")


def run_count(url: str) -> int:
    return len(httpx.get(f"{url}/api/runs?limit=500", timeout=30).json()["items"])


def queued_run(instance: Any, run_id: str) -> str:
    instance.add_run(HeadwaterRun(job_name="numbers", run_id=run_id,
                                  status=HeadwaterRunStatus.QUEUED))
    return run_id


# --- Host ------------------------------------------------------------------------------
def test_a_forged_host_is_refused(site: tuple[Server, Any]) -> None:
    """A Host the server was not told about (DNS rebinding) reads and changes nothing."""
    server, _ = site
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example"):
        refused = httpx.get(f"{server.url}/api/health", headers={"Host": host}, timeout=30)
        assert refused.status_code in (400, 421), (host, refused.text)
        assert "--allowed-host" in refused.json()["detail"]
    before = run_count(server.url)
    launched = httpx.post(f"{server.url}/api/jobs/numbers/launch", timeout=30,
                          headers={"Host": "evil.example", **HEADER},
                          json={"run_config": {"ops": {"double": {"config": {"x": 1}}}}})
    assert launched.status_code in (400, 421)
    assert run_count(server.url) == before
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", "localhost",
                 f"[::1]:{server.port}", f"LOCALHOST:{server.port}"):
        answered = httpx.get(f"{server.url}/api/health", headers={"Host": host}, timeout=30)
        assert answered.status_code == 200, (host, answered.text)


def test_allowed_hosts_follow_the_bound_address() -> None:
    """Loopback binding allows the loopback names and the bound host; a wildcard binding adds
    only what the user names; `*` allows any Host."""
    from headwater.server.serve import allowed_hosts_for

    assert set(allowed_hosts_for("127.0.0.1", ())) == {"127.0.0.1", "localhost", "::1"}
    assert "myhost.lan" in allowed_hosts_for("myhost.lan", ())
    assert set(allowed_hosts_for("0.0.0.0", ())) == {"127.0.0.1", "localhost", "::1"}
    assert "hw.example.com" in allowed_hosts_for("0.0.0.0", ["hw.example.com"])
    assert allowed_hosts_for("0.0.0.0", ["*"]) == ("*",)
    with pytest.raises(HeadwaterInvalidInvocationError, match="--allowed-host"):
        allowed_hosts_for("127.0.0.1", ["http://hw.example.com/"])


def test_cors_origins_must_be_origins() -> None:
    """`--cors-origin` takes scheme://host[:port]; `*` (any page) is refused."""
    from headwater.server.serve import checked_cors_origins

    assert checked_cors_origins(["https://a.example:8443"]) == ["https://a.example:8443"]
    for bad in ("*", "a.example", "https://a.example/path", "ftp://a.example"):
        with pytest.raises(HeadwaterInvalidInvocationError, match="--cors-origin"):
            checked_cors_origins([bad])


# --- cross-origin writes ---------------------------------------------------------------
def test_form_posts_from_other_pages_change_nothing(site: tuple[Server, Any]) -> None:
    """A POST a web form could send (form-encoded, text/plain, or no body at all) is refused
    on every mutating route, with or without an Origin header."""
    server, instance = site
    run_id = queued_run(instance, "websec-form-queued")
    routes = ["/api/schedules/nightly/start", "/api/sensors/new_orders/start",
              f"/api/runs/{run_id}/cancel", "/api/locations/ui_project/reload",
              "/api/jobs/numbers/launch", "/api/assets/materialize"]
    bodies: list[dict[str, Any]] = [
        {"headers": FORM, "content": b"keys=orders"},
        {"headers": {"Content-Type": "text/plain"}, "content": b'{"keys": ["orders"]}'},
        {"headers": {"Content-Type": "multipart/form-data; boundary=x"},
         "content": b"--x--\r\n"},
        {"headers": {}, "content": b""},
    ]
    before = run_count(server.url)
    for route in routes:
        for body in bodies:
            headers = {"Origin": "http://evil.example", **body["headers"]}
            refused = httpx.post(f"{server.url}{route}", headers=headers,
                                 content=body["content"], timeout=30)
            assert refused.status_code == 403, (route, body, refused.text)
            assert REQUEST_HEADER in refused.json()["detail"]
    deleted = httpx.delete(f"{server.url}/api/runs/{run_id}", timeout=30)
    assert deleted.status_code == 403
    assert schedule_status(server.url) == "stopped"
    assert instance.get_run_by_id(run_id).status == HeadwaterRunStatus.QUEUED
    assert run_count(server.url) == before


def test_json_or_the_custom_header_is_accepted(site: tuple[Server, Any]) -> None:
    """What the UI and API clients send passes: a JSON body, or the custom header."""
    server, instance = site
    started = httpx.post(f"{server.url}/api/schedules/nightly/start", headers=HEADER, timeout=30)
    assert started.status_code == 200, started.text
    stopped = httpx.post(f"{server.url}/api/schedules/nightly/stop", json={}, timeout=30)
    assert stopped.status_code == 200, stopped.text
    run_id = queued_run(instance, "websec-json-queued")
    canceled = httpx.post(f"{server.url}/api/runs/{run_id}/cancel", timeout=30,
                          headers={"Content-Type": "application/json; charset=utf-8"})
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "CANCELED"


def test_responses_forbid_framing_and_open_no_cors(site: tuple[Server, Any]) -> None:
    """Every answer forbids framing and sniffing, sets a CSP, and carries no CORS grant, even
    to a preflight from another origin."""
    server, _ = site
    for path in ("/", "/assets", "/api/health", "/api/nope"):
        response = httpx.get(f"{server.url}{path}", headers={"Origin": "http://evil.example"},
                             timeout=30)
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert not [h for h in response.headers if h.startswith("access-control-")]
    preflight = httpx.options(f"{server.url}/api/jobs/numbers/launch", timeout=30, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_opens_only_to_configured_origins(tmp_path: Path) -> None:
    """With `cors_origins`, exactly those origins get a CORS grant (and may send the custom
    header); any other origin still gets none."""
    from headwater.server import create_app
    from headwater.storage.instance import HeadwaterInstance

    app = create_app(HeadwaterInstance.ephemeral(str(tmp_path)), [], start=False,
                     cors_origins=["https://tools.example.com"])
    with Server(app) as server:
        asked = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": f"content-type,{REQUEST_HEADER.lower()}"}
        granted = httpx.options(f"{server.url}/api/health", timeout=30,
                                headers={"Origin": "https://tools.example.com", **asked})
        assert granted.headers["access-control-allow-origin"] == "https://tools.example.com"
        assert REQUEST_HEADER.lower() in granted.headers["access-control-allow-headers"].lower()
        other = httpx.options(f"{server.url}/api/health", timeout=30,
                              headers={"Origin": "http://evil.example", **asked})
        assert "access-control-allow-origin" not in other.headers


def test_webserver_settings_are_checked(tmp_path: Path) -> None:
    """headwater.yaml's `webserver:` section: the cap and lists are used, and a mistake names
    the setting."""
    from headwater.server.serve import webserver_settings
    from headwater.storage.instance import HeadwaterInstance

    def settings(section: dict[str, Any]) -> dict[str, Any]:
        instance = HeadwaterInstance.ephemeral(str(tmp_path), settings={"webserver": section})
        return webserver_settings(instance)

    assert settings({})["max_request_bytes"] == 4 * 1024 * 1024
    assert settings({"max_request_bytes": 10_000})["max_request_bytes"] == 10_000
    assert settings({"allowed_hosts": ["hw.lan"]})["allowed_hosts"] == ["hw.lan"]
    with pytest.raises(HeadwaterInvalidInvocationError, match="allowed_host'"):
        settings({"allowed_host": ["hw.lan"]})
    with pytest.raises(HeadwaterInvalidInvocationError, match="max_request_bytes"):
        settings({"max_request_bytes": "10MB"})
    with pytest.raises(HeadwaterInvalidInvocationError, match="allowed_hosts"):
        settings({"allowed_hosts": "hw.lan"})


# --- bad input -------------------------------------------------------------------------
def _raw_post(port: int, path: str, length: int | None, chunk: bytes, chunks: int) -> bytes:
    """POST `chunks` chunks of `chunk` over a raw socket (Content-Length `length`, or chunked
    when None), stopping as soon as the server answers; the bytes it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        framing = (f"Content-Length: {length}" if length is not None
                   else "Transfer-Encoding: chunked")
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: application/json\r\n{framing}\r\n\r\n".encode())
        sock.setblocking(False)
        answer = b""
        for _ in range(chunks):
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            data = chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk)
            try:
                sock.setblocking(True)
                sock.sendall(data)
                sock.setblocking(False)
            except OSError:
                break
        sock.setblocking(True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the server closes the connection
            try:
                more = sock.recv(65536)
            except OSError:
                break
            if not more:
                break
            answer += more
        return answer


def test_a_50_mb_body_is_413_and_stores_nothing(site: tuple[Server, Any]) -> None:
    """A body over the cap is answered 413 before the app sees it, whether it announces its
    length or streams in chunks; no run is stored."""
    server, _ = site
    before = run_count(server.url)
    tag = b'{"tags": {"big": "' + b"x" * (1 << 20)
    announced = _raw_post(server.port, "/api/jobs/numbers/launch", 50 << 20, tag, 50)
    assert announced.startswith(b"HTTP/1.1 413"), announced[:200]
    assert b"max_request_bytes" in announced
    streamed = _raw_post(server.port, "/api/jobs/numbers/launch", None, tag, 50)
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]
    assert run_count(server.url) == before


def test_an_oversized_tag_is_400_naming_it(site: tuple[Server, Any]) -> None:
    """A tag key or value over 4 KB is refused with the tag's name, on launch and backfill,
    and from Python (instance.add_run); nothing is stored."""
    server, instance = site
    before = run_count(server.url)
    launched = httpx.post(f"{server.url}/api/jobs/numbers/launch", timeout=30, json={
        "run_config": {"ops": {"double": {"config": {"x": 1}}}},
        "tags": {"team": "data", "notes": "n" * 5000}})
    assert launched.status_code == 400, launched.text
    assert "'notes'" in launched.json()["detail"]
    long_key = "k" * 5000
    backfill = httpx.post(f"{server.url}/api/backfills", timeout=30, json={
        "keys": ["monthly_report"], "partition_keys": ["2024-01"], "tags": {long_key: "v"}})
    assert backfill.status_code == 400, backfill.text
    assert "kkkk" in backfill.json()["detail"]
    assert run_count(server.url) == before
    assert httpx.get(f"{server.url}/api/backfills", timeout=30).json()["items"] == []
    with pytest.raises(HeadwaterInvalidInvocationError, match="'notes'"):
        instance.add_run(HeadwaterRun(job_name="numbers", run_id="websec-big-tag",
                                      tags={"notes": "n" * 5000}))
    assert instance.get_run_by_id("websec-big-tag") is None


def test_odd_paths_are_4xx(site: tuple[Server, Any]) -> None:
    """NUL bytes, bad escapes and traversal in a path are a 4xx (or the UI page), never a 5xx
    and never a file outside the UI."""
    server, _ = site
    for path in ("/%00", "/a%00b", "/assets/%00", "/api/%00", "/api/runs/%00",
                 "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/%ff%fe",
                 "/" + "a" * 5000, "/static/%00.js"):
        answered = httpx.get(f"{server.url}{path}", timeout=30)
        assert answered.status_code < 500, (path, answered.status_code, answered.text[:200])
        assert "root:" not in answered.text
    assert httpx.get(f"{server.url}/%00", timeout=30).status_code in (400, 404)


def test_api_docs_load_nothing_from_other_sites(site: tuple[Server, Any]) -> None:
    """/api/docs names no CDN: its assets are served by the webserver itself (or it says which
    package serves them)."""
    server, _ = site
    docs = httpx.get(f"{server.url}/api/docs", timeout=30)
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    assert "/api/openapi.json" in docs.text


def test_api_docs_serve_swagger_from_the_package(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """With swagger-ui-bundle installed, /api/docs loads Swagger UI from the webserver's own
    /api/docs/assets/ (and nothing outside the package's folder)."""
    import types

    from headwater.server import create_app
    from headwater.storage.instance import HeadwaterInstance

    files = tmp_path / "swagger"
    files.mkdir()
    (files / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = 1;")
    (files / "swagger-ui.css").write_text("body {}")
    (tmp_path / "secret.txt").write_text("secret")
    fake = types.ModuleType("swagger_ui_bundle")
    fake.swagger_ui_path = str(files)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", fake)
    app = create_app(HeadwaterInstance.ephemeral(str(tmp_path)), [], start=False)
    with Server(app) as server:
        page = httpx.get(f"{server.url}/api/docs", timeout=30).text
        assert "/api/docs/assets/swagger-ui-bundle.js" in page and "https://" not in page
        bundle = httpx.get(f"{server.url}/api/docs/assets/swagger-ui-bundle.js", timeout=30)
        assert bundle.text == "window.SwaggerUIBundle = 1;"
        init = httpx.get(f"{server.url}/api/docs/init.js", timeout=30).text
        assert "/api/openapi.json" in init and REQUEST_HEADER in init
        for name in ("..%2fsecret.txt", "%00", "nope.js"):
            assert httpx.get(f"{server.url}/api/docs/assets/{name}",
                             timeout=30).status_code == 404


# --- the access token ------------------------------------------------------------------
def _webserver(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", "webserver", "-f", str(PROJECT), *args],
        env={**os.environ, "HEADWATER_HOME": str(home),
             "PYTHONPATH": str(ROOT / "src"), **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_up(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(f"{url}/api/health", timeout=5)
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the webserver did not start: "
                                     f"{process.stderr.read() if process.stderr else ''}") from None
            time.sleep(0.2)


@pytest.mark.parametrize("source", ["env", "file"])
def test_the_token_comes_from_the_environment_or_a_file(tmp_path: Path, source: str) -> None:
    """HEADWATER_WEBSERVER_TOKEN or --token-file protects the server, and the token is not in
    the process's command line."""
    token = "s3cret-websec-token"
    port = free_port()
    args = ["-p", str(port)]
    env = {}
    if source == "env":
        env["HEADWATER_WEBSERVER_TOKEN"] = token
    else:
        path = tmp_path / "token"
        path.write_text(token + "\n")
        path.chmod(0o600)
        args += ["--token-file", str(path)]
    process = _webserver(tmp_path, args, env)
    try:
        url = f"http://127.0.0.1:{port}"
        assert _wait_up(url, process).status_code == 401
        authorized = httpx.get(f"{url}/api/health", timeout=30,
                               headers={"Authorization": f"Bearer {token}"})
        assert authorized.status_code == 200 and authorized.json()["auth"] is True
        with open(f"/proc/{process.pid}/cmdline", "rb") as f:
            assert token.encode() not in f.read()
    finally:
        os.killpg(process.pid, 15)
        process.wait(30)


def test_a_token_on_the_command_line_warns_and_a_bad_file_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--token` works but says other users can read it; an empty or missing token file is an
    error naming the file."""
    from headwater.cli import webserver as cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli, "_serve", lambda command: lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    result = runner.invoke(cli.webserver, ["-f", str(PROJECT), "-p", "0", "--token", "abc"])
    assert result.exit_code == 0, result.output
    assert seen["token"] == "abc"
    assert "visible to other users" in result.output and "--token-file" in result.output
    empty = tmp_path / "empty"
    empty.write_text("\n")
    result = runner.invoke(cli.webserver, ["-f", str(PROJECT), "--token-file", str(empty)])
    assert result.exit_code != 0 and str(empty) in result.output
    result = runner.invoke(cli.webserver, ["-f", str(PROJECT), "--token", "a",
                                           "--token-file", str(empty)])
    assert result.exit_code != 0 and "--token-file" in result.output


# --- in a real browser -----------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def _watched_page(chromium: Any) -> tuple[Any, Any, list[str]]:
    """A page recording CSP violations, console errors and requests to other sites."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("request", lambda r: problems.append(f"request to {r.url}")
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('CSP violation: ' + e.violatedDirective + ' ' + "
                         "e.blockedURI))")
    return context, page, problems


def test_the_ui_works_under_the_new_rules(site: tuple[Server, Any], chromium: Any) -> None:
    """The UI loads with no CSP violation and launches a run (its POSTs carry what the server
    asks for); the schedule switch works; /api/docs loads nothing from elsewhere."""
    server, _ = site
    context, page, problems = _watched_page(chromium)
    try:
        page.goto(f"{server.url}/assets")
        node = page.locator('[data-asset="customers"]')
        expect(node).to_be_visible()
        node.click()
        page.get_by_role("button", name="Materialize selected (1)").click()
        page.get_by_role("link", name="View run →").click()
        expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(
            timeout=60_000)
        shot(page, "websec-run-under-csp")
        # The launchpad's editor (CodeMirror) writes its own styles: allowed, and it works.
        page.goto(f"{server.url}/jobs/numbers")
        expect(page.locator(".cm-editor .cm-content")).to_be_visible()
        expect(page.locator(".cm-content")).to_have_css("white-space", "pre")
        page.goto(f"{server.url}/api/docs")
        expect(page.locator("body")).to_contain_text("openapi.json")
        assert not problems, problems
    finally:
        context.close()


ATTACK = """<!doctype html><html><body>
<form id="start" method="POST" action="{url}/api/schedules/nightly/start"
      enctype="text/plain"><input name='{{"a":"' value='"}}'></form>
<script>
const url = {url_json};
const post = (path, body, type) => fetch(url + path, {{method: "POST", mode: "no-cors",
  body, headers: type ? {{"Content-Type": type}} : {{}}}});
Promise.allSettled([
  post("/api/jobs/numbers/launch", '{{"run_config": {{}}}}', "text/plain"),
  post("/api/assets/materialize", "keys=orders", "application/x-www-form-urlencoded"),
  post("/api/runs/{run_id}/cancel", null, null),
  post("/api/sensors/new_orders/start", null, null),
  post("/api/locations/ui_project/reload", "", "text/plain"),
]).then(() => {{ document.title = "sent"; document.getElementById("start").submit(); }});
</script></body></html>"""


def test_a_page_on_another_origin_cannot_drive_the_server(site: tuple[Server, Any],
                                                          chromium: Any) -> None:
    """A page served from another port submits a form and fires no-cors fetches at the
    webserver: every request arrives, and nothing changes."""
    server, instance = site
    run_id = queued_run(instance, "websec-browser-queued")
    before = run_count(server.url)
    page_html = ATTACK.format(url=server.url, url_json=json.dumps(server.url), run_id=run_id)

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Attacker)
    thread = threading.Thread(target=attacker.serve_forever, daemon=True)
    thread.start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
        # the form's POST navigates the page to the webserver's answer: it arrived
        page.wait_for_url(f"{server.url}/api/schedules/nightly/start", timeout=30_000)
        expect(page.locator("body")).to_contain_text(REQUEST_HEADER)
        assert schedule_status(server.url) == "stopped"
        assert automation_status(server.url, "sensors", "new_orders") == "stopped"
        assert instance.get_run_by_id(run_id).status == HeadwaterRunStatus.QUEUED
        assert run_count(server.url) == before
    finally:
        context.close()
        attacker.shutdown()
        attacker.server_close()
