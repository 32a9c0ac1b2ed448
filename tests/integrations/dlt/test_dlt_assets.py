"""@dlt_assets against a real REST API, loaded by dlt into DuckDB in tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from dlt.sources.rest_api import rest_api_source

from headwater import (
    AssetExecutionContext,
    AssetKey,
    DailyPartitionsDefinition,
    HeadwaterInstance,
    materialize,
)
from headwater_dlt import HeadwaterDltResource, dlt_assets

EVENTS_KEY, USERS_KEY = AssetKey("dlt_weblog_events"), AssetKey("dlt_weblog_users")


def weblog_source(api: Any) -> Any:
    """The API's two endpoints as one dlt source, read page by page."""
    return rest_api_source({
        "client": {
            "base_url": api.url,
            "paginator": {"type": "page_number", "base_page": 1, "page_param": "page",
                          "total_path": "total_pages"},
        },
        "resources": [
            {"name": "events", "endpoint": {"path": "events", "data_selector": "data"}},
            {"name": "users", "primary_key": "id", "write_disposition": "merge",
             "endpoint": {"path": "users", "data_selector": "data"}},
        ],
    }, name="weblog")


def weblog_pipeline(tmp_path: Path) -> Any:
    return dlt.pipeline(
        pipeline_name="weblog_raw",
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        dataset_name="raw",
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def build_assets(api: Any, tmp_path: Path, **kwargs: Any) -> Any:
    @dlt_assets(dlt_source=weblog_source(api), dlt_pipeline=weblog_pipeline(tmp_path), **kwargs)
    def weblog(context: AssetExecutionContext, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context)

    return weblog


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def tables(tmp_path: Path) -> set[str]:
    return {name for (name,) in rows(
        tmp_path, "select table_name from information_schema.tables where table_schema = 'raw'")}


def test_each_resource_is_an_asset_with_dagster_dlt_keys_deps_and_kinds(api, tmp_path):
    """Keys are dlt_<source>_<resource>, deps <source>_<resource>, kinds dlt + destination."""
    weblog = build_assets(api, tmp_path)
    assert set(weblog.keys) == {EVENTS_KEY, USERS_KEY}
    spec = weblog.specs_by_key[EVENTS_KEY]
    assert [d.asset_key for d in spec.deps] == [AssetKey("weblog_events")]
    assert spec.kinds == {"dlt", "duckdb"}
    assert weblog.can_subset


def test_materialize_loads_every_page_into_duckdb_and_records_the_load(api, tmp_path):
    """All 25 events (three pages) and 3 users land in DuckDB; each asset records the load."""
    instance = HeadwaterInstance.ephemeral()
    result = materialize([build_assets(api, tmp_path)], instance=instance,
                         resources={"dlt": HeadwaterDltResource()})
    assert result.success
    assert rows(tmp_path, "select count(*) from raw.events") == [(25,)]
    assert rows(tmp_path, "select count(*), count(distinct id) from raw.users") == [(3, 3)]
    assert rows(tmp_path, "select count(*) from raw.events__referrers") == [(25,)]
    assert [r for r in api.requests if r.startswith("/events")] == [
        "/events?page=1", "/events?page=2", "/events?page=3"]

    event = instance.get_latest_materialization_event(EVENTS_KEY)
    assert event is not None
    metadata = {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}
    assert metadata["rows_loaded"] == 25
    assert metadata["dataset_name"] == "raw"
    assert metadata["destination_name"] == "duckdb"
    assert metadata["destination_type"] == "dlt.destinations.duckdb"
    assert metadata["first_run"] is True
    assert metadata["headwater/table_name"] == "duckdb.raw.events"
    assert metadata["headwater-dlt/write_disposition"] == "append"
    assert metadata["headwater-dlt/resource"] == "events"
    assert {j["table_name"] for j in metadata["jobs"]} == {"events"}
    assert all(j["state"] == "completed_jobs" for j in metadata["jobs"])
    columns = {c.name: c.type for c in metadata["headwater/column_schema"].columns}
    assert columns["user_id"] == "bigint" and columns["path"] == "text"
    assert columns["ts"] == "timestamp"
    assert [c.name for c in metadata["events__referrers"].columns][0] == "url"

    users = instance.get_latest_materialization_event(USERS_KEY)
    assert users is not None
    users_metadata = users.asset_materialization.metadata
    assert users_metadata["rows_loaded"].value == 3
    assert users_metadata["headwater-dlt/write_disposition"].value == "merge"


def test_a_second_run_is_not_first_and_merge_keeps_users_unique(api, tmp_path):
    """Running twice appends events again but merges users on their primary key."""
    weblog, resources = build_assets(api, tmp_path), {"dlt": HeadwaterDltResource()}
    materialize([weblog], resources=resources)
    result = materialize([weblog], resources=resources)
    [events] = [m for m in result.get_asset_materialization_events() if m.asset_key == EVENTS_KEY]
    assert events.materialization.metadata["first_run"].value is False
    assert rows(tmp_path, "select count(*) from raw.events") == [(50,)]
    assert rows(tmp_path, "select count(*) from raw.users") == [(3,)]


def test_selecting_one_asset_loads_only_its_resource(api, tmp_path):
    """A subset run calls only the selected endpoint and creates only its table."""
    result = materialize([build_assets(api, tmp_path)], resources={"dlt": HeadwaterDltResource()},
                         selection=[USERS_KEY])
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [USERS_KEY]
    assert all(r.startswith("/users") for r in api.requests)
    assert "users" in tables(tmp_path) and "events" not in tables(tmp_path)


def test_a_500_fails_the_step_with_dlts_message_and_keeps_earlier_loads(api, tmp_path):
    """When the API answers 500 the step fails naming the error; the rows and materializations
    of the earlier run stay."""
    instance = HeadwaterInstance.ephemeral()
    weblog, resources = build_assets(api, tmp_path), {"dlt": HeadwaterDltResource()}
    assert materialize([weblog], instance=instance, resources=resources).success
    before = instance.get_latest_materialization_event(EVENTS_KEY)

    api.failing.add("events")
    result = materialize([weblog], instance=instance, resources=resources, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = str(failure.event_specific_data.error)
    assert "500 Server Error" in message and "/events" in message
    assert "failed in its extract step" in message
    assert "what earlier runs loaded is unchanged" in message
    assert "Fix the cause above and materialize again" in message

    assert rows(tmp_path, "select count(*) from raw.events") == [(25,)]
    assert instance.get_latest_materialization_event(EVENTS_KEY) == before

    api.failing.clear()  # the next run after the fix loads again
    assert materialize([weblog], instance=instance, resources=resources).success
    assert rows(tmp_path, "select count(*) from raw.events") == [(50,)]


def test_fetch_row_count_adds_the_table_row_count(api, tmp_path):
    """`.fetch_row_count()` records headwater/row_count from the destination table."""

    @dlt_assets(dlt_source=weblog_source(api), dlt_pipeline=weblog_pipeline(tmp_path))
    def counted(context: AssetExecutionContext, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context).fetch_row_count()

    resources = {"dlt": HeadwaterDltResource()}
    materialize([counted], resources=resources)
    result = materialize([counted], resources=resources)
    counts = {m.asset_key: m.materialization.metadata["headwater/row_count"].value
              for m in result.get_asset_materialization_events()}
    assert counts == {EVENTS_KEY: 50, USERS_KEY: 3}


def test_partitioned_dlt_assets_load_a_source_built_for_the_partition(api, tmp_path):
    """A daily-partitioned multi-asset passes a per-partition source to run(); the backfill
    policy defaults to a single run; the partition's row count is what this run loaded."""
    partitions = DailyPartitionsDefinition(start_date="2024-03-01")

    @dlt_assets(dlt_source=weblog_source(api), dlt_pipeline=weblog_pipeline(tmp_path),
                partitions_def=partitions)
    def daily(context: AssetExecutionContext, dlt: HeadwaterDltResource):
        day_source = weblog_source(api)
        day_source.resources["events"].add_filter(
            lambda e: e["ts"].startswith(context.partition_key))
        yield from dlt.run(context=context, dlt_source=day_source).fetch_row_count()

    assert daily.backfill_policy is not None and daily.backfill_policy.max_partitions_per_run is None
    result = materialize([daily], resources={"dlt": HeadwaterDltResource()},
                         partition_key="2024-03-01", selection=[EVENTS_KEY])
    [event] = result.get_asset_materialization_events()
    assert event.partition == "2024-03-01"
    assert event.materialization.metadata["headwater/partition_row_count"].value == 25


def test_run_from_an_op_yields_asset_materializations(api, tmp_path):
    """From an op, run() needs the source and pipeline and reports AssetMaterializations."""
    from headwater import job, op

    @op(out={})
    def load(context, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context, dlt_source=weblog_source(api),
                           dlt_pipeline=weblog_pipeline(tmp_path))

    @job(resource_defs={"dlt": HeadwaterDltResource()})
    def load_job():
        load()

    result = load_job.execute_in_process()
    assert result.success
    assert {m.asset_key for m in result.get_asset_materialization_events()} == {EVENTS_KEY,
                                                                               USERS_KEY}
    assert rows(tmp_path, "select count(*) from raw.users") == [(3,)]


def test_run_from_an_op_without_a_source_names_the_missing_arguments(tmp_path):
    """An op has no @dlt_assets to take the source and pipeline from: the error says so."""
    from headwater import job, op

    @op
    def load(context, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context)

    @job(resource_defs={"dlt": HeadwaterDltResource()})
    def load_job():
        load()

    with pytest.raises(Exception, match=r"in op 'load' needs dlt_source= and dlt_pipeline="):
        load_job.execute_in_process()


def test_a_locked_duckdb_file_fails_the_step_naming_the_lock(api, tmp_path):
    """Another process holding the DuckDB file: the step fails with DuckDB's lock message and
    the fix; once the lock is gone, the earlier rows are there and the next run loads."""
    import subprocess
    import sys

    weblog, resources = build_assets(api, tmp_path), {"dlt": HeadwaterDltResource()}
    assert materialize([weblog], resources=resources, selection=[USERS_KEY]).success
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"c = duckdb.connect({str(tmp_path / 'warehouse.duckdb')!r})\n"
         "print('held', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = materialize([weblog], resources=resources, raise_on_error=False)
    finally:
        holder.communicate("")  # closing stdin ends the holder
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = str(failure.event_specific_data.error)
    assert "Could not set lock on file" in message and "failed in its sync step" in message
    assert "not locked by another process" in message
    assert rows(tmp_path, "select count(*) from raw.users") == [(3,)]
    assert materialize([weblog], resources=resources).success


def test_run_in_a_plain_asset_refuses_resources_it_does_not_compute(api, tmp_path):
    """A plain @asset cannot report dlt's per-resource assets: the error says so before any
    request is made."""
    from headwater import asset

    @asset
    def everything(context: AssetExecutionContext, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context, dlt_source=weblog_source(api),
                           dlt_pipeline=weblog_pipeline(tmp_path))

    with pytest.raises(Exception, match=r"in asset 'everything': dlt resource 'events' is the "
                                        r"asset 'dlt_weblog_events' by the translator, which "
                                        r"this step does not compute"):
        materialize([everything], resources={"dlt": HeadwaterDltResource()})
    assert api.requests == []
