"""Bad input on the command line and in the user's code, tried through the real CLI (as
subprocesses) and the real code server.

Invariants of the file:
- a malformed option value (run config that is not JSON/YAML, not a mapping, or nested
  without end; a negative or zero count) is one usage error naming the option and the fix,
  exit code 2, never a Python traceback;
- the value of an environment variable named by `EnvVar` / `{"env": NAME}` never appears in
  what the CLI prints nor anywhere in the instance's files, even when it fails its type check:
  the message names the variable and the expected type only;
- a definitions file that exits (`sys.exit`, `exit`, `os._exit`) or raises KeyboardInterrupt
  while being imported is a load error that says so, for `definitions validate`, the code
  server and the webserver; it never ends the process silently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import headwater
from headwater.code.client import CodeServerClient
from headwater.code.location import CodeLocationOrigin

DEFS = """\
import pydantic
from headwater import (Config, ConfigurableResource, Definitions, EnvVar, IntSource, asset,
                       job, op)

class Db(ConfigurableResource):
    port: int

@asset
def uses_db(db: Db):
    return db.port

class Limits(Config):
    size: int = 1
    positive: int = pydantic.Field(default=1, gt=0)

@op
def sized(config: Limits):
    return config.size

@op(config_schema={"n": IntSource})
def counted(context):
    return context.op_config["n"]

@job
def sized_job():
    sized()

@job
def counted_job():
    counted()

defs = Definitions(assets=[uses_db], jobs=[sized_job, counted_job],
                   resources={"db": Db(port=EnvVar.int("HW_SECRET"))})
"""

SECRET = "s3cr3t-hunter2"
NEGATIVE_SECRET = "-424242"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hygiene")
    (root / "defs.py").write_text(DEFS)
    return root


def headwater_cli(args: list[str], cwd: Path, home: Path,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`headwater ARGS` in a subprocess, this checkout's headwater first on the path."""
    here = os.path.dirname(os.path.dirname(headwater.__file__))
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    full = {**os.environ, "HEADWATER_HOME": str(home), "PYTHONPATH": path, **(env or {})}
    return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], cwd=cwd,
                          env=full, capture_output=True, text=True, timeout=120)


def assert_usage_error(result: subprocess.CompletedProcess[str], option: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    assert option in result.stderr, output


def deep_json(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


# --- run config options --------------------------------------------------------------

BAD_JSON = {
    "not JSON": "{ops: 1",
    "a list": "[1, 2]",
    "a string": '"ops"',
    "null": "null",
    "empty": "",
    "nested past the parser": "[" * 30000 + "]" * 30000,
    "nested past the object limit": deep_json(150),
    "deep inside a mapping": '{"ops": ' + deep_json(400) + "}",
}


@pytest.mark.parametrize("case", sorted(BAD_JSON))
def test_bad_config_json_is_a_usage_error(case: str, project: Path, tmp_path: Path) -> None:
    """--config-json that is not a JSON object of sane depth: exit 2 naming the option."""
    result = headwater_cli(["job", "execute", "-f", "defs.py", "-j", "sized_job",
                            "--config-json", BAD_JSON[case]], project, tmp_path)
    assert_usage_error(result, "--config-json")
    assert "JSON object" in result.stderr or "nested" in result.stderr


@pytest.mark.parametrize("command", [
    ["asset", "materialize", "--select", "uses_db"],
    ["launch", "--assets", "uses_db"],
    ["job", "launch", "-j", "sized_job"],
])
def test_every_command_with_config_json_refuses_it_alike(command: list[str], project: Path,
                                                         tmp_path: Path) -> None:
    """The commands sharing the run-config options refuse bad JSON the same way."""
    result = headwater_cli([*command, "-f", "defs.py", "--config-json", "[" * 30000],
                           project, tmp_path)
    assert_usage_error(result, "--config-json")


BAD_YAML = {
    "not YAML": "ops: [1, 2\n",
    "a list": "- 1\n- 2\n",
    "nested past the parser": "a: " + "[" * 3000 + "]" * 3000 + "\n",
    "nested past the object limit": "a: " + deep_json(150) + "\n",
}


@pytest.mark.parametrize("case", sorted(BAD_YAML))
def test_bad_config_file_is_a_usage_error(case: str, project: Path, tmp_path: Path) -> None:
    """-c FILE that is not a YAML mapping of sane depth: exit 2 naming the option and file."""
    config = tmp_path / "run.yaml"
    config.write_text(BAD_YAML[case])
    result = headwater_cli(["job", "execute", "-f", "defs.py", "-j", "sized_job",
                            "-c", str(config)], project, tmp_path)
    assert_usage_error(result, "--config")
    assert "run.yaml" in result.stderr


@pytest.mark.parametrize("target", ["missing.yaml", "a_directory", "binary.yaml"])
def test_unreadable_config_file_is_a_usage_error(target: str, project: Path,
                                                 tmp_path: Path) -> None:
    """-c naming no file, a directory or a non-text file: exit 2 naming the option."""
    (tmp_path / "a_directory").mkdir()
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00\x81")
    result = headwater_cli(["job", "execute", "-f", "defs.py", "-j", "sized_job",
                            "-c", str(tmp_path / target)], project, tmp_path)
    assert_usage_error(result, "--config")


def test_json_params_is_checked_like_run_config(project: Path, tmp_path: Path) -> None:
    """`scaffold defs --json-params` refuses JSON that is not an object, or too deep."""
    for text in ("[1]", "[" * 30000, "{nope"):
        result = headwater_cli(["scaffold", "defs", "some.Component", "x",
                                "--json-params", text], project, tmp_path)
        assert_usage_error(result, "--json-params")


def test_bad_tag_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    """`job launch --tag` without KEY=VALUE: exit 2 naming the option."""
    result = headwater_cli(["job", "launch", "-f", "defs.py", "-j", "sized_job",
                            "--tag", "no-equals-sign"], project, tmp_path)
    assert_usage_error(result, "--tag")


# --- numeric options -----------------------------------------------------------------

@pytest.mark.parametrize("args,option", [
    (["run", "list", "--limit", "-5"], "--limit"),
    (["run", "list", "--limit", "0"], "--limit"),
    (["schedule", "preview", "every", "-f", "defs.py", "--ticks", "-1"], "--ticks"),
    (["schedule", "preview", "every", "-f", "defs.py", "--ticks", "0"], "--ticks"),
    (["daemon", "run", "-f", "defs.py", "--once", "--interval", "-1"], "--interval"),
    (["definitions", "snapshot", "-f", "defs.py", "--server", "--timeout", "0"], "--timeout"),
    (["webserver", "-f", "defs.py", "--port", "-1"], "--port"),
    (["instance", "prune", "--older-than", "soon"], "--older-than"),
    (["instance", "prune", "--older-than", "-3d"], "--older-than"),
])
def test_counts_and_durations_must_be_positive(args: list[str], option: str, project: Path,
                                               tmp_path: Path) -> None:
    """A negative or zero count or duration is refused before anything runs."""
    assert_usage_error(headwater_cli(args, project, tmp_path), option)


def test_run_list_limit_is_honoured(project: Path, tmp_path: Path) -> None:
    """A valid --limit still lists (nothing here), exit 0."""
    result = headwater_cli(["run", "list", "--limit", "1", "--json"], project, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


# --- EnvVar values stay secret -------------------------------------------------------

def assert_secret_kept(result: subprocess.CompletedProcess[str], home: Path, secret: str) -> None:
    output = result.stdout + result.stderr
    assert secret not in output, output
    assert secret.lstrip("-") not in output, output
    assert "HW_SECRET" in output, output
    for path in home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), f"{secret!r} stored in {path}"


def test_mistyped_env_var_of_a_resource_is_not_echoed(project: Path, tmp_path: Path) -> None:
    """EnvVar.int given a non-integer: the run fails naming the variable and `int`, and the
    value is neither printed nor stored in the instance."""
    result = headwater_cli(["asset", "materialize", "-f", "defs.py", "--select", "uses_db"],
                           project, tmp_path, env={"HW_SECRET": SECRET})
    assert result.returncode == 1
    assert "int" in result.stderr
    assert_secret_kept(result, tmp_path, SECRET)


@pytest.mark.parametrize("job_name,op,field,secret", [
    ("sized_job", "sized", "size", SECRET),           # a Config class field
    ("sized_job", "sized", "positive", NEGATIVE_SECRET),  # a pydantic constraint on it
    ("counted_job", "counted", "n", SECRET),          # an IntSource of config_schema
])
def test_mistyped_env_var_in_run_config_is_not_echoed(job_name: str, op: str, field: str,
                                                      secret: str, project: Path,
                                                      tmp_path: Path) -> None:
    """{"env": NAME} in run config whose value fails the field's type or constraint: the
    error names the variable, never its value."""
    config = {"ops": {op: {"config": {field: {"env": "HW_SECRET"}}}}}
    result = headwater_cli(["job", "execute", "-f", "defs.py", "-j", job_name,
                            "--config-json", json.dumps(config)],
                           project, tmp_path, env={"HW_SECRET": secret})
    assert result.returncode == 1, result.stdout + result.stderr
    assert_secret_kept(result, tmp_path, secret)


def test_int_env_var_get_value_does_not_echo() -> None:
    """EnvVar.int(NAME).get_value() on a non-integer names the variable, not the value."""
    from headwater import EnvVar

    os.environ["HW_SECRET_GET"] = SECRET
    try:
        with pytest.raises(ValueError) as raised:
            EnvVar.int("HW_SECRET_GET").get_value()
    finally:
        del os.environ["HW_SECRET_GET"]
    assert SECRET not in str(raised.value) and "HW_SECRET_GET" in str(raised.value)


# --- definitions files that exit while imported --------------------------------------

EXITING = {
    "sys_exit.py": ("import sys\nsys.exit(3)\n", "called sys.exit(3) while being imported"),
    "builtin_exit.py": ("exit(0)\n", "called sys.exit(0) while being imported"),
    "exit_message.py": ("raise SystemExit('bye')\n",
                        "called sys.exit('bye') while being imported"),
    "os_exit.py": ("import os\nos._exit(4)\n", "called os._exit(4) while being imported"),
    "interrupt.py": ("raise KeyboardInterrupt\n",
                     "raised KeyboardInterrupt while being imported"),
}


@pytest.fixture(scope="module")
def exiting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exiting")
    for name, (text, _) in EXITING.items():
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("name", sorted(EXITING))
def test_validate_reports_an_exit_at_import(name: str, exiting: Path, tmp_path: Path) -> None:
    """`definitions validate` on a file that exits while imported: exit 1 and says so."""
    result = headwater_cli(["definitions", "validate", "-f", name], exiting, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert EXITING[name][1] in result.stderr
    assert name.removesuffix(".py") in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(EXITING))
def test_code_server_marks_the_location_failed(name: str, exiting: Path) -> None:
    """The code server keeps serving; its location is failed with the exit as the error."""
    with CodeServerClient(CodeLocationOrigin(python_file=str(exiting / name)),
                          timeout=60, startup_timeout=60) as client:
        ready = client.start()
        assert ready["loaded"] is False
        assert EXITING[name][1] in ready["error"]["message"]
        assert client.call("ping", {})["error"]["message"] == ready["error"]["message"]


def test_webserver_shows_the_exit_as_the_location_error(exiting: Path, tmp_path: Path) -> None:
    """The webserver lists a location whose code exits at import as failed, with why."""
    from fastapi.testclient import TestClient

    from headwater.server import create_app
    from headwater.storage.instance import HeadwaterInstance

    instance = HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/h.db", str(tmp_path))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(exiting / "sys_exit.py"))],
                     launcher=None)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            locations: list[dict[str, Any]] = client.get("/api/locations").json()
        assert locations[0]["status"] == "error"
        assert "called sys.exit(3) while being imported" in locations[0]["error"]["message"]
    finally:
        app.state.headwater.workspace.shutdown()
        instance.dispose()


def test_a_real_interrupt_during_import_still_interrupts(tmp_path: Path) -> None:
    """Ctrl-C (a SIGINT delivered while the file is imported) is the user's, not a load
    error: it still raises KeyboardInterrupt."""
    from headwater.code.loader import load_definitions

    path = tmp_path / "interrupted.py"
    path.write_text("import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\n"
                    "time.sleep(5)\n")
    with pytest.raises(KeyboardInterrupt):
        load_definitions(python_file=str(path))


def test_python_config_loaders_refuse_deep_yaml() -> None:
    """config_from_yaml_strings (and so config_from_files) refuse YAML nested past the
    parser's recursion with a config error, not a RecursionError."""
    from headwater import config_from_yaml_strings
    from headwater.errors import HeadwaterInvalidConfigError

    with pytest.raises(HeadwaterInvalidConfigError, match="nested too deeply"):
        config_from_yaml_strings(["a: " + "[" * 5000 + "]" * 5000])


def test_a_run_worker_whose_code_exits_fails_the_run_at_once(tmp_path: Path) -> None:
    """Code that exits only when imported by the run worker: the run ends FAILURE with the
    exit named, at once (not when run monitoring notices a dead worker)."""
    (tmp_path / "worker_exit.py").write_text(
        "import sys\nfrom headwater import Definitions, job, op\n"
        "if 'run-worker' in sys.argv:\n    sys.exit(3)\n"
        "@op\ndef hello():\n    return 1\n@job\ndef hi():\n    hello()\n"
        "defs = Definitions(jobs=[hi])\n")
    result = headwater_cli(["job", "launch", "-f", "worker_exit.py", "-j", "hi", "--wait"],
                           tmp_path, tmp_path / "home")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "called sys.exit(3) while being imported" in result.stdout + result.stderr
    assert "(FAILURE)" in result.stdout
