"""Asset check executions in storage: their life from events, the reads, on memory, SQLite
and PostgreSQL, plus the 0003 migration and the one-query latest lookup on SQL storage."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from headwater import AssetKey, HeadwaterEvent, HeadwaterEventType, HeadwaterInstance
from headwater.definitions.checks.result import AssetCheckEvaluation, AssetCheckEvaluationPlanned
from headwater.definitions.checks.spec import AssetCheckSeverity
from headwater.definitions.key import AssetCheckKey
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.execution.event import RunFailureData, event_to_json
from headwater.storage import database, schema
from headwater.storage.checks import AssetCheckExecutionRecord, AssetCheckExecutionRecordStatus
from headwater.storage.record import HeadwaterRun, asset_partition_of

ET = HeadwaterEventType
Status = AssetCheckExecutionRecordStatus
ORDERS = AssetKey(["warehouse", "orders"])
NOT_NULL = AssetCheckKey(ORDERS, "not_null")
FRESH = AssetCheckKey(ORDERS, "fresh")
USERS_UNIQUE = AssetCheckKey(AssetKey("users"), "unique")
_clock = iter(range(1, 10**9))


def _ts() -> float:
    """Distinct, increasing timestamps, so that assertions on them mean something."""
    return 1_700_000_000.0 + next(_clock)


def planned(run_id: str, key: AssetCheckKey, partition: str | None = None) -> HeadwaterEvent:
    return HeadwaterEvent(
        ET.ASSET_CHECK_EVALUATION_PLANNED, run_id, "job", _ts(), step_key="orders",
        asset_key=key.asset_key, partition=partition,
        payload=AssetCheckEvaluationPlanned(key.asset_key, key.name, partition))


def evaluation(run_id: str, key: AssetCheckKey, passed: bool, partition: str | None = None,
               severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
               metadata: dict | None = None) -> HeadwaterEvent:
    return HeadwaterEvent(
        ET.ASSET_CHECK_EVALUATION, run_id, "job" if run_id else "", _ts(), step_key="orders",
        asset_key=key.asset_key, partition=partition,
        payload=AssetCheckEvaluation(asset_key=key.asset_key, check_name=key.name, passed=passed,
                                     metadata=metadata or {}, severity=severity,
                                     partition=partition))


def run_event(run_id: str, event_type: HeadwaterEventType) -> HeadwaterEvent:
    payload = RunFailureData() if event_type is ET.RUN_FAILURE else None
    return HeadwaterEvent(event_type, run_id, "job", _ts(), payload=payload)


def start_run(instance: HeadwaterInstance, run_id: str) -> None:
    instance.add_run(HeadwaterRun(job_name="job", run_id=run_id))
    instance.store_event(run_event(run_id, ET.RUN_START))


def history(instance: HeadwaterInstance, key: AssetCheckKey, **kwargs) -> list[AssetCheckExecutionRecord]:
    return instance.get_asset_check_execution_history(key, limit=kwargs.pop("limit", 100), **kwargs)


def snapshot(instance: HeadwaterInstance, keys) -> list[tuple]:
    """Every execution of `keys` as plain values (the evaluation event by its message/time)."""
    return [(r.id, r.key, r.partition, r.run_id, r.status, r.create_timestamp, r.update_timestamp,
             r.event.timestamp if r.event else None, r.severity)
            for key in keys for r in history(instance, key, limit=10_000)]


def test_planned_checks_are_in_progress_then_take_the_evaluation(instance):
    """PLANNED opens one IN_PROGRESS execution per partition; each evaluation closes its own,
    keeping the execution's id and creation time, with severity, metadata and the event."""
    start_run(instance, "r1")
    instance.store_events([planned("r1", NOT_NULL, "2024-01-01"),
                           planned("r1", NOT_NULL, "2024-01-02")])
    opened = history(instance, NOT_NULL)
    assert [(r.partition, r.status, r.run_id) for r in opened] == [
        ("2024-01-02", Status.IN_PROGRESS, "r1"), ("2024-01-01", Status.IN_PROGRESS, "r1")]
    assert all(r.event is None and r.evaluation is None and r.severity is None for r in opened)

    passed = evaluation("r1", NOT_NULL, True, "2024-01-01", AssetCheckSeverity.WARN,
                        {"null_rows": 0})
    failed = evaluation("r1", NOT_NULL, False, "2024-01-02", metadata={"null_rows": 7})
    instance.store_event(passed)
    instance.store_event(failed)
    done = history(instance, NOT_NULL)
    assert [r.id for r in done] == [r.id for r in opened]
    assert [r.create_timestamp for r in done] == [r.create_timestamp for r in opened]
    newest, oldest = done
    assert (newest.partition, newest.status, newest.severity) == (
        "2024-01-02", Status.FAILED, AssetCheckSeverity.ERROR)
    assert (oldest.partition, oldest.status, oldest.severity) == (
        "2024-01-01", Status.SUCCEEDED, AssetCheckSeverity.WARN)
    assert newest.evaluation.metadata["null_rows"].value == 7
    assert oldest.evaluation.passed and oldest.evaluation.metadata["null_rows"].value == 0
    assert newest.update_timestamp == failed.timestamp > newest.create_timestamp
    assert newest.event.headwater_event.event_type is ET.ASSET_CHECK_EVALUATION
    assert newest.event.run_id == "r1" and newest.event.timestamp == failed.timestamp
    assert [r.partition for r in history(instance, NOT_NULL, partition="2024-01-01")] == [
        "2024-01-01"]

    instance.store_event(run_event("r1", ET.RUN_SUCCESS))
    assert [r.status for r in history(instance, NOT_NULL)] == [Status.FAILED, Status.SUCCEEDED]


@pytest.mark.parametrize("end, resolved", [
    (ET.RUN_SUCCESS, Status.SKIPPED),
    (ET.RUN_CANCELED, Status.SKIPPED),
    (ET.RUN_FAILURE, Status.EXECUTION_FAILED),
])
def test_run_end_resolves_what_the_run_left_open(instance, end, resolved):
    """At the run's end its unevaluated executions become SKIPPED or EXECUTION_FAILED; its
    evaluated ones and other runs' open ones stay as they are."""
    start_run(instance, "r1")
    start_run(instance, "r2")
    instance.store_events([planned("r1", NOT_NULL), planned("r1", FRESH), planned("r2", FRESH)])
    instance.store_event(evaluation("r1", NOT_NULL, False))
    ended = run_event("r1", end)
    instance.store_event(ended)
    assert history(instance, NOT_NULL)[0].status is Status.FAILED
    fresh = history(instance, FRESH)
    assert [(r.run_id, r.status) for r in fresh] == [("r2", Status.IN_PROGRESS), ("r1", resolved)]
    assert fresh[1].update_timestamp == ended.timestamp
    assert fresh[1].event is None and fresh[1].severity is None


def test_runless_and_unplanned_evaluations_are_new_executions(instance):
    """A runless evaluation (run id "") and one its run never planned each add a closed
    execution; a repeated PLANNED event does not open a second one."""
    instance.report_runless_asset_event(AssetCheckEvaluation(
        asset_key=ORDERS, check_name="not_null", passed=False, severity=AssetCheckSeverity.WARN,
        metadata={"source": "sensor"}))
    [runless] = history(instance, NOT_NULL)
    assert (runless.run_id, runless.status, runless.severity) == (
        "", Status.FAILED, AssetCheckSeverity.WARN)
    assert runless.evaluation.metadata["source"].value == "sensor"

    start_run(instance, "r1")
    instance.store_events([planned("r1", NOT_NULL), planned("r1", NOT_NULL)])
    instance.store_event(evaluation("r1", NOT_NULL, True))
    instance.store_event(evaluation("r1", NOT_NULL, True, partition="p"))
    assert [(r.run_id, r.partition, r.status) for r in history(instance, NOT_NULL)] == [
        ("r1", "p", Status.SUCCEEDED), ("r1", None, Status.SUCCEEDED), ("", None, Status.FAILED)]


def test_history_is_newest_first_with_limit_cursor_and_status(instance):
    """History pages backwards through a check's executions by cursor and filters statuses."""
    for i in range(5):
        start_run(instance, f"r{i}")
        instance.store_event(planned(f"r{i}", NOT_NULL))
        instance.store_event(evaluation(f"r{i}", NOT_NULL, passed=i % 2 == 0))
    instance.store_event(evaluation("r0", FRESH, True))
    everything = history(instance, NOT_NULL)
    assert [r.run_id for r in everything] == ["r4", "r3", "r2", "r1", "r0"]
    assert [r.id for r in everything] == sorted((r.id for r in everything), reverse=True)

    first = history(instance, NOT_NULL, limit=2)
    second = history(instance, NOT_NULL, limit=2, cursor=str(first[-1].id))
    third = history(instance, NOT_NULL, limit=2, cursor=second[-1].id)
    assert [r.run_id for r in first + second + third] == ["r4", "r3", "r2", "r1", "r0"]
    assert history(instance, NOT_NULL, limit=2, cursor=third[-1].id) == []
    assert history(instance, NOT_NULL, limit=0) == []

    assert [r.run_id for r in history(instance, NOT_NULL, status=Status.FAILED)] == ["r3", "r1"]
    assert [r.run_id for r in history(instance, NOT_NULL, limit=1,
                                      status={Status.SUCCEEDED, Status.SKIPPED})] == ["r4"]
    assert [r.run_id for r in history(instance, "warehouse/orders:not_null", limit=1)] == ["r4"]
    via_storage = instance.event_log_storage.get_asset_check_execution_history(NOT_NULL, limit=10)
    assert via_storage == everything


def test_latest_execution_by_key_overall_and_per_partition(instance):
    """The newest execution of each asked check, any partition or one; unknown checks absent."""
    start_run(instance, "r1")
    instance.store_events([planned("r1", NOT_NULL, "a"), planned("r1", NOT_NULL, "b")])
    instance.store_event(evaluation("r1", NOT_NULL, False, "a"))
    instance.store_event(evaluation("", USERS_UNIQUE, True))
    latest = instance.get_latest_asset_check_execution_by_key(
        [NOT_NULL, USERS_UNIQUE, FRESH, "warehouse/orders:not_null"])
    assert set(latest) == {NOT_NULL, USERS_UNIQUE}
    assert (latest[NOT_NULL].partition, latest[NOT_NULL].status) == ("b", Status.IN_PROGRESS)
    assert latest[USERS_UNIQUE].status is Status.SUCCEEDED
    in_a = instance.get_latest_asset_check_execution_by_key([NOT_NULL, USERS_UNIQUE], partition="a")
    assert set(in_a) == {NOT_NULL} and in_a[NOT_NULL].status is Status.FAILED
    assert instance.get_latest_asset_check_execution_by_key([]) == {}
    assert instance.event_log_storage.get_latest_asset_check_execution_by_key([NOT_NULL]) == {
        NOT_NULL: latest[NOT_NULL]}


@contextmanager
def _statements(instance: HeadwaterInstance):
    """The SQL statements the instance's engine executes inside the block."""
    seen: list[tuple[str, object]] = []
    engine = instance.storage.engine

    def record(_conn, _cursor, statement, parameters, *_args) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_latest_of_ten_thousand_checks_is_one_indexed_query(instance):
    """Asking for 10,000 checks at once returns every one, in one SELECT on SQL storage, which
    reads the executions through their (asset_key, check_name, id) index, never a scan."""
    keys = [AssetCheckKey(AssetKey(["big", f"asset_{i // 4}"]), f"check_{i % 4}")
            for i in range(10_000)]
    instance.store_events([evaluation("", k, passed=i % 3 != 0) for i, k in enumerate(keys)])
    instance.store_event(evaluation("", keys[7], passed=False))  # a newer one for one key
    instance.flush()
    if instance.is_ephemeral:
        latest = instance.get_latest_asset_check_execution_by_key(keys)
    else:
        with _statements(instance) as seen:
            latest = instance.get_latest_asset_check_execution_by_key(keys)
        queries = [(q, p) for q, p in seen if q.lstrip().upper().startswith(("SELECT", "WITH"))]
        assert len(queries) == 1, [q for q, _ in queries]
        sqlite = instance.storage.engine.dialect.name == "sqlite"
        with instance.storage.engine.connect() as connection:
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + queries[0][0], queries[0][1]))
        assert "ix_asset_check_executions_asset_key_check_name_id" in plan, plan
        assert "SCAN asset_check_executions" not in plan and "SCAN y" not in plan, plan
        assert "Seq Scan on asset_check_executions" not in plan, plan
    assert len(latest) == 10_000
    assert latest[keys[7]].status is Status.FAILED
    assert [latest[k].status for k in keys[:4]] == [
        Status.FAILED, Status.SUCCEEDED, Status.SUCCEEDED, Status.FAILED]
    assert all(latest[k].key == k for k in keys[:100])


def _mixed_history(instance: HeadwaterInstance) -> None:
    start_run(instance, "r1")
    start_run(instance, "r2")
    instance.store_events([planned("r1", NOT_NULL, "a"), planned("r1", NOT_NULL, "b"),
                           planned("r1", FRESH), planned("r2", USERS_UNIQUE)])
    instance.store_event(evaluation("r1", NOT_NULL, False, "a", metadata={"n": 1}))
    instance.store_event(run_event("r1", ET.RUN_FAILURE))
    instance.store_event(evaluation("r2", USERS_UNIQUE, True, severity=AssetCheckSeverity.WARN))
    instance.store_event(run_event("r2", ET.RUN_SUCCESS))
    instance.report_runless_asset_event(AssetCheckEvaluation(
        asset_key=ORDERS, check_name="fresh", passed=True))


def test_reindex_rebuilds_the_same_executions(instance):
    """reindex() replays the events into exactly the rows the live index holds, ids included,
    and does not bring back what a wipe removed."""
    _mixed_history(instance)
    keys = [NOT_NULL, FRESH, USERS_UNIQUE]
    before = snapshot(instance, keys)
    assert len(before) == 5
    instance.storage.reindex()
    assert snapshot(instance, keys) == before

    instance.wipe_asset_partitions(ORDERS, ["a"])
    instance.wipe_assets([AssetKey("users")])
    wiped = snapshot(instance, keys)
    assert [(row[1], row[2]) for row in wiped] == [(NOT_NULL, "b"), (FRESH, None), (FRESH, None)]
    instance.storage.reindex()
    assert snapshot(instance, keys) == wiped


def test_wipe_and_delete_run_forget_executions(instance):
    """Wiping an asset drops its checks' executions (later ones are kept); deleting a run drops
    that run's; wipe() drops everything."""
    _mixed_history(instance)
    instance.wipe_assets([ORDERS])
    assert history(instance, NOT_NULL) == [] and history(instance, FRESH) == []
    assert len(history(instance, USERS_UNIQUE)) == 1
    instance.store_event(evaluation("", NOT_NULL, True))
    assert [r.status for r in history(instance, NOT_NULL)] == [Status.SUCCEEDED]

    instance.delete_run("r2")
    assert history(instance, USERS_UNIQUE) == []
    assert instance.get_latest_asset_check_execution_by_key([USERS_UNIQUE]) == {}
    instance.wipe()
    assert history(instance, NOT_NULL) == []


def test_prune_keeps_each_checks_latest_evaluation(instance):
    """Pruning old runs keeps the latest evaluation event per check and partition; older
    executions keep their status without the event."""
    for run_id in ("r1", "r2"):
        start_run(instance, run_id)
        instance.store_event(planned(run_id, NOT_NULL))
        instance.store_event(evaluation(run_id, NOT_NULL, run_id == "r2"))
        instance.store_event(run_event(run_id, ET.RUN_SUCCESS))
    instance.storage.prune(time.time() + 3600)
    newest, oldest = history(instance, NOT_NULL)
    assert (newest.status, newest.evaluation.passed) == (Status.SUCCEEDED, True)
    assert (oldest.status, oldest.event) == (Status.FAILED, None)


def test_misuse_names_the_argument_and_the_fix(instance):
    """A wrong check key, a single key for check_keys, or a bad limit/cursor/status is refused
    with the argument's name and what to pass instead."""
    with pytest.raises(HeadwaterInvalidInvocationError,
                       match=r"check_key='orders'\): check_key must name an asset check.*"
                             r"'asset/path:check_name'"):
        instance.get_asset_check_execution_history("orders", limit=5)
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"check_key=AssetKey"):
        instance.get_asset_check_execution_history(ORDERS, limit=5)
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"for one check pass \[AssetCheckKey"):
        instance.get_latest_asset_check_execution_by_key(NOT_NULL)
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"check_keys=5.*for one check pass"):
        instance.get_latest_asset_check_execution_by_key(5)
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"limit=-1\).*limit=10"):
        instance.get_asset_check_execution_history(NOT_NULL, limit=-1)
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"cursor='next'\).*records\[-1\]\.id"):
        instance.get_asset_check_execution_history(NOT_NULL, limit=5, cursor="next")
    with pytest.raises(HeadwaterInvalidInvocationError, match=r"status='DONE'\).*SUCCEEDED"):
        instance.get_asset_check_execution_history(NOT_NULL, limit=5, status="DONE")


# --- migration from revision 0002 ---------------------------------------------------------


def _insert_events(engine: sa.Engine, events: list[HeadwaterEvent]) -> None:
    """Write event rows as a 0002 headwater did (the columns of sql.py's writer)."""
    table = sa.table("event_logs", *(sa.column(c) for c in (
        "run_id", "timestamp", "event_type", "step_key", "asset_key", "partition", "body")))
    with engine.begin() as connection:
        connection.execute(table.insert(), [{
            "run_id": e.run_id, "timestamp": e.timestamp, "event_type": e.event_type.value,
            "step_key": e.step_key,
            "asset_key": e.asset_key.to_string() if e.asset_key is not None else None,
            "partition": asset_partition_of(e), "body": event_to_json(e)} for e in events])


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_a_0002_database_upgrades_with_its_check_history(sql_url):
    """Migrating a 0002 database creates the executions table and fills it from the check
    events already logged: the same rows reindex() builds."""
    engine = database.create_engine(sql_url)
    try:
        assert database.migrate(engine, "0002") == (None, "0002")
        _insert_events(engine, [
            planned("r1", NOT_NULL, "a"), planned("r1", NOT_NULL, "b"), planned("r1", FRESH),
            evaluation("r1", NOT_NULL, False, "a", AssetCheckSeverity.WARN),
            run_event("r1", ET.RUN_FAILURE),
            planned("r2", FRESH), run_event("r2", ET.RUN_SUCCESS),
            evaluation("", USERS_UNIQUE, True),
        ])
        assert database.migrate(engine) == ("0002", schema.SCHEMA_VERSION)
    finally:
        engine.dispose()
    with HeadwaterInstance.from_url(sql_url) as instance:
        keys = [NOT_NULL, FRESH, USERS_UNIQUE]
        migrated = snapshot(instance, keys)
        assert [(row[1].name, row[2], row[3], row[4]) for row in migrated] == [
            ("not_null", "b", "r1", Status.EXECUTION_FAILED),
            ("not_null", "a", "r1", Status.FAILED),
            ("fresh", None, "r2", Status.SKIPPED),
            ("fresh", None, "r1", Status.EXECUTION_FAILED),
            ("unique", None, "", Status.SUCCEEDED),
        ]
        assert migrated[1][-1] is AssetCheckSeverity.WARN
        instance.storage.reindex()
        assert snapshot(instance, keys) == migrated
