"""Automation condition evaluations in storage, on memory, SQLite and PostgreSQL: storing a
tick's evaluations (again, after a restart, without doubling them), the runs launched per key,
a key's history newest first with paging, one tick's evaluations, and the 0004 migration."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from headwater import AssetKey
from headwater.definitions.key import AssetCheckKey
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage import database, schema
from headwater.storage.automation import AutomationConditionEvaluationRecord, Launched

ORIGIN = "defs:default_automation_condition_sensor"


def tree(key: str, true_count: int) -> dict:
    """A result tree as the evaluator writes it: eager-like, root and two children."""
    return {"key": key, "label": None, "description": "eager", "condition": "a & b",
            "true_count": true_count, "candidate_count": 1, "true_partitions": None,
            "children": [
                {"key": key, "label": "missing", "description": "missing", "condition": "missing",
                 "true_count": true_count, "candidate_count": 1, "true_partitions": None,
                 "children": []},
                {"key": key, "label": None, "description": "not in progress", "condition": "~b",
                 "true_count": 1, "candidate_count": 1, "true_partitions": None, "children": []}]}


def record(tick: int, key: str, requested: int, ts: float = 1000.0
           ) -> AutomationConditionEvaluationRecord:
    return AutomationConditionEvaluationRecord(tick, ORIGIN, key, ts + tick, requested,
                                               tree(key, requested))


def test_a_ticks_evaluations_are_stored_once_and_read_back(instance):
    """Storing a tick's evaluations twice keeps one row per key, with its result tree."""
    storage = instance.storage
    first = [record(1, "orders", 1), record(1, "orders:not_null", 0)]
    storage.add_automation_evaluations(first)
    storage.add_automation_evaluations(first + [record(1, "users", 0)])
    stored = instance.get_automation_evaluations_for_evaluation_id(1)
    assert [r.key for r in stored] == ["orders", "orders:not_null", "users"]
    orders = stored[0]
    assert orders.num_requested == 1 and orders.origin_id == ORIGIN
    assert orders.result == tree("orders", 1)
    assert orders.run_ids == () and orders.id > 0
    assert stored[1].is_check and not orders.is_check


def test_launched_runs_are_recorded_per_key(instance):
    """The runs and backfills launched for a key are kept with its evaluation."""
    storage = instance.storage
    storage.add_automation_evaluations([record(7, "orders", 1), record(7, "daily", 3)])
    storage.set_automation_launches(7, {"orders": Launched(("run-1",)),
                                        "daily": Launched((), ("bf01",))})
    by_key = {r.key: r for r in instance.get_automation_evaluations_for_evaluation_id(7)}
    assert by_key["orders"].run_ids == ("run-1",) and by_key["orders"].backfill_ids == ()
    assert by_key["daily"].backfill_ids == ("bf01",)


def test_history_of_a_key_is_newest_first_and_pages(instance):
    """get_automation_evaluations: newest first, at most `limit`, older than `cursor`."""
    storage = instance.storage
    for tick in (1, 2, 3, 4):
        storage.add_automation_evaluations([record(tick, "orders", tick % 2),
                                            record(tick, "users", 0)])
    latest = instance.get_automation_evaluations(AssetKey("orders"), limit=2)
    assert [r.evaluation_id for r in latest] == [4, 3]
    assert [r.num_requested for r in latest] == [0, 1]
    older = instance.get_automation_evaluations("orders", limit=10,
                                                cursor=latest[-1].evaluation_id)
    assert [r.evaluation_id for r in older] == [2, 1]
    assert instance.get_automation_evaluations(["missing"]) == []


def test_check_keys_and_bad_arguments(instance):
    """A check's history is asked by AssetCheckKey or "a/b:check"; a bad key or limit says
    what to pass."""
    instance.storage.add_automation_evaluations([record(1, "wh/orders:fresh", 1)])
    check = AssetCheckKey(AssetKey(["wh", "orders"]), "fresh")
    assert [r.key for r in instance.get_automation_evaluations(check)] == ["wh/orders:fresh"]
    with pytest.raises(HeadwaterInvalidInvocationError, match="not an asset or check key"):
        instance.get_automation_evaluations(12)
    with pytest.raises(HeadwaterInvalidInvocationError, match="limit=0"):
        instance.get_automation_evaluations("orders", limit=0)


def test_deleting_an_interrupted_ticks_evaluations(instance):
    """delete_automation_evaluations forgets one tick only; wipe forgets all."""
    storage = instance.storage
    storage.add_automation_evaluations([record(1, "orders", 1), record(2, "orders", 0)])
    assert storage.delete_automation_evaluations(2) == 1
    assert [r.evaluation_id for r in instance.get_automation_evaluations("orders")] == [1]
    instance.wipe()
    assert instance.get_automation_evaluations("orders") == []


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_migration_0004_adds_the_table_to_a_0003_database(sql_url):
    """A database at 0003 migrates to 0004 and then stores evaluations."""
    from headwater import HeadwaterInstance

    engine = database.create_engine(sql_url)
    try:
        database.migrate(engine, "0003")
        assert "automation_condition_evaluations" not in sa.inspect(engine).get_table_names()
        assert database.migrate(engine) == ("0003", schema.SCHEMA_VERSION)
        assert "automation_condition_evaluations" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    with HeadwaterInstance.from_url(sql_url) as instance:
        instance.storage.add_automation_evaluations([record(3, "orders", 1)])
        assert instance.get_automation_evaluations("orders")[0].result["children"][0][
            "label"] == "missing"
