"""The build hook that puts the web UI in every wheel and sdist headwater builds.

The UI's sources are in ui/ (React + Vite); its build goes to src/headwater/server/static/,
which git ignores, so hatch would leave it out. Before each build this hook builds the UI
(`npm ci && npm run build` in ui/) when the build is missing or older than a source, and
adds it to the build as an artifact. An sdist therefore carries the built UI, and installing
it needs no npm: the hook finds the UI already built and reuses it.

Without the UI and without npm the build stops with one line saying what to do: a wheel is
never made without its UI. The one exception is an editable install (`pip install -e .`,
what `make dev` and `make test` do): it points Python at src/, where `make ui` builds the UI,
so the hook leaves the UI alone there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

STATIC = "src/headwater/server/static"
# What a UI build reads (the Makefile's UI_SRC says the same).
SOURCES = ("src", "public", "index.html", "package.json", "package-lock.json",
           "vite.config.ts", "tsconfig.json")


class UIBuildHook(BuildHookInterface):
    """Builds ui/ when its build is stale, and ships the build in the wheel and the sdist."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        index = root / STATIC / "index.html"
        ui = root / "ui"
        if _is_stale(index, ui):
            _build(ui, index)
        build_data["artifacts"].append(f"/{STATIC}/")


def _newest_source(ui: Path) -> float:
    """The modification time of the newest UI source, 0 when ui/ is not there."""
    newest = 0.0
    for name in SOURCES:
        path = ui / name
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def _is_stale(index: Path, ui: Path) -> bool:
    if not index.is_file():
        return True
    return _newest_source(ui) > index.stat().st_mtime


def _build(ui: Path, index: Path) -> None:
    built = index.is_file()
    if not (ui / "package.json").is_file():
        if built:
            return  # an sdist without the UI's sources: its built UI is all there is
        raise SystemExit(f"headwater: cannot build the web UI: {ui}/package.json is missing "
                         f"and so is {index}.")
    npm = shutil.which("npm")
    if npm is None:
        if built:
            print(f"headwater: warning: {index} is older than the UI's sources and npm is not "
                  "installed to rebuild it: the build ships the older UI.", file=sys.stderr)
            return
        raise SystemExit("headwater: the web UI is not built and npm is not installed: install "
                         "Node.js 20 (with npm) or run `make ui` on a machine that has it, then "
                         "build again.")
    for step in ([npm, "ci", "--no-audit", "--no-fund"], [npm, "run", "build"]):
        done = subprocess.run(step, cwd=ui)
        if done.returncode != 0:
            raise SystemExit(f"headwater: `{' '.join(step[1:])}` in {ui} failed with exit code "
                             f"{done.returncode} (its output is above), so the web UI is not "
                             "built.")
    if not index.is_file():
        raise SystemExit(f"headwater: `npm run build` in {ui} did not write {index}.")
