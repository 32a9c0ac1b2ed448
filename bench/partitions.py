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
    return st._partition_setup(lib, instance, len(names), names)


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
