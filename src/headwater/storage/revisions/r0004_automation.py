"""Automation condition evaluations: what each tick of an automation sensor decided per key.

Revision ID: 0004
Revises: 0003

A new table only; nothing to fill from older data (no automation ran before this revision).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLE = "automation_condition_evaluations"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", Id, nullable=False, autoincrement=True),
        sa.Column("evaluation_id", Id, nullable=False),
        sa.Column("origin_id", sa.String(255), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.Column("num_requested", sa.Integer, nullable=False),
        sa.Column("run_ids", sa.Text, nullable=False),
        sa.Column("backfill_ids", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{_TABLE}"),
        sa.UniqueConstraint("evaluation_id", "key", name=f"uq_{_TABLE}_evaluation_id_key"),
    )
    op.create_index(f"ix_{_TABLE}_key_evaluation_id", _TABLE, ["key", "evaluation_id"])


def downgrade() -> None:
    op.drop_table(_TABLE)
