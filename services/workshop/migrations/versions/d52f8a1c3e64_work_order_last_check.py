"""work orders: the last check's instant as a column, for the figures' period queries

Revision ID: d52f8a1c3e64
Revises: c41d9e7a5b20
Create Date: 2026-11-26 15:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd52f8a1c3e64'
down_revision: str | None = 'c41d9e7a5b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('work_orders', sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True))
    # orders stored before this revision: the latest check of their jobs, from their documents
    op.execute("UPDATE work_orders SET last_checked_at = (SELECT max((c->>'at')::timestamptz) "
               "FROM jsonb_array_elements(doc->'jobs') j, jsonb_array_elements(j->'checks') c)")
    op.create_index(op.f('ix_work_orders_last_checked_at'), 'work_orders', ['last_checked_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_work_orders_last_checked_at'), table_name='work_orders')
    op.drop_column('work_orders', 'last_checked_at')
