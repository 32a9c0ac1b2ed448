"""Transform: sessions from raw page views, in DuckDB SQL.

A session is a user's run of page views with no gap over 30 minutes; the first view after a
longer gap starts the next one. Timestamps are UTC (dlt stores them as TIMESTAMPTZ; the SQL
reads them as plain UTC timestamps).

- `sessionized_page_views`: every page view with its session id and position in the session;
- `sessions`: one row per session (start, end, duration, views, landing and exit page,
  referrer), with the check `sessions_are_consistent`;
- `session_paths`: the pages of each session in order (`/ > /docs > /signup`);
- `daily_session_stats`: per day (daily partitions), sessions, users, views, average duration
  and bounce rate (share of one-view sessions), written partition by partition.
"""

from __future__ import annotations

from headwater import (
    AssetCheckResult,
    AssetExecutionContext,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from headwater_duckdb import DuckDBResource

SESSION_GAP_MINUTES = 30
RAW_PAGE_VIEWS = "dlt_weblogs_page_views"
daily = DailyPartitionsDefinition(start_date="2024-03-01")


def _count(duckdb: DuckDBResource, table: str) -> int:
    with duckdb.get_connection() as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


@asset(deps=[RAW_PAGE_VIEWS], group_name="sessions", kinds={"duckdb"})
def sessionized_page_views(duckdb: DuckDBResource) -> MaterializeResult:
    """Each raw page view with its session: a new session starts at a user's first view and
    after every gap of more than 30 minutes."""
    with duckdb.get_connection() as conn:
        conn.execute(f"""
            create or replace table sessionized_page_views as
            with ordered as (
                select id, user_id, ts::timestamp as ts, path, status, referrer,
                       lag(ts::timestamp) over (partition by user_id order by ts, id) as prev_ts
                from raw.page_views
            ), flagged as (
                select *, case when prev_ts is null
                                 or ts - prev_ts > interval {SESSION_GAP_MINUTES} minutes
                               then 1 else 0 end as starts_session
                from ordered
            ), numbered as (
                select *, sum(starts_session) over (partition by user_id order by ts, id
                                                    rows unbounded preceding) as session_number
                from flagged
            )
            select user_id || '#' || session_number as session_id, user_id, session_number,
                   row_number() over (partition by user_id, session_number order by ts, id)
                       as view_number,
                   id as page_view_id, ts, path, status, referrer
            from numbered
            order by ts, id
        """)
    return MaterializeResult(metadata={"rows": _count(duckdb, "sessionized_page_views")})


@asset(deps=[sessionized_page_views], group_name="sessions", kinds={"duckdb"})
def sessions(duckdb: DuckDBResource) -> MaterializeResult:
    """One row per session: when it started and ended, how long it lasted, how many pages it
    viewed, where it landed and left, and the referrer that brought it."""
    with duckdb.get_connection() as conn:
        conn.execute("""
            create or replace table sessions as
            select session_id, any_value(user_id) as user_id,
                   min(ts) as started_at, max(ts) as ended_at,
                   date_diff('second', min(ts), max(ts)) as duration_s,
                   count(*) as page_views,
                   arg_min(path, view_number) as landing_page,
                   arg_max(path, view_number) as exit_page,
                   arg_min(referrer, view_number) as referrer
            from sessionized_page_views
            group by session_id
            order by started_at, session_id
        """)
        users, longest = conn.execute(
            "select count(distinct user_id), max(duration_s) from sessions").fetchone()
    return MaterializeResult(metadata={
        "sessions": _count(duckdb, "sessions"), "users": users,
        "longest_session_s": longest,
        "preview": MetadataValue.md(_preview(duckdb, "select * from sessions limit 5")),
    })


@asset(deps=[sessionized_page_views], group_name="sessions", kinds={"duckdb"})
def session_paths(duckdb: DuckDBResource) -> MaterializeResult:
    """The pages of each session in the order they were viewed."""
    with duckdb.get_connection() as conn:
        conn.execute("""
            create or replace table session_paths as
            select session_id,
                   string_agg(path, ' > ' order by view_number) as path_sequence,
                   count(distinct path) as distinct_pages
            from sessionized_page_views
            group by session_id
            order by session_id
        """)
        top = conn.execute("""
            select path_sequence, count(*) as n from session_paths
            group by 1 order by n desc, path_sequence limit 5
        """).fetchall()
    return MaterializeResult(metadata={
        "sessions": _count(duckdb, "session_paths"),
        "top_paths": MetadataValue.md("\n".join(f"- `{p}` ({n})" for p, n in top)),
    })


@asset(deps=[sessions], partitions_def=daily, group_name="sessions", kinds={"duckdb"})
def daily_session_stats(context: AssetExecutionContext, duckdb: DuckDBResource
                        ) -> MaterializeResult:
    """Session statistics of one day (the sessions that started on it)."""
    day = context.partition_key
    with duckdb.get_connection() as conn:
        conn.execute("""
            create table if not exists daily_session_stats (
                day date primary key, sessions bigint, users bigint, page_views bigint,
                avg_duration_s double, avg_page_views double, bounce_rate double)
        """)
        conn.execute("begin")
        conn.execute("delete from daily_session_stats where day = ?::date", [day])
        conn.execute("""
            insert into daily_session_stats
            select ?::date, count(*), count(distinct user_id), coalesce(sum(page_views), 0),
                   coalesce(avg(duration_s), 0), coalesce(avg(page_views), 0),
                   coalesce(avg(case when page_views = 1 then 1.0 else 0.0 end), 0)
            from sessions where started_at::date = ?::date
        """, [day, day])
        conn.execute("commit")
        count, users, views, bounce = conn.execute(
            "select sessions, users, page_views, bounce_rate from daily_session_stats "
            "where day = ?::date", [day]).fetchone()
    return MaterializeResult(metadata={"day": day, "sessions": count, "users": users,
                                       "page_views": views, "bounce_rate": round(bounce, 3)})


@asset_check(asset=sessions, blocking=True)
def sessions_are_consistent(duckdb: DuckDBResource) -> AssetCheckResult:
    """Every page view is in exactly one session; no session holds a gap over 30 minutes; a
    user's consecutive sessions are more than 30 minutes apart."""
    with duckdb.get_connection() as conn:
        raw, assigned, sessions_views = conn.execute("""
            select (select count(*) from raw.page_views),
                   (select count(distinct page_view_id) from sessionized_page_views),
                   (select coalesce(sum(page_views), 0) from sessions)
        """).fetchone()
        long_gaps = conn.execute(f"""
            select count(*) from (
                select ts - lag(ts) over (partition by session_id order by ts) as gap
                from sessionized_page_views)
            where gap > interval {SESSION_GAP_MINUTES} minutes
        """).fetchone()[0]
        close_sessions = conn.execute(f"""
            select count(*) from (
                select started_at - lag(ended_at) over (partition by user_id order by started_at)
                       as gap
                from sessions)
            where gap <= interval {SESSION_GAP_MINUTES} minutes
        """).fetchone()[0]
    passed = raw == assigned == sessions_views and long_gaps == 0 and close_sessions == 0
    return AssetCheckResult(passed=passed, metadata={
        "raw_page_views": raw, "page_views_in_sessions": sessions_views,
        "gaps_over_30_min_inside_sessions": long_gaps,
        "sessions_30_min_or_less_apart": close_sessions,
    })


def _preview(duckdb: DuckDBResource, sql: str) -> str:
    """A markdown table of a query's first rows."""
    with duckdb.get_connection() as conn:
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
