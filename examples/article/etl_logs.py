"""ETL and Data Integration: website logs -> sessions -> metrics -> SQLite.

`extract_logs_from_s3` stands in for reading log objects from a bucket: it
generates access-log lines (a few malformed, as real ones are). The rest
parses, sessionizes (30 minutes of inactivity closes a session) and loads
the per-session metrics into $ARTICLE_DATA_DIR/analytics.db (default:
<tmp>/headwater-article/analytics.db).
"""

import os
import re
import sqlite3
import tempfile
from contextlib import closing
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from headwater import Definitions, asset

SESSION_GAP = pd.Timedelta(minutes=30)
_LINE = re.compile(
    r'(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" '
    r"(?P<status>\d{3}) (?P<bytes>\d+|-)"
)
_PAGES = ["/", "/pricing", "/docs", "/blog", "/signup", "/login", "/products/1", "/products/2"]


def data_dir() -> Path:
    return Path(os.environ.get("ARTICLE_DATA_DIR") or Path(tempfile.gettempdir()) / "headwater-article")


def extract_logs_from_s3(n_visitors=20, seed=17):
    """Access-log lines for one day, as a bucket of hourly log objects would hold them."""
    rng = np.random.default_rng(seed)
    lines = []
    for visitor in range(n_visitors):
        ip = f"203.0.113.{visitor + 1}"
        clock = pd.Timestamp("2024-03-01 06:00:00") + pd.Timedelta(minutes=int(rng.integers(0, 120)))
        for _ in range(int(rng.integers(1, 5))):  # sessions
            for _ in range(int(rng.integers(1, 9))):  # page views
                status = int(rng.choice([200, 200, 200, 304, 404]))
                size = "-" if status == 304 else str(int(rng.integers(200, 40_000)))
                stamp = clock.strftime("%d/%b/%Y:%H:%M:%S +0000")
                page = _PAGES[int(rng.integers(len(_PAGES)))]
                lines.append(f'{ip} - - [{stamp}] "GET {page} HTTP/1.1" {status} {size}')
                clock += pd.Timedelta(seconds=int(rng.integers(5, 600)))
            clock += pd.Timedelta(minutes=int(rng.integers(45, 240)))
    lines.sort(key=lambda line: line.split("[", 1)[1])  # objects are written in time order
    lines[10:10] = ["", "#Version: 1.0", "garbled line without structure"]
    return lines


def parse_and_structure_logs(lines):
    """One row per well-formed line; malformed lines are dropped."""
    records = [m.groupdict() for m in map(_LINE.match, lines) if m]
    frame = pd.DataFrame.from_records(records)
    frame["timestamp"] = pd.to_datetime(frame.pop("time"), format="%d/%b/%Y:%H:%M:%S %z")
    frame["status"] = frame["status"].astype(int)
    frame["bytes"] = pd.to_numeric(frame["bytes"].replace("-", "0")).astype(int)
    return frame[["ip", "timestamp", "method", "path", "status", "bytes"]]


def sessionize_logs(logs):
    """Number each visitor's requests into sessions split by 30 idle minutes."""
    logs = logs.sort_values(["ip", "timestamp"]).reset_index(drop=True)
    new_session = logs.groupby("ip")["timestamp"].diff().isna() | (
        logs.groupby("ip")["timestamp"].diff() > SESSION_GAP
    )
    number = new_session.astype(int).groupby(logs["ip"]).cumsum()
    logs["session_id"] = logs["ip"] + "#" + number.astype(str)
    return logs


def calculate_session_metrics(sessions):
    metrics = sessions.groupby("session_id").agg(
        ip=("ip", "first"),
        started_at=("timestamp", "min"),
        ended_at=("timestamp", "max"),
        page_views=("path", "count"),
        errors=("status", lambda s: int((s >= 400).sum())),
        bytes_sent=("bytes", "sum"),
    )
    metrics["duration_seconds"] = (metrics["ended_at"] - metrics["started_at"]).dt.total_seconds()
    metrics["bounced"] = metrics["page_views"] == 1
    return metrics.reset_index()


def load_to_database(metrics):
    """Replace the session_metrics table of the analytics database."""
    path = data_dir() / "analytics.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = metrics.assign(
        started_at=metrics["started_at"].map(lambda t: t.isoformat()),
        ended_at=metrics["ended_at"].map(lambda t: t.isoformat()),
    )
    with closing(sqlite3.connect(path)) as connection, connection:
        table.to_sql("session_metrics", connection, if_exists="replace", index=False)
    return path


@asset
def extracted_website_logs():
    return extract_logs_from_s3()

@asset
def transformed_logs(extracted_website_logs):
    return parse_and_structure_logs(extracted_website_logs)

@asset
def user_sessions(transformed_logs):
    return sessionize_logs(transformed_logs)

@asset
def session_metrics(user_sessions):
    return calculate_session_metrics(user_sessions)

@asset
def analytics_database(session_metrics):
    load_to_database(session_metrics)
    return {"status": "loaded", "timestamp": datetime.now().isoformat()}


defs = Definitions(
    assets=[
        extracted_website_logs,
        transformed_logs,
        user_sessions,
        session_metrics,
        analytics_database,
    ]
)
