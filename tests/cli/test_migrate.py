"""`headwater migrate PATH`: a Dagster project ported by the case-preserving rename, its
requirements turned into headwater's, its private imports reported; in place, into --out, or
as a dry run; twice is once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

import headwater
from headwater.cli.main import main
from headwater.migration.private_import import private_imports
from headwater.migration.requirement import headwater_requirement, rewrite_requirements

ARTICLE = Path(__file__).resolve().parents[2] / "examples" / "article"
_BACK = {"headwater": "dagster", "Headwater": "Dagster", "HEADWATER": "DAGSTER"}


def _to_dagster(text: str) -> str:
    """The reverse rename: headwater spelling back to Dagster's."""
    return re.sub("headwater|Headwater|HEADWATER", lambda m: _BACK[m.group(0)], text)


def _migrate(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["migrate", *map(str, args)])


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under root, by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _headwater(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `headwater` command of this checkout in `cwd`, its instance in cwd too."""
    src = os.path.dirname(os.path.dirname(headwater.__file__))
    env = {**os.environ, "HEADWATER_HOME": str(cwd / ".home"),
           "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_article_examples_port_back_to_themselves_and_load(tmp_path):
    """The article's modules, reverse-renamed to Dagster's spelling, come back byte for byte,
    with one replacement per rename, and load with `headwater definitions validate`."""
    project = tmp_path / "article"
    originals = {p.name: p.read_text() for p in sorted(ARTICLE.glob("*.py"))}
    _write(project, {name: _to_dagster(text) for name, text in originals.items()})
    expected = sum(len(re.findall("headwater|Headwater|HEADWATER", t)) for t in originals.values())
    assert expected > 20

    result = _migrate(project)

    assert result.exit_code == 0, result.output
    assert {name: (project / name).read_text() for name in originals} == originals
    assert result.output.splitlines()[0] == (
        f"Rewrote {sum('eadwater' in t.lower() for t in originals.values())} file(s) "
        f"({expected} replacement(s)) and renamed 0 path(s) in place.")
    assert "  quickstart.py: 4" in result.output.splitlines()
    for module in ("quickstart.py", "type_system.py"):
        loaded = _headwater(["definitions", "validate", "-f", module], cwd=project)
        assert loaded.returncode == 0, loaded.stderr
        assert "Definitions are valid" in loaded.stdout


DAGSTER_PROJECT = {
    "pyproject.toml": """\
[project]
name = "dagster-shop"
dependencies = [
    "dagster==1.9.3",
    "dagster-dbt>=0.25,<0.26",
    'dagster-duckdb; python_version >= "3.10"',
    "pandas",
]

[tool.dagster]
module_name = "dagster_shop.definitions"
""",
    "dagster_shop/__init__.py": "",
    "dagster_shop/dagster_jobs.py": "",
    "dagster_shop/assets.py": """\
import dagster as dg


@dg.asset(op_tags={"dagster/priority": "3"}, kinds={"python"})
def my_dagster_orders() -> list[int]:
    dg.get_dagster_logger().info("see https://docs.dagster.io/guides for Dagster's docs")
    return [1, 2, 3]
""",
    "dagster_shop/definitions.py": """\
from dagster import Definitions
from dagster_shop.assets import my_dagster_orders

defs = Definitions(assets=[my_dagster_orders])
""",
    "dagster.yaml": """\
storage:
  postgres:
    postgres_db:
      username: {env: DAGSTER_PG_USERNAME}
      password: {env: DAGSTER_PG_PASSWORD}
""",
    ".env": "DAGSTER_HOME=/opt/dagster/dagster_home\nDAGSTER_PG_USERNAME=shop\n",
    "requirements-dev.txt": "dagster-webserver  # the UI\ndagster-snowflake\npytest\n",
    "README.md": "Run `dagster dev` (docs: https://docs.dagster.io/).\n\n"
                 "    pip install dagster-dbt\n",
}


def test_a_project_of_every_kind_is_ported(tmp_path):
    """pyproject's [tool.dagster] and dependencies, dagster.yaml with its env references,
    .env, requirements, Markdown and the package folder are ported, consistently: the renamed
    package is what the renamed imports and [tool.headwater] name, and the project loads."""
    project = _write(tmp_path / "shop", DAGSTER_PROJECT)

    result = _migrate(project)

    assert result.exit_code == 0, result.output
    assert sorted(_tree(project)) == [
        ".env", "README.md", "headwater.yaml", "headwater_shop/__init__.py",
        "headwater_shop/assets.py", "headwater_shop/definitions.py",
        "headwater_shop/headwater_jobs.py", "pyproject.toml",
        "requirements-dev.txt"]
    assert (project / "pyproject.toml").read_text() == """\
[project]
name = "headwater-shop"
dependencies = [
    "headwater",
    "headwater[dbt]",
    'headwater[duckdb]; python_version >= "3.10"',
    "pandas",
]

[tool.headwater]
module_name = "headwater_shop.definitions"
"""
    assert (project / "headwater.yaml").read_text() == DAGSTER_PROJECT["dagster.yaml"].replace(
        "{env: DAGSTER_PG_", "{env: HEADWATER_PG_")
    assert (project / ".env").read_text() == (
        "HEADWATER_HOME=/opt/headwater/headwater_home\nHEADWATER_PG_USERNAME=shop\n")
    assert (project / "requirements-dev.txt").read_text() == (
        "headwater[ui]  # the UI\nheadwater-snowflake\npytest\n")
    assert (project / "README.md").read_text() == (
        "Run `headwater dev` (docs: https://docs.dagster.io/).\n\n"
        "    pip install 'headwater[dbt]'\n")
    assets = (project / "headwater_shop/assets.py").read_text()
    assert "def my_headwater_orders()" in assets and '"headwater/priority"' in assets
    assert "https://docs.dagster.io/guides for Headwater's docs" in assets
    lines = result.output.splitlines()
    for line in ("  dagster_shop -> headwater_shop", "  dagster.yaml -> headwater.yaml",
                 "  dagster_shop/dagster_jobs.py -> headwater_shop/headwater_jobs.py",
                 "  pyproject.toml:4: dagster==1.9.3 -> headwater (dropped the pin ==1.9.3: "
                 "Dagster's, not headwater's)",
                 "  README.md:3: dagster-dbt -> headwater[dbt]",
                 "  requirements-dev.txt:1: dagster-webserver -> headwater[ui]"):
        assert line in lines, result.output
    assert ("  requirements-dev.txt:2: dagster-snowflake: no headwater counterpart (the rename "
            "leaves headwater-snowflake, which is not a distribution); see "
            "docs/migrating-from-dagster.md#not-there-yet") in lines

    loaded = _headwater(["definitions", "validate"], cwd=project)  # from [tool.headwater]
    assert loaded.returncode == 0, loaded.stderr
    assert "Definitions are valid: 1 assets" in loaded.stdout


def test_private_imports_are_reported_with_what_to_import(tmp_path):
    """Each private import is listed with its line: a public name with `from headwater
    import`, a path _compat answers as such, and the rest as unmapped."""
    _write(tmp_path / "p", {"jobs.py": """\
from dagster._core.errors import DagsterInvariantViolationError
from dagster._core.storage.tags import PARTITION_NAME_TAG
from dagster._core.storage.db_io_manager import DbTypeHandler
import dagster._check as check
from dagster._core.definitions.utils import normalize_tags
"""})

    result = _migrate(tmp_path / "p")

    assert result.exit_code == 0, result.output
    section = result.output.split("Private imports:\n")[1].splitlines()
    assert section == [
        "  jobs.py:1: from headwater._core.errors import HeadwaterInvariantViolationError: "
        "works as is; better `from headwater import HeadwaterInvariantViolationError`",
        "  jobs.py:2: from headwater._core.storage.tags import PARTITION_NAME_TAG: works as is "
        "(a tag-key constant, answered with headwater's PARTITION_TAG)",
        "  jobs.py:3: from headwater._core.storage.db_io_manager import DbTypeHandler: works as "
        "is (the module is headwater.definitions.config.db_io_manager)",
        "  jobs.py:4: import headwater._check: unmapped: headwater has no module "
        "headwater._check; change this line",
        "  jobs.py:5: from headwater._core.definitions.utils import normalize_tags: unmapped: "
        "normalize_tags is not a public headwater name (as a Dagster module path it imports, "
        "offering public names only); change this line "
        "(docs/migrating-from-dagster.md#private-dagster-imports)",
    ]


def test_the_verdicts_match_what_importing_does():
    """A line reported as working imports; one reported unmapped (with a capitalized name:
    a lowercase one may be a module path) raises ImportError."""
    source = ("from headwater._core.errors import HeadwaterInvariantViolationError\n"
              "from headwater._core.storage.tags import PARTITION_NAME_TAG\n"
              "from headwater._utils.backoff import backoff\n"
              "from headwater._core.definitions.utils import PrivateHelper\n"
              "from headwater._core.storage.db_io_manager import DbTypeHandler\n"
              "import headwater._check\n")
    for found in private_imports(source):
        statement = source.splitlines()[found.line - 1]
        if found.verdict == "unmapped":
            try:
                exec(statement, {})
            except ImportError:
                continue
            raise AssertionError(f"{statement} imports, but was reported unmapped")
        exec(statement, {})


def test_out_writes_a_ported_copy_and_leaves_the_project_alone(tmp_path):
    """--out holds the ported project and a copy of everything else (binary files as they
    are); .git, virtualenvs, node_modules, __pycache__ and dagster dev's scratch instance are
    not copied."""
    project = _write(tmp_path / "p", {
        "defs.py": "import dagster\n", "data/dagster.csv": "a,dagster\n",
        ".git/HEAD": "ref: dagster\n", "venv/pyvenv.cfg": "home = /usr\n",
        "node_modules/x.js": "dagster\n", "__pycache__/defs.cpython-311.pyc": "x",
        ".tmp_dagster_home_abc/history/runs.db": "x",
        "uv.lock": 'name = "dagster"\n'})
    (project / "logo.png").write_bytes(b"\x89PNG\0dagster")
    before = _tree(project)

    result = _migrate(project, "--out", tmp_path / "ported")

    assert result.exit_code == 0, result.output
    assert _tree(project) == before
    assert _tree(tmp_path / "ported") == {
        "defs.py": b"import headwater\n", "data/headwater.csv": b"a,dagster\n",
        "logo.png": b"\x89PNG\0dagster", "uv.lock": b'name = "dagster"\n'}
    assert result.output.endswith("edit the rest by hand):\n  uv.lock\n  data/headwater.csv\n")


def test_notebooks_line_endings_and_links(tmp_path):
    """A notebook is rewritten as its JSON text, CRLF line endings stay, .envrc is ported, and
    --out copies a link (to a file or a folder) as a link."""
    notebook = json.dumps({"cells": [{"cell_type": "code", "source": [
        "!pip install dagster-duckdb\n", "import dagster as dg\n"]}]}, indent=1)
    project = _write(tmp_path / "p", {"explore.ipynb": notebook, "shared/x.txt": "dagster\n",
                                      ".envrc": "export DAGSTER_HOME=$PWD/.dagster\n"})
    (project / "run.sh").write_bytes(b"dagster dev\r\nexit 0\r\n")
    (project / "linked").symlink_to(project / "shared", target_is_directory=True)

    result = _migrate(project, "--out", tmp_path / "ported")

    assert result.exit_code == 0, result.output
    ported = tmp_path / "ported"
    cells = json.loads((ported / "explore.ipynb").read_text())["cells"]
    assert cells[0]["source"] == ["!pip install 'headwater[duckdb]'\n", "import headwater as dg\n"]
    assert (ported / "run.sh").read_bytes() == b"headwater dev\r\nexit 0\r\n"
    assert (ported / ".envrc").read_text() == "export HEADWATER_HOME=$PWD/.headwater\n"
    assert os.readlink(ported / "linked") == str(project / "shared")


def test_dry_run_changes_nothing(tmp_path):
    """--dry-run reports what would change and writes nothing."""
    project = _write(tmp_path / "p", DAGSTER_PROJECT)
    before = _tree(project)

    result = _migrate(project, "--dry-run")

    assert result.exit_code == 0, result.output
    assert _tree(project) == before
    assert result.output.startswith("Would rewrite 7 file(s) (")
    assert "(dry run: nothing written)." in result.output.splitlines()[0]
    assert "  dagster.yaml -> headwater.yaml" in result.output.splitlines()


def test_a_second_run_changes_nothing(tmp_path):
    """Migrating a migrated project reports 0 changes and leaves every byte as it was."""
    project = _write(tmp_path / "p", DAGSTER_PROJECT)
    assert _migrate(project).exit_code == 0
    once = _tree(project)

    again = _migrate(project)

    assert again.exit_code == 0, again.output
    assert _tree(project) == once
    assert again.output == "Rewrote 0 file(s) (0 replacement(s)) and renamed 0 path(s) in place.\n"
    assert "headwaterheadwater" not in "".join(t.decode() for t in once.values())


def test_one_file_is_ported_and_renamed(tmp_path):
    """PATH may be one file: it is rewritten, and renamed when its name says dagster."""
    path = _write(tmp_path, {"dagster_defs.py": "from dagster import asset\n"}) / "dagster_defs.py"

    result = _migrate(path)

    assert result.exit_code == 0, result.output
    assert (tmp_path / "headwater_defs.py").read_text() == "from headwater import asset\n"
    assert not path.exists()


def test_user_errors_are_one_clear_message(tmp_path):
    """A missing PATH, an --out inside PATH, a non-empty --out and a rename onto an existing
    file each stop with one message, before anything is written."""
    project = _write(tmp_path / "p", {"dagster.yaml": "a: 1\n", "headwater.yaml": "b: 2\n",
                                      "defs.py": "import dagster\n"})
    before = _tree(project)
    cases = {
        (str(tmp_path / "nope"),): f"Error: migrate: {tmp_path / 'nope'} does not exist; pass "
                                   "the folder of the project to port (or one of its files).",
        (str(project), "--out", str(project / "ported")):
            f"Error: migrate: --out {project / 'ported'} is inside {project}, which would be "
            "copied into itself; pick a folder outside the project.",
        (str(project), "--out", str(tmp_path)):
            f"Error: migrate: --out {tmp_path} already exists and is not an empty folder; "
            "pick a new folder (migrate never overwrites).",
        (str(project),): "Error: migrate: dagster.yaml and headwater.yaml would both become "
                         "headwater.yaml; merge the two (or remove one) and run migrate again.",
    }
    for args, message in cases.items():
        result = _migrate(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.strip() == message
    assert _tree(project) == before

    folders = _write(tmp_path / "q", {"dagster_pkg/a.py": "", "headwater_pkg/b.py": ""})
    result = _migrate(folders)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: migrate: dagster_pkg would be renamed to headwater_pkg, which exists; merge the "
        "two (or remove one) and run migrate again.")
    assert sorted(_tree(folders)) == ["dagster_pkg/a.py", "headwater_pkg/b.py"]


def test_requirements_become_headwater_with_extras():
    """A Dagster distribution becomes headwater and the extras of its counterpart; its pin and
    extras are dropped, its marker kept; other names are not requirements of Dagster's."""
    assert headwater_requirement("dagster") == ("headwater", "")
    assert headwater_requirement("Dagster_DuckDB_Polars >= 0.24") == (
        "headwater[duckdb-polars]", "the pin >= 0.24")
    assert headwater_requirement("dagster-aws[s3]==0.25; os_name == 'posix'") == (
        "headwater[aws]; os_name == 'posix'", "the extras [s3] and the pin ==0.25")
    assert headwater_requirement("dagster-snowflake") is None
    assert headwater_requirement("dagster_project") is None


def test_every_extra_a_requirement_becomes_exists():
    """Each Dagster distribution maps to extras pyproject.toml declares (a typo would make
    pip warn and install nothing of the integration)."""
    from pathlib import Path

    import tomllib

    from headwater.migration.requirement import DISTRIBUTIONS

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = set(tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"])
    named = {extra for extras in DISTRIBUTIONS.values() for extra in extras}
    assert sorted(named - declared) == []


def test_poetry_dependency_keys_are_reported_with_the_line_to_write():
    """A Dagster distribution as a key of a Poetry dependency table is reported with the
    headwater key to write; a [tool.dagster] key is not a dependency."""
    text = ('[tool.poetry.dependencies]\npython = "^3.11"\ndagster-dbt = "^0.25"\n\n'
            '[tool.dagster]\ndagster_option = 1\n')

    _, changes = rewrite_requirements(text, "quoted")

    assert [(c.line, c.describe()) for c in changes] == [
        (3, "dagster-dbt: a Poetry dependency key, which the rename only renames; write one "
            'headwater key for all of them, with their extras (headwater = {version = "*", '
            'extras = ["dbt"]})')]
