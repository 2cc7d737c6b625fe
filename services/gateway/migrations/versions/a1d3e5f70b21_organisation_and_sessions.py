"""organisation and sessions: dealer groups, stores, users as aggregates, login sessions, refresh tokens

Revision ID: a1d3e5f70b21
Revises: 6c6a972516ce
Create Date: 2026-11-26 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'a1d3e5f70b21'
down_revision: str | None = '6c6a972516ce'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tz(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'dealer_groups',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('dealer_group_id', sa.String(64), nullable=False),
        sa.Column('store_id', sa.String(64), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dealer_groups')))
    op.create_table(
        'stores',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('dealer_group_id', sa.String(64), nullable=False),
        sa.Column('store_id', sa.String(64), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stores')))
    op.create_index(op.f('ix_stores_dealer_group_id'), 'stores', ['dealer_group_id'])

    # Users become aggregates: `username` is their id, the record is stored whole in `doc` as well.
    op.alter_column('users', 'username', new_column_name='id')
    op.add_column('users', sa.Column('store_id', sa.String(64), nullable=False, server_default=''))
    op.add_column('users', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('users', sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.execute("""UPDATE users SET doc = jsonb_build_object(
        'id', id, 'dealer_group_id', dealer_group_id, 'store_id', '', 'version', version,
        'display_name', display_name, 'roles', roles, 'store_ids', store_ids, 'active', active)""")
    op.alter_column('users', 'doc', nullable=False)

    op.create_table(
        'login_sessions',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64), nullable=False),
        sa.Column('dealer_group_id', sa.String(64), nullable=False),
        _tz('created_at'), _tz('revoked_at', nullable=True),
        sa.Column('revoked_reason', sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')))
    op.create_index(op.f('ix_login_sessions_user_id'), 'login_sessions', ['user_id'])
    op.create_table(
        'refresh_tokens',
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('session_id', sa.String(64), nullable=False),
        _tz('issued_at'), _tz('expires_at'), _tz('spent_at', nullable=True),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_refresh_tokens')))
    op.create_index(op.f('ix_refresh_tokens_session_id'), 'refresh_tokens', ['session_id'])


def downgrade() -> None:
    op.drop_table('refresh_tokens')
    op.drop_table('login_sessions')
    op.drop_column('users', 'doc')
    op.drop_column('users', 'version')
    op.drop_column('users', 'store_id')
    op.alter_column('users', 'id', new_column_name='username')
    op.drop_table('stores')
    op.drop_table('dealer_groups')
