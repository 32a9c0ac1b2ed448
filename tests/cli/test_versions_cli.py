"""`headwater asset list --stale` and `headwater asset explain` on the versions fixture
project, with a real instance in HEADWATER_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from headwater.cli.main import main

PROJECT = str(Path(__file__).resolve().parents[1] / "fixtures" / "versions_project.py")


@pytest.fixture
def version_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    path = tmp_path / "version.txt"
    path.write_text("v1")
    monkeypatch.setenv("HEADWATER_TEST_VERSION_FILE", str(path))
    return path


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_list_stale_and_explain(version_file):
    """Nothing is stale after the first run; after raw's new data version, --stale lists
    clean and report with their causes, and explain says why and what would run."""
    assert invoke("asset", "materialize", "-f", PROJECT, "--select", "*").exit_code == 0
    assert invoke("asset", "list", "-f", PROJECT, "--stale").output.strip() == "No stale assets."
    version_file.write_text("v2")
    assert invoke("asset", "materialize", "-f", PROJECT, "--select", "raw").exit_code == 0
    listed = invoke("asset", "list", "-f", PROJECT, "--stale")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "clean  [default]  <- raw",
        "    stale: clean: raw has a new data version (was 'v1', now 'v2').",
        "report  [default]  <- clean",
        "    stale: report: clean is stale.",
    ]
    rows = json.loads(invoke("asset", "list", "-f", PROJECT, "--stale", "--json").output)
    assert [c["kind"] for c in rows[0]["stale_causes"]] == ["new_data_version"]
    explained = invoke("asset", "explain", "-f", PROJECT, "report")
    assert explained.exit_code == 0, explained.output
    text = explained.output
    assert "== Staleness ==" in text and "report is STALE, for 1 reason(s):" in text
    assert "  - report: clean is stale." in text
    assert "== What would run ==" in text
    assert "  - raw runs: it has no upstream assets: its data comes from outside." in text
    assert "  - clean runs: raw has a new data version." in text
    assert ("  - report would be skipped as unchanged with skip-unchanged on (runs without "
            "it): its code version and its inputs' data versions are unchanged.") in text
    fresh = invoke("asset", "explain", "-f", PROJECT, "raw").output
    assert "raw is FRESH: nothing it depends on changed since it was computed." in fresh
    missing = invoke("asset", "explain", "-f", PROJECT, "nope")
    assert missing.exit_code == 1 and "No asset 'nope'" in missing.output
