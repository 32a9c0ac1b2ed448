"""`headwater asset check`, and the checks in `asset list` and `run show`, on the check
fixture project (tests/fixtures/check_project.py) with a real instance in HEADWATER_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from headwater.cli.main import main

PROJECT = str(Path(__file__).resolve().parents[1] / "fixtures" / "check_project.py")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_asset_check_fails_on_an_error_check(home):
    """Checking `orders` runs its three checks only, prints each result, and exits 1 because
    one failed with severity ERROR; nothing is materialized."""
    done = invoke("asset", "check", "-f", PROJECT, "--select", "orders")
    assert done.exit_code == 1, done.output
    lines = done.output.splitlines()
    assert "orders:customers_present: FAILED (ERROR) - 1 order(s) without a customer" in lines
    assert "orders:no_free_orders: FAILED (WARN)" in lines
    assert "orders:not_empty: PASSED" in lines
    summary = next(line for line in lines if line.startswith("Run "))
    assert summary.endswith(": 3 checks: 1 failed, 1 warn, 1 passed; checks failed.")
    assert "orders_customers_present failed:" in done.output  # the blocking check's step
    listed = json.loads(invoke("asset", "list", "-f", PROJECT, "--json").output)
    counts = {row["key"]: row["checks"] for row in listed}
    assert counts["orders"] == {"passed": 1, "warn": 1, "failed": 1, "in_progress": 0,
                                "not_run": 0, "total": 3}
    assert counts["revenue"]["not_run"] == 1
    from headwater import AssetKey
    from headwater.storage.instance import HeadwaterInstance

    assert HeadwaterInstance.get().get_latest_materialization_event(AssetKey("orders")) is None


def test_asset_check_passes_with_warnings_only(home):
    """Check keys select single checks; a WARN failure alone exits 0, and `run show` lists
    the run's check results."""
    done = invoke("asset", "check", "-f", PROJECT, "--select",
                  "orders:not_empty,orders:no_free_orders", "--json")
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    results = {c["key"]: (c["result"], c["severity"]) for c in body["checks"]}
    assert results == {"orders:not_empty": ("passed", "ERROR"),
                       "orders:no_free_orders": ("warn", "WARN")}
    shown = invoke("run", "show", body["run_id"])
    assert shown.exit_code == 0, shown.output
    assert "  check orders:no_free_orders: FAILED (WARN)" in shown.output.splitlines()
    data = json.loads(invoke("run", "show", body["run_id"], "--json").output)
    assert sorted(c["key"] for c in data["checks"]) == sorted(results)
    text = invoke("asset", "list", "-f", PROJECT).output
    assert "orders  [shop]  (3 checks: 1 warn, 1 passed, 1 not run)" in text.splitlines()


def test_asset_check_selection_errors(home):
    """A selection without checks and an unknown check key are errors that say what exists."""
    nothing = invoke("asset", "check", "-f", PROJECT, "--select", "group:nope")
    assert nothing.exit_code != 0 and "picks no asset check" in nothing.output
    unknown = invoke("asset", "check", "-f", PROJECT, "--select", "orders:ghost")
    assert unknown.exit_code != 0
    assert "no check 'orders:ghost'" in unknown.output
    assert "orders:customers_present" in unknown.output
