"""statistics (统计分析): a fact row per case, per-day and per-month sums by dimension with a histogram of
handling days, settings

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _measures() -> list[sa.Column]:
    return [
        sa.Column("received", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("accepted", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("completed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("in_progress", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("immediate", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("on_time", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("early", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("overdue", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("days_sum", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("supplemented", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("refused", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("withdrawn", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("evaluations", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("good", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("bad", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rectified", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("zero_visit", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("one_visit", sa.Integer(), nullable=False, server_default="0"),
    ]


def _histogram() -> list[sa.Column]:
    return [sa.Column(f"d{i}", sa.Integer(), nullable=False, server_default="0") for i in range(32)]


def upgrade() -> None:
    op.create_table(
        "stats_case",
        sa.Column("case_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("received_day", sa.Date(), nullable=False),
        sa.Column("received_month", sa.Date(), nullable=False),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("closed_month", sa.Date(), nullable=True),
        sa.Column("promised_due", sa.Date(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("org_path", sa.String(500), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("item_name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("clerk", sa.String(100), nullable=False),
        sa.Column("proxy", sa.String(100), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        *_measures(),
    )
    op.create_index("ix_stats_case_received", "stats_case", ["received_day"])
    op.create_index("ix_stats_case_closed", "stats_case", ["closed_day"])
    for name, day in (
        ("ix_stats_case_area_received", "received_day"),
        ("ix_stats_case_area_closed", "closed_day"),
    ):
        # a village's breakdowns: org_path LIKE 'prefix%' uses the index whatever the collation
        op.create_index(
            name, "stats_case", ["org_path", day], postgresql_ops={"org_path": "varchar_pattern_ops"}
        )
    for name, overdue in (("ix_stats_case_open_due", 0), ("ix_stats_case_open_overdue", 1)):
        where = sa.text(f"in_progress = 1 AND overdue = {overdue}")
        op.create_index(name, "stats_case", ["promised_due"], postgresql_where=where, sqlite_where=where)
    op.create_table(
        "stats_aggregate",
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("basis", sa.String(1), nullable=False),
        sa.Column("dim", sa.String(12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(500), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        *_measures(),
        *_histogram(),
        sa.PrimaryKeyConstraint("grain", "basis", "dim", "day", "scope", "key"),
    )
    op.create_index(
        "ix_stats_aggregate_area",
        "stats_aggregate",
        ["grain", "basis", "dim", "scope", "day"],
        postgresql_ops={"scope": "varchar_pattern_ops"},
    )
    op.create_table(
        "stats_setting",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stats_setting")
    op.drop_index("ix_stats_aggregate_area", table_name="stats_aggregate")
    op.drop_table("stats_aggregate")
    op.drop_index("ix_stats_case_open_overdue", table_name="stats_case")
    op.drop_index("ix_stats_case_open_due", table_name="stats_case")
    op.drop_index("ix_stats_case_area_closed", table_name="stats_case")
    op.drop_index("ix_stats_case_area_received", table_name="stats_case")
    op.drop_index("ix_stats_case_closed", table_name="stats_case")
    op.drop_index("ix_stats_case_received", table_name="stats_case")
    op.drop_table("stats_case")
