"""A missing extra is one line naming it: the real `headwater` command (and a real import) run
in a subprocess where the extra's packages cannot be imported (tests/fixtures/without_extra)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from headwater._extras import MissingExtraError, needs_extra

ROOT = Path(__file__).resolve().parents[2]
WITHOUT_EXTRA = ROOT / "tests" / "fixtures" / "without_extra"

DEFS = textwrap.dedent(
    """
    from headwater import Definitions, asset

    @asset
    def numbers():
        return [1, 2, 3]

    defs = Definitions(assets=[numbers])
    """
)


def run(tmp_path: Path, unimportable: str, *args: str, code: str | None = None,
        **env: str) -> subprocess.CompletedProcess[str]:
    """`headwater *args` (or `python -c code`) in tmp_path, with `unimportable` (comma-separated
    modules) made impossible to import."""
    pythonpath = os.pathsep.join(filter(None, [str(WITHOUT_EXTRA), os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m",
                                                         "headwater.cli.main", *args]
    return subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": pythonpath, "HEADWATER_TEST_UNIMPORTABLE": unimportable,
             "HEADWATER_HOME": str(tmp_path / "home"), **env})


@pytest.fixture
def defs(tmp_path: Path) -> Path:
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    return path


@pytest.mark.parametrize("command", ["dev", "webserver"])
def test_webserver_without_the_ui_extra(tmp_path: Path, defs: Path, command: str) -> None:
    """`headwater dev` and `headwater webserver` without fastapi name the `ui` extra, in one line."""
    done = run(tmp_path, "fastapi", command, "-f", str(defs), "-p", "0")
    assert done.returncode == 1
    assert done.stderr == (f"Error: headwater {command} needs the 'ui' extra: "
                           "pip install 'headwater[ui]'\n")


def test_the_other_commands_need_no_extra(tmp_path: Path, defs: Path) -> None:
    """Without the webserver, PostgreSQL and dask packages, assets still materialize."""
    done = run(tmp_path, "fastapi,uvicorn,starlette,sse_starlette,psycopg,dask,distributed",
               "asset", "materialize", "-f", str(defs), "--select", "*")
    assert done.returncode == 0, done.stderr
    assert "numbers" in done.stdout + done.stderr


def test_postgres_storage_without_the_postgres_extra(tmp_path: Path, defs: Path) -> None:
    """A PostgreSQL storage URL without psycopg names the `postgres` extra."""
    done = run(tmp_path, "psycopg", "asset", "materialize", "-f", str(defs), "--select", "*",
               HEADWATER_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test")
    assert done.returncode == 1
    assert done.stderr == ("Error: PostgreSQL storage needs the 'postgres' extra: "
                           "pip install 'headwater[postgres]'\n")


def test_dask_executor_without_the_dask_extra(tmp_path: Path) -> None:
    """A job on the dask executor without dask fails naming the `dask` extra."""
    path = tmp_path / "dask_defs.py"
    path.write_text(DEFS.replace("from headwater import Definitions, asset",
                                 "from headwater import Definitions, asset, define_asset_job\n"
                                 "from headwater_dask import dask_executor")
                    .replace("Definitions(assets=[numbers])",
                             "Definitions(assets=[numbers], jobs=[define_asset_job("
                             "'all', executor_def=dask_executor)])"))
    done = run(tmp_path, "dask,distributed", "job", "execute", "-f", str(path), "-j", "all")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == ("Error: the dask executor needs the 'dask' extra: "
                                            "pip install 'headwater[dask]'")
    assert "Traceback" not in done.stderr


def test_definitions_importing_an_integration_without_its_extra(tmp_path: Path) -> None:
    """Definitions that import headwater_duckdb without duckdb: one line naming the extra and
    the line of the user's import."""
    path = tmp_path / "defs.py"
    path.write_text("from headwater_duckdb import DuckDBResource\n" + DEFS)
    done = run(tmp_path, "duckdb", "asset", "list", "-f", str(path))
    assert done.returncode == 1
    assert done.stderr == ("Error: Error loading definitions: MissingExtraError: headwater_duckdb "
                           "needs the 'duckdb' extra: pip install 'headwater[duckdb]' "
                           f"({path}:1)\n")


@pytest.mark.parametrize(("package", "unimportable", "extra"), [
    ("headwater_duckdb", "duckdb", "duckdb"),
    # the package's own extra, also when what is missing is the inner package's
    ("headwater_duckdb_pandas", "duckdb", "duckdb-pandas"),
    ("headwater_duckdb_pandas", "pandas", "duckdb-pandas"),
    ("headwater_pandas", "pandas", "pandas"),
    ("headwater_aws.s3", "boto3", "aws"),
    ("headwater_slack", "slack_sdk", "slack"),
])
def test_importing_an_integration_without_its_extra(tmp_path: Path, package: str,
                                                    unimportable: str, extra: str) -> None:
    """`import headwater_<tool>` without its packages raises MissingExtraError (an ImportError)
    naming the package's extra."""
    done = run(tmp_path, unimportable, code=f"import {package}")
    assert done.returncode == 1
    user = package.split(".")[0]
    assert done.stderr.splitlines()[-1] == (
        f"headwater._extras.MissingExtraError: {user} needs the '{extra}' extra: "
        f"pip install 'headwater[{extra}]'")


def test_a_missing_part_of_headwater_is_not_a_missing_extra() -> None:
    """A module of headwater itself missing is a broken install: it is not renamed."""
    with pytest.raises(ModuleNotFoundError) as caught, needs_extra("ui", "headwater webserver"):
        import headwater.server.no_such_module  # noqa: F401
    assert not isinstance(caught.value, MissingExtraError)


def test_missing_extra_error_is_an_import_error() -> None:
    """`except ImportError` around an optional integration keeps working."""
    with pytest.raises(ImportError) as caught, needs_extra("dask", "the dask executor"):
        import no_such_dask_module  # noqa: F401
    assert isinstance(caught.value, MissingExtraError)
    assert caught.value.extra == "dask" and caught.value.name == "no_such_dask_module"


def _extras() -> dict[str, list[str]]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(project["project"]["optional-dependencies"])



def test_every_extra_an_error_names_exists() -> None:
    """Each `needs_extra("<extra>", ...)` in the code names an extra of pyproject.toml."""
    named = {m for path in (ROOT / "src").rglob("*.py")
             for m in re.findall(r'needs_extra\("([^"]+)"', path.read_text())}
    assert named, "no needs_extra call found"
    assert sorted(named - set(_extras())) == []


def test_all_is_every_runtime_extra_and_dev_has_all() -> None:
    """`all` installs every extra but docs and dev; `dev` installs all of it and docs."""
    extras = _extras()
    in_all = {name for requirement in extras["all"]
              for listed in re.findall(r"^headwater\[(.+)\]$", requirement)
              for name in listed.split(",")}
    assert in_all == set(extras) - {"all", "dev", "docs"}
    assert "headwater[all,docs]" in extras["dev"]
