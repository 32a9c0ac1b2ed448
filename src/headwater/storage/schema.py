"""The SQL schema of a headwater instance, in SQLAlchemy Core, shared by SQLite and PostgreSQL.

Tables: `runs` (+ `run_tags` to filter by tag), the append-only `event_logs` (indexed columns
plus the event as a JSON `body`), the asset index derived from events (`asset_keys`,
`asset_partitions`), `dynamic_partitions`, the scheduling state (`instigators`,
`instigator_ticks`, `instigator_run_keys`), `daemon_heartbeats`, `backfills`, `kvs`, and the
asset check executions derived from events (`asset_check_executions`), and what each tick of an
automation sensor decided for each key it evaluated (`automation_condition_evaluations`).
Every timestamp is a float of seconds since the epoch. `SCHEMA_VERSION` is the alembic head
revision a database created by this code is stamped with; the migrations in
`storage/revisions/` must arrive at exactly these tables (a test compares them).
Imported only by the SQL storage and the migrations, never at `import headwater`.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = "0004"
VERSION_TABLE = "alembic_version"

# SQLite only aliases the rowid for INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
})


def _id() -> sa.Column:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


runs = sa.Table(
    "runs", metadata,
    _id(),
    sa.Column("run_id", sa.String(255), nullable=False, unique=True),
    sa.Column("job_name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(63), nullable=False),
    sa.Column("asset_selection", sa.Text),  # JSON list of asset key strings, or NULL
    sa.Column("op_selection", sa.Text),  # JSON list or NULL
    sa.Column("step_keys", sa.Text),  # JSON list or NULL
    sa.Column("run_config", sa.Text, nullable=False),  # JSON
    sa.Column("tags", sa.Text, nullable=False),  # JSON object
    sa.Column("partition", sa.Text),
    sa.Column("parent_run_id", sa.String(255)),
    sa.Column("root_run_id", sa.String(255)),
    sa.Column("create_timestamp", sa.Double, nullable=False),
    sa.Column("update_timestamp", sa.Double, nullable=False),
    sa.Column("start_time", sa.Double),
    sa.Column("end_time", sa.Double),
    sa.Index(None, "job_name", "id"),
    sa.Index(None, "status", "id"),
    sa.Index(None, "create_timestamp"),
    sa.Index(None, "update_timestamp"),
)

run_tags = sa.Table(
    "run_tags", metadata,
    _id(),
    sa.Column("run_id", sa.String(255), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index(None, "key", "value"),
    sa.Index(None, "run_id"),
)

event_logs = sa.Table(
    "event_logs", metadata,
    _id(),
    sa.Column("run_id", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("event_type", sa.String(63), nullable=False),
    sa.Column("step_key", sa.Text),
    sa.Column("asset_key", sa.Text),  # NULL once the asset is wiped; the body keeps it
    sa.Column("partition", sa.Text),
    sa.Column("body", sa.Text, nullable=False),  # event_to_json
    sa.Index(None, "run_id", "id"),
    sa.Index(None, "asset_key", "event_type", "id"),
    sa.Index(None, "event_type", "id"),
)

# One row per asset with a materialization or observation not wiped since.
asset_keys = sa.Table(
    "asset_keys", metadata,
    _id(),
    sa.Column("asset_key", sa.Text, nullable=False, unique=True),
    sa.Column("last_materialization_id", Id),
    sa.Column("last_materialization_timestamp", sa.Double),
    sa.Column("last_observation_id", Id),
    sa.Column("last_event_id", Id, nullable=False),
)

# One row per partition of an asset that was ever attempted: MATERIALIZED, FAILED, IN_PROGRESS
# (status of the latest attempt) and the latest materialization.
asset_partitions = sa.Table(
    "asset_partitions", metadata,
    _id(),
    sa.Column("asset_key", sa.Text, nullable=False),
    sa.Column("partition", sa.Text, nullable=False),
    sa.Column("status", sa.String(31), nullable=False),
    sa.Column("last_materialization_id", Id),
    sa.Column("last_materialization_timestamp", sa.Double),
    sa.Column("attempt_run_id", sa.String(255)),
    sa.Column("attempt_id", Id, nullable=False),
    sa.UniqueConstraint("asset_key", "partition"),
    sa.Index(None, "attempt_run_id"),
)

dynamic_partitions = sa.Table(
    "dynamic_partitions", metadata,
    _id(),
    sa.Column("partitions_def_name", sa.Text, nullable=False),
    sa.Column("partition", sa.Text, nullable=False),
    sa.Column("create_timestamp", sa.Double, nullable=False),
    sa.UniqueConstraint("partitions_def_name", "partition"),
)

# --- scheduling state (revision 0002) ---------------------------------------------------

instigators = sa.Table(
    "instigators", metadata,
    _id(),
    sa.Column("origin_id", sa.String(255), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("instigator_type", sa.String(63), nullable=False),  # SCHEDULE | SENSOR
    sa.Column("status", sa.String(63), nullable=False),
    sa.Column("cursor", sa.Text),
    sa.Column("body", sa.Text, nullable=False),  # JSON object
    sa.Column("update_timestamp", sa.Double, nullable=False),
)

instigator_ticks = sa.Table(
    "instigator_ticks", metadata,
    _id(),
    sa.Column("origin_id", sa.String(255), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("instigator_type", sa.String(63), nullable=False),
    sa.Column("status", sa.String(63), nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("end_timestamp", sa.Double),
    sa.Column("body", sa.Text, nullable=False),  # JSON: run ids, run keys, skip reason, error
    sa.Index(None, "origin_id", "timestamp"),
)

instigator_run_keys = sa.Table(
    "instigator_run_keys", metadata,
    _id(),
    sa.Column("origin_id", sa.String(255), nullable=False),
    sa.Column("run_key", sa.Text, nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.UniqueConstraint("origin_id", "run_key"),
)

daemon_heartbeats = sa.Table(
    "daemon_heartbeats", metadata,
    sa.Column("daemon_type", sa.String(255), primary_key=True),
    sa.Column("daemon_id", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

backfills = sa.Table(
    "backfills", metadata,
    _id(),
    sa.Column("backfill_id", sa.String(255), nullable=False, unique=True),
    sa.Column("status", sa.String(63), nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index(None, "status", "id"),
)

kvs = sa.Table(
    "kvs", metadata,
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

SCHEDULING_TABLES = (instigators, instigator_ticks, instigator_run_keys, daemon_heartbeats,
                     backfills, kvs)

# --- asset check executions (revision 0003) --------------------------------------------

# One row per execution of a check (storage/checks.py says how events move them). The id is
# the storage id of the event that opened the execution, so a replay gives the same ids.
# (asset_key, check_name, id) serves a check's history and its latest execution, one index
# seek per check; the partition index does the same for one partition; (run_id, status)
# finds what a run left IN_PROGRESS when it ends.
asset_check_executions = sa.Table(
    "asset_check_executions", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("asset_key", sa.Text, nullable=False),
    sa.Column("check_name", sa.Text, nullable=False),
    sa.Column("partition", sa.Text),
    sa.Column("run_id", sa.String(255), nullable=False),  # "" for runless evaluations
    sa.Column("status", sa.String(31), nullable=False),
    sa.Column("event_id", Id),  # the ASSET_CHECK_EVALUATION event, once evaluated
    sa.Column("severity", sa.String(31)),  # WARN | ERROR, once evaluated
    sa.Column("create_timestamp", sa.Double, nullable=False),
    sa.Column("update_timestamp", sa.Double, nullable=False),
    sa.Index(None, "asset_key", "check_name", "id"),
    sa.Index(None, "asset_key", "check_name", "partition", "id"),
    sa.Index(None, "run_id", "status"),
)

# --- automation condition evaluations (revision 0004) ----------------------------------

# One row per key (asset "a/b" or check "a/b:check") evaluated by one tick of an automation
# sensor: the evaluation id is the tick's id. `body` is the condition's result tree as JSON
# (true/false and counts per node); `run_ids` and `backfill_ids` (JSON lists) are what the tick
# launched for the key. The unique (evaluation_id, key) makes storing a tick's evaluations
# again (a daemon restarted mid-tick) a no-op; (key, evaluation_id) serves a key's history.
automation_condition_evaluations = sa.Table(
    "automation_condition_evaluations", metadata,
    _id(),
    sa.Column("evaluation_id", Id, nullable=False),
    sa.Column("origin_id", sa.String(255), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("num_requested", sa.Integer, nullable=False),
    sa.Column("run_ids", sa.Text, nullable=False),
    sa.Column("backfill_ids", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.UniqueConstraint("evaluation_id", "key"),
    sa.Index(None, "key", "evaluation_id"),
)
