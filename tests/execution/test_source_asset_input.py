"""Source assets and AssetSpecs passed to ops inside a graph body are loaded as inputs."""

import pytest

import headwater as hw


class _Loader(hw.IOManager):
    def __init__(self, value):
        self.value = value
        self.loaded = []

    def handle_output(self, context, obj):
        pass

    def load_input(self, context):
        self.loaded.append((context.asset_key, dict(context.upstream_output.definition_metadata)))
        return self.value


def test_source_asset_in_graph_body_loads_through_its_io_manager():
    """The op input is loaded with the source asset's io_manager_key, key and metadata."""
    source = hw.SourceAsset("raw", io_manager_key="lake", metadata={"owner": "ops"})

    @hw.op
    def double(x):
        return x * 2

    @hw.graph
    def pipeline():
        double(source)

    lake = _Loader(21)
    result = pipeline.execute_in_process(resources={"lake": lake})
    assert result.output_for_node("double") == 42
    assert lake.loaded == [(hw.AssetKey("raw"), {"owner": "ops"})]


def test_asset_spec_in_nested_graph_body():
    """An AssetSpec works as an input too, also inside a nested graph."""
    spec = hw.AssetSpec("table")

    @hw.op
    def use(x):
        return x

    @hw.graph
    def inner():
        use(spec)

    @hw.graph
    def outer():
        inner()

    manager = _Loader("rows")
    assert outer.execute_in_process(resources={"io_manager": manager}).success
    assert manager.loaded[0][0] == hw.AssetKey("table")


def test_list_of_source_assets_is_rejected():
    """Lists of assets as one input are refused with the supported alternatives."""

    @hw.op
    def take(xs):
        return xs

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Lists can only contain"):

        @hw.graph
        def broken():
            take([hw.SourceAsset("a"), hw.SourceAsset("b")])


def test_unpartitioned_run_reads_every_partition_of_a_passed_source_asset():
    """A partitioned SourceAsset passed in a job body, read by a run without a partition,
    is loaded for all of its partitions."""
    source = hw.SourceAsset("raw", partitions_def=hw.StaticPartitionsDefinition(["x", "y"]))
    seen = {}

    class Recorder(hw.IOManager):
        def handle_output(self, context, obj):
            pass

        def load_input(self, context):
            seen["keys"] = sorted(context.asset_partition_keys)
            return 1

    @hw.op
    def use(raw):
        return raw

    @hw.job(resource_defs={"io_manager": hw.IOManagerDefinition.hardcoded_io_manager(Recorder())})
    def reads():
        use(source)

    assert reads.execute_in_process().success
    assert seen["keys"] == ["x", "y"]
