"""job.dispatched_at: when the job's id was last sent to the broker (the job row stays the truth);
at most one pending supervision sweep, however many workers and dispatchers start at once

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ux_job_one_pending_sweep",
        "job",
        ["kind"],
        unique=True,
        postgresql_where=sa.text("kind = 'sweep' AND status = 'pending'"),
        sqlite_where=sa.text("kind = 'sweep' AND status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ux_job_one_pending_sweep", "job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("dispatched_at")
