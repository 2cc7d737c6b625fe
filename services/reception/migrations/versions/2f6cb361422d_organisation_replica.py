"""organisation replica: the dealer group's stores and the revocations, as the gateway publishes them

Revision ID: 2f6cb361422d
Revises: a3c5e7f9b1d2
Create Date: 2026-11-26 15:40:00
"""
from collections.abc import Sequence

from alembic import op
from shared.plumbing_tables import create_organisation_tables, drop_organisation_tables

revision: str = '2f6cb361422d'
down_revision: str | None = 'a3c5e7f9b1d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_organisation_tables(op)


def downgrade() -> None:
    drop_organisation_tables(op)
