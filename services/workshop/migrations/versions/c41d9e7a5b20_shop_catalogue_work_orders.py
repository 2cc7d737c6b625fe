"""shop, catalogue and work orders

Revision ID: c41d9e7a5b20
Revises: b7570471ea48
Create Date: 2026-11-26 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'c41d9e7a5b20'
down_revision: str | None = 'b7570471ea48'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant() -> list[sa.Column]:
    return [sa.Column('dealer_group_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
            sa.Column('store_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)]


def _doc() -> list[sa.Column]:
    return [sa.Column('version', sa.Integer(), nullable=False),
            sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False)]


def _tenant_indexes(table: str) -> None:
    op.create_index(op.f(f'ix_{table}_dealer_group_id'), table, ['dealer_group_id'], unique=False)
    op.create_index(op.f(f'ix_{table}_store_id'), table, ['store_id'], unique=False)


def upgrade() -> None:
    op.create_table('shops', *_tenant(),
                    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=False), *_doc(),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')))
    _tenant_indexes('shops')
    op.create_table('labour_operations', *_tenant(),
                    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
                    sa.Column('operation_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
                    *_doc(), sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_operations')))
    _tenant_indexes('labour_operations')
    op.create_index(op.f('ix_labour_operations_operation_code'), 'labour_operations', ['operation_code'])
    op.create_table('work_orders', *_tenant(),
                    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
                    sa.Column('promised_at', sa.DateTime(timezone=True), nullable=False),
                    *_doc(), sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')))
    _tenant_indexes('work_orders')
    op.create_index(op.f('ix_work_orders_state'), 'work_orders', ['state'])


def downgrade() -> None:
    op.drop_table('work_orders')
    op.drop_table('labour_operations')
    op.drop_table('shops')
