"""crm's tables (its own database)."""

from __future__ import annotations

from datetime import date, datetime

from shared.db import TenantColumns, new_registry, tz_column, utcnow
from sqlalchemy import Column, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


class CustomerRow(Base, TenantColumns, table=True):
    __tablename__ = "customers"

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    phones: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    contact_window: str | None = Field(default=None, max_length=100)
    consent_to_call: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    created_by: str = Field(max_length=64)


class CustomerPhoneRow(Base, table=True):
    """One row per phone number in a dealer group: duplicate detection on phone."""

    __tablename__ = "customer_phones"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    phone: str = Field(primary_key=True, max_length=20)
    customer_id: str = Field(index=True, max_length=64)


class VehicleRow(Base, TenantColumns, table=True):
    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("dealer_group_id", "vin", name="uq_vehicles_group_vin"),)

    id: str = Field(primary_key=True, max_length=64)
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
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    created_by: str = Field(max_length=64)


class OwnershipRow(Base, table=True):
    """Owner history: a vehicle can change hands; the old owner stays on record."""

    __tablename__ = "vehicle_ownerships"

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: str = Field(index=True, max_length=64)
    customer_id: str = Field(index=True, max_length=64)
    owned_from: datetime = Field(sa_column=tz_column())
    owned_to: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
