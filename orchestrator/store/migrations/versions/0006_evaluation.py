"""evaluations (好差评), one per case online and one per visit at a window

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("visit", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("clerk", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("rectification_instance", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "visit", name="uq_evaluation_once"),
    )
    op.create_index("ix_evaluation_case_id", "evaluation", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_case_id", "evaluation")
    op.drop_table("evaluation")
