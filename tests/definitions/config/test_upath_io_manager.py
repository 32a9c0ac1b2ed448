"""UPathIOManager: a subclass writes and reads one value; the base lays out the paths."""

from __future__ import annotations

import json

import pytest
from upath import UPath

from headwater import (
    AssetIn,
    Definitions,
    StaticPartitionsDefinition,
    UPathIOManager,
    asset,
    job,
    materialize,
    op,
)


class JsonIOManager(UPathIOManager):
    extension = ".json"

    def dump_to_path(self, context, obj, path):
        path.write_text(json.dumps(obj))

    def load_from_path(self, context, path):
        return json.loads(path.read_text())


colors = StaticPartitionsDefinition(["red", "blue"])


@asset(partitions_def=colors)
def paint(context):
    return {"color": context.partition_key}


@asset(ins={"paint": AssetIn(metadata={"allow_missing_partitions": True})})
def palette(paint: dict):
    return sorted(v["color"] for v in paint.values())


def test_assets_and_partitions_land_under_the_base_path(tmp_path):
    manager = JsonIOManager(base_path=UPath(tmp_path))
    for color in ("red", "blue"):
        result = materialize([paint], partition_key=color, resources={"io_manager": manager})
        [mat] = result.asset_materializations_for_node("paint")
        assert mat.metadata["path"].value == str(tmp_path / "paint" / f"{color}.json")
    assert json.loads((tmp_path / "paint" / "red.json").read_text()) == {"color": "red"}
    result = materialize([paint, palette], selection=[palette], resources={"io_manager": manager})
    assert result.output_for_node("palette") == ["blue", "red"]


def test_missing_partitions_are_skipped_only_when_allowed(tmp_path):
    manager = JsonIOManager(base_path=UPath(tmp_path))
    materialize([paint], partition_key="red", resources={"io_manager": manager})
    result = materialize([paint, palette], selection=[palette], resources={"io_manager": manager})
    assert result.output_for_node("palette") == ["red"]

    @asset
    def strict(paint: dict):
        return len(paint)

    with pytest.raises(FileNotFoundError, match=r"asset 'paint' at .*blue\.json"):
        materialize([paint, strict], selection=[strict], resources={"io_manager": manager})


def test_op_outputs_and_other_filesystems(tmp_path):
    @op
    def make():
        return [1, 2]

    @op
    def total(values):
        return sum(values)

    @job(resource_defs={"io_manager": JsonIOManager(base_path=UPath("memory://hw-test"))})
    def add():
        total(make())

    result = add.execute_in_process()
    assert result.output_for_node("total") == 3
    stored = UPath("memory://hw-test") / result.run_id / "make" / "result.json"
    assert json.loads(stored.read_text()) == [1, 2]


def test_a_bad_extension_and_an_unimplemented_method_are_named():
    class NoDot(JsonIOManager):
        extension = "json"

    with pytest.raises(ValueError, match=r"start with a dot.*'\.json'"):
        NoDot()

    class Half(UPathIOManager):
        pass

    @asset
    def value():
        return 1

    with pytest.raises(NotImplementedError, match="Half must implement dump_to_path"):
        Definitions(assets=[value], resources={"io_manager": Half()}) \
            .get_implicit_global_asset_job_def().execute_in_process()
