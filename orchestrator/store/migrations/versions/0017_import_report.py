"""imported drafts: `import_report` on process_definition (what an import translated, kept as documentation
and left to fix; null for a deployed version)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.add_column(sa.Column("import_report", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.drop_column("import_report")
