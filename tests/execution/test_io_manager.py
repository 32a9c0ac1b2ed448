"""IO managers: the filesystem manager (paths, atomicity, safety, metadata) and contexts."""

import os
import pickle

import pytest

import headwater as hw
from headwater.definitions.config.fs_io_manager import PickledObjectFilesystemIOManager


def _materializations(result):
    return [e for e in result.all_events
            if e.event_type == hw.HeadwaterEventType.ASSET_MATERIALIZATION]


def test_filesystem_io_manager_pickles_assets_under_their_key_path(tmp_path):
    """Each asset is pickled to base_dir/<key path>; downstream assets load it back."""

    @hw.asset(key_prefix=["raw"])
    def numbers():
        return [1, 2, 3]

    @hw.asset(ins={"numbers": hw.AssetIn(key=["raw", "numbers"])})
    def total(numbers):
        return sum(numbers)

    result = hw.materialize([numbers, total],
                            resources={"io_manager": hw.fs_io_manager.configured(
                                {"base_dir": str(tmp_path)})})
    assert result.success
    with open(tmp_path / "raw" / "numbers", "rb") as handle:
        assert pickle.load(handle) == [1, 2, 3]
    with open(tmp_path / "total", "rb") as handle:
        assert pickle.load(handle) == 6


def test_handled_output_metadata_has_path_and_size(tmp_path):
    """The materialization and HANDLED_OUTPUT events carry the file path and its size."""

    @hw.asset
    def report():
        return "x" * 100

    result = hw.materialize([report], resources={
        "io_manager": PickledObjectFilesystemIOManager(str(tmp_path))})
    (mat,) = _materializations(result)
    metadata = mat.payload.materialization.metadata
    path = str(tmp_path / "report")
    assert metadata["path"].value == path
    assert metadata["size_bytes"].value == os.path.getsize(path)
    handled = [e for e in result.all_events
               if e.event_type == hw.HeadwaterEventType.HANDLED_OUTPUT]
    assert "size_bytes" in handled[0].payload.metadata


def test_op_outputs_go_under_run_id_and_step_key(tmp_path):
    """Op outputs are stored at base_dir/<run_id>/<step_key>/<output name>."""

    @hw.op
    def emit():
        return 5

    @hw.op
    def double(x):
        return x * 2

    @hw.job(resource_defs={"io_manager": hw.fs_io_manager.configured({"base_dir": str(tmp_path)})})
    def doubled():
        double(emit())

    result = doubled.execute_in_process()
    with open(tmp_path / result.run_id / "double" / "result", "rb") as handle:
        assert pickle.load(handle) == 10


def test_a_crash_mid_write_leaves_the_previous_value_and_no_partial_file(tmp_path):
    """If pickling fails half way, the old file is intact and no temp file remains."""
    manager = PickledObjectFilesystemIOManager(str(tmp_path))
    context = hw.build_output_context(asset_key=hw.AssetKey("table"))
    manager.handle_output(context, {"version": 1})

    class Exploding:
        def __reduce__(self):
            raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError, match="crash while writing"):
        manager.handle_output(hw.build_output_context(asset_key=hw.AssetKey("table")),
                              [b"partial" * 1000, Exploding()])
    assert os.listdir(tmp_path) == ["table"]
    with open(tmp_path / "table", "rb") as handle:
        assert pickle.load(handle) == {"version": 1}


@pytest.mark.parametrize("bad_part", ["..", "a/b", "/etc", "nul\x00", ""])
def test_path_components_cannot_escape_base_dir(tmp_path, bad_part):
    """Asset key parts and partition keys that are not one plain name are rejected by name,
    before anything is written."""
    manager = PickledObjectFilesystemIOManager(str(tmp_path / "base"))
    context = hw.build_output_context(asset_key=hw.AssetKey(["ok", bad_part]))
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="path component") as info:
        manager.handle_output(context, 1)
    assert "asset 'ok/" in str(info.value)
    assert not os.path.exists(tmp_path / "etc")
    partitioned = hw.build_output_context(asset_key=hw.AssetKey("t"), partition_key=bad_part)
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="of asset 't'") as info:
        manager.handle_output(partitioned, 1)
    assert f"partition {bad_part!r}" in str(info.value)
    assert not os.path.exists(tmp_path / "base")


def test_partitioned_output_path_and_load(tmp_path):
    """A partition key adds a last path component; load_input reads the same file back."""
    manager = PickledObjectFilesystemIOManager(str(tmp_path))
    out = hw.build_output_context(asset_key=hw.AssetKey("daily"), partition_key="2024-01-01")
    manager.handle_output(out, [1])
    assert (tmp_path / "daily" / "2024-01-01").exists()
    inp = hw.build_input_context(asset_key=hw.AssetKey("daily"), partition_key="2024-01-01",
                                 upstream_output=out)
    assert manager.load_input(inp) == [1]


def test_missing_stored_value_says_what_to_materialize(tmp_path):
    """Loading a value never written names the asset and the path."""
    manager = PickledObjectFilesystemIOManager(str(tmp_path))
    out = hw.build_output_context(asset_key=hw.AssetKey("never"))
    with pytest.raises(FileNotFoundError, match="asset 'never'"):
        manager.load_input(hw.build_input_context(asset_key=hw.AssetKey("never"),
                                                  upstream_output=out))


def test_materialize_pickles_under_the_instance_storage_directory(tmp_path):
    """materialize's default IO manager pickles under instance.storage_directory(), a
    temporary directory for the ephemeral instance of a run given none."""

    @hw.asset
    def kept():
        return 42

    result = hw.materialize([kept])
    with open(os.path.join(result.instance.storage_directory(), "kept"), "rb") as handle:
        assert pickle.load(handle) == 42
    assert not (tmp_path / "storage").exists()
    hw.materialize([kept], instance=hw.HeadwaterInstance.ephemeral(tempdir=str(tmp_path)))
    with open(tmp_path / "storage" / "kept", "rb") as handle:
        assert pickle.load(handle) == 42


def test_filesystem_io_manager_pythonic_class(tmp_path):
    """FilesystemIOManager(base_dir=...) works as a resource like fs_io_manager."""

    @hw.asset
    def thing():
        return {"a": 1}

    @hw.asset
    def uses(thing):
        return thing["a"]

    result = hw.materialize([thing, uses], resources={
        "io_manager": hw.FilesystemIOManager(base_dir=str(tmp_path))})
    assert result.output_for_node("uses") == 1
    assert (tmp_path / "thing").exists()


def test_io_manager_output_config_and_run_scoped_identifier():
    """context.config holds ops.<op>.outputs.<name>; get_run_scoped_output_identifier is stable."""
    seen = {}

    class Recording(hw.IOManager):
        def handle_output(self, context, obj):
            seen["config"] = context.config
            seen["id"] = context.get_run_scoped_output_identifier()

        def load_input(self, context):
            return None

    @hw.op
    def produce():
        return 1

    @hw.job(resource_defs={"io_manager": hw.IOManagerDefinition.hardcoded_io_manager(Recording())})
    def recorded():
        produce()

    result = recorded.execute_in_process(
        {"ops": {"produce": {"outputs": {"result": {"suffix": "x"}}}}})
    assert seen["config"] == {"suffix": "x"}
    assert seen["id"] == [result.run_id, "produce", "result"]


def test_input_manager_loads_from_elsewhere():
    """input_manager_key loads an unconnected input with an InputManager."""

    @hw.input_manager
    def constant_loader(_init):
        class Loader(hw.InputManager):
            def load_input(self, context):
                return f"loaded {context.name}"

        return Loader()

    @hw.op(ins={"data": hw.In(input_manager_key="loader")})
    def consume(data):
        return data

    @hw.job(resource_defs={"loader": constant_loader})
    def loading():
        consume()

    assert loading.execute_in_process().output_for_node("consume") == "loaded data"


def test_generator_handle_output_events_carry_the_metadata_it_logged():
    """handle_output may yield metadata and materializations; these get the logged metadata."""

    class Yielding(hw.IOManager):
        def handle_output(self, context, obj):
            context.add_output_metadata({"rows": 3})
            yield {"path": "/x"}
            yield hw.AssetMaterialization("side_table")

        def load_input(self, context):
            return None

    @hw.asset
    def main():
        return [1, 2, 3]

    result = hw.materialize([main], resources={"io_manager": Yielding()})
    mats = _materializations(result)
    assert [m.asset_key for m in mats] == [hw.AssetKey("side_table"), hw.AssetKey("main")]
    side = mats[0].event_specific_data.materialization.metadata
    assert set(side) == {"rows", "path"}
    handled = [e for e in result.all_events
               if e.event_type == hw.HeadwaterEventType.HANDLED_OUTPUT][0]
    assert set(handled.event_specific_data.metadata) == {"rows", "path"}


def test_io_manager_errors_name_the_failing_part():
    """A raising handle_output or load_input fails the step with a dedicated error class."""

    class Broken(hw.IOManager):
        def __init__(self, part):
            self.part = part

        def handle_output(self, context, obj):
            if self.part == "out":
                raise ValueError("cannot store")

        def load_input(self, context):
            raise ValueError("cannot load")

    @hw.op
    def make():
        return 1

    @hw.op
    def use(x):
        return x

    for part, error in [("out", hw.HeadwaterExecutionHandleOutputError),
                        ("in", hw.HeadwaterExecutionLoadInputError)]:
        @hw.job(resource_defs={"io_manager": Broken(part)})
        def pipeline():
            use(make())

        failure = next(e for e in pipeline.execute_in_process(raise_on_error=False).all_events
                       if e.event_type == hw.HeadwaterEventType.STEP_FAILURE)
        assert failure.event_specific_data.error.cls_name == error.__name__


def test_output_context_metadata_for_assets():
    """handle_output sees the asset's metadata as definition metadata and the step's own as
    output_metadata; a downstream input's upstream context has the definition metadata only."""
    seen = []

    class Recording(hw.IOManager):
        def handle_output(self, context, obj):
            seen.append((dict(context.definition_metadata), set(context.output_metadata)))

        def load_input(self, context):
            up = context.upstream_output
            seen.append((dict(up.definition_metadata), set(up.output_metadata)))
            return 1

    @hw.asset(metadata={"owner": "me"})
    def upstream():
        return hw.Output(1, metadata={"rows": 1})

    @hw.asset
    def downstream(upstream):
        return upstream

    hw.materialize([upstream, downstream], resources={"io_manager": Recording()})
    assert seen[0] == ({"owner": "me"}, {"rows"})
    assert seen[1] == ({"owner": "me"}, set())


def test_configured_io_manager_drops_the_version():
    """configured() makes another resource: the version declared for the original is not kept."""

    @hw.io_manager(config_schema={"base": str}, version="1")
    def versioned():
        return None

    assert versioned.configured({"base": "/tmp"}).version is None


def test_input_manager_function_loads_each_input_with_its_context_and_config():
    """@input_manager decorates a load function: it gets the InputContext, with the input's
    config (ops.<op>.inputs.<name>) and the manager's resource config."""

    @hw.input_manager(config_schema={"scale": int}, input_config_schema={"base": int})
    def scaled(context):
        return context.config["base"] * context.resource_config["scale"]

    @hw.op(ins={"x": hw.In(input_manager_key="scaled")})
    def take(x):
        return x

    @hw.job(resource_defs={"scaled": scaled.configured({"scale": 10})})
    def pipeline():
        take()

    result = pipeline.execute_in_process(
        run_config={"ops": {"take": {"inputs": {"x": {"base": 4}}}}})
    assert result.output_for_node("take") == 40


def test_io_manager_contexts_in_a_run_carry_the_managers_resource_config():
    """handle_output and load_input see the config their IO manager was built with."""
    seen = []

    class Recording(hw.IOManager):
        def __init__(self):
            self.values = {}

        def handle_output(self, context, obj):
            seen.append(context.resource_config)
            self.values[tuple(context.get_identifier())] = obj

        def load_input(self, context):
            seen.append(context.resource_config)
            return self.values[tuple(context.upstream_output.get_identifier())]

    @hw.io_manager(config_schema={"where": str})
    def recording():
        return Recording()

    @hw.op
    def make():
        return 1

    @hw.op
    def use(x):
        return x

    @hw.job(resource_defs={"io_manager": recording})
    def pipeline():
        use(make())

    pipeline.execute_in_process(
        run_config={"resources": {"io_manager": {"config": {"where": "here"}}}})
    assert seen == [{"where": "here"}] * 3


def test_filesystem_manager_describes_outputs_with_path_metadata(tmp_path):
    """The stored file is reported as path metadata; a None output is stored, undescribed."""
    manager = PickledObjectFilesystemIOManager(str(tmp_path))
    out = hw.build_output_context(asset_key=hw.AssetKey("a"))
    manager.handle_output(out, [1])
    assert out.get_logged_metadata()["path"] == hw.MetadataValue.path(str(tmp_path / "a"))
    empty = hw.build_output_context(asset_key=hw.AssetKey("b"))
    manager.handle_output(empty, None)
    assert (tmp_path / "b").exists() and "path" not in empty.get_logged_metadata()


def test_filesystem_manager_refuses_partition_keys_with_slashes(tmp_path):
    """A '/' in a partition key is refused rather than nested: keys '2024' and '2024/01' would
    need '2024' to be a file and a directory at once."""
    manager = PickledObjectFilesystemIOManager(str(tmp_path))
    for key in ("2024/01", "/etc/x", "a\\b"):
        with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="path separator"):
            manager.handle_output(hw.build_output_context(asset_key=hw.AssetKey("t"),
                                                          partition_key=key), key)
    assert os.listdir(tmp_path) == []


def test_previous_partition_of_the_first_partition_loads_as_none(tmp_path):
    """An input mapped to no upstream partition (the day before the first) loads None."""
    days = hw.DailyPartitionsDefinition(start_date="2024-01-01")

    @hw.asset(partitions_def=days, ins={"running": hw.AssetIn(
        "running", partition_mapping=hw.TimeWindowPartitionMapping(start_offset=-1,
                                                                   end_offset=-1))})
    def running(running):
        return (running or 0) + 1

    resources = {"io_manager": hw.fs_io_manager.configured({"base_dir": str(tmp_path)})}
    assert hw.materialize([running], partition_key="2024-01-01", resources=resources).success
    result = hw.materialize([running], partition_key="2024-01-02", resources=resources)
    assert result.output_for_node("running") == 2


def test_to_source_asset_keeps_the_io_manager_that_stored_the_asset(tmp_path):
    """A source made with to_source_asset() loads through the asset's own io_manager_key
    and the IO manager resource it carries (io_manager_def=)."""

    class Box(hw.IOManager):
        def __init__(self):
            self.stored = {}

        def handle_output(self, context, obj):
            self.stored[context.asset_key] = obj

        def load_input(self, context):
            return self.stored[context.asset_key]

    box, keyed = Box(), Box()

    @hw.asset(io_manager_def=box)
    def carried():
        return 1

    @hw.asset(io_manager_key="keyed")
    def by_key():
        return 2

    @hw.asset
    def total(carried, by_key):
        return carried + by_key

    hw.materialize([carried, by_key], resources={"keyed": keyed})
    result = hw.materialize([carried.to_source_asset(), by_key.to_source_asset(), total],
                            resources={"keyed": keyed})
    assert result.output_for_node("total") == 3
