"""windows of a hall (窗口): `service_window` (a hall's numbered windows), `clerk_window` (我的窗口: where a
clerk sits), `window_id` on service_case (where a case was received), `window_key` on stats_case, and the
sums by window of the cases counted so far (none was received at a window yet: each area's and day's cases
under the key "" — the sums by channel added up over the channels)

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

MEASURES = (
    "received", "accepted", "completed", "in_progress", "immediate", "on_time", "early", "overdue", "days_sum",
    "supplemented", "refused", "withdrawn", "evaluations", "good", "bad", "rectified", "zero_visit", "one_visit",
)  # fmt: skip
SUMS = (*MEASURES, *(f"d{i}" for i in range(32)))


def upgrade() -> None:
    op.create_table(
        "service_window",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall", sa.String(64), sa.ForeignKey("org_unit.code"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_service_window_hall", "service_window", ["hall"])
    op.create_table(
        "clerk_window",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("window_id", sa.Integer(), sa.ForeignKey("service_window.id"), nullable=False),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("service_case") as batch:
        batch.add_column(sa.Column("window_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_service_case_window", "service_window", ["window_id"], ["id"])
    with op.batch_alter_table("stats_case") as batch:
        batch.add_column(sa.Column("window_key", sa.String(20), nullable=False, server_default=""))
    sums = ", ".join(SUMS)
    added = ", ".join(f"SUM({c})" for c in SUMS)
    op.execute(
        f"INSERT INTO stats_aggregate (grain, basis, dim, day, scope, key, name, {sums}) "
        f"SELECT grain, basis, 'window', day, scope, '', '', {added} FROM stats_aggregate "
        "WHERE dim = 'channel' GROUP BY grain, basis, day, scope"
    )


def downgrade() -> None:
    op.execute("DELETE FROM stats_aggregate WHERE dim = 'window'")
    with op.batch_alter_table("stats_case") as batch:
        batch.drop_column("window_key")
    with op.batch_alter_table("service_case") as batch:
        batch.drop_constraint("fk_service_case_window", type_="foreignkey")
        batch.drop_column("window_id")
    op.drop_table("clerk_window")
    op.drop_index("ix_service_window_hall", "service_window")
    op.drop_table("service_window")
