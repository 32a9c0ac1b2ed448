"""The `headwater` command on a real definitions file."""

from __future__ import annotations

import json
import os
import sys
import textwrap

from click.testing import CliRunner

from headwater import AssetKey
from headwater.cli.main import main
from headwater.storage.instance import HeadwaterInstance

DEFS = textwrap.dedent(
    """
    from headwater import Definitions, asset

    @asset(group_name="sales")
    def orders():
        return [1, 2]

    @asset
    def total(orders):
        return sum(orders)

    defs = Definitions(assets=[orders, total])
    """
)


def test_asset_list_and_materialize(tmp_path, monkeypatch):
    """asset list shows keys with groups; asset materialize runs and records the selection."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    runner = CliRunner()
    listed = runner.invoke(main, ["asset", "list", "-f", str(path), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["key"] for r in json.loads(listed.output)] == ["orders", "total"]
    done = runner.invoke(main, ["asset", "materialize", "-f", str(path), "--select", "*", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["materialized"] == ["orders", "total"]
    recorded = HeadwaterInstance.get().get_latest_materialization_event(AssetKey("total"))
    assert recorded is not None and recorded.run_id == json.loads(done.output)["run_id"]


def test_broken_definitions_file_is_reported_without_traceback(tmp_path):
    """A defs file that raises on import exits 1 with the file, line and message."""
    path = tmp_path / "broken.py"
    path.write_text("from headwater import asset\n\nraise RuntimeError('no warehouse')\n")
    result = CliRunner().invoke(main, ["definitions", "validate", "-f", str(path)])
    assert result.exit_code == 1
    assert "RuntimeError: no warehouse" in result.output
    assert "broken.py:3" in result.output
    assert "Traceback" not in result.output


def test_invalid_definitions_list_every_problem(tmp_path):
    """definitions validate prints every problem of the definitions at once."""
    path = tmp_path / "bad.py"
    path.write_text("from headwater import asset, Definitions\n\n@asset\ndef a(missing_one):\n"
                    "    return 1\n\n@asset\ndef b(missing_two):\n    return 2\n\n"
                    "defs = Definitions(assets=[a, b])\n")
    result = CliRunner().invoke(main, ["definitions", "validate", "-f", str(path)])
    assert result.exit_code == 1
    assert "2 problems in definitions" in result.output
    assert "missing_one" in result.output and "missing_two" in result.output


def test_webserver_without_the_ui_extra_says_how_to_install_it(tmp_path, monkeypatch):
    """A missing fastapi (the `ui` extra) is a one-line error naming the pip command."""
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    for name in ("headwater.server.serve", "headwater.server.app"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = CliRunner().invoke(main, ["webserver", "-f", str(path)])
    assert result.exit_code == 1
    assert result.output == ("Error: headwater webserver needs the 'ui' extra: "
                             "pip install 'headwater[ui]'\n")


def test_webserver_with_a_broken_install_fails_loudly(tmp_path, monkeypatch):
    """A missing part of headwater itself is not passed off as a missing extra."""
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    monkeypatch.setitem(sys.modules, "headwater.server.serve", None)
    result = CliRunner().invoke(main, ["webserver", "-f", str(path)])
    assert isinstance(result.exception, ModuleNotFoundError)
    assert result.exception.name == "headwater.server.serve"
    assert "pip install" not in result.output


EXECUTOR_DEFS = textwrap.dedent(
    """
    import logging
    import os

    from headwater import (AssetSpec, Definitions, asset, define_asset_job, in_process_executor,
                           logger, multiprocess_executor)

    @logger
    def to_file(init_context):
        log = logging.Logger("to_file")
        handler = logging.FileHandler(os.environ["CLI_TEST_LOG"])
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        return log

    def record_pid():
        with open(os.environ["CLI_TEST_PIDS"], "a") as f:
            f.write(f"{os.getpid()}\\n")

    @asset
    def raw(context):
        record_pid()
        context.log.info("raw says hello")
        return 1

    @asset
    def cleaned(raw):
        record_pid()
        return raw + 1

    @asset
    def unrelated():
        record_pid()
        return 0

    defs = Definitions(assets=[raw, cleaned, unrelated, AssetSpec("outside")], executor=EXECUTOR,
                       loggers={"to_file": to_file},
                       jobs=[define_asset_job("clean", selection="raw+")])
    """
)


def _executor_project(tmp_path, monkeypatch, executor: str):
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLI_TEST_PIDS", str(tmp_path / "pids"))
    monkeypatch.setenv("CLI_TEST_LOG", str(tmp_path / "log"))
    path = tmp_path / f"cli_{executor}_defs.py"
    path.write_text(EXECUTOR_DEFS.replace("EXECUTOR", executor))
    return path


def _pids(tmp_path) -> set[int]:
    return {int(line) for line in (tmp_path / "pids").read_text().split()}


def test_asset_materialize_runs_with_the_executor_of_the_definitions(tmp_path, monkeypatch):
    """asset materialize runs the selection as the Definitions' asset job: with
    multiprocess_executor its steps run in worker processes, not in the command's."""
    path = _executor_project(tmp_path, monkeypatch, "multiprocess_executor")
    done = CliRunner().invoke(main, ["asset", "materialize", "-f", str(path), "--select",
                                     "raw+", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["materialized"] == ["cleaned", "raw"]
    pids = _pids(tmp_path)
    assert len((tmp_path / "pids").read_text().split()) == 2  # `unrelated` was not selected
    assert os.getpid() not in pids
    run = HeadwaterInstance.get().get_run_by_id(json.loads(done.output)["run_id"])
    assert run is not None and run.job_name == "__ASSET_JOB"
    assert run.asset_selection == {AssetKey("raw"), AssetKey("cleaned")}


def test_asset_materialize_in_process_executor_and_definitions_loggers(tmp_path, monkeypatch):
    """With in_process_executor the steps run in the command's own process, and the
    loggers given to Definitions receive the run's log messages."""
    path = _executor_project(tmp_path, monkeypatch, "in_process_executor")
    done = CliRunner().invoke(main, ["asset", "materialize", "-f", str(path), "--select", "raw",
                                     "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["materialized"] == ["raw"]
    assert _pids(tmp_path) == {os.getpid()}
    assert "raw says hello" in (tmp_path / "log").read_text()


def test_job_execute_runs_with_the_executor_and_loggers_of_the_definitions(tmp_path, monkeypatch):
    """job execute runs an asset job with the Definitions' executor and loggers too."""
    path = _executor_project(tmp_path, monkeypatch, "multiprocess_executor")
    done = CliRunner().invoke(main, ["job", "execute", "-f", str(path), "-j", "clean", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["success"] is True
    assert len((tmp_path / "pids").read_text().split()) == 2
    assert os.getpid() not in _pids(tmp_path)
    assert "raw says hello" in (tmp_path / "log").read_text()


def test_asset_materialize_of_nothing_is_an_error(tmp_path, monkeypatch):
    """A selection of only external assets says so instead of running an empty job."""
    path = _executor_project(tmp_path, monkeypatch, "in_process_executor")
    done = CliRunner().invoke(main, ["asset", "materialize", "-f", str(path), "--select",
                                     "outside"])
    assert done.exit_code == 1
    assert "--select 'outside' picks no asset that can be materialized" in done.output
    assert not (tmp_path / "pids").exists()
