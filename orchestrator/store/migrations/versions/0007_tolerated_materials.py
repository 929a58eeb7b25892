"""materials a case was accepted without (容缺受理)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_case") as batch:
        batch.add_column(sa.Column("tolerated", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_case") as batch:
        batch.drop_column("tolerated")
