"""Scheduling state: instigators (schedules/sensors) with cursors, ticks, run keys, daemon
heartbeats, backfills and a key-value store.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "instigators", _id(),
        sa.Column("origin_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("instigator_type", sa.String(63), nullable=False),
        sa.Column("status", sa.String(63), nullable=False),
        sa.Column("cursor", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("update_timestamp", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instigators"),
        sa.UniqueConstraint("origin_id", name="uq_instigators_origin_id"),
    )
    op.create_table(
        "instigator_ticks", _id(),
        sa.Column("origin_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("instigator_type", sa.String(63), nullable=False),
        sa.Column("status", sa.String(63), nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.Column("end_timestamp", sa.Double),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instigator_ticks"),
    )
    op.create_index("ix_instigator_ticks_origin_id_timestamp", "instigator_ticks",
                    ["origin_id", "timestamp"])
    op.create_table(
        "instigator_run_keys", _id(),
        sa.Column("origin_id", sa.String(255), nullable=False),
        sa.Column("run_key", sa.Text, nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instigator_run_keys"),
        sa.UniqueConstraint("origin_id", "run_key", name="uq_instigator_run_keys_origin_id_run_key"),
    )
    op.create_table(
        "daemon_heartbeats",
        sa.Column("daemon_type", sa.String(255), nullable=False),
        sa.Column("daemon_id", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("daemon_type", name="pk_daemon_heartbeats"),
    )
    op.create_table(
        "backfills", _id(),
        sa.Column("backfill_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(63), nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backfills"),
        sa.UniqueConstraint("backfill_id", name="uq_backfills_backfill_id"),
    )
    op.create_index("ix_backfills_status_id", "backfills", ["status", "id"])
    op.create_table(
        "kvs",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_kvs"),
    )


def downgrade() -> None:
    for table in ("kvs", "backfills", "daemon_heartbeats", "instigator_run_keys",
                  "instigator_ticks", "instigators"):
        op.drop_table(table)
