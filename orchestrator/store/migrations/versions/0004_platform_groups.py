"""groups of the 四个平台 a grid event is dispatched to (综治工作, 综合执法, 便民服务; 市场监管 exists)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GROUPS = {"zongzhi": "综治工作", "zhifa": "综合执法", "bianmin": "便民服务"}


def upgrade() -> None:
    table = sa.table("org_group", sa.column("code", sa.String), sa.column("name", sa.String))
    op.bulk_insert(table, [{"code": code, "name": name} for code, name in GROUPS.items()])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM org_group WHERE code IN ('zongzhi', 'zhifa', 'bianmin')"))
