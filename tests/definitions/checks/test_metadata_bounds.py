"""build_metadata_bounds_checks: bounds on a numeric metadata value of the latest
materialization, evaluated for real in runs."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater.definitions.checks.metadata_bounds import bounds_outcome


def _row_count_asset(name: str = "orders"):
    @hw.asset(name=name)
    def the_asset(context: hw.AssetExecutionContext):
        value = context.get_tag("rows")
        if value is None:
            return None
        number = float(value) if "." in value else int(value)
        return hw.MaterializeResult(metadata={"row_count": number})

    return the_asset


def _evaluations(result) -> dict:
    return {e.asset_key: e for e in result.get_asset_check_evaluations()}


def test_one_definition_holds_one_check_per_asset():
    """A call over two assets builds one checks definition with a check named after the key."""
    a, b = _row_count_asset("a"), _row_count_asset("b")
    checks = hw.build_metadata_bounds_checks(assets=[a, b], metadata_key="row_count",
                                             min_value=1, max_value=100)
    assert len(checks) == 1
    specs = sorted(checks[0].check_specs, key=lambda s: s.asset_key)
    assert [s.key for s in specs] == [hw.AssetCheckKey(a.key, "row_count_bounds_check"),
                                      hw.AssetCheckKey(b.key, "row_count_bounds_check")]
    assert specs[0].description == ("Checks that the latest materialization has metadata value "
                                     "`row_count` greater than or equal to 1 and less than or "
                                     "equal to 100")


def test_value_within_and_outside_bounds_in_runs():
    """The check reads the materialization made earlier in the same run."""
    orders = _row_count_asset()
    checks = hw.build_metadata_bounds_checks(assets=[orders], metadata_key="row_count",
                                             min_value=10, max_value=20, severity=hw.AssetCheckSeverity.ERROR)
    instance = hw.HeadwaterInstance.ephemeral()
    for rows, passed, text in [("15", True, "Value `15` is within range"),
                               ("9", False, "Value `9` is less than 10"),
                               ("21", False, "Value `21` is greater than 20"),
                               ("12.5", True, "Value `12.5` is within range")]:
        result = hw.materialize([orders, *checks], instance=instance, tags={"rows": rows})
        evaluation = _evaluations(result)[orders.key]
        assert (evaluation.passed, evaluation.description) == (passed, text)
        assert evaluation.severity == hw.AssetCheckSeverity.ERROR


def test_only_a_lower_bound_and_exclusive_bounds():
    """A bound may be left out; an exclusive bound refuses the bound itself."""
    orders = _row_count_asset()
    checks = hw.build_metadata_bounds_checks(assets=[orders], metadata_key="row_count",
                                             min_value=0, exclusive_min=True)
    assert next(iter(checks[0].check_specs)).description.endswith("greater than 0")
    result = hw.materialize([orders, *checks], tags={"rows": "0"})
    evaluation = _evaluations(result)[orders.key]
    assert not evaluation.passed
    assert evaluation.description == "Value `0` is less than or equal to 0"
    assert evaluation.severity == hw.AssetCheckSeverity.WARN


def test_missing_materialization_and_missing_key():
    """No materialization and no such metadata key both fail, saying which."""
    orders = _row_count_asset()
    checks = hw.build_metadata_bounds_checks(assets=[orders], metadata_key="row_count",
                                             max_value=5)
    instance = hw.HeadwaterInstance.ephemeral()
    only_checks = hw.materialize([orders, *checks], instance=instance,
                                 selection=hw.AssetSelection.all_asset_checks())
    assert _evaluations(only_checks)[orders.key].description == "Asset has not been materialized"
    result = hw.materialize([orders, *checks], instance=instance)
    assert _evaluations(result)[orders.key].description == "Metadata key `row_count` not found"


def test_outcome_of_values_that_are_not_numbers():
    """Text and booleans are not numbers."""
    assert bounds_outcome("many", 1, 2) == (False, "Value `many` is not a number")
    assert bounds_outcome(True, 0, 2) == (False, "Value `True` is not a number")


@pytest.mark.parametrize("kwargs, message", [
    ({"min_value": 10, "max_value": 1}, "`min_value` may not be greater than `max_value`"),
    ({}, "give `min_value`, `max_value` or both"),
    ({"min_value": 3, "max_value": 3, "exclusive_max": True}, "no value could pass"),
    ({"min_value": "1"}, "`min_value` must be a number"),
])
def test_invalid_bounds_are_refused(kwargs, message):
    """Bounds that cannot mean anything are refused when the checks are built."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=message):
        hw.build_metadata_bounds_checks(assets=[_row_count_asset()], metadata_key="row_count",
                                        **kwargs)


def test_check_names_replace_characters_a_name_cannot_hold():
    """'headwater/row_count' names the check 'headwater_row_count_bounds_check'."""
    checks = hw.build_metadata_bounds_checks(assets=["a/b"], metadata_key="headwater/row count",
                                             min_value=1)
    assert next(iter(checks[0].check_specs)).name == "headwater_row_count_bounds_check"


def test_assets_must_be_a_list():
    """A single asset instead of a list is refused with the fix."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=r"wrap it in a list"):
        hw.build_metadata_bounds_checks(assets=_row_count_asset(), metadata_key="x", min_value=1)


def test_misspelled_keyword_is_refused():
    """A misspelled keyword names the right one."""
    with pytest.raises(TypeError, match="Did you mean 'min_value'"):
        hw.build_metadata_bounds_checks(assets=["a"], metadata_key="x", min_valu=1)
