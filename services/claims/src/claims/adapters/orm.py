"""claims's tables (its own database). An aggregate's table: id, tenant columns, version, `doc`
(JSONB, the aggregate whole) and the columns its queries filter by. Replicas hold what claims learns
from other services' events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from shared.db import TenantColumns, VehicleColumns, new_registry, tz_column, utcnow
from sqlalchemy import Column, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


class VehicleReplica(Base, TenantColumns, VehicleColumns, table=True):
    """Copy of crm's vehicle (sale date, warranty terms), from crm.customers events: eligibility reads it."""

    __tablename__ = "vehicle_replica"

    vehicle_id: str = Field(primary_key=True, max_length=64)
    source_event_id: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class RepairOrderReplica(Base, TenantColumns, table=True):
    """What claims needs of a repair order: its number, vehicle and odometer at check-in."""

    __tablename__ = "repair_order_replica"

    repair_order_id: str = Field(primary_key=True, max_length=64)
    number: str | None = Field(default=None, max_length=40)
    vehicle_id: str = Field(max_length=64)
    odometer_km: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class WarrantyClaimRow(Base, TenantColumns, table=True):
    __tablename__ = "warranty_claims"

    id: str = Field(primary_key=True, max_length=64)
    claim_number: str = Field(unique=True, max_length=64)
    repair_order_id: str = Field(index=True, max_length=64)
    state: str = Field(index=True, max_length=32)
    outstanding: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    return_parts_by: date | None = None
    parts_shipped: bool = False
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class InsuranceClaimRow(Base, TenantColumns, table=True):
    __tablename__ = "insurance_claims"

    id: str = Field(primary_key=True, max_length=64)
    vehicle_id: str = Field(index=True, max_length=64)
    repair_order_id: str | None = Field(default=None, index=True, max_length=64)
    insurer: str = Field(index=True, max_length=100)
    state: str = Field(index=True, max_length=32)
    outstanding: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    policy_expiry: date | None = Field(default=None, index=True)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))
