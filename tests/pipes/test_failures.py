"""Pipes when the external process goes wrong, on real subprocesses: crashes, exceptions,
garbage on the message channel, no Pipes session at all, and a virtualenv without headwater."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import pytest

import headwater_pipes
from headwater import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    HeadwaterInstance,
    HeadwaterPipesExecutionError,
    PipesSubprocessClient,
    asset,
    materialize,
    multi_asset,
)


def _script(tmp_path: pathlib.Path, body: str) -> str:
    path = tmp_path / "external.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


def _run(assets: list, instance: HeadwaterInstance):
    result = materialize(assets, instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return result, failure.event_specific_data.error.message


def _logs(instance: HeadwaterInstance, run_id: str) -> list[str]:
    return [e.user_message for e in instance.all_logs(run_id)]


def _single(script: str, **client: object):
    @asset
    def fragile(context: AssetExecutionContext):
        return PipesSubprocessClient(**client).run(  # type: ignore[arg-type]
            command=[sys.executable, script], context=context).get_materialize_result()

    return fragile


def test_a_crash_keeps_the_logs_and_the_materializations_reported_before_it(tmp_path):
    """A hard crash fails the step with the exit code and stderr; what came before is kept."""
    script = _script(tmp_path, """
        import os, sys
        from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.log.info("loaded 3 files")
            pipes.report_asset_materialization(asset_key="a", metadata={"rows": 3},
                                               data_version="v1")
            sys.stderr.write("java.lang.OutOfMemoryError: heap space\\n")
            sys.stderr.flush()
            os._exit(3)
    """)

    @multi_asset(specs=[AssetSpec("a"), AssetSpec("b")])
    def both(context: AssetExecutionContext):
        yield from PipesSubprocessClient().run(command=[sys.executable, script],
                                               context=context).get_results()

    instance = HeadwaterInstance.ephemeral()
    result, error = _run([both], instance)
    assert f"{HeadwaterPipesExecutionError.__name__}: the Pipes subprocess" in error
    assert "exited with code 3" in error
    assert "java.lang.OutOfMemoryError: heap space" in error
    assert "Kept the materializations it reported before failing: a." in error
    kept = instance.get_latest_materialization_event(AssetKey("a"))
    assert kept is not None and kept.run_id == result.run_id
    materialization = kept.asset_materialization
    assert materialization.metadata["rows"].value == 3
    assert materialization.tags["headwater/data_version"] == "v1"
    assert instance.get_latest_materialization_event(AssetKey("b")) is None
    assert any("loaded 3 files" in m for m in _logs(instance, result.run_id))


def test_an_exception_in_the_script_is_the_message(tmp_path):
    """An exception inside the Pipes block is reported by name, message and traceback."""
    script = _script(tmp_path, """
        from headwater_pipes import open_headwater_pipes

        def parse(row):
            raise ValueError(f"bad input row {row}")

        with open_headwater_pipes():
            parse(7)
    """)
    _, error = _run([_single(script)], HeadwaterInstance.ephemeral())
    assert "exited with code 1" in error
    assert "It raised ValueError: bad input row 7" in error
    assert "in parse" in error and "external.py" in error


def test_garbage_on_the_channel_names_each_line_and_the_channel(tmp_path):
    """Lines that are not Pipes messages are quoted with their line numbers and the file
    they were written to; the good messages around them are still handled and kept."""
    script = _script(tmp_path, """
        import base64, json, os, zlib
        from headwater_pipes import open_headwater_pipes

        params = json.loads(zlib.decompress(base64.b64decode(os.environ["HEADWATER_PIPES_MESSAGES"])))
        with open_headwater_pipes() as pipes:          # line 1: opened
            pipes.log.info("before the garbage")       # line 2
            with open(params["path"], "a") as channel:
                channel.write("progress: 50%\\n")       # line 3
                channel.write('{"rows": 3}\\n')         # line 4
                channel.flush()
            pipes.log.info("after the garbage")        # line 5
            pipes.report_asset_materialization(metadata={"rows": 1})  # line 6
        # line 7: closed; line 8: a message cut short, as when a process dies mid-write
        with open(params["path"], "a") as channel:
            channel.write('{"__headwater_pipes_version": "0.1", "method": "log", "par')
    """)
    instance = HeadwaterInstance.ephemeral()
    result, error = _run([_single(script)], instance)
    assert "sent 3 message(s) headwater cannot use on the message file " in error
    assert "/messages:" in error
    assert "line 3: not JSON (Expecting value at column 1): 'progress: 50%'" in error
    assert "line 4: JSON without __headwater_pipes_version" in error
    assert "line 8: not JSON (Unterminated string" in error
    assert "Kept the materializations it reported before failing: fragile." in error
    assert instance.get_latest_materialization_event(AssetKey("fragile")) is not None
    logs = _logs(instance, result.run_id)
    assert any("before the garbage" in m for m in logs)
    assert any("after the garbage" in m for m in logs)


def test_a_report_for_an_unknown_asset_is_refused_by_line(tmp_path):
    """A hand-written report naming an asset the step lacks is refused, naming the asset."""
    script = _script(tmp_path, """
        import base64, json, os, zlib
        params = json.loads(zlib.decompress(base64.b64decode(os.environ["HEADWATER_PIPES_MESSAGES"])))
        with open(params["path"], "a") as channel:
            channel.write(json.dumps({"__headwater_pipes_version": "0.1",
                                      "method": "report_asset_materialization",
                                      "params": {"asset_key": "nope"}}) + "\\n")
    """)
    _, error = _run([_single(script)], HeadwaterInstance.ephemeral())
    assert ("line 1: 'report_asset_materialization' message refused: asset 'nope' is not one "
            "of this step's assets (fragile)") in error


def test_a_script_that_never_opens_pipes_is_materialized_with_a_warning(tmp_path):
    """Exiting 0 without a Pipes session materializes the asset and warns how to report."""
    script = _script(tmp_path, "print('plain script')\n")
    instance = HeadwaterInstance.ephemeral()
    result = materialize([_single(script)], instance=instance)
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        AssetKey("fragile")]
    warnings = [e for e in instance.all_logs(result.run_id)
                if "without opening a Pipes session" in e.user_message]
    assert warnings and warnings[0].level == 30
    assert "call open_headwater_pipes()" in warnings[0].user_message


def test_a_script_failing_before_it_opens_pipes_says_so(tmp_path):
    """A script that dies before open_headwater_pipes() fails with its stderr and that hint."""
    script = _script(tmp_path, "import missing_module_xyz\n")
    _, error = _run([_single(script)], HeadwaterInstance.ephemeral())
    assert "exited with code 1" in error
    assert "No module named 'missing_module_xyz'" in error
    assert "It failed before opening its Pipes session" in error


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory) -> pathlib.Path:
    """A fresh virtualenv holding only a copy of the headwater_pipes module."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, env={}).stdout.strip()
    target = pathlib.Path(purelib) / "headwater_pipes"
    target.mkdir()
    target.joinpath("__init__.py").write_text(pathlib.Path(headwater_pipes.__file__).read_text())
    return python


def test_a_script_in_another_virtualenv_reports_back(tmp_path, bare_venv):
    """headwater_pipes alone, copied into a virtualenv without headwater, reports back
    logs, a materialization and a check result."""
    script = _script(tmp_path, """
        import importlib.util, sys
        from headwater_pipes import open_headwater_pipes

        assert importlib.util.find_spec("headwater") is None, "headwater leaked in"
        with open_headwater_pipes() as pipes:
            pipes.log.warning(f"running on {sys.prefix}")
            pipes.report_asset_materialization(metadata={"python": sys.version.split()[0]},
                                               data_version="venv-1")
            pipes.report_asset_check(check_name="nonempty", passed=True)
    """)

    @asset(check_specs=[AssetCheckSpec("nonempty", asset="isolated")])
    def isolated(context: AssetExecutionContext):
        # PYTHONPATH emptied so the test's own path to headwater does not leak in
        return PipesSubprocessClient(env={"PYTHONPATH": ""}).run(
            command=[str(bare_venv), script], context=context).get_materialize_result()

    instance = HeadwaterInstance.ephemeral()
    result = materialize([isolated], instance=instance)
    [mat] = result.asset_materializations_for_node("isolated")
    assert mat.metadata["python"].value == sys.version.split()[0]
    assert mat.tags["headwater/data_version"] == "venv-1"
    [check] = result.get_asset_check_evaluations()
    assert check.passed and check.check_name == "nonempty"
    assert any(f"running on {bare_venv.parent.parent}" in m
               for m in _logs(instance, result.run_id))
