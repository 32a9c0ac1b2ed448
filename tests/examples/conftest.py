"""Make the article's example modules importable and give each test its own data directory."""

import sys
from pathlib import Path

import pytest

ARTICLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "article"
if str(ARTICLE_DIR) not in sys.path:
    sys.path.insert(0, str(ARTICLE_DIR))


@pytest.fixture(autouse=True)
def article_workdir(tmp_path, monkeypatch):
    """Run in a scratch directory holding customers.csv, with ARTICLE_DATA_DIR inside it."""
    from _helpers import write_customers_csv

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARTICLE_DATA_DIR", str(tmp_path / "data"))
    write_customers_csv(tmp_path / "customers.csv")
    return tmp_path
