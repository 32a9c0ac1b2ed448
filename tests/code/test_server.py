"""The code server, driven through CodeServerClient with real subprocesses."""

from __future__ import annotations

import os
import signal
import time

import pytest

from headwater.code.client import CodeServerClient, CodeServerError, CodeServerTimeoutError
from headwater.code.location import CodeLocationOrigin, origins_from_pyproject

GOOD = """\
import time
from headwater import Definitions, SkipReason, asset, job, op, sensor

print("hello from user code")
import sys
assert sys.stdin.read() == ""  # the protocol's stdin is not the user's

@asset
def orders():
    return [1, 2]

@op(config_schema={"n": int})
def make(context):
    return context.op_config["n"]

@job
def numbers():
    make()

@sensor(job=numbers)
def quiet(context):
    return SkipReason("nothing new")

@sensor(job=numbers)
def slow(context):
    time.sleep(30)

def touch(defs, path):
    open(path, "w").close()

defs = Definitions(assets=[orders], jobs=[numbers], sensors=[quiet, slow])
"""


def _client(path, **kwargs) -> CodeServerClient:
    kwargs.setdefault("timeout", 10.0)
    kwargs.setdefault("startup_timeout", 20.0)
    return CodeServerClient(CodeLocationOrigin(python_file=str(path)), **kwargs)


def test_good_file_answers_every_request(tmp_path):
    """A server on a good file serves ping, snapshot, list_jobs, run-config checks and calls."""
    path = tmp_path / "srv_good_defs.py"
    path.write_text(GOOD)
    with _client(path) as client:
        assert client.ping()["loaded"] is True
        snap = client.snapshot()
        assert [a["key_string"] for a in snap["assets"]] == ["orders"]
        assert snap["location_name"] == "srv_good_defs"
        assert client.list_jobs() == ["numbers"]
        schema = client.run_config_schema("numbers")
        assert "make" in schema["properties"]["ops"]["properties"]
        bad = client.validate_run_config("numbers", {"ops": {"make": {"config": {"n": "x"}}}})
        assert bad["valid"] is False and bad["errors"]
        assert client.validate_run_config("numbers", {"ops": {"make": {"config": {"n": 1}}}}
                                          )["valid"] is True
        assert client.call("evaluate_sensor", {"name": "quiet"})["skip_message"] == "nothing new"
        assert client.call("partition_counts") == {"counts": {}, "missing_dynamic": []}
        with pytest.raises(CodeServerError, match="no job 'nope'"):
            client.validate_run_config("nope", {})
        # user prints went to stderr, not into the protocol
        assert "hello from user code" in client.stderr_tail
        process = client._process
    assert process is not None and process.poll() is not None


def test_broken_file_gives_structured_error_and_server_survives(tmp_path):
    """A defs file that raises yields kind/file/line/traceback in the reply; ping still works."""
    path = tmp_path / "srv_broken_defs.py"
    path.write_text("from headwater import asset\n\nraise RuntimeError('no warehouse')\n")
    with _client(path) as client:
        assert client.ready is not None and client.ready["loaded"] is False
        with pytest.raises(CodeServerError) as info:
            client.snapshot()
        error = info.value.error
        assert error["kind"] == "load_error"
        assert error["file"] == str(path) and error["line"] == 3
        assert "RuntimeError: no warehouse" in error["message"]
        assert "Traceback" in error["traceback"]
        assert f"{path}:3" in str(info.value)
        assert client.ping()["loaded"] is False
        assert client.restarts == 0


def test_invalid_definitions_come_back_with_every_problem(tmp_path):
    """Definitions that import but break rules give kind 'definition_error' with problems."""
    path = tmp_path / "srv_invalid_defs.py"
    path.write_text("from headwater import Definitions, asset\n\n@asset\ndef a(gone_one):\n"
                    "    return 1\n\n@asset\ndef b(gone_two):\n    return 1\n\n"
                    "defs = Definitions(assets=[a, b])\n")
    with _client(path) as client:
        with pytest.raises(CodeServerError) as info:
            client.list_jobs()
        assert info.value.kind == "definition_error"
        assert len(info.value.error["problems"]) == 2
        assert "gone_one" in str(info.value) and "gone_two" in str(info.value)


def test_sys_exit_in_user_code_is_an_error_not_a_crash(tmp_path):
    """sys.exit() at import time is reported like any other load error."""
    path = tmp_path / "srv_exit_defs.py"
    path.write_text("import sys\nsys.exit(3)\n")
    with _client(path) as client:
        assert client.ready is not None and client.ready["error"]["kind"] == "load_error"
        assert "called sys.exit(3) while being imported" in client.ready["error"]["message"]
        assert client.ping()["loaded"] is False


def test_reload_picks_up_edits_of_the_file_and_its_helpers(tmp_path):
    """reload re-imports the defs file and the modules it imported from the project."""
    helper = tmp_path / "srv_reload_helper.py"
    helper.write_text("NAMES = ['a']\n")
    path = tmp_path / "srv_reload_defs.py"
    source = ("from headwater import Definitions, AssetSpec\nimport srv_reload_helper\n"
              "defs = Definitions(assets=[AssetSpec(n) for n in srv_reload_helper.NAMES])\n")
    path.write_text(source)
    with _client(path) as client:
        first = client.snapshot()
        assert [a["key_string"] for a in first["assets"]] == ["a"]
        helper.write_text("NAMES = ['a', 'bb']\n")
        reply = client.reload()
        assert reply["loaded"] is True and reply["snapshot_id"] != first["snapshot_id"]
        assert [a["key_string"] for a in client.snapshot()["assets"]] == ["a", "bb"]
        path.write_text(source + "raise ValueError('half-edited')\n")
        assert client.reload()["error"]["line"] == 4
        with pytest.raises(CodeServerError, match="half-edited"):
            client.snapshot()
        path.write_text(source)
        assert client.reload()["loaded"] is True
        assert client.restarts == 0


def test_killed_server_is_restarted(tmp_path):
    """After the server process is killed, the next request starts a new one."""
    path = tmp_path / "srv_kill_defs.py"
    path.write_text(GOOD)
    with _client(path) as client:
        old_pid = client.pid
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        assert [a["key_string"] for a in client.snapshot()["assets"]] == ["orders"]
        assert client.restarts == 1 and client.pid != old_pid
        os.kill(client.pid, signal.SIGKILL)
        client._process.wait()  # certainly dead before the next request
        assert client.ping()["loaded"] is True
        assert client.restarts == 2


def test_hanging_defs_file_times_out(tmp_path):
    """A defs file that blocks at import gives a timeout error quickly and leaves no process."""
    path = tmp_path / "srv_hang_defs.py"
    path.write_text("import time\ntime.sleep(60)\n")
    client = _client(path, startup_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(CodeServerTimeoutError, match="did not load its code within 1.0s"):
        client.snapshot()
    assert time.monotonic() - started < 5
    assert not client.is_alive()
    client.shutdown()


def test_slow_request_times_out_and_next_request_recovers(tmp_path):
    """A call that hangs raises a timeout; the stuck server is replaced on the next request."""
    path = tmp_path / "srv_slow_defs.py"
    path.write_text(GOOD)
    with _client(path) as client:
        with pytest.raises(CodeServerTimeoutError, match="did not answer 'evaluate_sensor'"):
            client.call("evaluate_sensor", {"name": "slow"}, timeout=0.5)
        assert not client.is_alive()
        assert client.list_jobs() == ["numbers"]
        assert client.restarts == 1


def test_bad_requests_get_error_replies(tmp_path):
    """Unknown methods, wrong params and unknown calls are errors, not crashes."""
    path = tmp_path / "srv_bad_defs.py"
    path.write_text(GOOD)
    with _client(path) as client:
        with pytest.raises(CodeServerError, match="offers no call 'nope'"):
            client.request("nope")
        with pytest.raises(CodeServerError, match="unexpected keyword argument"):
            client.request("list_jobs", {"x": 1})
        with pytest.raises(CodeServerError, match="missing 1 required positional argument"):
            client.call("evaluate_sensor")
        assert client.ping()["loaded"] is True


def test_server_refuses_every_call_it_does_not_offer(tmp_path):
    """Only the calls of the table run: a module:function name, from the standard library,
    from headwater or from the user's own module, is refused and nothing is executed."""
    path = tmp_path / "srv_refuse_defs.py"
    path.write_text(GOOD)
    markers = [tmp_path / f"ran_{i}" for i in range(4)]
    refused = [
        ("os:system", {"command": f"touch {markers[0]}"}),
        ("subprocess:call", {"args": ["touch", str(markers[1])]}),
        ("headwater.code.loader:anything", {}),
        ("srv_refuse_defs:touch", {"path": str(markers[2])}),
        ("call", {"name": "os:system", "params": {"command": f"touch {markers[3]}"}}),
        ("__init__", {}),
        ("unload", {}),
    ]
    with _client(path) as client:
        for name, params in refused:
            with pytest.raises(CodeServerError) as info:
                client.call(name, params)
            assert info.value.kind == "unknown_call"
            message = str(info.value)
            assert f"offers no call {name!r}" in message
            assert "evaluate_sensor" in message and "snapshot" in message
        assert [m for m in markers if m.exists()] == []
        assert client.restarts == 0 and client.ping()["loaded"] is True


def test_module_location_from_pyproject_reloads_its_package(tmp_path):
    """A -m location declared in pyproject.toml is served; reload re-imports its package."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.headwater]\nmodule_name = "srvpkg.defs"\nworking_directory = "src"\n')
    pkg = tmp_path / "src" / "srvpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "names.py").write_text("NAMES = ['x']\n")
    (pkg / "defs.py").write_text("from headwater import AssetSpec, Definitions\n"
                                 "from srvpkg.names import NAMES\n"
                                 "defs = Definitions(assets=[AssetSpec(n) for n in NAMES])\n")
    [origin] = origins_from_pyproject(str(tmp_path / "pyproject.toml"))
    with CodeServerClient(origin, timeout=10, startup_timeout=20) as client:
        assert [a["key_string"] for a in client.snapshot()["assets"]] == ["x"]
        (pkg / "names.py").write_text("NAMES = ['x', 'yy']\n")
        client.reload()
        assert [a["key_string"] for a in client.snapshot()["assets"]] == ["x", "yy"]
