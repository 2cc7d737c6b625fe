"""repair orders: the opened and invoiced instants as columns, for the figures' period queries

Revision ID: a3c5e7f9b1d2
Revises: f0c89344602a
Create Date: 2026-11-26 15:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a3c5e7f9b1d2'
down_revision: str | None = 'f0c89344602a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('repair_orders', sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('repair_orders', sa.Column('invoiced_at', sa.DateTime(timezone=True), nullable=True))
    # orders stored before this revision: the instants from their documents
    op.execute("UPDATE repair_orders SET opened_at = (doc->>'opened_at')::timestamptz, "
               "invoiced_at = (doc->>'invoiced_at')::timestamptz")
    op.create_index(op.f('ix_repair_orders_opened_at'), 'repair_orders', ['opened_at'], unique=False)
    op.create_index(op.f('ix_repair_orders_invoiced_at'), 'repair_orders', ['invoiced_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_repair_orders_invoiced_at'), table_name='repair_orders')
    op.drop_index(op.f('ix_repair_orders_opened_at'), table_name='repair_orders')
    op.drop_column('repair_orders', 'invoiced_at')
    op.drop_column('repair_orders', 'opened_at')
