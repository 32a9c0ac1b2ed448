"""SensorResult(asset_events=[...]) through the daemon: recorded once as runless events."""

from __future__ import annotations

import os

import headwater as hw
from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon
from headwater.daemon.instigation import RUNNING, set_status

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
DEFS = os.path.join(ROOT, "tests", "fixtures", "sensor_asset_events.py")


def test_a_sensors_check_evaluation_lands_as_a_check_execution():
    with hw.instance_for_test() as instance:
        location = CodeLocationOrigin(python_file=DEFS).resolved().name
        set_status(instance, location, "warehouse_watcher", "SENSOR", RUNNING)
        Daemon(instance, [CodeLocationOrigin(python_file=DEFS)]).run(once=True)
        key = hw.AssetCheckKey(hw.AssetKey("warehouse_orders"), "row_count_ok")
        record = instance.get_latest_asset_check_execution_by_key([key])[key]
        assert record.status.value == "FAILED"
        assert record.evaluation.severity is hw.AssetCheckSeverity.WARN
        assert record.evaluation.metadata["rows"].value == 12
        latest = instance.get_latest_materialization_event(hw.AssetKey("warehouse_orders"))
        assert latest is not None
        assert instance.get_runs() == []
        assert len(instance.get_asset_check_execution_history(key, limit=10)) == 1
