"""the citizen channel: citizen accounts, SMS codes and outbox, online cases, notices and appointments

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("company_name", sa.String(200), nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "sms_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_sms_code_phone_purpose", "sms_code", ["phone", "purpose", "created_at"])
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_sms_outbox_phone", "sms_outbox", ["phone"])
    op.create_table(
        "portal_case",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("service_case.id"), primary_key=True),
        sa.Column("citizen_id", sa.Integer(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("tail", sa.String(6), nullable=False),
        sa.Column("delivery", sa.JSON(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_portal_case_citizen", "portal_case", ["citizen_id", "case_id"])
    op.create_table(
        "citizen_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("citizen_id", sa.Integer(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("case_number", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_citizen_notice_citizen", "citizen_notice", ["citizen_id", "id"])
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("citizen_id", sa.Integer(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("item_name", sa.String(200), nullable=False),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_appointment_citizen_id", "appointment", ["citizen_id"])
    op.create_index("ix_appointment_hall_day", "appointment", ["hall", "day", "slot"])
    op.create_table(
        "appointment_load",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("slot", sa.String(16), primary_key=True),
        sa.Column("booked", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "appointment_capacity",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("slot", sa.String(16), primary_key=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("appointment_capacity")
    op.drop_table("appointment_load")
    op.drop_index("ix_appointment_hall_day", "appointment")
    op.drop_index("ix_appointment_citizen_id", "appointment")
    op.drop_table("appointment")
    op.drop_index("ix_citizen_notice_citizen", "citizen_notice")
    op.drop_table("citizen_notice")
    op.drop_index("ix_portal_case_citizen", "portal_case")
    op.drop_table("portal_case")
    op.drop_index("ix_sms_outbox_phone", "sms_outbox")
    op.drop_table("sms_outbox")
    op.drop_index("ix_sms_code_phone_purpose", "sms_code")
    op.drop_table("sms_code")
    op.drop_table("citizen")
