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


def test_dagster_tag_constants_import_from_private_paths():
    """Dagster's tag-key constants answer from the private paths, as the renamed keys."""
    from headwater._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
        MULTIDIMENSIONAL_PARTITION_PREFIX,
        PARTITION_NAME_TAG,
        RUN_KEY_TAG,
    )

    assert PARTITION_NAME_TAG == "headwater/partition"
    assert MULTIDIMENSIONAL_PARTITION_PREFIX == "headwater/partition/"
    assert (ASSET_PARTITION_RANGE_START_TAG, ASSET_PARTITION_RANGE_END_TAG) == (
        "headwater/asset_partition_range_start", "headwater/asset_partition_range_end")
    assert RUN_KEY_TAG == "headwater/run_key"


def test_the_components_module_is_an_attribute_too():
    """`import headwater as dg; dg.components.load_defs` as Dagster projects write it."""
    code = ("import headwater as dg; print(dg.components.load_defs is dg.load_defs, "
            "dg.components.Component is dg.Component)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["True", "True"]


def test_backoff_retries_then_gives_up_with_the_last_error():
    """`headwater._utils.backoff.backoff` (Dagster's test-fixture helper) retries, then raises."""
    from headwater._utils.backoff import backoff

    calls = []

    def flaky(n: int) -> str:
        calls.append(n)
        if len(calls) < 3:
            raise OSError(f"busy {len(calls)}")
        return "done"

    assert backoff(flaky, retry_on=(OSError,), args=[7], delay_generator=iter([0, 0, 0])) == "done"
    assert calls == [7, 7, 7]
    calls.clear()
    with pytest.raises(OSError, match="busy 2"):
        backoff(flaky, retry_on=(OSError,), kwargs={"n": 1}, max_retries=1,
                delay_generator=iter([0, 0]))
