"""DbtProject: where a dbt project lives and where its manifest is, and making that manifest.

`DbtProject(project_dir)` only computes paths. `prepare_if_dev()` parses the project
(`dbt deps` when it has packages, then `dbt parse`) when definitions load during development:
under `headwater dev` (which sets HEADWATER_IS_DEV_CLI) or when
HEADWATER_DBT_PARSE_PROJECT_ON_LOAD is set. In production, run `prepare_and_package` (or
`python -m headwater_dbt.project prepare-and-package --file defs.py`) at build time so that the
manifest ships with the code and loading definitions never starts dbt.

Imports the standard library and this package's `errors`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from headwater_dbt.errors import HeadwaterDbtError, HeadwaterDbtProjectNotFoundError

PARSE_ON_LOAD_ENV = "HEADWATER_DBT_PARSE_PROJECT_ON_LOAD"
DEV_CLI_ENV = "HEADWATER_IS_DEV_CLI"


def dbt_executable_path(name: str = "dbt") -> str:
    """The dbt executable to run: `name` on PATH, else the one next to this Python."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    raise HeadwaterDbtError(
        f"dbt executable '{name}' was not found on PATH nor next to {sys.executable}. Install "
        "dbt into this environment (pip install 'headwater[dbt]' plus your adapter, e.g. "
        "dbt-duckdb) or pass dbt_executable='/path/to/dbt'.")


class DbtProject:
    """A dbt project on disk: its directory, target directory, manifest and profile choice."""

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        *,
        target_path: str | os.PathLike[str] = "target",
        profiles_dir: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        target: str | None = None,
        packaged_project_dir: str | os.PathLike[str] | None = None,
        state_path: str | os.PathLike[str] | None = None,
    ):
        project_dir = Path(project_dir).resolve()
        packaged = Path(packaged_project_dir).resolve() if packaged_project_dir else None
        if packaged is not None and packaged.joinpath("dbt_project.yml").exists():
            project_dir = packaged  # a packaged copy, shipped with the code, wins
        if not project_dir.joinpath("dbt_project.yml").exists():
            raise HeadwaterDbtProjectNotFoundError(
                f"DbtProject(project_dir='{project_dir}'): no dbt_project.yml there. Point "
                "project_dir at the folder that holds dbt_project.yml, e.g. "
                "Path(__file__).parent / 'my_dbt_project'.")
        self.project_dir = project_dir
        self.packaged_project_dir = packaged
        self.target_path = project_dir / target_path
        self.profiles_dir = Path(profiles_dir).resolve() if profiles_dir else None
        self.profile = profile
        self.target = target
        self.state_path = project_dir / state_path if state_path else None
        self.manifest_path = self.target_path / "manifest.json"
        self.has_uninstalled_deps = self._has_uninstalled_deps()

    def __repr__(self) -> str:
        extras = "".join(f", {k}={v!r}" for k, v in (
            ("profile", self.profile), ("target", self.target)) if v)
        return f"DbtProject(project_dir='{self.project_dir}'{extras})"

    def _has_uninstalled_deps(self) -> bool:
        declared = any(self.project_dir.joinpath(f).exists()
                       for f in ("packages.yml", "dependencies.yml"))
        return declared and not self.project_dir.joinpath("dbt_packages").exists()

    def cli_options(self) -> list[str]:
        """The --profiles-dir/--profile/--target options this project is run with."""
        options = []
        if self.profiles_dir:
            options += ["--profiles-dir", str(self.profiles_dir)]
        elif self.project_dir.joinpath("profiles.yml").exists():
            options += ["--profiles-dir", str(self.project_dir)]
        if self.profile:
            options += ["--profile", self.profile]
        if self.target:
            options += ["--target", self.target]
        return options

    def prepare_if_dev(self) -> None:
        """Parse the project now if this is a development load (see the module docstring)."""
        if os.environ.get(DEV_CLI_ENV) or os.environ.get(PARSE_ON_LOAD_ENV):
            self.prepare()

    def prepare(self) -> None:
        """Install the project's packages if needed and write its manifest (`dbt parse`)."""
        if self.has_uninstalled_deps:
            self._run(["deps"])
            self.has_uninstalled_deps = False
        self._run(["parse", "--quiet"])
        if not self.manifest_path.exists():
            raise HeadwaterDbtError(
                f"`dbt parse` ran in {self.project_dir} but wrote no {self.manifest_path}.")

    def _run(self, args: list[str]) -> None:
        command = [dbt_executable_path(), *args, *self.cli_options(),
                   "--target-path", str(self.target_path)]
        done = subprocess.run(command, cwd=self.project_dir, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()
            raise HeadwaterDbtError(
                f"`dbt {' '.join(args)}` failed in dbt project {self.project_dir} "
                f"(exit code {done.returncode}):\n{output}\nFix the project (run the same "
                "command in that folder to see it), then load the definitions again.")


def prepare_and_package(project: DbtProject) -> None:
    """Parse `project` and, if it has a `packaged_project_dir`, copy it there (build step)."""
    project.prepare()
    if project.packaged_project_dir and project.packaged_project_dir != project.project_dir:
        shutil.rmtree(project.packaged_project_dir, ignore_errors=True)
        shutil.copytree(project.project_dir, project.packaged_project_dir,
                        ignore=shutil.ignore_patterns("*.duckdb", "logs", ".user.yml"))


def _projects_in(file: str) -> list[DbtProject]:
    """The DbtProjects `file` defines. It runs as a development load would (prepare_if_dev
    parses), so a file whose @dbt_assets read the manifest it is about to make still loads."""
    import runpy

    before = os.environ.get(PARSE_ON_LOAD_ENV)
    os.environ[PARSE_ON_LOAD_ENV] = "1"
    try:
        namespace: dict[str, Any] = runpy.run_path(file)
    finally:
        if before is None:
            os.environ.pop(PARSE_ON_LOAD_ENV, None)
        else:
            os.environ[PARSE_ON_LOAD_ENV] = before
    return [v for v in namespace.values() if isinstance(v, DbtProject)]


def main(argv: list[str] | None = None) -> int:
    """`python -m headwater_dbt.project prepare-and-package --file path/to/project.py`"""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] != "prepare-and-package" or args[1] != "--file":
        print("usage: python -m headwater_dbt.project prepare-and-package --file FILE.py",
              file=sys.stderr)
        return 2
    projects = _projects_in(args[2])
    if not projects:
        print(f"{args[2]} defines no DbtProject at module level.", file=sys.stderr)
        return 1
    for project in projects:
        prepare_and_package(project)
        print(f"prepared {project.project_dir} -> {project.manifest_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
