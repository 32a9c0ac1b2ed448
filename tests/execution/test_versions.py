"""Versions on materializations and observations, data version records, content hashes and
skip-unchanged, asserted on the stored events."""

from __future__ import annotations

import pytest

from headwater import (
    AssetKey,
    DataProvenance,
    DataVersion,
    DataVersionsByPartition,
    MaterializeResult,
    ObserveResult,
    Output,
    StaticPartitionsDefinition,
    asset,
    materialize,
    observable_source_asset,
    observe,
)
from headwater.definitions.config.fs_io_manager import PickledObjectFilesystemIOManager
from headwater.errors import HeadwaterInvalidDefinitionError
from headwater.storage.instance import HeadwaterInstance, instance_for_test


def tags_by_key(result):
    return {e.asset_key.to_user_string(): e.materialization.tags
            for e in result.get_asset_materialization_events()}


def test_materializations_carry_code_data_and_input_versions():
    """Each materialization records its code version (the run id without one), its data
    version (user-given, else computed) and each parent's data version and event."""
    instance = HeadwaterInstance.ephemeral()

    @asset(code_version="v1")
    def a():
        return Output(1, data_version=DataVersion("seven"))

    @asset
    def b(a):
        return a

    result = materialize([a, b], instance=instance)
    tags = tags_by_key(result)
    assert tags["a"]["headwater/code_version"] == "v1"
    assert tags["a"]["headwater/data_version"] == "seven"
    assert tags["a"]["headwater/data_version_is_user_provided"] == "true"
    assert tags["b"]["headwater/code_version"] == result.run_id
    assert tags["b"]["headwater/input_data_version/a"] == "seven"
    pointer = instance.get_latest_data_version_record(AssetKey("a")).storage_id
    assert tags["b"]["headwater/input_event_pointer/a"] == str(pointer)
    assert "headwater/data_version_is_user_provided" not in tags["b"]
    mat = instance.get_latest_materialization_event(AssetKey("b")).asset_materialization
    provenance = mat.data_provenance
    assert provenance == DataProvenance(result.run_id, {AssetKey("a"): DataVersion("seven")},
                                        {AssetKey("a"): pointer}, False)
    assert mat.data_version == tags["b"]["headwater/data_version"]


def test_computed_data_version_is_the_same_for_same_code_and_inputs():
    """Without a user version, the same code version from the same inputs gives the same
    data version; a new input version gives another one."""
    instance = HeadwaterInstance.ephemeral()
    version = {"v": "1"}

    @asset(code_version="1")
    def a():
        return MaterializeResult(data_version=DataVersion(version["v"]))

    @asset(code_version="1", deps=[a])
    def b():
        return None

    first = tags_by_key(materialize([a, b], instance=instance))["b"]["headwater/data_version"]
    again = tags_by_key(materialize([a, b], instance=instance))["b"]["headwater/data_version"]
    version["v"] = "2"
    other = tags_by_key(materialize([a, b], instance=instance))["b"]["headwater/data_version"]
    assert first == again != other


def test_observe_records_data_versions_and_records():
    """observe() runs observation functions: a DataVersion, an ObserveResult and
    DataVersionsByPartition each record headwater/data_version on their observations."""
    instance = HeadwaterInstance.ephemeral()
    parts = StaticPartitionsDefinition(["x", "y"])

    @observable_source_asset
    def plain():
        return DataVersion("p1")

    @observable_source_asset
    def detailed():
        return ObserveResult(data_version=DataVersion("d1"), metadata={"rows": 3})

    @observable_source_asset(partitions_def=parts)
    def split():
        return DataVersionsByPartition({"x": "vx", "y": DataVersion("vy")})

    observe([plain, detailed, split], instance=instance)
    plain_record = instance.get_latest_data_version_record(AssetKey("plain"), is_source=True)
    assert plain_record.asset_observation.data_version == "p1"
    detailed_record = instance.get_latest_data_version_record("detailed")
    assert detailed_record.asset_observation.tags["headwater/data_version"] == "d1"
    assert detailed_record.asset_observation.metadata["rows"].value == 3
    y = instance.get_latest_data_version_record("split", is_source=True, partition_key="y")
    assert y.partition_key == "y" and y.asset_observation.data_version == "vy"
    assert instance.get_latest_data_version_record("split", is_source=False) is None


def test_observe_refuses_assets_that_are_not_observable():
    """observe() of computed assets says to call materialize() instead."""
    @asset
    def computed():
        return 1

    with pytest.raises(Exception, match="observe\\(\\) got no observable source asset"):
        observe([computed])


def test_data_version_must_be_a_string():
    """DataVersion(3) is refused with the fix."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="data version is a string"):
        DataVersion(3)  # type: ignore[arg-type]


def test_content_hash_data_version_follows_the_stored_bytes(tmp_path):
    """With the filesystem IO manager's content_hash, equal values get equal data versions
    and a changed value a new one; the per-asset metadata opt-in does the same with another
    IO manager."""
    instance = HeadwaterInstance.ephemeral()
    value = {"v": [1, 2, 3]}

    @asset
    def a():
        return value["v"]

    manager = PickledObjectFilesystemIOManager(base_dir=str(tmp_path), content_hash=True)
    run = lambda: tags_by_key(materialize(  # noqa: E731
        [a], instance=instance, resources={"io_manager": manager}))["a"]["headwater/data_version"]
    first, second = run(), run()
    value["v"] = [1, 2, 4]
    third = run()
    assert first == second != third

    @asset(metadata={"headwater/content_hash": True})
    def m():
        return value["v"]

    plain = tags_by_key(materialize([m], instance=instance))["m"]["headwater/data_version"]
    assert plain == tags_by_key(materialize([m], instance=instance))["m"]["headwater/data_version"]


def content_chain(calls: list[str], root_value: dict[str, int]):
    @asset(code_version="1", metadata={"headwater/content_hash": True})
    def root():
        calls.append("root")
        return root_value["v"]

    @asset(code_version="1")
    def middle(root):
        calls.append("middle")
        return root + 1

    @asset(code_version="1")
    def leaf(middle):
        calls.append("leaf")
        return middle + 1

    return [root, middle, leaf]


def test_skip_unchanged_runs_only_the_root_when_its_content_did_not_change():
    """A chain of three whose root's content did not change runs only the root on the second
    run (run tag headwater/skip_unchanged); the skips say why; a changed root runs all."""
    with instance_for_test() as instance:
        calls: list[str] = []
        root_value = {"v": 1}
        assets = content_chain(calls, root_value)
        materialize(assets, instance=instance)
        assert calls == ["root", "middle", "leaf"]
        calls.clear()
        tags = {"headwater/skip_unchanged": "true"}
        result = materialize(assets, instance=instance, tags=tags)
        assert calls == ["root"]
        assert result.success
        skipped = [e for e in result.all_events if e.event_type.value == "STEP_SKIPPED"]
        assert [e.step_key for e in skipped] == ["middle", "leaf"]
        assert "as unchanged" in skipped[0].message and "code version (1)" in skipped[0].message
        assert skipped[0].payload.asset_keys == (AssetKey("middle"),)
        assert [e.asset_key.to_user_string() for e in
                result.get_asset_materialization_events()] == ["root"]
        calls.clear()
        root_value["v"] = 5
        materialize(assets, instance=instance, tags=tags)
        assert calls == ["root", "middle", "leaf"]


def test_skip_unchanged_downstream_loads_the_stored_value():
    """A skipped step's child that does run (its code version changed) reads the value the
    skipped step stored in an earlier run."""
    with instance_for_test() as instance:
        calls: list[str] = []
        assets = content_chain(calls, {"v": 1})
        materialize(assets, instance=instance)

        @asset(code_version="2", name="leaf")
        def leaf2(middle):
            calls.append("leaf2")
            return middle * 10

        calls.clear()
        result = materialize([assets[0], assets[1], leaf2], instance=instance,
                             tags={"headwater/skip_unchanged": "true"})
        assert calls == ["root", "leaf2"]
        assert result.output_for_node("leaf") == 20


def test_skip_unchanged_per_asset_and_not_without_code_version():
    """Asset metadata headwater/skip_unchanged opts one asset in; an asset without a
    code_version is never skipped (its code may have changed)."""
    with instance_for_test() as instance:
        calls: list[str] = []

        @asset(code_version="1", metadata={"headwater/content_hash": True})
        def base():
            calls.append("base")
            return 1

        @asset(code_version="1", metadata={"headwater/skip_unchanged": True})
        def opted(base):
            calls.append("opted")
            return base

        @asset(metadata={"headwater/skip_unchanged": True})
        def unversioned(base):
            calls.append("unversioned")
            return base

        materialize([base, opted, unversioned], instance=instance)
        calls.clear()
        materialize([base, opted, unversioned], instance=instance)
        assert calls == ["base", "unversioned"]
