"""cases (办件), their paused intervals, and the opinion and action of each step

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("applicant", sa.JSON(), nullable=False),
        sa.Column("proxy", sa.JSON(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("case_class", sa.Integer(), nullable=False),
        sa.Column("local_type", sa.String(length=8), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("promised_limit", sa.Integer(), nullable=False),
        sa.Column("statutory_limit", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("promised_due", sa.Date(), nullable=True),
        sa.Column("statutory_due", sa.Date(), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number"),
        sa.UniqueConstraint("instance_id"),
    )
    op.create_index("ix_case_status_due", "service_case", ["status_code", "promised_due"])
    op.create_table(
        "case_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("planned_days", sa.Integer(), nullable=True),
        sa.Column("approver", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_pause_case_id", "case_pause", ["case_id"])
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("opinion", sa.Text(), nullable=True))
        batch.add_column(sa.Column("action", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("action")
        batch.drop_column("opinion")
    op.drop_index("ix_case_pause_case_id", "case_pause")
    op.drop_table("case_pause")
    op.drop_index("ix_case_status_due", "service_case")
    op.drop_table("service_case")
