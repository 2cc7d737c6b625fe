"""initial schema: the plumbing tables (outbox, inbox, idempotency keys)

Revision ID: b8216f62dee1
Revises:
Create Date: 2026-11-26 12:57:21
"""
from collections.abc import Sequence

from alembic import op
from shared.plumbing_tables import create_plumbing_tables, drop_plumbing_tables

revision: str = 'b8216f62dee1'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_plumbing_tables(op)


def downgrade() -> None:
    drop_plumbing_tables(op)
