"""Loading assets and Definitions from module attributes."""

from types import ModuleType

import pytest

import headwater as hw


def _module(name, **attrs):
    module = ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def _assets():
    @hw.asset
    def a():
        return 1

    @hw.asset(deps=[a, "src"])
    def b():
        return None

    return a, b, hw.SourceAsset("src")


def test_load_assets_collects_each_object_once_including_lists():
    """Top-level values and list elements are found; the same object twice counts once."""
    a, b, src = _assets()
    found = hw.load_assets_from_modules([_module("m1", a=a, items=[a, b], src=src),
                                          _module("m2", again=a)])
    assert len(found) == 3
    assert isinstance(found[-1], hw.SourceAsset)


def test_load_assets_prefixes_keys_and_rewrites_deps():
    """key_prefix renames assets, source_key_prefix sources, and deps follow the new keys."""
    a, b, src = _assets()
    found = hw.load_assets_from_modules([_module("m", a=a, b=b, src=src)], group_name="g",
                                        key_prefix="p", source_key_prefix="s")
    by_key = {k: d for d in found for k in d.keys}
    new_b = by_key[hw.AssetKey(["p", "b"])]
    assert new_b.asset_deps[hw.AssetKey(["p", "b"])] == {hw.AssetKey(["p", "a"]),
                                                         hw.AssetKey(["s", "src"])}
    assert new_b.group_names_by_key[hw.AssetKey(["p", "b"])] == "g"
    assert isinstance(by_key[hw.AssetKey(["s", "src"])], hw.SourceAsset)
    defs = hw.Definitions(assets=found)
    assert hw.AssetKey(["p", "a"]) in defs.resolve_asset_graph().all_keys


def test_load_assets_reports_duplicate_keys_with_modules():
    """Two different objects with one key name both modules."""
    a, _, _ = _assets()

    @hw.asset(name="a")
    def other():
        return 2

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="defined multiple times: in module m1 and in module m2"):
        hw.load_assets_from_modules([_module("m1", a=a), _module("m2", x=other)])


def test_load_assets_group_conflict_is_an_error():
    """group_name may not override a group an asset already declares."""

    @hw.asset(group_name="mine")
    def grouped():
        return None

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="conflicts with the group name"):
        hw.load_assets_from_modules([_module("m", grouped=grouped)], group_name="other")


def test_include_specs_and_load_definitions():
    """Specs are included on request; load_definitions_from_modules gathers assets and jobs."""
    a, b, src = _assets()
    job = hw.define_asset_job("all_assets")
    module = _module("m", a=a, b=b, src=src, spec=hw.AssetSpec("spec1"), job=job)
    assert len(hw.load_assets_from_modules([module], include_specs=True)) == 4
    defs = hw.load_definitions_from_module(module)
    assert hw.AssetKey("spec1") in defs.resolve_asset_graph().all_keys
    assert defs.get_job_def("all_assets").name == "all_assets"


def test_load_assets_from_current_module():
    """The calling module's assets are found."""

    @hw.asset
    def local_asset():
        return None

    globals()["local_asset_for_test"] = local_asset
    try:
        found = hw.load_assets_from_current_module()
    finally:
        del globals()["local_asset_for_test"]
    assert [d.key for d in found] == [hw.AssetKey("local_asset")]
