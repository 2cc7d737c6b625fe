"""reception's tables (its own database). Replicas hold what reception learns from other services' events."""

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


class VehicleReplica(Base, TenantColumns, VehicleColumns, table=True):
    """Copy of crm's vehicle, from crm.customers events."""

    __tablename__ = "vehicle_replica"

    vehicle_id: str = Field(primary_key=True, max_length=64)
    source_event_id: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


def money_column(nullable: bool = False) -> Column:
    return Column(Numeric(14, 2), nullable=nullable)


def qty_column(nullable: bool = False) -> Column:
    return Column(Numeric(14, 3), nullable=nullable)


class StoreSettingsRow(Base, table=True):
    """A store's labour rate, VAT rate, comeback window and service interval; defaults from config."""

    __tablename__ = "store_settings"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(primary_key=True, max_length=64)
    labour_rate: Decimal = Field(sa_column=money_column())
    tax_rate: Decimal = Field(sa_column=Column(Numeric(6, 4), nullable=False))
    comeback_days: int
    service_interval_months: int
    service_interval_km: int
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class StoreSequenceRow(Base, table=True):
    """Per-store number sequences: repair order numbers, invoice numbers."""

    __tablename__ = "store_sequences"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=32)
    last_value: int = 0


class LabourOperationReplica(Base, table=True):
    """Operation codes (canned jobs) from workshop.catalogue."""

    __tablename__ = "labour_operation_replica"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(primary_key=True, max_length=64)
    operation_code: str = Field(primary_key=True, max_length=40)
    description: str = Field(max_length=500)
    flat_rate_hours: Decimal = Field(sa_column=Column(Numeric(8, 2), nullable=False))
    skill: str = Field(max_length=40)
    default_pay_type: str = Field(max_length=16)
    parts_kit: list = Field(sa_column=Column(JSONB, nullable=False))
    source_event_id: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class PartReplica(Base, table=True):
    """Stock level and retail price of a part at a store, from parts.stock."""

    __tablename__ = "part_replica"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(primary_key=True, max_length=64)
    part_no: str = Field(primary_key=True, max_length=40)
    description: str | None = Field(default=None, max_length=500)
    on_hand: Decimal | None = Field(default=None, sa_column=qty_column(True))
    reserved: Decimal | None = Field(default=None, sa_column=qty_column(True))
    available: Decimal | None = Field(default=None, sa_column=qty_column(True))
    on_order: Decimal | None = Field(default=None, sa_column=qty_column(True))
    retail_price: Decimal | None = Field(default=None, sa_column=money_column(True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class WorkshopCapacityReplica(Base, table=True):
    """A day's workshop capacity at a store, from workshop.catalogue."""

    __tablename__ = "workshop_capacity_replica"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    bays: int
    technician_hours: Decimal = Field(sa_column=Column(Numeric(8, 2), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class AppointmentRow(Base, TenantColumns, table=True):
    """A booking; `doc` holds the aggregate, the columns what lists and capacity checks query."""

    __tablename__ = "appointments"

    id: str = Field(primary_key=True, max_length=64)
    vehicle_id: str = Field(index=True, max_length=64)
    state: str = Field(index=True, max_length=20)
    slot_start: datetime = Field(sa_column=tz_column(index=True))
    slot_end: datetime = Field(sa_column=tz_column())
    labour_hours: Decimal = Field(sa_column=Column(Numeric(8, 2), nullable=False))
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class RepairOrderRow(Base, TenantColumns, table=True):
    """A repair order; `doc` holds the aggregate, the columns what queries need."""

    __tablename__ = "repair_orders"

    id: str = Field(primary_key=True, max_length=64)
    number: str | None = Field(default=None, max_length=40)
    vehicle_id: str = Field(index=True, max_length=64)
    state: str = Field(index=True, max_length=20)
    open_hours: Decimal = Field(sa_column=Column(Numeric(8, 2), nullable=False))
    invoice_number: str | None = Field(default=None, max_length=40, unique=True)
    delivered_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    opened_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True, index=True))
    invoiced_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True, index=True))
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))
