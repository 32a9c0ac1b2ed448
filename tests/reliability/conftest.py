"""The standing reliability suite: concurrency and fault experiments kept as tests.

Every test here is marked `reliability` and states the invariant it holds in its docstring.
Sizes are bounded so the suite runs in `make test`. PostgreSQL tests use
HEADWATER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test), each in a
database of its own dropped afterwards, and are skipped when no server answers there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

POSTGRES_URL = os.environ.get("HEADWATER_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: an invariant under concurrency, faults or hostile input (tests/reliability/)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.path).startswith(here + os.sep):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh instance database: a SQLite file, or a new PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/headwater.db"
        return
    yield request.getfixturevalue("new_postgres_database")("hw_reliability")
