"""Fixtures shared across the suite."""

from __future__ import annotations

import os
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: the PostgreSQL server the tests that need one create their databases on
POSTGRES_URL = os.environ.get("HEADWATER_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def new_postgres_database() -> Iterator[Callable[[str], str]]:
    """A factory of new PostgreSQL databases on HEADWATER_TEST_POSTGRES_URL's server:
    `make(prefix)` creates `<prefix>_<random>` and gives its URL; every database made is
    dropped after the test. Skips the test when no server answers."""
    import sqlalchemy as sa

    from headwater.storage.database import normalize_url

    url = sa.engine.make_url(normalize_url(POSTGRES_URL))
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except sa.exc.OperationalError as exc:
            pytest.skip(f"no PostgreSQL server at {POSTGRES_URL}: {exc}")
        made.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        if made:
            with admin.connect() as connection:
                for name in made:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def components_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                       ) -> Iterator[Callable[[str, dict[str, str]], tuple[Path, str]]]:
    """A factory writing a components project under tmp_path: `make(prefix, files)` gives
    (root, package name); `files` maps paths to dedented text, `{name}` in either standing for
    the package name. The package name is unique to the test, and its modules are
    forgotten afterwards."""
    made: list[str] = []

    def make(prefix: str, files: dict[str, str]) -> tuple[Path, str]:
        name = f"{prefix}_{tmp_path.name.replace('-', '_').lower()}"
        made.append(name)
        base = {
            "pyproject.toml": f'[project]\nname = "{name}"\n[tool.dg.project]\n'
                              f'root_module = "{name}"\n',
            f"src/{name}/__init__.py": "",
            f"src/{name}/defs/__init__.py": "",
        }
        for rel, text in {**base, **{k.replace('{name}', name): v.replace('{name}', name)
                                        for k, v in files.items()}}.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return tmp_path, name

    monkeypatch.setattr(sys, "path", list(sys.path))
    yield make
    for name in made:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
