"""reception's tables (its own database). Replicas hold what reception learns from other services' events."""

from __future__ import annotations

from datetime import date, datetime

from shared.db import TenantColumns, new_registry, tz_column, utcnow
from sqlalchemy import Column, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


class CustomerReplica(Base, TenantColumns, table=True):
    """Copy of crm's customer, from crm.customers events. crm stays the system of record."""

    __tablename__ = "customer_replica"

    customer_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    phones: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    contact_window: str | None = Field(default=None, max_length=100)
    consent_to_call: bool = True
    source_event_id: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class VehicleReplica(Base, TenantColumns, table=True):
    """Copy of crm's vehicle, from crm.customers events."""

    __tablename__ = "vehicle_replica"

    vehicle_id: str = Field(primary_key=True, max_length=64)
    vin: str = Field(sa_column=Column(String(17), nullable=False, index=True))
    plate: str | None = Field(default=None, max_length=20, index=True)
    model: str | None = Field(default=None, max_length=100)
    owner_customer_id: str = Field(index=True, max_length=64)
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = None
    warranty_km: int | None = None
    odometer_km: int | None = None
    insurance_expiry: date | None = None
    warranty_prewarning: bool = False
    source_event_id: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
