"""audit trail: who changed which aggregate, when, with which command, and what changed

Revision ID: 6c6a972516ce
Revises: c7bbb11ef9b2
Create Date: 2026-11-26 13:20:00
"""
from collections.abc import Sequence

from alembic import op
from shared.plumbing_tables import create_audit_table, drop_audit_table

revision: str = '6c6a972516ce'
down_revision: str | None = 'c7bbb11ef9b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    drop_audit_table(op)
