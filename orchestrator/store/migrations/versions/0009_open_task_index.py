"""partial index for the 待签收 inbox: open tasks of a group, soonest due first

The group inbox reads "open tasks of group G within org subtree P, ordered by due date, first page". With
(candidate_group, due_at, id) WHERE state = 'open' PostgreSQL walks the index in due order and stops after
a page; org_path is INCLUDEd so the subtree test needs no heap visit (SQLite keeps it a plain column).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_task_open_group_due",
        "human_task",
        ["candidate_group", "due_at", "id"],
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
        postgresql_include=["org_path"],
    )


def downgrade() -> None:
    op.drop_index("ix_task_open_group_due", "human_task")
