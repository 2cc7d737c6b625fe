"""organisation replica: the dealer group's stores and the revocations, as the gateway publishes them

Revision ID: ff38734744a8
Revises: d52f8a1c3e64
Create Date: 2026-11-26 15:40:00
"""
from collections.abc import Sequence

from alembic import op
from shared.plumbing_tables import create_organisation_tables, drop_organisation_tables

revision: str = 'ff38734744a8'
down_revision: str | None = 'd52f8a1c3e64'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_organisation_tables(op)


def downgrade() -> None:
    drop_organisation_tables(op)
