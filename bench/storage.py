"""Storage workloads: event writes, rows per run, latest-materialization lookups, partition status.

Loaded by ``bench/workloads.py`` (``storage_*`` workloads) in the library's own interpreter, so
it imports only the standard library at module level; SQLAlchemy (present in both virtualenvs)
is imported to create and drop the PostgreSQL databases. Each workload opens a persistent
instance the way a user would: a temporary home (``HEADWATER_HOME`` / ``DAGSTER_HOME``) with a
``headwater.yaml`` / ``dagster.yaml`` (the same ``storage: postgres: postgres_url:`` spelling on
both sides) and ``Instance.get()``; the home is deleted and the database dropped afterwards.

The events written are built once, outside the timed sections, with each library's own event
classes (the engine's, as its storage receives them): a STEP_OUTPUT with one metadata entry and
an ASSET_MATERIALIZATION of one asset with one metadata entry.

PostgreSQL: ``$HEADWATER_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/
test``) names a server and a database to connect to; each workload creates a fresh database
``bench_<random>`` there and drops it at the end. Dagster needs ``dagster-postgres`` and
``psycopg2`` in its virtualenv; without them its PostgreSQL figures are reported missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

PG_ENV = "HEADWATER_BENCH_POSTGRES_URL"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 500  # events per batch: the engine's largest write (storage/sql.py _MAX_HELD)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


def median_of(times: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(times), "min": min(times), "times": times}


# ------------------------------------------------------------------- databases and homes


def _pg_driver() -> str:
    try:
        import psycopg  # noqa: F401  (headwater's driver)

        return "psycopg"
    except ImportError:
        return "psycopg2"  # Dagster's


def _with_driver(url: str, driver: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return f"postgresql+{driver}://" + url[len(prefix):]
    return url


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one workload (dropped afterwards); its URL."""
    import sqlalchemy as sa

    base = _with_driver(os.environ.get(PG_ENV, PG_DEFAULT), _pg_driver())
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = "bench_" + uuid.uuid4().hex[:12]
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def open_instance(lib: ModuleType, backend: str) -> Iterator[tuple[Any, str]]:
    """The library's persistent instance in a temporary home, on "sqlite" or "postgres"."""
    libname = lib.__name__
    env = "HEADWATER_HOME" if libname == "headwater" else "DAGSTER_HOME"
    with contextlib.ExitStack() as stack:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-{libname}-home-"))
        lines = ["telemetry:", "  enabled: false"] if libname == "dagster" else []
        if backend == "postgres":
            url = stack.enter_context(pg_database())
            lines += ["storage:", "  postgres:", f"    postgres_url: {url}"]
        with open(os.path.join(home, f"{libname}.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        previous = os.environ.get(env)
        os.environ[env] = home
        instance = getattr(lib, "DagsterInstance" if libname == "dagster" else "HeadwaterInstance").get()
        try:
            yield instance, home
        finally:
            instance.dispose()
            if previous is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = previous


# ------------------------------------------------------------------------------ events


class Events:
    """Each library's spelling of the events the workloads write."""

    def __init__(self, lib: ModuleType):
        self.lib = lib
        self.hw = lib.__name__ == "headwater"

    def output(self, run_id: str, i: int) -> Any:
        lib = self.lib
        if self.hw:
            from headwater.execution.event import HeadwaterEvent, HeadwaterEventType, StepOutputData

            return HeadwaterEvent(
                HeadwaterEventType.STEP_OUTPUT, run_id, "bench_job", time.time(), step_key="s",
                node_name="s", message='Yielded output "result".',
                payload=StepOutputData("result", metadata={"i": lib.MetadataValue.int(i)}))
        from dagster._core.events import DagsterEvent, StepOutputData
        from dagster._core.execution.plan.outputs import StepOutputHandle

        event = DagsterEvent(
            "STEP_OUTPUT", "bench_job", step_key="s", message='Yielded output "result".',
            event_specific_data=StepOutputData(StepOutputHandle("s", "result"),
                                               metadata={"i": lib.MetadataValue.int(i)}))
        return self._entry(run_id, event)

    def materialization(self, run_id: str, i: int, key: str = "a",
                        partition: str | None = None) -> Any:
        lib = self.lib
        mat = lib.AssetMaterialization(asset_key=key, partition=partition, metadata={"i": i})
        if self.hw:
            from headwater.execution.event import (
                HeadwaterEvent,
                HeadwaterEventType,
                MaterializationData,
            )

            return HeadwaterEvent(
                HeadwaterEventType.ASSET_MATERIALIZATION, run_id, "bench_job", time.time(),
                step_key="s", node_name="s", asset_key=lib.AssetKey(key), partition=partition,
                message=f"Materialized value {key}.", payload=MaterializationData(mat))
        from dagster._core.events import DagsterEvent, StepMaterializationData

        event = DagsterEvent("ASSET_MATERIALIZATION", "bench_job", step_key="s",
                             message=f"Materialized value {key}.",
                             event_specific_data=StepMaterializationData(mat))
        return self._entry(run_id, event)

    def run_event(self, run_id: str, kind: str, key: str | None = None,
                  partition: str | None = None) -> Any:
        """RUN_START, RUN_FAILURE, or ASSET_MATERIALIZATION_PLANNED of (key, partition)."""
        lib = self.lib
        if self.hw:
            from headwater.execution.event import (
                HeadwaterEvent,
                HeadwaterEventType,
                PlannedData,
                RunFailureData,
            )

            et = HeadwaterEventType[kind]
            payload = {"RUN_FAILURE": RunFailureData(), "RUN_START": None}.get(
                kind, PlannedData(lib.AssetKey(key), partition) if key else None)
            return HeadwaterEvent(et, run_id, "bench_job", time.time(),
                                  asset_key=lib.AssetKey(key) if key else None,
                                  partition=partition, payload=payload)
        from dagster._core.events import (
            AssetMaterializationPlannedData,
            DagsterEvent,
            JobFailureData,
        )

        data = {"RUN_FAILURE": JobFailureData(None), "RUN_START": None}.get(
            kind, AssetMaterializationPlannedData(lib.AssetKey(key), partition=partition)
            if key else None)
        value = lib.DagsterEventType[kind].value  # RUN_START is stored as PIPELINE_START
        return self._entry(run_id, DagsterEvent(value, "bench_job", event_specific_data=data))

    def _entry(self, run_id: str, event: Any) -> Any:
        return self.lib.EventLogEntry(None, "DEBUG", "", run_id, time.time(),
                                      step_key=event.step_key, job_name="bench_job",
                                      dagster_event=event)


def write_single(lib: ModuleType, instance: Any) -> Callable[[Any], None]:
    """Write one event in its own transaction.

    headwater: `instance.storage.store_event` (`instance.store_event` holds STEP_OUTPUT and
    ASSET_MATERIALIZATION until the step's boundary, i.e. batches them). Dagster:
    `instance.store_event`, which writes each event at once.
    """
    if lib.__name__ == "headwater":
        return instance.storage.store_event
    return instance.store_event


def write_batch(lib: ModuleType, instance: Any) -> Callable[[list[Any]], None]:
    """Write many events in one call: headwater `instance.store_events` (one transaction);
    Dagster `instance.event_log_storage.store_event_batch` (SQLite: one write per event;
    PostgreSQL: one insert, asset events of one asset only)."""
    if lib.__name__ == "headwater":
        return instance.store_events
    return instance.event_log_storage.store_event_batch


def count_events(lib: ModuleType, instance: Any, run_id: str) -> int:
    return len(instance.all_logs(run_id))


# --------------------------------------------------------------------------- workloads


def _write(lib: ModuleType, backend: str, repeats: int, n: int) -> dict[str, Any]:
    """events/s for STEP_OUTPUT and ASSET_MATERIALIZATION events, single and batched."""
    events = Events(lib)
    n_single = max(1, n // 10)
    out: dict[str, Any] = {"backend": backend, "single_events": n_single, "batch_events": n,
                           "batch_size": BATCH}
    with open_instance(lib, backend) as (instance, _home):
        single, batch = write_single(lib, instance), write_batch(lib, instance)
        warm = "warm-" + uuid.uuid4().hex
        for i in range(5):
            single(events.output(warm, i))
            single(events.materialization(warm, i))
        for shape, make in (("output", events.output), ("materialization", events.materialization)):
            times = []
            for _ in range(repeats):
                run_id = uuid.uuid4().hex
                batch_of = [make(run_id, i) for i in range(n_single)]
                start = time.perf_counter()
                for event in batch_of:
                    single(event)
                times.append(time.perf_counter() - start)
                check(count_events(lib, instance, run_id) == n_single, f"{shape}: lost events")
            out[f"single_{shape}_s"] = median_of(times)
            out[f"single_{shape}_eps"] = n_single / statistics.median(times)
            times = []
            for _ in range(repeats):
                run_id = uuid.uuid4().hex
                made = [make(run_id, i) for i in range(n)]
                chunks = [made[i:i + BATCH] for i in range(0, n, BATCH)]
                try:
                    start = time.perf_counter()
                    for chunk in chunks:
                        batch(chunk)
                    times.append(time.perf_counter() - start)
                except Exception as exc:  # Dagster's PostgreSQL batch refuses STEP_OUTPUT
                    out[f"batch_{shape}_unsupported"] = f"{type(exc).__name__}: {exc}"[:300]
                    break
                check(count_events(lib, instance, run_id) == n, f"{shape}: lost batched events")
            if times:
                out[f"batch_{shape}_s"] = median_of(times)
                out[f"batch_{shape}_eps"] = n / statistics.median(times)
    return out


def w_write_sqlite(lib: ModuleType, repeats: int, n: int = 1000) -> dict[str, Any]:
    return _write(lib, "sqlite", repeats, n)


def w_write_postgres(lib: ModuleType, repeats: int, n: int = 1000) -> dict[str, Any]:
    return _write(lib, "postgres", repeats, n)


def _db_rows(home: str, run_id: str | None) -> tuple[int, int]:
    """(event rows of `run_id` or of all runs, rows in every table) of the SQLite files in home."""
    events = total = 0
    for path in glob.glob(os.path.join(home, "**", "*.db"), recursive=True):
        with contextlib.closing(sqlite3.connect(path)) as c:
            tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                total += c.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if "event_logs" in tables:
                if run_id is None:
                    events += c.execute("SELECT count(*) FROM event_logs").fetchone()[0]
                else:
                    events += c.execute("SELECT count(*) FROM event_logs WHERE run_id = ?",
                                        (run_id,)).fetchone()[0]
    return events, total


def w_run(lib: ModuleType, repeats: int) -> dict[str, Any]:
    """One trivial asset materialized on a persistent SQLite instance: time and rows per run."""

    def one():
        return 1

    asset = lib.asset(name="one")(one)
    with open_instance(lib, "sqlite") as (instance, home):

        def run() -> Any:
            # in-memory IO on both sides: what is timed is the engine plus its storage writes
            result = lib.materialize_to_memory([asset], instance=instance)
            check(result.success, "run failed")
            return result

        for _ in range(3):
            run()
        _, rows_before = _db_rows(home, None)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - start)
        _, rows_after = _db_rows(home, None)
        run_id = result.run_id
        event_rows, _ = _db_rows(home, run_id)
        logged = count_events(lib, instance, run_id)
        check(instance.get_latest_materialization_event(lib.AssetKey("one")) is not None,
              "materialization not recorded")
        check(instance.get_run_by_id(run_id) is not None, "run not recorded")
    return {
        "runs": repeats, "run_s": median_of(times), "event_rows_per_run": event_rows,
        "log_entries_per_run": logged, "rows_per_run": (rows_after - rows_before) / repeats,
    }


def w_latest(lib: ModuleType, repeats: int, n: int = 10_000) -> dict[str, Any]:
    """Latest materialization of n assets: one call for all keys, and one key at a time."""
    keys = [lib.AssetKey(f"k{i}") for i in range(n)]
    with open_instance(lib, "sqlite") as (instance, _home):
        start = time.perf_counter()
        for i in range(n):
            instance.report_runless_asset_event(
                lib.AssetMaterialization(asset_key=keys[i], metadata={"i": i}))
        setup = time.perf_counter() - start
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            latest = instance.get_latest_materialization_events(keys)
            times.append(time.perf_counter() - start)
        check(sum(v is not None for v in latest.values()) == n, "lookup missed assets")
        sample = latest[keys[n // 2]].asset_materialization.metadata["i"]
        check(getattr(sample, "value", sample) == n // 2, "wrong materialization returned")
        singles = []
        for j in range(200):
            key = keys[(j * 7919) % n]
            start = time.perf_counter()
            entry = instance.get_latest_materialization_event(key)
            singles.append(time.perf_counter() - start)
            check(entry is not None, "single lookup missed")
    one = median_of(singles)
    del one["times"]
    return {"assets": n, "setup_s": setup, "all_keys_s": median_of(times), "one_key_s": one}


def _partition_setup(lib: ModuleType, instance: Any, n: int,
                     names: list[str] | None = None) -> dict[str, list[str]]:
    """n partitions of asset "p" (named `names`, default p00000...): all but 40 materialized,
    20 failed, 10 in progress, 10 missing.

    Materializations go in batches of 1,000 (one run id per batch, like a backfill); a failed
    partition is a run that started, planned the partition and failed; an in-progress one a
    run that started and planned it. Run records exist on both sides, with status moved by the
    run events."""
    events, hw = Events(lib), lib.__name__ == "headwater"
    names = names if names is not None else [f"p{i:05d}" for i in range(n)]
    groups = {"materialized": names[:n - 40], "failed": names[n - 40:n - 20],
              "in_progress": names[n - 20:n - 10], "missing": names[n - 10:]}
    batch = write_batch(lib, instance)
    mats = groups["materialized"]
    for b in range(0, len(mats), 1000):
        run_id = f"bulk-{b}"
        batch([events.materialization(run_id, b + i, "p", k) for i, k in enumerate(mats[b:b + 1000])])
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
                instance.handle_new_event(event if not hw else _entry_for(lib, event))
    return groups


def _entry_for(lib: ModuleType, event: Any) -> Any:
    return lib.EventLogEntry(None, "DEBUG", "", event.run_id, event.timestamp,
                             job_name=event.job_name, headwater_event=event)


def w_partitions(lib: ModuleType, repeats: int, n: int = 50_000) -> dict[str, Any]:
    """Status of every partition of one asset with n partitions, on PostgreSQL."""
    key = lib.AssetKey("p")
    with open_instance(lib, "postgres") as (instance, _home):
        start = time.perf_counter()
        groups = _partition_setup(lib, instance, n)
        setup = time.perf_counter() - start
        names = [k for g in groups.values() for k in g]
        pdef = lib.StaticPartitionsDefinition(names) if hasattr(
            lib, "StaticPartitionsDefinition") else None
        out: dict[str, Any] = {"partitions": n, "setup_s": setup,
                               "counts": {g: len(v) for g, v in groups.items()}}

        status_times = []
        for _ in range(repeats):
            start = time.perf_counter()
            status = instance.get_status_by_partition(key, names, pdef)
            status_times.append(time.perf_counter() - start)
        by = {g: {str(getattr(status[k], "value", status[k])) for k in v} for g, v in groups.items()}
        check(by == {"materialized": {"MATERIALIZED"}, "failed": {"FAILED"},
                     "in_progress": {"IN_PROGRESS"}, "missing": {"None"}},
              f"unexpected partition statuses: {by}")
        out["status_s"] = median_of(status_times)

        mat_times = []
        for _ in range(repeats):
            start = time.perf_counter()
            materialized = instance.get_materialized_partitions(key)
            mat_times.append(time.perf_counter() - start)
        check(materialized == set(groups["materialized"]),
              f"{len(materialized)} materialized partitions, expected {len(groups['materialized'])}")
        out["materialized_s"] = median_of(mat_times)
    return out


WORKLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    "storage_write_sqlite": w_write_sqlite,
    "storage_write_postgres": w_write_postgres,
    "storage_run": w_run,
    "storage_latest": w_latest,
    "storage_partitions": w_partitions,
}
