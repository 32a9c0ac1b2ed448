"""BasePolarsUPathIOManager as a base for a format of one's own (CSV here), op outputs,
and an IO manager used directly with build_output_context / build_input_context."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from headwater import (
    AssetIn,
    HeadwaterType,
    asset,
    build_input_context,
    build_output_context,
    job,
    materialize,
    op,
)
from headwater_polars import BasePolarsUPathIOManager, PolarsParquetIOManager

FRAME = pl.DataFrame({"id": [1, 2], "name": ["a", "b"]})


class PolarsCsvIOManager(BasePolarsUPathIOManager):
    extension: ClassVar[str] = ".csv"

    def write_df_to_path(self, context, df, path):
        with path.open("wb") as handle:
            df.write_csv(handle)

    def sink_df_to_path(self, context, df, path):
        self.write_df_to_path(context, df.collect(), path)

    def scan_df_from_path(self, path, context):
        return pl.scan_csv(str(path))


def test_a_format_of_ones_own_gets_annotations_metadata_and_optional(tmp_path):
    """A subclass implementing three methods gets eager/lazy loading, metadata and Optional
    handling from the base."""
    seen = {}

    @asset
    def people() -> pl.LazyFrame:
        return FRAME.lazy()

    @asset
    def names(people: pl.LazyFrame, missing: pl.DataFrame | None) -> pl.DataFrame:
        seen["people"], seen["missing"] = people, missing
        return people.select("name").collect()

    @asset
    def missing() -> pl.DataFrame:
        return FRAME

    result = materialize([people, names, missing], selection=[people, names],
                         resources={"io_manager": PolarsCsvIOManager(base_dir=str(tmp_path))})
    assert isinstance(seen["people"], pl.LazyFrame) and seen["missing"] is None
    assert (tmp_path / "names.csv").read_text() == "name\na\nb\n"
    [mat] = result.asset_materializations_for_node("names")
    assert mat.metadata["headwater/row_count"].value == 2


def test_a_subclass_missing_a_method_is_named(tmp_path):
    """A subclass that does not implement write_df_to_path fails naming the method."""

    class Half(BasePolarsUPathIOManager):
        extension: ClassVar[str] = ".x"

    @asset
    def value() -> pl.DataFrame:
        return FRAME

    with pytest.raises(NotImplementedError, match=r"Half must implement write_df_to_path"):
        materialize([value], resources={"io_manager": Half(base_dir=str(tmp_path))})


def test_op_outputs_are_stored_per_run_and_step(tmp_path):
    """Op outputs go to <base_dir>/<run id>/<step>/<output>.parquet and load downstream."""

    @op
    def make() -> pl.DataFrame:
        return FRAME

    @op
    def count(frame: pl.LazyFrame) -> int:
        return frame.select(pl.len()).collect().item()

    @job(resource_defs={"io_manager": PolarsParquetIOManager(base_dir=str(tmp_path))})
    def counting():
        count(make())

    with pytest.raises(TypeError, match=r"output 'result' of step 'count' returned a value "
                                        r"of type int.*io_manager_key"):
        counting.execute_in_process()
    stored = next(tmp_path.glob("*/make/result.parquet"))
    assert_frame_equal(pl.read_parquet(stored), FRAME)


def test_used_directly_with_built_contexts(tmp_path):
    """Outside a run the manager builds its base path from base_dir; the contexts' type
    picks eager or lazy."""
    manager = PolarsParquetIOManager(base_dir=str(tmp_path))
    out = build_output_context(asset_key="direct")
    manager.handle_output(out, FRAME)
    assert out.get_logged_metadata()["headwater/row_count"].value == 2
    lazy = manager.load_input(build_input_context(
        upstream_output=out, asset_key="direct",
        headwater_type=_type_of(pl.LazyFrame)))
    assert_frame_equal(lazy.collect(), FRAME)
    with pytest.raises(ValueError, match=r"no base_dir and no instance.*base_dir='data'"):
        PolarsParquetIOManager().handle_output(build_output_context(asset_key="x"), FRAME)


def _type_of(annotation):
    from headwater.definitions.metadata.annotation import resolve_headwater_type

    return resolve_headwater_type(annotation)


def test_a_headwater_type_checking_frames_works_on_outputs_and_inputs(tmp_path):
    """An output typed with a HeadwaterType (a check on the frame) is stored, and loaded
    eagerly by an input of that type."""
    non_empty = HeadwaterType(type_check_fn=lambda _ctx, v: isinstance(v, pl.DataFrame)
                              and v.height > 0, name="NonEmptyFrame", typing_type=pl.DataFrame)
    seen = {}

    @asset(headwater_type=non_empty)
    def checked():
        return FRAME

    @asset(ins={"checked": AssetIn(headwater_type=non_empty)})
    def after(checked) -> None:
        seen["checked"] = checked

    materialize([checked, after],
                resources={"io_manager": PolarsParquetIOManager(base_dir=str(tmp_path))})
    assert_frame_equal(seen["checked"], FRAME)
