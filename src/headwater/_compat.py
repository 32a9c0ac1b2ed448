"""Dagster's private module paths, answered with headwater's public names.

Ported projects often import public names from where Dagster happens to define them:
`from dagster._core.errors import DagsterTypeCheckDidNotPass` becomes, after the rename,
`from headwater._core.errors import HeadwaterTypeCheckDidNotPass`. headwater has no such
modules; this finder makes any module under `headwater._core`, `headwater._utils`,
`headwater._config` or `headwater._serdes` importable, and every public name of `headwater`
importable from it, as are Dagster's tag-key constants (`PARTITION_NAME_TAG` and friends).
The same holds for `headwater.components` and its submodules, where Dagster's components API
lives (`from dagster.components import Resolvable`). A name that is not public fails with an
ImportError that says so and points at docs/migrating-from-dagster.md. A few private modules
that ported code imports whole, for names headwater keeps out of its top level (the database
IO manager's `DbTypeHandler`, `TableSlice`...), are the real headwater module instead
(`MODULE_ALIASES`). Installed by
`headwater/__init__.py`; imports `_exports` only (the package and `definitions/tags.py` are
looked up by name when a name is asked for).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
from collections.abc import Sequence
from typing import Any

from headwater._exports import EXPORTS

# `headwater.components` is public in Dagster (`from dagster.components import Component`,
# `dagster.components.testing`); its names are public names of headwater too.
PRIVATE_ROOTS = ("headwater._core", "headwater._utils", "headwater._config", "headwater._serdes",
                 "headwater.components")

# Dagster's private module -> the headwater module that is imported in its place, whole.
MODULE_ALIASES = {
    "headwater._core.storage.db_io_manager": "headwater.definitions.config.db_io_manager",
    "headwater._utils.backoff": "headwater._backoff",
}


# Dagster's tag-key constants (`from dagster._core.storage.tags import PARTITION_NAME_TAG`),
# by their Dagster name -> the name of the same key in headwater/definitions/tags.py, which
# holds every `headwater/...` key once.
TAG_CONSTANTS = {
    "PARTITION_NAME_TAG": "PARTITION_TAG",
    "ASSET_PARTITION_RANGE_START_TAG": "RANGE_START_TAG",
    "ASSET_PARTITION_RANGE_END_TAG": "RANGE_END_TAG",
    **{name: name for name in (
        "MULTIDIMENSIONAL_PARTITION_PREFIX", "RUN_KEY_TAG", "SENSOR_NAME_TAG",
        "SCHEDULE_NAME_TAG", "TICK_ID_TAG", "BACKFILL_ID_TAG", "PRIORITY_TAG",
        "PARENT_RUN_ID_TAG", "ROOT_RUN_ID_TAG", "RESUME_RETRY_TAG", "STEP_SELECTION_TAG",
        "COMPUTE_KIND_TAG", "KIND_PREFIX", "MAX_RUNTIME_SECONDS_TAG", "SYSTEM_TAG_PREFIX",
        "HIDDEN_TAG_PREFIX", "CODE_VERSION_TAG", "DATA_VERSION_TAG")},
}


class _PrivatePath(types.ModuleType):
    """A stand-in for one of Dagster's private modules: public names only."""

    __path__: list[str] = []  # a package, so that deeper paths import too

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in EXPORTS:
            return getattr(importlib.import_module("headwater"), name)
        if name in TAG_CONSTANTS:
            return getattr(importlib.import_module("headwater.definitions.tags"), TAG_CONSTANTS[name])
        if name.islower():  # `from headwater._core import errors`: a deeper path
            return importlib.import_module(f"{self.__name__}.{name}")
        # ImportError, not AttributeError: `from ... import name` shows this message as is
        raise ImportError(
            f"{self.__name__} stands in for a private Dagster module and offers headwater's "
            f"public names only; {name!r} is not one. Import the public name from `headwater` "
            "(docs/migrating-from-dagster.md maps common private imports).")


class _Loader:
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _PrivatePath(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__path__ = []  # type: ignore[attr-defined]


class _AliasLoader:
    """Loads the real module a private path is an alias of (see MODULE_ALIASES)."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(MODULE_ALIASES[spec.name])
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system stamped the alias's spec on the module: give it its own back
        module.__spec__ = self._own_spec


class PrivatePathFinder:
    """Finds `headwater._core...` and friends (see the module docstring)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname in MODULE_ALIASES:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader())  # type: ignore[arg-type]
        if not any(fullname == root or fullname.startswith(root + ".") for root in PRIVATE_ROOTS):
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)  # type: ignore[arg-type]


def install() -> None:
    """Put the finder on `sys.meta_path` once."""
    if not any(isinstance(f, PrivatePathFinder) for f in sys.meta_path):
        sys.meta_path.append(PrivatePathFinder())
