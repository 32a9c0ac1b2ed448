"""The web-log ETL: page views from a REST API, loaded by dlt into DuckDB, sessionized in SQL.

    extract   dlt_weblogs_page_views          (@dlt_assets: the `page_views` dlt resource)
    sessions  sessionized_page_views -> sessions -> daily_session_stats (daily partitions)
                                     -> session_paths
    check     sessions_are_consistent         (blocking: a bad sessions table stops the run)
    schedule  weblogs_daily_schedule          (01:00 UTC: yesterday's partition)

`headwater dev -f examples/weblogs/defs.py` serves it; see README.md for the rest.
"""

from __future__ import annotations

from weblog_ingest import warehouse_path, weblog_raw
from weblog_sessions import (
    daily,
    daily_session_stats,
    session_paths,
    sessionized_page_views,
    sessions,
    sessions_are_consistent,
)

from headwater import (
    AssetSelection,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
)
from headwater_dlt import HeadwaterDltResource
from headwater_duckdb import DuckDBResource

weblogs_daily = define_asset_job(
    "weblogs_daily",
    selection=AssetSelection.all(),
    partitions_def=daily,
    description="Extract new page views, rebuild the sessions and compute one day's stats.",
)
weblogs_daily_schedule = build_schedule_from_partitioned_job(weblogs_daily, hour_of_day=1)

defs = Definitions(
    assets=[weblog_raw, sessionized_page_views, sessions, session_paths, daily_session_stats],
    asset_checks=[sessions_are_consistent],
    jobs=[weblogs_daily],
    schedules=[weblogs_daily_schedule],
    resources={
        "dlt": HeadwaterDltResource(),
        "duckdb": DuckDBResource(database=str(warehouse_path()), schema="analytics"),
    },
)
