"""workshop's tables (its own database). An aggregate's table: id, tenant columns, version, `doc`
(JSONB, the aggregate whole) and the columns its queries filter by."""

from __future__ import annotations

from datetime import datetime

from shared.db import TenantColumns, new_registry, tz_column
from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


class ShopRow(Base, TenantColumns, table=True):
    """A store's workshop: teams, technicians, bays, shifts (one row per store)."""

    __tablename__ = "shops"

    id: str = Field(primary_key=True, max_length=140)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class LabourOperationRow(Base, TenantColumns, table=True):
    """An operation code of a store."""

    __tablename__ = "labour_operations"

    id: str = Field(primary_key=True, max_length=200)
    operation_code: str = Field(index=True, max_length=40)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class WorkOrderRow(Base, TenantColumns, table=True):
    """The workshop's side of a repair order; `state` and `promised_at` for the board."""

    __tablename__ = "work_orders"

    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(index=True, max_length=20)
    promised_at: datetime = Field(sa_column=tz_column())
    last_checked_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True, index=True))
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))
