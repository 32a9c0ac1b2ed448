"""Dagster's private module paths, after the rename, give headwater's public names."""

from __future__ import annotations

import subprocess
import sys

import pytest

import headwater


def test_public_names_import_from_private_paths():
    from headwater._core.definitions.asset_selection import AssetSelection
    from headwater._core.errors import HeadwaterTypeCheckDidNotPass
    from headwater._core.storage.dagster_run import HeadwaterRunStatus
    from headwater._utils import file_relative_path

    assert AssetSelection is headwater.AssetSelection
    assert HeadwaterTypeCheckDidNotPass is headwater.HeadwaterTypeCheckDidNotPass
    assert HeadwaterRunStatus is headwater.HeadwaterRunStatus
    assert file_relative_path is headwater.file_relative_path
    import headwater._core.test_utils as test_utils

    assert test_utils.instance_for_test is headwater.instance_for_test


def test_a_private_only_name_says_what_to_do():
    with pytest.raises(ImportError, match="offers headwater's public names only; "
                                          "'DagsterInternalThing' is not one"):
        from headwater._core.errors import DagsterInternalThing  # noqa: F401
    from headwater._core import errors  # a lowercase name is a deeper module path

    assert errors.HeadwaterError is headwater.HeadwaterError


def test_other_private_paths_are_not_answered():
    with pytest.raises(ModuleNotFoundError):
        import headwater._nothing_here  # noqa: F401


def test_the_finder_is_installed_once_by_importing_headwater():
    code = ("import sys, headwater, importlib; importlib.reload(headwater); "
            "print(sum(type(f).__name__ == 'PrivatePathFinder' for f in sys.meta_path))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "1"
