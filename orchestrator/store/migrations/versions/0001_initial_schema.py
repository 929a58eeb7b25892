"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:59:15.360118
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The standard groups of a one-window hall, as the first data; frozen here (migrations never import app code).
STANDARD_GROUPS = {
    "frontdesk": "综合窗口",
    "delivery": "出件窗口",
    "minzheng": "民政",
    "renshe": "人社",
    "yibao": "医保",
    "weijian": "卫健",
    "gongan": "公安",
    "shichang": "市场监管",
    "command": "综合信息指挥室",
    "grid": "网格员",
}


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("data_before", sa.JSON(), nullable=True),
        sa.Column("data_after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "org_group",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "process_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("version_tag", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("catalog", sa.JSON(), nullable=True),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("lanes", sa.JSON(), nullable=False),
        sa.Column("timer_start", sa.Boolean(), nullable=False),
        sa.Column("deployed_by", sa.String(length=100), nullable=True),
        sa.Column("deployed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version"),
    )
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.create_index("ix_definition_key_status", ["key", "status"], unique=False)

    op.create_table(
        "group_member",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("group_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_code"],
            ["org_group.code"],
        ),
        sa.PrimaryKeyConstraint("username", "group_code"),
    )
    op.create_table(
        "process_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definition.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_key", "business_key"),
    )
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_instance_definition_id"), ["definition_id"], unique=False
        )

    op.create_table(
        "human_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("spiff_task_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("lane", sa.String(length=200), nullable=True),
        sa.Column("candidate_group", sa.String(length=64), nullable=True),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("form_key", sa.String(length=200), nullable=True),
        sa.Column("ui_form_key", sa.String(length=200), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "spiff_task_id"),
    )
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index("ix_task_assignee_inbox", ["assignee", "state", "due_at"], unique=False)
        batch_op.create_index("ix_task_group_inbox", ["candidate_group", "state", "due_at"], unique=False)
        batch_op.create_index("ix_task_instance_state", ["instance_id", "state"], unique=False)

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_job_instance", ["instance_id", "status"], unique=False)

    op.create_table(
        "message_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("message_name", sa.String(length=200), nullable=False),
        sa.Column("correlation", sa.String(length=500), nullable=False),
        sa.Column("expressions", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("message_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_subscription_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index("ix_subscription_lookup", ["message_name", "correlation"], unique=False)

    op.bulk_insert(
        sa.table("org_group", sa.column("code", sa.String), sa.column("name", sa.String)),
        [{"code": code, "name": name} for code, name in STANDARD_GROUPS.items()],
    )


def downgrade() -> None:
    with op.batch_alter_table("message_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_lookup")
        batch_op.drop_index(batch_op.f("ix_message_subscription_instance_id"))

    op.drop_table("message_subscription")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_instance")
        batch_op.drop_index("ix_job_due")

    op.drop_table("job")
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_instance_state")
        batch_op.drop_index("ix_task_group_inbox")
        batch_op.drop_index("ix_task_assignee_inbox")

    op.drop_table("human_task")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instance_definition_id"))

    op.drop_table("process_instance")
    op.drop_table("group_member")
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.drop_index("ix_definition_key_status")

    op.drop_table("process_definition")
    op.drop_table("org_group")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_instance_id"))

    op.drop_table("audit_event")
