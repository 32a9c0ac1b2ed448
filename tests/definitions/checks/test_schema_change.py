"""build_column_schema_change_checks: the columns of the latest two materializations compared,
evaluated for real in runs."""

from __future__ import annotations

import json

import headwater as hw
from headwater.definitions.checks.schema_change import schema_change

_SCHEMAS = {
    "v1": hw.TableSchema([hw.TableColumn("id", "int"), hw.TableColumn("name", "string"),
                          hw.TableColumn("price", "float")]),
    "v2": hw.TableSchema([hw.TableColumn("id", "int"), hw.TableColumn("name", "string"),
                          hw.TableColumn("price", "decimal"), hw.TableColumn("sku", "string")]),
}


@hw.asset
def products(context: hw.AssetExecutionContext):
    version = context.get_tag("schema")
    if version is None:
        return None
    return hw.MaterializeResult(metadata={"headwater/column_schema": _SCHEMAS[version]})


def _only_evaluation(result):
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 1
    return evaluations[0]


def test_fewer_than_two_materializations_pass():
    """Nothing to compare yet: the check passes and says so."""
    checks = hw.build_column_schema_change_checks(assets=[products])
    assert [s.name for s in checks[0].check_specs] == ["column_schema_change"]
    evaluation = _only_evaluation(hw.materialize([products, *checks], tags={"schema": "v1"}))
    assert evaluation.passed
    assert evaluation.description == "The asset has been materialized fewer than 2 times"


def test_same_schema_passes_and_changed_schema_fails_with_the_changes():
    """Added, removed and retyped columns are listed in the description and metadata."""
    checks = hw.build_column_schema_change_checks(assets=[products])
    instance = hw.HeadwaterInstance.ephemeral()
    hw.materialize([products, *checks], instance=instance, tags={"schema": "v1"})
    same = _only_evaluation(hw.materialize([products, *checks], instance=instance,
                                           tags={"schema": "v1"}))
    assert same.passed
    changed = _only_evaluation(hw.materialize([products, *checks], instance=instance,
                                              tags={"schema": "v2"}))
    assert not changed.passed
    assert changed.severity == hw.AssetCheckSeverity.WARN
    assert "Added columns: sku (string)" in changed.description
    assert "Columns with changed types: price (float -> decimal)" in changed.description
    assert [c.name for c in changed.metadata["added_columns"].value.columns] == ["sku"]
    assert changed.metadata["removed_columns"].value.columns == []
    assert changed.metadata["column_type_changes"].value == {
        "price": {"old": "float", "new": "decimal"}}
    json.dumps(changed.metadata["column_type_changes"].value)


def test_missing_schema_metadata_fails():
    """A materialization without headwater/column_schema cannot be compared."""
    checks = hw.build_column_schema_change_checks(assets=[products],
                                                  severity=hw.AssetCheckSeverity.ERROR)
    instance = hw.HeadwaterInstance.ephemeral()
    hw.materialize([products, *checks], instance=instance, tags={"schema": "v1"})
    evaluation = _only_evaluation(hw.materialize([products, *checks], instance=instance))
    assert not evaluation.passed
    assert evaluation.severity == hw.AssetCheckSeverity.ERROR
    assert evaluation.description.startswith("Latest materialization has no "
                                             "`headwater/column_schema` metadata")


def test_removed_columns_are_reported():
    """Going back from v2 to v1 removes 'sku'."""
    change = schema_change(_SCHEMAS["v2"], _SCHEMAS["v1"])
    assert [c.name for c in change.removed] == ["sku"]
    assert change.added == []
    assert "Removed columns: sku (string)" in change.describe()


def test_two_calls_sit_in_one_definitions():
    """Two calls on different assets give checks definitions with different names."""
    @hw.asset
    def other():
        return None

    first = hw.build_column_schema_change_checks(assets=[products])
    second = hw.build_column_schema_change_checks(assets=[other])
    defs = hw.Definitions(assets=[products, other], asset_checks=[*first, *second])
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=hw.HeadwaterInstance.ephemeral())
    assert len(result.get_asset_check_evaluations()) == 2
