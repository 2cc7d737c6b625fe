"""parts's tables (its own database). An aggregate's table: id, tenant columns, version, `doc`
(JSONB, the aggregate whole) and the columns its queries filter by."""

from __future__ import annotations

from shared.db import TenantColumns, new_registry
from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


class PartRow(Base, TenantColumns, table=True):
    """A part and its stock card (the ledger is in `doc`)."""

    __tablename__ = "parts"
    id: str = Field(primary_key=True, max_length=120)
    part_no: str = Field(index=True, max_length=40)
    bin_id: str = Field(index=True, max_length=120)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class BinRow(Base, TenantColumns, table=True):
    __tablename__ = "bins"
    id: str = Field(primary_key=True, max_length=120)
    code: str = Field(max_length=50)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class SupplierRow(Base, TenantColumns, table=True):
    __tablename__ = "suppliers"
    id: str = Field(primary_key=True, max_length=64)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class RepairOrderCopyRow(Base, TenantColumns, table=True):
    """What parts keeps of reception's repair orders (open or closed, jobs, issued and returned)."""

    __tablename__ = "repair_order_copies"
    id: str = Field(primary_key=True, max_length=64)
    open: bool = Field(index=True)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class DemandRow(Base, TenantColumns, table=True):
    __tablename__ = "demands"
    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(index=True, max_length=16)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class IssueSlipRow(Base, TenantColumns, table=True):
    __tablename__ = "issue_slips"
    id: str = Field(primary_key=True, max_length=64)
    repair_order_id: str = Field(index=True, max_length=64)
    state: str = Field(index=True, max_length=16)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class StockCountRow(Base, TenantColumns, table=True):
    __tablename__ = "stock_counts"
    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(index=True, max_length=16)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class WriteOffRow(Base, TenantColumns, table=True):
    __tablename__ = "write_offs"
    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(index=True, max_length=16)
    quarter: str = Field(index=True, max_length=8)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class PurchasePlanRow(Base, TenantColumns, table=True):
    __tablename__ = "purchase_plans"
    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(index=True, max_length=16)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class PurchaseOrderRow(Base, TenantColumns, table=True):
    __tablename__ = "purchase_orders"
    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(index=True, max_length=16)
    supplier_id: str = Field(index=True, max_length=64)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class ReceiptRow(Base, TenantColumns, table=True):
    __tablename__ = "receipts"
    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(index=True, max_length=16)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))
