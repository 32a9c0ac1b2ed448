"""The dataframe loader: an op input read from a csv, parquet, tab-separated or pickle file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from headwater import HeadwaterInvalidConfigError, job, op
from headwater_pandas import DataFrame, PandasColumn, create_headwater_pandas_dataframe_type

FRAME = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})

Users = create_headwater_pandas_dataframe_type(
    "Users", columns=[PandasColumn.integer_column("id", min_value=1, unique=True),
                      PandasColumn.string_column("name")])


@op
def total(df: DataFrame) -> int:
    return int(df["id"].sum())


@op
def checked_total(df: Users) -> int:  # type: ignore[valid-type]
    return int(df["id"].sum())


@job
def total_job():
    total()


@job
def users_job():
    checked_total()


def run_with(job_def, input_config):  # type: ignore[no-untyped-def]
    op_name = "total" if job_def is total_job else "checked_total"
    return job_def.execute_in_process(
        run_config={"ops": {op_name: {"inputs": {"df": input_config}}}}, raise_on_error=False)


@pytest.mark.parametrize("file_type, write", [
    ("csv", lambda f, p: f.to_csv(p, index=False)),
    ("parquet", lambda f, p: f.to_parquet(p)),
    ("table", lambda f, p: f.to_csv(p, sep="\t", index=False)),
    ("pickle", lambda f, p: f.to_pickle(p)),
])
def test_each_file_type_loads(tmp_path: Path, file_type, write):  # type: ignore[no-untyped-def]
    """csv, parquet, table (tab-separated) and pickle files load into the input."""
    path = tmp_path / f"users.{file_type}"
    write(FRAME, path)
    result = run_with(total_job, {file_type: {"path": str(path)}})
    assert result.success and result.output_for_node("total") == 6


def test_csv_separator(tmp_path: Path):
    """csv takes an optional sep (',' by default)."""
    path = tmp_path / "users.csv"
    FRAME.to_csv(path, sep=";", index=False)
    result = run_with(total_job, {"csv": {"path": str(path), "sep": ";"}})
    assert result.output_for_node("total") == 6


def test_loaded_dataframe_is_type_checked(tmp_path: Path):
    """A custom type uses the same loader, and checks what it loaded."""
    path = tmp_path / "users.csv"
    FRAME.assign(id=[1, 1, 0]).to_csv(path, index=False)
    result = run_with(users_job, {"csv": {"path": str(path)}})
    assert not result.success
    message = result.get_step_failure_events()[0].payload.error.message
    assert 'step input "df"' in message
    assert 'column "id" fails InRangeColumnConstraint' in message
    assert 'column "id" fails UniqueColumnConstraint' in message


def test_missing_file_fails_the_step_with_path_and_fix(tmp_path: Path):
    """A file that is not there fails the step with pandas' error and where to fix the path."""
    missing = tmp_path / "absent.parquet"
    result = run_with(total_job, {"parquet": {"path": str(missing)}})
    assert not result.success
    message = result.get_step_failure_events()[0].payload.error.message
    assert f"Could not read the parquet file '{missing}' for op 'total'" in message
    assert "ops.total.inputs.<input>.parquet.path" in message


def test_unreadable_file_fails_the_step(tmp_path: Path):
    """A file that pandas cannot parse fails the step with pandas' own message."""
    path = tmp_path / "broken.pickle"
    path.write_text("not a pickle")
    result = run_with(total_job, {"pickle": {"path": str(path)}})
    message = result.get_step_failure_events()[0].payload.error.message
    assert "Could not read the pickle file" in message and "UnpicklingError" in message


def test_unknown_file_type_is_a_config_error():
    """Only csv, parquet, table and pickle are accepted; the error lists them."""
    with pytest.raises(HeadwaterInvalidConfigError, match="xlsx") as caught:
        total_job.execute_in_process(
            run_config={"ops": {"total": {"inputs": {"df": {"xlsx": {"path": "a.xlsx"}}}}}})
    assert "parquet" in str(caught.value) and "pickle" in str(caught.value)


def test_environment_variable_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The path is a StringSource: {env: NAME} reads it from the environment."""
    path = tmp_path / "users.csv"
    FRAME.to_csv(path, index=False)
    monkeypatch.setenv("USERS_CSV", str(path))
    result = run_with(total_job, {"csv": {"path": {"env": "USERS_CSV"}}})
    assert result.output_for_node("total") == 6
