"""process_definition.tests: the unit's process tests (tests/*.json), versioned with it

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.add_column(sa.Column("tests", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.drop_column("tests")
