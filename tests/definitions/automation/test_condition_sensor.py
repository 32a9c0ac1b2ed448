"""AutomationConditionSensorDefinition: its targets and defaults, the default sensor that
Definitions adds for conditions no automation sensor targets, the snapshot entry, direct
evaluation through a sensor context, and conditions written in user code."""

from __future__ import annotations

import json

import pytest

import headwater as hw
from headwater import AssetSelection, AutomationConditionSensorDefinition
from headwater import AutomationCondition as AC
from headwater.code.snapshot import build_snapshot
from headwater.definitions.automation.condition import AutomationCondition
from headwater.errors import HeadwaterInvalidDefinitionError


@hw.asset(group_name="a", automation_condition=AC.missing())
def orders():
    return 1


@hw.asset(group_name="b", deps=[orders], automation_condition=AC.eager())
def report():
    return 1


@hw.asset(group_name="b")
def manual():
    return 1


@hw.asset_check(asset=orders, automation_condition=AC.missing())
def orders_ok():
    return hw.AssetCheckResult(passed=True)


def test_defaults_follow_the_documented_api():
    """target= is required; the sensor runs by default, every 30 s, kind AUTOMATION."""
    sensor = AutomationConditionSensorDefinition("s", target=AssetSelection.groups("a"))
    assert sensor.default_status is hw.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 30
    assert sensor.sensor_type == "AUTOMATION"
    assert sensor.emit_backfills and not sensor.use_user_code_server
    with pytest.raises(HeadwaterInvalidDefinitionError, match="pass target="):
        AutomationConditionSensorDefinition("s", target=None)


def test_default_sensor_covers_what_no_sensor_targets():
    """With no automation sensor, the default one evaluates every asset and check with a
    condition; a user sensor over group a leaves it only group b."""
    defs = hw.Definitions(assets=[orders, report, manual], asset_checks=[orders_ok])
    (default,) = defs.resolve_all_sensor_defs()
    assert default.name == "default_automation_condition_sensor"
    graph = defs.resolve_asset_graph()
    from headwater.definitions.automation.condition_sensor import targeted_conditions

    keys = [k.to_user_string() for k, _ in targeted_conditions(graph, default.target)]
    assert keys == ["orders", "report", "orders:orders_ok"]
    team_a = AutomationConditionSensorDefinition("team_a", target=AssetSelection.groups("a"))
    defs = hw.Definitions(assets=[orders, report, manual], asset_checks=[orders_ok],
                          sensors=[team_a])
    sensors = {s.name: s for s in defs.resolve_all_sensor_defs()}
    assert set(sensors) == {"team_a", "default_automation_condition_sensor"}
    left = targeted_conditions(graph, sensors["default_automation_condition_sensor"].target)
    assert [k.to_user_string() for k, _ in left] == ["report"]
    assert defs.resolve_sensor_def("default_automation_condition_sensor").name == \
        "default_automation_condition_sensor"
    assert defs.sensors == [team_a]  # the default one is not added to what was passed in


def test_no_default_sensor_without_conditions_or_when_all_are_targeted():
    """No conditions, or every condition targeted: no default sensor."""
    assert hw.Definitions(assets=[manual]).resolve_all_sensor_defs() == []
    every = AutomationConditionSensorDefinition("every", target=AssetSelection.all())
    defs = hw.Definitions(assets=[orders, report], sensors=[every])
    assert [s.name for s in defs.resolve_all_sensor_defs()] == ["every"]


def test_snapshot_lists_automation_sensors_and_condition_trees():
    """The snapshot marks the sensor kind "automation" with the keys it evaluates, and carries
    each asset's (and check's) condition as a tree."""
    snapshot = build_snapshot(hw.Definitions(assets=[orders, report], asset_checks=[orders_ok]))
    (sensor,) = snapshot["sensors"]
    assert sensor["kind"] == "automation" and sensor["default_status"] == "RUNNING"
    assert sensor["evaluated_keys"] == ["orders", "report", "orders:orders_ok"]
    by_key = {a["key_string"]: a for a in snapshot["assets"]}
    assert by_key["orders"]["automation_condition"] == {
        "label": None, "description": "missing", "condition": "missing()", "children": []}
    eager = by_key["report"]["automation_condition"]
    assert eager["label"] == "eager" and eager["children"]
    assert by_key["orders"]["checks"][0]["automation_condition"]["description"] == "missing"
    json.dumps(snapshot)


def test_evaluate_tick_requests_and_moves_the_cursor():
    """Evaluated through a sensor context, the sensor requests the missing asset with its run
    tags and returns the evaluator's cursor."""
    sensor = AutomationConditionSensorDefinition("s", target=[orders], run_tags={"team": "a"})
    defs = hw.Definitions(assets=[orders], sensors=[sensor])
    with hw.instance_for_test() as instance:
        context = hw.build_sensor_context(instance=instance, definitions=defs)
        evaluation = sensor.evaluate_tick(context)
    (request,) = evaluation.run_requests
    assert request.asset_selection == [hw.AssetKey("orders")]
    assert request.tags["team"] == "a"
    assert request.tags["headwater/automation_condition"] == "true"
    assert json.loads(evaluation.cursor)["targets"]


class CustomCondition(AutomationCondition):
    """A condition written in user code."""

    description = "custom"


def test_user_written_conditions_need_use_user_code_server():
    """A condition class from user code is refused unless use_user_code_server=True."""
    @hw.asset(automation_condition=AC.missing() & CustomCondition())
    def custom():
        return 1

    strict = AutomationConditionSensorDefinition("strict", target=[custom])
    defs = hw.Definitions(assets=[custom], sensors=[strict])
    with hw.instance_for_test() as instance, pytest.raises(HeadwaterInvalidDefinitionError,
                       match="asset 'custom' uses CustomCondition .*use_user_code_server=True"):
        strict.evaluate(defs, instance)
