"""Resources and Configuration: a database resource injected into analytics_pipeline.

The `database` resource is a real SQLite database (stdlib `sqlite3`) named
by run config:

    analytics_pipeline.execute_in_process(run_config={"resources": {"database": {
        "config": {"connection_string": "sqlite:///analytics.db"}}}})

`extract_data` is the article's op from the Ops and Jobs section, repeated so
that this file loads on its own; `process_data` summarises its numbers.
"""

import sqlite3

from headwater import Definitions, job, op, resource


class SQLiteDatabase:
    """A results table in one SQLite database: `store()` upserts metric rows."""

    def __init__(self, path):
        self.path = path
        self.connection = sqlite3.connect(path)
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS results (metric TEXT PRIMARY KEY, value REAL NOT NULL)"
        )

    def store(self, data):
        with self.connection:  # one transaction per call
            self.connection.executemany(
                "INSERT OR REPLACE INTO results (metric, value) VALUES (?, ?)",
                sorted(data.items()),
            )

    def fetch_all(self):
        return dict(self.connection.execute("SELECT metric, value FROM results ORDER BY metric"))

    def __repr__(self):
        return f"SQLiteDatabase({self.path!r})"


def create_db_connection(connection_string):
    """Open `sqlite:///<path>` (a file) or `sqlite://` (in memory)."""
    scheme, sep, path = connection_string.partition("://")
    if scheme != "sqlite" or not sep:
        raise ValueError(
            f"unsupported connection string {connection_string!r}: "
            "expected 'sqlite:///path/to/file.db' or 'sqlite://' for an in-memory database"
        )
    return SQLiteDatabase(path.removeprefix("/") or ":memory:")


@op
def extract_data(context):
    context.log.info("Extracting data from source")
    return {"raw_data": [1, 2, 3, 4, 5]}


@op
def process_data(context, raw_data):
    values = raw_data["raw_data"]
    summary = {
        "count": len(values),
        "total": sum(values),
        "mean": sum(values) / len(values),
        "max": max(values),
    }
    context.log.info(f"Processed {len(values)} values: {summary}")
    return summary


@resource
def database_connection(init_context):
    connection_string = init_context.resource_config["connection_string"]
    return create_db_connection(connection_string)

@op(required_resource_keys={"database"})
def store_results(context, data):
    # Access the database connection through the context
    db = context.resources.database
    db.store(data)
    return "Success"

@job(resource_defs={"database": database_connection})
def analytics_pipeline():
    raw_data = extract_data()
    results = process_data(raw_data)
    store_results(results)


defs = Definitions(jobs=[analytics_pipeline])
