"""Runs, the event log, the asset index and dynamic partitions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "runs", _id(),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("job_name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(63), nullable=False),
        sa.Column("asset_selection", sa.Text),
        sa.Column("op_selection", sa.Text),
        sa.Column("step_keys", sa.Text),
        sa.Column("run_config", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("partition", sa.Text),
        sa.Column("parent_run_id", sa.String(255)),
        sa.Column("root_run_id", sa.String(255)),
        sa.Column("create_timestamp", sa.Double, nullable=False),
        sa.Column("update_timestamp", sa.Double, nullable=False),
        sa.Column("start_time", sa.Double),
        sa.Column("end_time", sa.Double),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("run_id", name="uq_runs_run_id"),
    )
    op.create_index("ix_runs_job_name_id", "runs", ["job_name", "id"])
    op.create_index("ix_runs_status_id", "runs", ["status", "id"])
    op.create_index("ix_runs_create_timestamp", "runs", ["create_timestamp"])
    op.create_index("ix_runs_update_timestamp", "runs", ["update_timestamp"])

    op.create_table(
        "run_tags", _id(),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_tags"),
    )
    op.create_index("ix_run_tags_key_value", "run_tags", ["key", "value"])
    op.create_index("ix_run_tags_run_id", "run_tags", ["run_id"])

    op.create_table(
        "event_logs", _id(),
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.Column("event_type", sa.String(63), nullable=False),
        sa.Column("step_key", sa.Text),
        sa.Column("asset_key", sa.Text),
        sa.Column("partition", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_logs"),
    )
    op.create_index("ix_event_logs_run_id_id", "event_logs", ["run_id", "id"])
    op.create_index("ix_event_logs_asset_key_event_type_id", "event_logs",
                    ["asset_key", "event_type", "id"])
    op.create_index("ix_event_logs_event_type_id", "event_logs", ["event_type", "id"])

    op.create_table(
        "asset_keys", _id(),
        sa.Column("asset_key", sa.Text, nullable=False),
        sa.Column("last_materialization_id", Id),
        sa.Column("last_materialization_timestamp", sa.Double),
        sa.Column("last_observation_id", Id),
        sa.Column("last_event_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_keys"),
        sa.UniqueConstraint("asset_key", name="uq_asset_keys_asset_key"),
    )
    op.create_table(
        "asset_partitions", _id(),
        sa.Column("asset_key", sa.Text, nullable=False),
        sa.Column("partition", sa.Text, nullable=False),
        sa.Column("status", sa.String(31), nullable=False),
        sa.Column("last_materialization_id", Id),
        sa.Column("last_materialization_timestamp", sa.Double),
        sa.Column("attempt_run_id", sa.String(255)),
        sa.Column("attempt_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_partitions"),
        sa.UniqueConstraint("asset_key", "partition", name="uq_asset_partitions_asset_key_partition"),
    )
    op.create_index("ix_asset_partitions_attempt_run_id", "asset_partitions", ["attempt_run_id"])

    op.create_table(
        "dynamic_partitions", _id(),
        sa.Column("partitions_def_name", sa.Text, nullable=False),
        sa.Column("partition", sa.Text, nullable=False),
        sa.Column("create_timestamp", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dynamic_partitions"),
        sa.UniqueConstraint("partitions_def_name", "partition",
                            name="uq_dynamic_partitions_partitions_def_name_partition"),
    )


def downgrade() -> None:
    for table in ("dynamic_partitions", "asset_partitions", "asset_keys", "event_logs",
                  "run_tags", "runs"):
        op.drop_table(table)
