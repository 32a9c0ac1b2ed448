"""A failed run shows the user's own exception and its causes on every CLI failure path."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from headwater.cli.main import main

FAILING = textwrap.dedent(
    """
    from headwater import Definitions, asset, define_asset_job

    @asset
    def bad():
        try:
            {}["warehouse"]
        except KeyError as exc:
            raise ValueError("boom") from exc

    defs = Definitions(assets=[bad], jobs=[define_asset_job("bad_job", selection="*")])
    """
)


def _defs(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    path = tmp_path / "defs.py"
    path.write_text(FAILING)
    return str(path)


def _assert_user_error(output):
    assert "ValueError: boom" in output, output
    assert "caused by: KeyError: 'warehouse'" in output, output
    assert "Error occurred while executing op" not in output, output


def test_asset_materialize_prints_the_user_exception_and_its_cause(tmp_path, monkeypatch):
    """asset materialize exits 1 with `ValueError: boom` and its KeyError cause, no traceback."""
    path = _defs(tmp_path, monkeypatch)
    result = CliRunner().invoke(main, ["asset", "materialize", "-f", path, "--select", "*"])
    assert result.exit_code == 1
    _assert_user_error(result.output)
    assert "Traceback" not in result.output and 'raise ValueError("boom")' not in result.output


def test_verbose_adds_the_traceback_of_each_link(tmp_path, monkeypatch):
    """--verbose prints the user's source lines under the error and under its cause."""
    path = _defs(tmp_path, monkeypatch)
    result = CliRunner().invoke(main, ["--verbose", "asset", "materialize", "-f", path,
                                       "--select", "*"])
    assert result.exit_code == 1
    _assert_user_error(result.output)
    assert 'raise ValueError("boom") from exc' in result.output
    assert '{}["warehouse"]' in result.output


def test_job_execute_json_keeps_the_summary_last(tmp_path, monkeypatch):
    """job execute --json prints the error on stderr and the JSON summary as the last line."""
    path = _defs(tmp_path, monkeypatch)
    result = CliRunner().invoke(main, ["job", "execute", "-f", path, "-j", "bad_job", "--json"])
    assert result.exit_code == 1
    _assert_user_error(result.stderr)
    assert json.loads(result.stdout)["failed_steps"] == ["bad"]


def test_launch_wait_run_show_and_run_logs_print_the_user_exception(tmp_path, monkeypatch):
    """A launched run that fails: --wait, run show and run logs each name ValueError: boom."""
    path = _defs(tmp_path, monkeypatch)
    runner = CliRunner()
    launched = runner.invoke(main, ["job", "launch", "-f", path, "-j", "bad_job", "--wait",
                                    "--json"])
    assert launched.exit_code == 1
    _assert_user_error(launched.stderr)
    run_id = json.loads(launched.stdout.strip().splitlines()[-1])["run_id"]
    shown = runner.invoke(main, ["run", "show", run_id])
    assert shown.exit_code == 0
    _assert_user_error(shown.stdout)
    assert "  step bad failed:\n    ValueError: boom" in shown.stdout
    shown_json = json.loads(runner.invoke(main, ["run", "show", run_id, "--json"]).stdout)
    assert shown_json["errors"][0]["step_key"] == "bad"
    assert [link["message"] for link in shown_json["errors"][0]["error"]] == [
        "ValueError: boom", "KeyError: 'warehouse'"]
    logs = runner.invoke(main, ["run", "logs", run_id])
    _assert_user_error(logs.stdout)
    logs_json = json.loads(runner.invoke(main, ["run", "logs", run_id, "--json"]).stdout)
    failures = [e for e in logs_json if e["type"] == "STEP_FAILURE"]
    assert failures[0]["error"][0] == {"class": "ValueError", "message": "ValueError: boom"}


def test_a_step_error_carried_by_the_run_failure_is_printed_once(tmp_path, monkeypatch):
    """The run failure event repeats its failed step's error; the CLI prints it once."""
    result = CliRunner().invoke(main, ["asset", "materialize", "-f", _defs(tmp_path, monkeypatch),
                                       "--select", "bad"])
    assert result.exit_code != 0
    assert result.output.count("ValueError: boom") == 1, result.output
