"""initial schema: the plumbing tables (outbox, inbox, idempotency keys)

Revision ID: 22e1de77d5ea
Revises:
Create Date: 2026-11-26 12:57:23
"""
from collections.abc import Sequence

from alembic import op
from shared.plumbing_tables import create_plumbing_tables, drop_plumbing_tables

revision: str = '22e1de77d5ea'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_plumbing_tables(op)


def downgrade() -> None:
    drop_plumbing_tables(op)
