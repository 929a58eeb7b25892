"""closing groups (departments) and org units: `closed_at` on org_group and org_unit (open while null)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("org_group") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("org_unit") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("org_unit") as batch:
        batch.drop_column("closed_at")
    with op.batch_alter_table("org_group") as batch:
        batch.drop_column("closed_at")
