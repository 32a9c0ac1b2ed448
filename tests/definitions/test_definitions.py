"""Definitions: the @definitions decorator and reconstruction metadata."""

import re

import pytest

import headwater as hw


def test_definitions_decorator_builds_definitions_on_call():
    """@definitions wraps a function; calling it returns its Definitions."""

    @hw.definitions
    def defs():
        return hw.Definitions(assets=[hw.AssetSpec("a")])

    assert isinstance(defs(), hw.Definitions)


def test_definitions_decorator_checks_signature_and_result():
    """Two parameters, or a non-Definitions result, are errors that say what is expected."""
    with pytest.raises(hw.HeadwaterInvariantViolationError, match=re.escape(
            "@definitions function '<lambda>' takes 2 parameters; give it none, or a single one "
            "to receive the load context.")):
        hw.definitions(lambda a, b: None)
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="must return a Definitions"):
        hw.definitions(lambda: 1)()


def test_definitions_package_stays_importable():
    """headwater.definitions is still the package of definition modules."""
    import headwater.definitions.assets.definition as asset_module

    assert asset_module.AssetsDefinition is hw.AssetsDefinition


def test_with_reconstruction_metadata_requires_strings():
    """Reconstruction metadata is merged into metadata; non-string values are refused."""
    defs = hw.Definitions().with_reconstruction_metadata({"state": "abc"})
    assert defs.metadata["state"] == "abc"
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="must be strings"):
        hw.Definitions().with_reconstruction_metadata({"state": {"a": 1}})


def test_resolved_asset_graph_answers_dagsters_accessors():
    """resolve_asset_graph() lists keys and gives each asset's node with its neighbours,
    spec fields and kind (materializable or external)."""
    daily = hw.DailyPartitionsDefinition(start_date="2024-01-01")
    raw = hw.AssetSpec("raw", group_name="ingest", owners=["team:data"], kinds={"s3"})

    @hw.asset(deps=[raw], partitions_def=daily, code_version="2", tags={"tier": "gold"},
              metadata={"k": 1}, automation_condition=hw.AutomationCondition.eager())
    def clean():
        return 1

    @hw.asset
    def report(clean):
        return clean

    graph = hw.Definitions(assets=[raw, clean, report]).resolve_asset_graph()
    assert graph.get_all_asset_keys() == {hw.AssetKey(k) for k in ("raw", "clean", "report")}
    node = graph.get(hw.AssetKey("clean"))
    assert node.key == hw.AssetKey("clean")
    assert node.parent_keys == {hw.AssetKey("raw")}
    assert node.child_keys == {hw.AssetKey("report")}
    assert node.group_name == "default"
    assert node.partitions_def == daily
    assert node.is_materializable and not node.is_external
    assert node.automation_condition is not None
    assert (node.code_version, node.tags, node.metadata) == ("2", {"tier": "gold"}, {"k": 1})
    source = graph.get("raw")
    assert source.is_external and not source.is_materializable
    assert (source.group_name, source.owners, source.kinds) == ("ingest", ("team:data",), {"s3"})
    assert graph.has("report") and not graph.has("nope")
    with pytest.raises(KeyError, match="no asset 'reprt'. Did you mean 'report'"):
        graph.get("reprt")


def test_component_tree_is_kept_and_merged():
    import headwater as hw

    tree = object()
    defs = hw.Definitions(component_tree=tree)
    assert defs.component_tree is tree
    assert hw.Definitions.merge(hw.Definitions(), defs).component_tree is tree


def test_resolved_asset_specs_put_ungrouped_assets_in_the_default_group():
    """resolve_all_asset_specs shows the group an asset resolves to: "default" when unset."""
    specs = hw.Definitions(assets=[hw.AssetSpec("a"), hw.AssetSpec("b", group_name="g")]
                           ).resolve_all_asset_specs()
    assert [(s.key.to_user_string(), s.group_name) for s in specs] == [("a", "default"),
                                                                        ("b", "g")]


def test_implicit_job_for_assets():
    """resolve_implicit_job_def_def_for_assets gives the implicit job, or None for unknown keys."""

    @hw.asset
    def a():
        return 1

    defs = hw.Definitions(assets=[a])
    assert defs.resolve_implicit_job_def_def_for_assets([a.key]).name == "__ASSET_JOB"
    assert defs.resolve_implicit_job_def_def_for_assets([hw.AssetKey("missing")]) is None


def test_definitions_metadata_is_normalized_and_implicit_job_is_known():
    """Definitions(metadata=) holds MetadataValues; has_implicit_global_asset_job_def says
    whether any asset can be materialized."""

    @hw.asset
    def a():
        return 1

    assert hw.Definitions(metadata={"team": "data"}).metadata == {
        "team": hw.MetadataValue.text("data")}
    assert hw.Definitions(assets=[a]).has_implicit_global_asset_job_def()
    assert not hw.Definitions(assets=[hw.AssetSpec("external")]).has_implicit_global_asset_job_def()
