"""Asset check executions, filled from the check events already in the event log.

Revision ID: 0003
Revises: 0002

The backfill below is this revision's own copy of the rules of storage/checks.py as they
stood at 0003 (a revision must not change when the code does): PLANNED opens an IN_PROGRESS
row per (run, check, partition); an evaluation closes the open row as SUCCEEDED/FAILED or
adds a closed one; a run's end turns what it left open into SKIPPED (success, cancel) or
EXECUTION_FAILED (failure). Events of wiped assets (NULL asset_key) are skipped.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PLANNED, _EVALUATION = "ASSET_CHECK_EVALUATION_PLANNED", "ASSET_CHECK_EVALUATION"
_RUN_END = {"PIPELINE_SUCCESS": "SKIPPED", "PIPELINE_CANCELED": "SKIPPED",
            "PIPELINE_FAILURE": "EXECUTION_FAILED"}


def upgrade() -> None:
    table = op.create_table(
        "asset_check_executions",
        sa.Column("id", Id, nullable=False, autoincrement=False),
        sa.Column("asset_key", sa.Text, nullable=False),
        sa.Column("check_name", sa.Text, nullable=False),
        sa.Column("partition", sa.Text),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(31), nullable=False),
        sa.Column("event_id", Id),
        sa.Column("severity", sa.String(31)),
        sa.Column("create_timestamp", sa.Double, nullable=False),
        sa.Column("update_timestamp", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_check_executions"),
    )
    op.create_index("ix_asset_check_executions_asset_key_check_name_id", "asset_check_executions",
                    ["asset_key", "check_name", "id"])
    op.create_index("ix_asset_check_executions_asset_key_check_name_partition_id",
                    "asset_check_executions", ["asset_key", "check_name", "partition", "id"])
    op.create_index("ix_asset_check_executions_run_id_status", "asset_check_executions",
                    ["run_id", "status"])
    _backfill(op.get_bind(), table)


def _backfill(connection: sa.Connection, table: sa.Table) -> None:
    events = sa.table("event_logs", sa.column("id"), sa.column("run_id"), sa.column("timestamp"),
                      sa.column("event_type"), sa.column("asset_key"), sa.column("partition"),
                      sa.column("body"))
    c = events.c
    rows: dict[int, dict] = {}
    open_rows: dict[tuple, int] = {}
    query = sa.select(c.id, c.run_id, c.timestamp, c.event_type, c.partition, c.body).where(
        sa.or_(sa.and_(c.event_type.in_([_PLANNED, _EVALUATION]), c.asset_key.is_not(None)),
               c.event_type.in_(list(_RUN_END)))).order_by(c.id)
    found: Any = connection.execute(query)
    for storage_id, run_id, timestamp, event_type, partition, body in found:
        if event_type in _RUN_END:
            for slot in [s for s in open_rows if s[0] == run_id]:
                row = rows[open_rows.pop(slot)]
                row.update(status=_RUN_END[event_type], update_timestamp=timestamp)
            continue
        payload = json.loads(body)["payload"]
        key = json.dumps(payload["asset_key"]["__key__"])
        if payload.get("partition") is not None:
            partition = payload["partition"]
        slot = (run_id, key, payload["check_name"], partition)
        if event_type == _PLANNED:
            if slot not in open_rows:
                open_rows[slot] = storage_id
                rows[storage_id] = _row(storage_id, slot, "IN_PROGRESS", None, None, timestamp)
            continue
        status = "SUCCEEDED" if payload["passed"] else "FAILED"
        row_id = open_rows.pop(slot, None)
        if row_id is None:
            rows[storage_id] = _row(storage_id, slot, status, storage_id, payload["severity"],
                                    timestamp)
        else:
            rows[row_id].update(status=status, event_id=storage_id, severity=payload["severity"],
                                update_timestamp=timestamp)
    if rows:
        connection.execute(table.insert(), list(rows.values()))


def _row(storage_id: int, slot: tuple, status: str, event_id: int | None, severity: str | None,
         timestamp: float) -> dict:
    run_id, key, name, partition = slot
    return {"id": storage_id, "asset_key": key, "check_name": name, "partition": partition,
            "run_id": run_id, "status": status, "event_id": event_id, "severity": severity,
            "create_timestamp": timestamp, "update_timestamp": timestamp}


def downgrade() -> None:
    op.drop_table("asset_check_executions")
