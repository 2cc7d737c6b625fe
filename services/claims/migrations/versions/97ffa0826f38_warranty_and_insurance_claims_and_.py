"""warranty and insurance claims and replicas

Revision ID: 97ffa0826f38
Revises: d988ad4f98ad
Create Date: 2026-11-26 13:22:31.126853
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '97ffa0826f38'
down_revision: str | None = 'd988ad4f98ad'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_insurance_claims() -> None:
    op.create_table('insurance_claims',
    sa.Column('dealer_group_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('store_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('vehicle_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('insurer', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('outstanding', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('policy_expiry', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_claims'))
    )
    op.create_index(op.f('ix_insurance_claims_dealer_group_id'), 'insurance_claims', ['dealer_group_id'])
    op.create_index(op.f('ix_insurance_claims_insurer'), 'insurance_claims', ['insurer'], unique=False)
    op.create_index(op.f('ix_insurance_claims_policy_expiry'), 'insurance_claims', ['policy_expiry'], unique=False)
    op.create_index(op.f('ix_insurance_claims_state'), 'insurance_claims', ['state'], unique=False)
    op.create_index(op.f('ix_insurance_claims_store_id'), 'insurance_claims', ['store_id'], unique=False)
    op.create_index(op.f('ix_insurance_claims_vehicle_id'), 'insurance_claims', ['vehicle_id'], unique=False)


def _create_repair_order_replica() -> None:
    op.create_table('repair_order_replica',
    sa.Column('dealer_group_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('store_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('repair_order_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('vehicle_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('odometer_km', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('repair_order_id', name=op.f('pk_repair_order_replica'))
    )
    op.create_index(op.f('ix_repair_order_replica_dealer_group_id'), 'repair_order_replica', ['dealer_group_id'])
    op.create_index(op.f('ix_repair_order_replica_store_id'), 'repair_order_replica', ['store_id'], unique=False)


def _create_vehicle_replica() -> None:
    op.create_table('vehicle_replica',
    sa.Column('vin', sa.String(length=17), nullable=False),
    sa.Column('plate', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('owner_customer_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sale_date', sa.Date(), nullable=True),
    sa.Column('warranty_start', sa.Date(), nullable=True),
    sa.Column('warranty_years', sa.Integer(), nullable=True),
    sa.Column('warranty_km', sa.Integer(), nullable=True),
    sa.Column('odometer_km', sa.Integer(), nullable=True),
    sa.Column('insurance_expiry', sa.Date(), nullable=True),
    sa.Column('warranty_prewarning', sa.Boolean(), nullable=False),
    sa.Column('dealer_group_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('store_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('vehicle_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source_event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('vehicle_id', name=op.f('pk_vehicle_replica'))
    )
    op.create_index(op.f('ix_vehicle_replica_dealer_group_id'), 'vehicle_replica', ['dealer_group_id'])
    op.create_index(op.f('ix_vehicle_replica_owner_customer_id'), 'vehicle_replica', ['owner_customer_id'])
    op.create_index(op.f('ix_vehicle_replica_plate'), 'vehicle_replica', ['plate'], unique=False)
    op.create_index(op.f('ix_vehicle_replica_store_id'), 'vehicle_replica', ['store_id'], unique=False)
    op.create_index(op.f('ix_vehicle_replica_vin'), 'vehicle_replica', ['vin'], unique=False)


def _create_warranty_claims() -> None:
    op.create_table('warranty_claims',
    sa.Column('dealer_group_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('store_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('claim_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('repair_order_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('outstanding', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('return_parts_by', sa.Date(), nullable=True),
    sa.Column('parts_shipped', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warranty_claims')),
    sa.UniqueConstraint('claim_number', name=op.f('uq_warranty_claims_claim_number'))
    )
    op.create_index(op.f('ix_warranty_claims_dealer_group_id'), 'warranty_claims', ['dealer_group_id'])
    op.create_index(op.f('ix_warranty_claims_repair_order_id'), 'warranty_claims', ['repair_order_id'], unique=False)
    op.create_index(op.f('ix_warranty_claims_state'), 'warranty_claims', ['state'], unique=False)
    op.create_index(op.f('ix_warranty_claims_store_id'), 'warranty_claims', ['store_id'], unique=False)


def upgrade() -> None:
    _create_insurance_claims()
    _create_repair_order_replica()
    _create_vehicle_replica()
    _create_warranty_claims()

def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index(op.f('ix_warranty_claims_store_id'), table_name='warranty_claims')
    op.drop_index(op.f('ix_warranty_claims_state'), table_name='warranty_claims')
    op.drop_index(op.f('ix_warranty_claims_repair_order_id'), table_name='warranty_claims')
    op.drop_index(op.f('ix_warranty_claims_dealer_group_id'), table_name='warranty_claims')
    op.drop_table('warranty_claims')
    op.drop_index(op.f('ix_vehicle_replica_vin'), table_name='vehicle_replica')
    op.drop_index(op.f('ix_vehicle_replica_store_id'), table_name='vehicle_replica')
    op.drop_index(op.f('ix_vehicle_replica_plate'), table_name='vehicle_replica')
    op.drop_index(op.f('ix_vehicle_replica_owner_customer_id'), table_name='vehicle_replica')
    op.drop_index(op.f('ix_vehicle_replica_dealer_group_id'), table_name='vehicle_replica')
    op.drop_table('vehicle_replica')
    op.drop_index(op.f('ix_repair_order_replica_store_id'), table_name='repair_order_replica')
    op.drop_index(op.f('ix_repair_order_replica_dealer_group_id'), table_name='repair_order_replica')
    op.drop_table('repair_order_replica')
    op.drop_index(op.f('ix_insurance_claims_vehicle_id'), table_name='insurance_claims')
    op.drop_index(op.f('ix_insurance_claims_store_id'), table_name='insurance_claims')
    op.drop_index(op.f('ix_insurance_claims_state'), table_name='insurance_claims')
    op.drop_index(op.f('ix_insurance_claims_policy_expiry'), table_name='insurance_claims')
    op.drop_index(op.f('ix_insurance_claims_insurer'), table_name='insurance_claims')
    op.drop_index(op.f('ix_insurance_claims_dealer_group_id'), table_name='insurance_claims')
    op.drop_table('insurance_claims')
    # ### end Alembic commands ###
