"""insurance claims: the repair order as a column, for a repair order's status (its accident car's claim)

Revision ID: 5c1e7a9d2b40
Revises: 3a842b148a43
Create Date: 2026-11-26 19:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c1e7a9d2b40'
down_revision: str | None = '3a842b148a43'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("insurance_claims", sa.Column("repair_order_id", sa.String(length=64), nullable=True))
    op.execute("UPDATE insurance_claims SET repair_order_id = doc->>'repair_order_id'")  # claims already there
    op.create_index("ix_insurance_claims_repair_order_id", "insurance_claims", ["repair_order_id"])


def downgrade() -> None:
    op.drop_index("ix_insurance_claims_repair_order_id", table_name="insurance_claims")
    op.drop_column("insurance_claims", "repair_order_id")
