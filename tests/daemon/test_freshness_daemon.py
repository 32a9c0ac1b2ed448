"""The freshness sensor through the daemon: its RunRequest(asset_check_keys=...) becomes a run
that evaluates exactly those checks and materializes nothing."""

from __future__ import annotations

import os
import time

import headwater as hw
from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon
from headwater.daemon.instigation import RUNNING, set_status
from headwater.daemon.launcher import wait_for_run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
DEFS = os.path.join(ROOT, "tests", "fixtures", "freshness_defs.py")
ET = hw.HeadwaterEventType


def test_freshness_sensor_run_evaluates_only_the_checks():
    """One tick: one run of the two due checks; orders is fresh, customers overdue."""
    with hw.instance_for_test() as instance:
        instance.report_runless_asset_event(hw.AssetMaterialization(asset_key="orders"))
        location = CodeLocationOrigin(python_file=DEFS).resolved().name
        set_status(instance, location, "freshness_checks_sensor", "SENSOR", RUNNING)
        Daemon(instance, [CodeLocationOrigin(python_file=DEFS)]).run(once=True)
        (run,) = instance.get_runs()
        assert wait_for_run(instance, run.run_id, timeout=60).status == hw.HeadwaterRunStatus.SUCCESS
        evaluations = {e.headwater_event.payload.asset_key.to_user_string(): e.headwater_event.payload
                       for e in instance.all_logs(run.run_id, of_type=ET.ASSET_CHECK_EVALUATION)}
        assert sorted(evaluations) == ["customers", "orders"]
        assert evaluations["orders"].passed and not evaluations["customers"].passed
        assert instance.all_logs(run.run_id, of_type=ET.ASSET_MATERIALIZATION) == []
        assert time.time() < evaluations["orders"].metadata[
            "headwater/fresh_until_timestamp"].value
