"""The jaffle dbt project of these tests: parsed once per session, copied per test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

JAFFLE = Path(__file__).parent / "jaffle"
DBT = str(Path(sys.executable).parent / "dbt")


@pytest.fixture(autouse=True)
def _quiet_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.delenv("JAFFLE_DUCKDB_PATH", raising=False)


@pytest.fixture(scope="session")
def parsed_jaffle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with target/manifest.json and dbt's partial-parse file."""
    root = tmp_path_factory.mktemp("parsed") / "jaffle"
    shutil.copytree(JAFFLE, root)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("JAFFLE_DUCKDB_PATH", None)
    subprocess.run([DBT, "parse", "--quiet", "--profiles-dir", str(root)], cwd=root, env=env,
                   check=True)
    return root


@pytest.fixture
def jaffle(tmp_path: Path, parsed_jaffle: Path) -> Iterator[Path]:
    """This test's own copy of the parsed project (its DuckDB file lives inside it)."""
    root = tmp_path / "jaffle"
    shutil.copytree(parsed_jaffle, root)
    yield root
