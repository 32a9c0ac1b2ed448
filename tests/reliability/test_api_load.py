"""The webserver under concurrent clients while a run streams: every request answered.

A small version of bench/api_load.py (10 clients for 5 s: a mix of the UI's reads, two of
them holding the streaming run's SSE stream), on SQLite and PostgreSQL. Times are the
bench's business; here the invariant is that none of the requests fails.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench" / "api_load.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("api_load_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_concurrent_clients_get_no_error_while_a_run_streams(database_url: str) -> None:
    """Invariant: under 10 concurrent clients, with a run writing events all the while, every
    request gets a 2xx answer (no 5xx, no refused or dropped connection), and the run's
    event stream delivers its events to every client holding it."""
    bench = _bench()
    args = bench.parser().parse_args(["--clients", "10", "--sse", "2", "--seconds", "5",
                                      "--groups", "3", "--chain", "20", "--quick-runs", "2",
                                      "--database-url", database_url])
    out = bench.run_bench(args)
    assert out["errors_total"] == 0, out["error_samples"]
    assert out["errors_5xx"] == 0
    assert out["server_log_tail"] == ""  # no traceback in the webserver's log
    plain = {k: v for k, v in out["routes"].items() if not k.startswith("run_stream")}
    assert set(plain) <= {"runs", "run", "run_events", "assets", "catalog", "asset",
                          "asset_events", "jobs", "schedules", "sensors", "health"}
    assert len(plain) >= 5 and sum(row["requests"] for row in plain.values()) >= 20, plain
    assert out["sse_connects"] >= 2 and out["sse_events"] > 0
    assert out["stream_status_before"] == "STARTED"


def test_asset_change_stamp_ignores_log_lines_and_nothing_else(database_url: str) -> None:
    """Invariant behind the webserver's kept asset statuses and catalog rows: the storage's
    asset change stamp stays the same across log lines, and moves with a materialization, a
    new run, a run's status change, a run's deletion and a wipe."""
    import time

    from headwater import AssetKey, AssetMaterialization
    from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
    from headwater.storage.instance import HeadwaterInstance
    from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

    instance = HeadwaterInstance.from_url(database_url)
    try:
        storage = instance.storage
        seen = [storage.asset_change_stamp()]

        def moved() -> bool:
            seen.append(storage.asset_change_stamp())
            return seen[-1] != seen[-2]

        run = instance.add_run(HeadwaterRun(job_name="j", run_id="r1"))
        assert moved()
        for i in range(20):
            storage.store_event(HeadwaterEvent(HeadwaterEventType.LOG, "r1", "j", time.time(),
                                               message=f"line {i}"))
        assert not moved()
        instance.report_runless_asset_event(AssetMaterialization(asset_key="a"))
        assert moved()
        storage.update_run(run.run_id, time.time() + 1, status=HeadwaterRunStatus.STARTED)
        assert moved()
        instance.wipe_assets([AssetKey("a")])
        assert moved()
        instance.report_runless_asset_event(AssetMaterialization(asset_key="a"))
        assert moved()
        instance.wipe_assets([AssetKey("a")])  # wiped again: a new mark on the same asset
        assert moved()
        instance.delete_run(run.run_id)
        assert moved()
    finally:
        instance.dispose()
