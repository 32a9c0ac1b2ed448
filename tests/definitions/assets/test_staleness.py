"""Staleness from stored provenance: each cause, MISSING/FRESH, sources, partitions."""

from __future__ import annotations

from headwater import (
    AssetKey,
    DataVersion,
    Definitions,
    MaterializeResult,
    Output,
    StaleCauseCategory,
    StaleStatus,
    StaticPartitionsDefinition,
    asset,
    materialize,
    observable_source_asset,
    observe,
)
from headwater.storage.instance import HeadwaterInstance

VERSION = {"a": "1", "src": "s1"}


def chain(code_a: str = "1", code_b: str | None = "1"):
    @asset(code_version=code_a)
    def a():
        return Output(1, data_version=DataVersion(VERSION["a"]))

    @asset(code_version=code_b)
    def b(a):
        return a + 1

    @asset
    def c(b):
        return b + 1

    return a, b, c


def test_never_materialized_is_missing_then_fresh():
    """Before any run every asset is MISSING; after one run all are FRESH with no cause."""
    instance = HeadwaterInstance.ephemeral()
    defs = Definitions(assets=list(chain()))
    assert defs.get_stale_status("b", instance) is StaleStatus.MISSING
    materialize(list(chain()), instance=instance)
    for key in "abc":
        assert defs.get_stale_status(key, instance) is StaleStatus.FRESH
        assert defs.get_stale_causes(key, instance) == []


def test_code_version_change_makes_stale_and_its_children_stale_dependency():
    """A changed code_version is a CODE cause with the old and new version; its child is
    stale because a dependency is stale."""
    instance = HeadwaterInstance.ephemeral()
    materialize(list(chain()), instance=instance)
    defs = Definitions(assets=list(chain(code_a="2")))
    (cause,) = defs.get_stale_causes("a", instance)
    assert cause.category is StaleCauseCategory.CODE and cause.kind == "code_version_changed"
    assert dict(cause.evidence) == {"was": "1", "now": "2"}
    assert cause.text == "a: code version changed (was '1', now '2')."
    (dep,) = defs.get_stale_causes("b", instance)
    assert dep.category is StaleCauseCategory.DEPENDENCIES and dep.dependency == AssetKey("a")
    assert dep.text == "b: a is stale."


def test_new_parent_data_version_makes_child_stale():
    """Re-materializing a parent with a new data version makes its child stale (DATA), and
    the grandchild stale through the child; the same data version does not."""
    instance = HeadwaterInstance.ephemeral()
    a, b, c = chain()
    materialize([a, b, c], instance=instance)
    defs = Definitions(assets=[a, b, c])
    materialize([a], instance=instance)  # same data version "1": nothing changes
    assert defs.get_stale_status("b", instance) is StaleStatus.FRESH
    VERSION["a"] = "2"
    try:
        materialize([a], instance=instance)
    finally:
        VERSION["a"] = "1"
    (cause,) = defs.get_stale_causes("b", instance)
    assert cause.kind == "new_data_version" and cause.category is StaleCauseCategory.DATA
    assert cause.text == "b: a has a new data version (was '1', now '2')."
    assert [c.kind for c in defs.get_stale_causes("c", instance)] == ["stale_dependency"]


def test_missing_parent_makes_child_stale():
    """A parent wiped after its child was computed is a dependency_missing cause."""
    instance = HeadwaterInstance.ephemeral()
    a, b, c = chain()
    materialize([a, b, c], instance=instance)
    instance.wipe_assets([AssetKey("a")])
    defs = Definitions(assets=[a, b, c])
    (cause,) = defs.get_stale_causes("b", instance)
    assert cause.kind == "dependency_missing" and cause.dependency == AssetKey("a")
    assert "is missing" in cause.text


def test_added_and_removed_dependencies_are_causes():
    """A dependency added since the materialization is new_dependency; one dropped since is
    removed_dependency."""
    instance = HeadwaterInstance.ephemeral()

    @asset
    def x():
        return 1

    @asset
    def y():
        return 2

    @asset(code_version="1", deps=[x])
    def z():
        return 3

    materialize([x, y, z], instance=instance)

    @asset(code_version="1", deps=[y], name="z")
    def z2():
        return 3

    kinds = {(c.kind, c.dependency.to_user_string())
             for c in Definitions(assets=[x, y, z2]).get_stale_causes("z", instance)}
    assert kinds == {("new_dependency", "y"), ("removed_dependency", "x")}


def test_observed_source_new_version_makes_child_stale():
    """An observable source's new observed data version makes the asset reading it stale;
    the source itself is never stale."""
    instance = HeadwaterInstance.ephemeral()

    @observable_source_asset
    def feed():
        return DataVersion(VERSION["src"])

    @asset(deps=[feed], code_version="1")
    def table():
        return MaterializeResult()

    defs = Definitions(assets=[feed, table])
    observe([feed], instance=instance)
    materialize([table], instance=instance)
    assert defs.get_stale_status("table", instance) is StaleStatus.FRESH
    VERSION["src"] = "s2"
    try:
        observe([feed], instance=instance)
    finally:
        VERSION["src"] = "s1"
    assert defs.get_stale_status("feed", instance) is StaleStatus.FRESH
    (cause,) = defs.get_stale_causes("table", instance)
    assert cause.text == "table: feed has a new data version (was 's1', now 's2')."


def test_partitions_are_stale_one_by_one_through_identity_mapping():
    """With the same partitions, only the child partition whose parent partition changed
    is stale; an unmaterialized partition is MISSING."""
    instance = HeadwaterInstance.ephemeral()
    parts = StaticPartitionsDefinition(["p1", "p2", "p3"])
    versions = {"p1": "1", "p2": "1"}

    @asset(partitions_def=parts, code_version="1")
    def up(context):
        return Output(1, data_version=DataVersion(versions[context.partition_key]))

    @asset(partitions_def=parts, code_version="1")
    def down(up):
        return up

    for p in ("p1", "p2"):
        materialize([up, down], instance=instance, partition_key=p)
    versions["p2"] = "2"
    materialize([up], instance=instance, partition_key="p2")
    defs = Definitions(assets=[up, down])
    assert defs.get_stale_status("down", instance, partition_key="p1") is StaleStatus.FRESH
    (cause,) = defs.get_stale_causes("down", instance, partition_key="p2")
    assert cause.partition_key == "p2" and cause.dependency_partition_key == "p2"
    assert cause.text == "down [p2]: up [p2] has a new data version (was '1', now '2')."
    assert defs.get_stale_status("down", instance, partition_key="p3") is StaleStatus.MISSING


def test_unpartitioned_child_of_partitioned_parent_sees_any_partition_change():
    """An unpartitioned asset reading every partition is stale when one of them changes."""
    instance = HeadwaterInstance.ephemeral()
    parts = StaticPartitionsDefinition(["p1", "p2"])
    versions = {"p1": "1", "p2": "1"}

    @asset(partitions_def=parts)
    def daily(context):
        return Output(1, data_version=DataVersion(versions[context.partition_key]))

    @asset(code_version="1", deps=[daily])
    def total():
        return MaterializeResult()

    for p in ("p1", "p2"):
        materialize([daily], instance=instance, partition_key=p)
    materialize([daily, total], instance=instance, selection=[total])
    defs = Definitions(assets=[daily, total])
    assert defs.get_stale_status("total", instance) is StaleStatus.FRESH
    versions["p1"] = "9"
    materialize([daily], instance=instance, partition_key="p1")
    (cause,) = defs.get_stale_causes("total", instance)
    assert cause.kind == "new_data_version" and cause.dependency == AssetKey("daily")
