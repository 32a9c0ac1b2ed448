"""build_sensor_for_freshness_checks: evaluated against an instance holding real check
executions, it requests a run of exactly the freshness checks that are due."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

import headwater as hw
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType, MaterializationData


def _materialized(instance, key: str, when: float) -> None:
    instance.store_event(HeadwaterEvent(
        HeadwaterEventType.ASSET_MATERIALIZATION, "", "", when, asset_key=hw.AssetKey(key),
        payload=MaterializationData(hw.AssetMaterialization(asset_key=key))))


def _setup():
    specs = [hw.AssetSpec("orders"), hw.AssetSpec("customers")]
    checks = hw.build_last_update_freshness_checks(assets=specs,
                                                   lower_bound_delta=timedelta(hours=1))
    defs = hw.Definitions(assets=specs, asset_checks=checks, jobs=[
        hw.define_asset_job("freshness", selection=hw.AssetSelection.all_asset_checks())])
    return checks, defs


def _tick(sensor, instance):
    return sensor.evaluate_tick(hw.build_sensor_context(instance=instance))


def _requested(sensor, instance) -> list[str]:
    evaluation = _tick(sensor, instance)
    if not evaluation.run_requests:
        return []
    (request,) = evaluation.run_requests
    assert request.asset_selection == []
    return [k.to_user_string() for k in request.asset_check_keys]


def test_sensor_defaults():
    """The sensor runs by default, under its default name, with the given tags."""
    checks, _ = _setup()
    sensor = hw.build_sensor_for_freshness_checks(freshness_checks=checks,
                                                  minimum_interval_seconds=120,
                                                  tags={"team": "data"})
    assert sensor.name == "freshness_checks_sensor"
    assert sensor.default_status == hw.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 120
    assert sensor.tags == {"team": "data"}


def test_never_evaluated_checks_are_due_then_fresh_ones_are_not():
    """First tick: every check; after a run where one passed and one failed, neither."""
    checks, defs = _setup()
    sensor = hw.build_sensor_for_freshness_checks(freshness_checks=checks)
    instance = hw.HeadwaterInstance.ephemeral()
    assert _requested(sensor, instance) == ["customers:freshness_check", "orders:freshness_check"]
    _materialized(instance, "orders", time.time() - 60)
    _materialized(instance, "customers", time.time() - 5 * 3600)
    defs.resolve_job_def("freshness").execute_in_process(instance=instance)
    evaluation = _tick(sensor, instance)
    assert evaluation.run_requests == []
    assert "None of the 2 freshness checks is due" in evaluation.skip_message


def test_failed_check_is_due_again_once_its_asset_is_updated():
    """An overdue asset costs no run until it is materialized again."""
    checks, defs = _setup()
    sensor = hw.build_sensor_for_freshness_checks(freshness_checks=checks)
    instance = hw.HeadwaterInstance.ephemeral()
    _materialized(instance, "orders", time.time() - 60)
    _materialized(instance, "customers", time.time() - 5 * 3600)
    defs.resolve_job_def("freshness").execute_in_process(instance=instance)
    assert _requested(sensor, instance) == []
    _materialized(instance, "customers", time.time() - 10)
    assert _requested(sensor, instance) == ["customers:freshness_check"]


def test_passed_check_is_due_when_its_freshness_runs_out():
    """A recorded pass whose fresh-until time has come makes the check due."""
    checks, _ = _setup()
    sensor = hw.build_sensor_for_freshness_checks(freshness_checks=checks)
    instance = hw.HeadwaterInstance.ephemeral()
    for key, fresh_until in (("orders", time.time() - 1), ("customers", time.time() + 3600)):
        instance.report_runless_asset_event(hw.AssetCheckEvaluation(
            asset_key=hw.AssetKey(key), check_name="freshness_check", passed=True,
            metadata={"headwater/fresh_until_timestamp": hw.MetadataValue.timestamp(fresh_until)}))
    assert _requested(sensor, instance) == ["orders:freshness_check"]


def test_the_requested_run_evaluates_only_the_due_checks():
    """The RunRequest, executed as a selection of checks, evaluates those checks only."""
    checks, defs = _setup()
    sensor = hw.build_sensor_for_freshness_checks(freshness_checks=checks)
    instance = hw.HeadwaterInstance.ephemeral()
    instance.report_runless_asset_event(hw.AssetCheckEvaluation(
        asset_key=hw.AssetKey("customers"), check_name="freshness_check", passed=True,
        metadata={"headwater/fresh_until_timestamp": hw.MetadataValue.timestamp(
            time.time() + 3600)}))
    (request,) = _tick(sensor, instance).run_requests
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, asset_selection=hw.AssetSelection.checks(*request.asset_check_keys))
    assert [e.asset_check_key.to_user_string() for e in result.get_asset_check_evaluations()] \
        == ["orders:freshness_check"]


def test_only_freshness_checks_are_accepted():
    """Another kind of check is refused, naming it."""
    other = hw.build_metadata_bounds_checks(assets=["orders"], metadata_key="rows", min_value=1)
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="check 'orders:rows_bounds_check' is not a freshness check"):
        hw.build_sensor_for_freshness_checks(freshness_checks=other)


def test_sensor_without_an_instance_says_how_to_give_one():
    """Evaluating the sensor without an instance is an error with the fix."""
    checks, _ = _setup()
    sensor = hw.build_sensor_for_freshness_checks(freshness_checks=checks)
    with pytest.raises(Exception, match=r"build_sensor_context\(instance=...\)"):
        sensor.evaluate_tick(hw.build_sensor_context())
