"""aggregates stored whole: a doc column beside the projected query columns

Customers, vehicles, follow-ups, complaints and call tasks keep their columns (lists and
reports query them) and get the aggregate itself as JSONB `doc`, back-filled from the columns.

Revision ID: 5b0e7c3a9d21
Revises: 71c623dfe6ad
Create Date: 2026-12-01 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '5b0e7c3a9d21'
down_revision: str | None = '71c623dfe6ad'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the aggregate built from a row: the row minus what is not the aggregate's, renamed as it expects
BACKFILL = {
    'customers': "(to_jsonb(t) - 'doc' - 'created_at' - 'created_by' - 'kind')"
                 " || jsonb_build_object('customer_kind', t.kind)",
    'vehicles': "to_jsonb(t) - 'doc' - 'created_at' - 'created_by'",
    'follow_ups': "to_jsonb(t) - 'doc'",
    'complaints': "to_jsonb(t) - 'doc'",
    'call_tasks': "(to_jsonb(t) - 'doc' - 'created_at' - 'kind') || jsonb_build_object('task_kind', t.kind)",
}
CREATED_AT = ('customers', 'vehicles', 'call_tasks')


def upgrade() -> None:
    for table, doc in BACKFILL.items():
        op.add_column(table, sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
        op.execute(f"UPDATE {table} AS t SET doc = {doc}")
        op.alter_column(table, 'doc', nullable=False)
    for table in CREATED_AT:
        op.alter_column(table, 'created_at', server_default=sa.text('now()'))


def downgrade() -> None:
    for table in CREATED_AT:
        op.alter_column(table, 'created_at', server_default=None)
    for table in BACKFILL:
        op.drop_column(table, 'doc')
