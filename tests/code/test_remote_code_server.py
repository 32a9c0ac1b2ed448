"""Code servers over the network: `headwater code-server start` serves a location to holders
of its token (over TLS when given a certificate); a webserver loading a workspace.yaml with a
local file and a remote server lists and launches both; a server that goes away makes its
location unavailable, and the same server started again makes it available, without
restarting the webserver; the daemon skips a missing server's ticks and resumes."""

from __future__ import annotations

import datetime
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import headwater
from headwater.code.client import CodeServerError
from headwater.code.loader import CodeLoadError
from headwater.code.location import CodeLocationOrigin
from headwater.code.remote import RemoteCodeServerClient, RemoteOrigin
from headwater.code.workspace_file import origins_from_workspace
from headwater.definitions.tags import RUN_ORIGIN_TAG
from headwater.storage.instance import HeadwaterInstance

SRC = os.path.dirname(os.path.dirname(os.path.abspath(headwater.__file__)))
TOKEN = "s3cret-token-for-tests"

REMOTE_DEFS = """\
from headwater import Definitions, ScheduleDefinition, asset, define_asset_job

@asset
def remote_numbers():
    return [1, 2, 3]

remote_job = define_asset_job("remote_job", selection="remote_numbers")
every_minute = ScheduleDefinition(name="every_minute", cron_schedule="* * * * *",
                                  job=remote_job)
defs = Definitions(assets=[remote_numbers], jobs=[remote_job], schedules=[every_minute])
"""

LOCAL_DEFS = """\
from headwater import Definitions, asset, define_asset_job

@asset
def local_numbers():
    return [4, 5]

defs = Definitions(assets=[local_numbers],
                   jobs=[define_asset_job("local_job", selection="local_numbers")])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A `headwater code-server start` process, started and stopped by a test."""

    def __init__(self, defs: Path, port: int, token_file: Path,
                 tls: tuple[Path, Path] | None = None):
        self.args = [sys.executable, "-m", "headwater.cli.main", "code-server", "start",
                     "-f", str(defs), "-p", str(port), "--token-file", str(token_file)]
        if tls is not None:
            self.args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        self.origin = RemoteOrigin("127.0.0.1", port, location_name="remote", token=TOKEN,
                                   tls=tls is not None,
                                   tls_ca_file=str(tls[0]) if tls else None)
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> Server:
        # The server's machine has an instance home of its own, where the run workers it
        # starts keep their logs.
        self.home = Path(self.args[self.args.index("-f") + 1]).parent / "server-home"
        env = {**os.environ, "PYTHONPATH": SRC, "HEADWATER_HOME": str(self.home)}
        self.process = subprocess.Popen(self.args, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        client = RemoteCodeServerClient(self.origin, timeout=5.0)
        deadline = time.monotonic() + 60
        while True:  # until it answers (or has died: then say why)
            if self.process.poll() is not None:
                raise AssertionError(f"code server exited: {self.process.stderr.read()}")
            try:
                client.ping()
                return self
            except CodeServerError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()
            assert self.process.stderr is not None
            self.process.stderr.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "remote").mkdir()
    (tmp_path / "remote" / "remote_defs.py").write_text(REMOTE_DEFS)
    (tmp_path / "local_defs.py").write_text(LOCAL_DEFS)
    (tmp_path / "token.txt").write_text(TOKEN + "\n")
    return tmp_path


@pytest.fixture
def server(project: Path) -> Iterator[Server]:
    started = Server(project / "remote" / "remote_defs.py", free_port(), project / "token.txt")
    started.start()
    yield started
    started.kill()


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Any]:
    home = tmp_path / "home"
    home.mkdir()
    inst = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    yield inst
    inst.dispose()


def write_workspace(project: Path, port: int, **remote: Any) -> Path:
    grpc = {"host": "127.0.0.1", "port": port, "location_name": "remote",
            "token_file": "token.txt", **remote}
    path = project / "workspace.yaml"
    path.write_text(json.dumps({"load_from": [
        {"python_file": {"relative_path": "local_defs.py", "location_name": "local"}},
        {"grpc_server": grpc}]}))  # JSON is YAML
    return path


# --- the server and its client ---------------------------------------------------------------
def test_client_reaches_the_served_calls(server: Server) -> None:
    """Over the network the client gets the same calls as from a subprocess, and learns the
    origin of the code the server imported."""
    client = RemoteCodeServerClient(server.origin)
    status = client.start()
    assert status["loaded"] is True
    assert client.origin.python_file is not None
    assert client.origin.python_file.endswith("remote_defs.py")
    assert client.origin.location_name == "remote"
    assert client.list_jobs() == ["remote_job"]
    assert [a["key_string"] for a in client.snapshot()["assets"]] == ["remote_numbers"]
    with pytest.raises(CodeServerError, match="offers no call 'import_anything'"):
        client.call("import_anything")


def test_a_wrong_or_missing_token_is_refused(server: Server) -> None:
    """Without the server's token nothing is answered: the client says which location was
    refused and where the token goes; a bare HTTP request gets 401."""
    wrong = RemoteCodeServerClient(RemoteOrigin("127.0.0.1", server.origin.port,
                                                location_name="remote", token="guess"))
    with pytest.raises(CodeServerError, match="refused our token") as caught:
        wrong.snapshot()
    assert caught.value.kind == "unauthorized" and "token_file" in str(caught.value)
    request = urllib.request.Request(f"http://127.0.0.1:{server.origin.port}/v1/call",
                                     data=b'{"method": "snapshot"}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as http_error:
        urllib.request.urlopen(request, timeout=10)
    assert http_error.value.code == 401
    http_error.value.close()


def test_clients_cannot_stop_the_server(server: Server) -> None:
    """`shutdown` from a client forgets the server; the server keeps serving others."""
    client = RemoteCodeServerClient(server.origin)
    client.start()
    client.shutdown()
    with pytest.raises(CodeServerError, match="not stopped by its clients"):
        client.call("shutdown")
    assert RemoteCodeServerClient(server.origin).list_jobs() == ["remote_job"]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key: made with `cryptography` (a
    dependency of the dev tools), else with the `openssl` command."""
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    try:
        import cryptography  # noqa: F401
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("needs the cryptography package or the openssl command")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key_path), "-out", str(cert_path)],
                       check=True, capture_output=True)
        return cert_path, key_path
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_server_answers_a_client_trusting_its_certificate(project: Path) -> None:
    """With --tls-cert/--tls-key the server speaks HTTPS: a client given the certificate as
    its CA gets answers; one that does not trust it is refused with a TLS message."""
    cert, key = _self_signed(project)
    server = Server(project / "remote" / "remote_defs.py", free_port(), project / "token.txt",
                    tls=(cert, key)).start()
    try:
        assert RemoteCodeServerClient(server.origin).list_jobs() == ["remote_job"]
        untrusting = RemoteCodeServerClient(RemoteOrigin(
            "127.0.0.1", server.origin.port, location_name="remote", token=TOKEN, tls=True))
        with pytest.raises(CodeServerError, match="TLS handshake") as caught:
            untrusting.list_jobs()
        assert caught.value.kind == "tls"
        plain = RemoteCodeServerClient(RemoteOrigin("127.0.0.1", server.origin.port,
                                                    location_name="remote", token=TOKEN))
        with pytest.raises(CodeServerError):
            plain.list_jobs()
    finally:
        server.kill()


# --- a webserver over a workspace.yaml ---------------------------------------------------------
@pytest.fixture
def web(project: Path, server: Server, instance: Any) -> Iterator[Any]:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from headwater.server import create_app
    from headwater.server.workspace import Workspace

    origins = origins_from_workspace(str(write_workspace(project, server.origin.port)))
    workspace = Workspace(origins, timeout=30.0, probe_interval=0.0)
    app = create_app(instance, workspace)
    with TestClient(app, base_url="http://127.0.0.1",
                    headers={"X-Headwater-Request": "1"}) as client:
        yield client


def _wait_run(client: Any, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED") or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def _location(client: Any, name: str) -> dict[str, Any]:
    return next(x for x in client.get("/api/locations").json() if x["name"] == name)


def test_webserver_lists_and_launches_local_and_remote_jobs(web: Any, instance: Any,
                                                            server: Server) -> None:
    """/api/jobs lists the jobs of both locations; a launched run of the remote one executes
    in a run worker that the code server starts on its machine (its log is in the server's
    instance home), loading the code from the origin the server recorded on the run."""
    jobs = {j["name"]: j["location"] for j in web.get("/api/jobs").json()}
    assert jobs["local_job"] == "local" and jobs["remote_job"] == "remote"
    launched = web.post("/api/jobs/remote_job/launch", json={"run_config": {}})
    assert launched.status_code == 200, launched.text
    run = _wait_run(web, launched.json()["run_id"])
    assert run["status"] == "SUCCESS", run
    stored = instance.get_run_by_id(run["run_id"])
    origin = json.loads(stored.tags[RUN_ORIGIN_TAG])
    assert origin["python_file"].endswith(os.path.join("remote", "remote_defs.py"))
    assert origin["code_server"] == server.origin.address
    home = Path(instance.get_ref().root_directory)
    assert (server.home / "logs" / f"{stored.run_id}.log").exists()
    assert not (home / "logs" / f"{stored.run_id}.log").exists()
    local = web.post("/api/jobs/local_job/launch", json={"run_config": {}})
    local_id = local.json()["run_id"]
    assert _wait_run(web, local_id)["status"] == "SUCCESS"
    assert (home / "logs" / f"{local_id}.log").exists()  # a local location's runs start here


def test_a_run_of_an_unreachable_server_fails_naming_it(web: Any, instance: Any,
                                                       server: Server) -> None:
    """A run whose code server is gone when it is launched fails at once, with a message
    naming the server's address (the webserver's earlier launch found it)."""
    from headwater.daemon.run_launcher import DefaultRunLauncher, LaunchRunContext

    launched = web.post("/api/jobs/remote_job/launch", json={"run_config": {}})
    first = instance.get_run_by_id(launched.json()["run_id"])
    assert _wait_run(web, first.run_id)["status"] == "SUCCESS"
    server.kill()
    launcher = DefaultRunLauncher()
    launcher.register_instance(instance)
    with pytest.raises(headwater.HeadwaterInvalidInvocationError,
                       match=f"served by the code server at {server.origin.address}"):
        launcher.launch_run(LaunchRunContext(first))


def test_a_server_that_goes_away_and_comes_back(web: Any, server: Server) -> None:
    """Killed, the remote location shows as unavailable with a message naming its address
    (its jobs still listed from the last load; launching refused); started again on the
    same port, it is available again without restarting the webserver."""
    assert _location(web, "remote")["status"] == "loaded"
    server.kill()
    gone = _location(web, "remote")
    assert gone["status"] == "error" and gone["stale"] is True
    assert f"at http://127.0.0.1:{server.origin.port} is unreachable" in gone["error"]["message"]
    assert "remote_job" in {j["name"] for j in web.get("/api/jobs").json()}
    refused = web.post("/api/jobs/remote_job/launch", json={"run_config": {}})
    assert refused.status_code >= 400 and "unreachable" in refused.text
    assert _location(web, "local")["status"] == "loaded"

    server.start()
    back = _location(web, "remote")
    assert back["status"] == "loaded" and back["error"] is None
    launched = web.post("/api/jobs/remote_job/launch", json={"run_config": {}})
    assert launched.status_code == 200, launched.text
    assert _wait_run(web, launched.json()["run_id"])["status"] == "SUCCESS"


def test_a_server_restarted_with_new_code_is_reloaded(web: Any, server: Server,
                                                      project: Path) -> None:
    """A server restarted between two looks (a new server id) is loaded afresh: the job its
    new code adds is listed without a reload from the UI."""
    assert "second_job" not in {j["name"] for j in web.get("/api/jobs").json()}
    server.kill()
    defs = project / "remote" / "remote_defs.py"
    defs.write_text(REMOTE_DEFS.replace(
        "jobs=[remote_job]",
        'jobs=[remote_job, define_asset_job("second_job", selection="remote_numbers")]'))
    server.start()
    assert _location(web, "remote")["status"] == "loaded"
    jobs = {j["name"]: j["location"] for j in web.get("/api/jobs").json()}
    assert jobs["second_job"] == "remote"


# --- the daemon --------------------------------------------------------------------------------
def test_daemon_skips_an_unreachable_server_and_resumes(server: Server, instance: Any,
                                                        caplog: Any) -> None:
    """The daemon logs one line when a remote location stops answering, skips its ticks
    while it is gone, and says so again when it answers."""
    from headwater.daemon.daemon import Daemon

    daemon = Daemon(instance, [server.origin], snapshot_interval=60.0)
    try:
        caplog.set_level(logging.WARNING, logger="headwater.daemon")
        daemon.iterate()
        location = daemon.locations[0]
        assert location.snapshot is not None and not location.unreachable
        assert location.origin.python_file is not None
        server.kill()
        # the snapshot is fresh (interval 60s), so the failure shows at the first call
        location.snapshot_at = 0.0
        daemon.iterate()
        daemon.iterate()
        skipping = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()]
        assert len(skipping) == 1 and "unreachable" in skipping[0]
        assert location.unreachable
        server.start()
        daemon.iterate()
        assert not location.unreachable
        assert any("answers again" in r.getMessage() for r in caplog.records)
    finally:
        daemon.lease.release()


# --- workspace.yaml ----------------------------------------------------------------------------
def test_workspace_file_reads_every_kind_of_entry(project: Path, monkeypatch: Any) -> None:
    """Short and long forms of python_file and python_module, and grpc_server with its
    token from a file or the environment; paths relative to the workspace file."""
    (project / "pkg").mkdir()
    path = project / "workspace.yaml"
    path.write_text("""\
load_from:
  - python_file: local_defs.py
  - python_file: {relative_path: remote_defs.py, working_directory: remote,
                  location_name: other, attribute: defs}
  - python_module: pkg.defs
  - grpc_server: {host: code.internal, port: 4000, location_name: sales,
                  token_file: token.txt}
  - grpc_server: {host: code.internal, port: 4001, ssl: true}
""")
    monkeypatch.setenv("HEADWATER_CODE_SERVER_TOKEN", "from-env")
    first, second, module, remote, secure = origins_from_workspace(str(path))
    assert first == CodeLocationOrigin(python_file=str(project / "local_defs.py"))
    assert second.python_file == str(project / "remote" / "remote_defs.py")
    assert (second.working_directory, second.name, second.attribute) == (
        str(project / "remote"), "other", "defs")
    assert (module.module_name, module.working_directory) == ("pkg.defs", str(project))
    assert remote == RemoteOrigin("code.internal", 4000, "sales", TOKEN)
    assert (secure.name, secure.token, secure.tls) == ("code.internal:4001", "from-env", True)


@pytest.mark.parametrize(("text", "message"), [
    ("load_from: []", "expected a `load_from:` list"),
    ("load_from:\n  - python_file: missing.py",
     r"load_from\[0\].python_file.relative_path: .*missing.py does not exist"),
    ("load_from:\n  - grpc_server: {host: h, port: web}",
     r"load_from\[0\].grpc_server.port: expected a port number \(1-65535\), got 'web'"),
    ("load_from:\n  - grpc_server: {host: h, port: 1, tokn_file: t}",
     r"load_from\[0\].grpc_server: unknown field\(s\) tokn_file"),
    ("load_from:\n  - grpc_server: {host: h, port: 1, token_env: NOT_SET_ANYWHERE_1}",
     "load_from\\[0\\].grpc_server.token_env: the variable NOT_SET_ANYWHERE_1 is not set"),
    ("load_from:\n  - python_module: {module_name: a, location_name: x}\n"
     "  - python_module: {module_name: b, location_name: x}",
     "two entries of load_from are both the location 'x'"),
    ("load_from:\n  - docker_image: x", "load_from\\[0\\]: expected one of python_file"),
])
def test_workspace_file_errors_name_file_entry_and_field(project: Path, text: str,
                                                         message: str) -> None:
    """Each mistake is one message naming the workspace file, the entry and the field."""
    path = project / "workspace.yaml"
    path.write_text(text)
    with pytest.raises(CodeLoadError, match=message) as caught:
        origins_from_workspace(str(path))
    assert str(path) in str(caught.value)
