"""org units (区县 → 镇街 → 村社 → 网格), org-scoped membership and tasks, attachments, 催办

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_unit",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("parent_code", sa.String(64), sa.ForeignKey("org_unit.code"), nullable=True),
        sa.Column("path", sa.String(500), nullable=False, unique=True),
    )
    with op.batch_alter_table("group_member") as batch:
        batch.add_column(sa.Column("org_path", sa.String(500), nullable=False, server_default="/"))
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("org_path", sa.String(500), nullable=False, server_default="/"))
        batch.create_index("ix_process_instance_started_by", ["started_by"])
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("org_path", sa.String(500), nullable=False, server_default="/"))
        batch.add_column(sa.Column("urged_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_task_done_by", ["completed_by", "completed_at"])
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.Integer, sa.ForeignKey("process_instance.id"), nullable=True),
        sa.Column("task_id", sa.Integer, nullable=True),
        sa.Column("material", sa.String(200), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_attachment_instance_id", "attachment", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_attachment_instance_id", "attachment")
    op.drop_table("attachment")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_index("ix_task_done_by")
        batch.drop_column("urged_at")
        batch.drop_column("org_path")
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_index("ix_process_instance_started_by")
        batch.drop_column("org_path")
    with op.batch_alter_table("group_member") as batch:
        batch.drop_column("org_path")
    op.drop_table("org_unit")
