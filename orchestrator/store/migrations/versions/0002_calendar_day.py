"""calendar table, seeded with the official holidays chinese_calendar knows

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _seed_rows() -> list[dict]:
    rows, at = [], datetime.now(UTC).replace(tzinfo=None)
    day = date(2004, 1, 1)
    while True:
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError:
            return rows
        rows.append({"day": day, "working": working, "source": "package", "note": None, "changed_at": at})
        day += timedelta(days=1)


def upgrade() -> None:
    table = op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.bulk_insert(table, _seed_rows())


def downgrade() -> None:
    op.drop_table("calendar_day")
