"""code/automation.py: a tick's launches (backfills or one run per partition) and the
automation part of `headwater asset explain`: whether the next tick requests the asset
(or a partition), in words, naming the false sub-conditions; evaluated from the sensor's stored
cursor without storing anything; the CLI and the API show it after the staleness sections."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import headwater as hw
from headwater.cli.main import main
from headwater.code.automation import (
    evaluate_automation_sensor,
    explain_automation,
    false_causes,
)
from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon
from headwater.daemon.instigation import RUNNING, origin_id, set_status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROJECT = FIXTURES / "automation_project.py"
PARTITIONED = FIXTURES / "automation_defs.py"
sys.path.insert(0, str(FIXTURES))
import automation_defs  # noqa: E402
import automation_project  # noqa: E402


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    with hw.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def _tick(instance, path=PROJECT):
    Daemon(instance, [CodeLocationOrigin(python_file=str(path))]).run(once=True)


def test_not_requested_names_the_false_sub_conditions(instance):
    """Before a dependency changed, eager will not request order_summary: the explanation says
    so and names what is false (nothing new since the condition was handled, deps missing)."""
    (section,) = explain_automation(automation_project.defs, instance, "order_summary")
    assert section.title == "Automation"
    assert section.data["verdict"] == "not_requested"
    text = "\n".join(section.lines)
    assert "will not request order_summary" in text
    assert "- 'handled' (since) is false (what triggers it has not been true since" in text
    assert "Not evaluated, since an earlier part was already false: '~any_deps_missing'" in text
    assert "no stored cursor yet" in text
    assert instance.get_automation_evaluations("order_summary") == []  # nothing stored


def test_requested_after_the_dependency_updates_from_the_stored_cursor(instance):
    """After a tick stored its cursor and raw_orders was materialized, the next tick will
    request order_summary; explain reads the sensor's cursor to say so."""
    _tick(instance)
    oid = origin_id("automation_project", "default_automation_condition_sensor")
    cursor = instance.storage.get_instigator_state(oid).cursor
    assert hw.materialize([automation_project.raw_orders], instance=instance).success
    (section,) = explain_automation(automation_project.defs, instance, "order_summary",
                                    location="automation_project")
    assert section.data["verdict"] == "requested"
    assert "will request order_summary" in section.lines[0]
    assert "from the cursor its last tick stored" in section.lines[-1]
    assert instance.storage.get_instigator_state(oid).cursor == cursor  # not moved


def test_no_condition_and_stopped_sensor_and_partition(instance):
    """An asset without a condition says how to add one; a partition of an asset whose sensor
    is stopped 'would' be requested, and the stopped sensor is named."""
    (manual,) = explain_automation(automation_project.defs, instance, hw.AssetKey("manual"))
    assert manual.data["verdict"] == "no_condition"
    assert "automation_condition=AutomationCondition.eager()" in manual.lines[0]
    (daily,) = explain_automation(automation_defs.defs, instance, "daily_each",
                                  partition="2024-01-02")
    assert daily.data["verdict"] == "requested"
    assert "would request daily_each partition 2024-01-02" in daily.lines[0]
    assert "Sensor 'partitioned_sensor' is stopped" in daily.lines[1]
    set_status(instance, "automation_defs", "partitioned_sensor", "SENSOR", RUNNING)
    (running,) = explain_automation(automation_defs.defs, instance, "daily_each",
                                    partition="2024-01-09")
    assert running.data["verdict"] == "not_requested"  # not a partition of this asset


def test_false_causes_descend_into_what_is_false():
    """An AND is explained by its false children; a NOT of something true by itself."""
    def node(name, true, *children):
        return {"label": name, "description": name, "condition": name,
                "true_count": int(true), "candidate_count": 1, "true_partitions": None,
                "children": list(children)}
    tree = node("all", False, node("a", True), node("b", False, node("b1", False)),
                node("not_c", False, node("c", True)))
    assert [c["label"] for c in false_causes(tree, None)] == ["b1", "not_c"]
    skipped = node("later", False)
    skipped["candidate_count"] = 0
    tree["children"].append(skipped)
    assert [c["label"] for c in false_causes(tree, None)] == ["b1", "not_c"]


def test_cli_prints_the_automation_section(instance):
    """`headwater asset explain KEY` ends with the automation section."""
    result = CliRunner().invoke(main, ["asset", "explain", "order_summary",
                                       "-f", str(PROJECT)])
    assert result.exit_code == 0, result.output
    assert "== Automation ==" in result.output
    assert "will not request order_summary" in result.output
    as_json = CliRunner().invoke(main, ["asset", "explain", "raw_orders", "-f", str(PROJECT),
                                        "--json"])
    sections = json.loads(as_json.output)
    assert sections[-1]["title"] == "Automation"
    assert sections[-1]["data"]["verdict"] == "not_requested"


@pytest.mark.parametrize("emit_backfills", [True, False])
def test_partitions_become_backfills_unless_the_sensor_says_not(emit_backfills):
    """Three partitions of each daily asset: a backfill per asset carrying its policy, or with
    emit_backfills=False three single-partition runs per asset."""
    sensor = hw.AutomationConditionSensorDefinition(
        "daily", target=[automation_defs.daily_single, automation_defs.daily_each],
        emit_backfills=emit_backfills, run_tags={"team": "x"})
    defs = hw.Definitions(assets=[automation_defs.daily_single, automation_defs.daily_each],
                          sensors=[sensor])
    reply = evaluate_automation_sensor(defs, "daily", instance=hw.HeadwaterInstance.ephemeral())
    assert reply["total_requested"] == 6
    if emit_backfills:
        assert reply["run_requests"] == []
        by_asset = {tuple(b["asset_selection"]): b for b in reply["backfills"]}
        single, each = by_asset[("daily_single",)], by_asset[("daily_each",)]
        assert (single["single_run"], single["max_partitions_per_run"]) == (True, None)
        assert (each["single_run"], each["max_partitions_per_run"]) == (False, 1)
        assert each["partition_keys"] == ["2024-01-01", "2024-01-02", "2024-01-03"]
        assert "headwater/partition" not in each["tags"] and each["tags"]["team"] == "x"
    else:
        assert reply["backfills"] == []
        assert len(reply["run_requests"]) == 6
        assert all(r["tags"]["headwater/sensor_name"] == "daily" for r in reply["run_requests"])
