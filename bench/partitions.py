"""Partition workloads: the status of every partition of an hourly-partitioned asset.

`partition_status`: n hourly partitions of asset "p" on SQLite, all but 40 materialized (in
batches of 1,000, like a backfill), 20 failed, 10 in progress, 10 missing. The timed call
computes the definition's keys and splits them by status: on headwater
`headwater.storage.partition_status.partition_status(instance, assets_def)`, on Dagster its
nearest public equivalent, `instance.get_status_by_partition(key, partitions_def.get_partition_keys(),
partitions_def)` bucketed by status. Loaded by `workloads.py`; reuses `storage.py`'s event
helpers. Standard library only at module level.
"""

from __future__ import annotations

import importlib.util
import os
import time
import uuid
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any


def _storage() -> Any:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "storage.py")
    spec = importlib.util.spec_from_file_location("headwater_bench_storage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _setup(lib: ModuleType, st: Any, instance: Any, names: list[str]) -> dict[str, list[str]]:
    events, hw = st.Events(lib), lib.__name__ == "headwater"
    n = len(names)
    groups = {"materialized": names[:n - 40], "failed": names[n - 40:n - 20],
              "in_progress": names[n - 20:n - 10], "missing": names[n - 10:]}
    batch = st.write_batch(lib, instance)
    mats = groups["materialized"]
    for b in range(0, len(mats), 1000):
        run_id = f"bulk-{b}"
        batch([events.materialization(run_id, b + i, "p", k)
               for i, k in enumerate(mats[b:b + 1000])])
    run_cls = lib.HeadwaterRun if hw else lib.DagsterRun
    tag = "headwater/partition" if hw else "dagster/partition"
    for kind in ("failed", "in_progress"):
        for k in groups[kind]:
            run_id = uuid.uuid4().hex
            instance.add_run(run_cls(job_name="bench_job", run_id=run_id, tags={tag: k},
                                     asset_selection=frozenset({lib.AssetKey("p")})))
            seq = [events.run_event(run_id, "RUN_START"),
                   events.run_event(run_id, "ASSET_MATERIALIZATION_PLANNED", "p", k)]
            if kind == "failed":
                seq.append(events.run_event(run_id, "RUN_FAILURE"))
            for event in seq:
                instance.handle_new_event(event if not hw else st._entry_for(lib, event))
    return groups


def w_partition_status(lib: ModuleType, repeats: int, n: int = 50_000) -> dict[str, Any]:
    """Status of every partition of an asset with n hourly partitions, on SQLite."""
    st = _storage()
    start_dt = datetime(2015, 1, 1)
    end_dt = start_dt + timedelta(hours=n)
    pdef = lib.HourlyPartitionsDefinition(start_date=start_dt, end_date=end_dt)

    @lib.asset(name="p", partitions_def=pdef)
    def p() -> int:
        return 1

    hw = lib.__name__ == "headwater"
    if hw:
        from headwater.storage.partition_status import partition_status
    with st.open_instance(lib, "sqlite") as (instance, _home):
        names = pdef.get_partition_keys()
        st.check(len(names) == n, f"{len(names)} partitions, expected {n}")
        start = time.perf_counter()
        groups = _setup(lib, st, instance, list(names))
        setup = time.perf_counter() - start

        def status_now() -> dict[str, set[str]]:
            if hw:
                result = partition_status(instance, p)
                return {"materialized": result.materialized, "failed": result.failed,
                        "in_progress": result.in_progress, "missing": result.missing}
            keys = pdef.get_partition_keys()
            status = instance.get_status_by_partition(lib.AssetKey("p"), keys, pdef)
            out: dict[str, set[str]] = {"materialized": set(), "failed": set(),
                                        "in_progress": set(), "missing": set()}
            names_by_value = {"MATERIALIZED": "materialized", "FAILED": "failed",
                              "IN_PROGRESS": "in_progress"}
            for key, value in status.items():
                out[names_by_value.get(getattr(value, "value", None), "missing")].add(key)
            return out

        times = []
        result: dict[str, set[str]] = {}
        for _ in range(repeats):
            start = time.perf_counter()
            result = status_now()
            times.append(time.perf_counter() - start)
        st.check({g: len(v) for g, v in result.items()} == {g: len(v) for g, v in groups.items()},
                 f"unexpected partition statuses: { {g: len(v) for g, v in result.items()} }")
    return {"partitions": n, "setup_s": setup, "status_s": st.median_of(times)}


WORKLOADS = {"partition_status": w_partition_status}
