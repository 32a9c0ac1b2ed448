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
    """Asset key parts and partition keys that could leave base_dir are rejected by name."""
    manager = PickledObjectFilesystemIOManager(str(tmp_path / "base"))
    context = hw.build_output_context(asset_key=hw.AssetKey(["ok", bad_part]))
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="path component") as info:
        manager.handle_output(context, 1)
    assert "asset 'ok/" in str(info.value)
    assert not os.path.exists(tmp_path / "etc")
    partitioned = hw.build_output_context(asset_key=hw.AssetKey("t"), partition_key="../x")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'../x'"):
        manager.handle_output(partitioned, 1)


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
