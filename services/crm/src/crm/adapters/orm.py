"""crm's tables (its own database)."""

from __future__ import annotations

from datetime import date, datetime

from shared.db import TenantColumns, VehicleColumns, new_registry, tz_column, utcnow
from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


def doc_column() -> Column:
    """The aggregate, stored whole; the other columns of its table are projections for queries."""
    return Column(JSONB, nullable=False)


def created_at_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class CustomerRow(Base, TenantColumns, table=True):
    __tablename__ = "customers"

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    phones: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    contact_window: str | None = Field(default=None, max_length=100)
    consent_to_call: bool = True
    unreachable_since: date | None = None
    version: int = 1
    doc: dict = Field(sa_column=doc_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=created_at_column())
    created_by: str = Field(max_length=64)


class CustomerPhoneRow(Base, table=True):
    """One row per phone number in a dealer group: duplicate detection on phone."""

    __tablename__ = "customer_phones"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    phone: str = Field(primary_key=True, max_length=20)
    customer_id: str = Field(index=True, max_length=64)


class VehicleRow(Base, TenantColumns, VehicleColumns, table=True):
    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("dealer_group_id", "vin", name="uq_vehicles_group_vin"),)

    id: str = Field(primary_key=True, max_length=64)
    insurer: str | None = Field(default=None, max_length=100)
    insurance_policy_no: str | None = Field(default=None, max_length=64)
    version: int = 1
    doc: dict = Field(sa_column=doc_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=created_at_column())
    created_by: str = Field(max_length=64)


class OwnershipRow(Base, table=True):
    """Owner history: a vehicle can change hands; the old owner stays on record."""

    __tablename__ = "vehicle_ownerships"

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: str = Field(index=True, max_length=64)
    customer_id: str = Field(index=True, max_length=64)
    owned_from: datetime = Field(sa_column=tz_column())
    owned_to: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class AliasRow(Base, table=True):
    """An id another service used for a record crm already had (a walk-in's customer or vehicle
    whose phone or VIN was known): later events naming the alias resolve to the kept record."""

    __tablename__ = "record_aliases"

    dealer_group_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)  # customer / vehicle
    alias_id: str = Field(primary_key=True, max_length=64)
    kept_id: str = Field(max_length=64)


class OdometerReadingRow(Base, TenantColumns, table=True):
    """Odometer history (里程记录): the basis of mileage-based reminders."""

    __tablename__ = "odometer_readings"

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: str = Field(index=True, max_length=64)
    read_on: date
    km: int
    source: str = Field(max_length=32)  # registration, manual, delivery, walk-in
    recorded_at: datetime = Field(sa_column=tz_column())


class ServiceVisitRow(Base, TenantColumns, table=True):
    """A delivered repair order (a visit, 进厂台次), as crm learnt it from VehicleDelivered."""

    __tablename__ = "service_visits"

    repair_order_id: str = Field(primary_key=True, max_length=64)
    vehicle_id: str = Field(index=True, max_length=64)
    customer_id: str = Field(index=True, max_length=64)
    advisor_id: str | None = Field(default=None, max_length=64)
    delivered_at: datetime = Field(sa_column=tz_column(index=True))
    odometer_km: int | None = None
    next_service_date: date | None = None
    next_service_km: int | None = None
    declined_work: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))


class FollowUpRow(Base, TenantColumns, table=True):
    __tablename__ = "follow_ups"

    id: str = Field(primary_key=True, max_length=64)
    repair_order_id: str = Field(max_length=64, unique=True)  # one follow-up per delivery
    customer_id: str = Field(index=True, max_length=64)
    vehicle_id: str = Field(max_length=64)
    advisor_id: str | None = Field(default=None, max_length=64)
    delivered_at: datetime = Field(sa_column=tz_column(index=True))
    due_from: datetime = Field(sa_column=tz_column())
    due_to: datetime = Field(sa_column=tz_column())
    status: str = Field(max_length=16, index=True)
    round: int = 1
    attempts: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    failure_reason: str | None = Field(default=None, max_length=32)
    failed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    satisfaction: int | None = None
    answers: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    comments: str | None = Field(default=None, sa_column=Column(Text))
    complaint_id: str | None = Field(default=None, max_length=64)
    next_service_date: date | None = None
    completed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    version: int = 1
    doc: dict = Field(sa_column=doc_column())


class ComplaintRow(Base, TenantColumns, table=True):
    """A complaint ticket (工联单)."""

    __tablename__ = "complaints"

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(index=True, max_length=64)
    vehicle_id: str | None = Field(default=None, max_length=64)
    repair_order_id: str | None = Field(default=None, max_length=64)
    follow_up_id: str | None = Field(default=None, max_length=64)
    channel: str = Field(max_length=32)
    severity: str = Field(max_length=16)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16, index=True)
    opened_at: datetime = Field(sa_column=tz_column(index=True))
    department: str | None = Field(default=None, max_length=100)
    deadline: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    assigned_by: str | None = Field(default=None, max_length=64)
    remedy: str | None = Field(default=None, sa_column=Column(Text))
    resolved_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    history: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    version: int = 1
    doc: dict = Field(sa_column=doc_column())


class CallTaskRow(Base, TenantColumns, table=True):
    """A call for a customer-care agent: a reminder, a lapsed customer, a return call, declined work."""

    __tablename__ = "call_tasks"
    __table_args__ = (
        UniqueConstraint("dealer_group_id", "dedupe_key", name="uq_call_tasks_group_key"),
        Index("ix_call_tasks_open_due", "dealer_group_id", "status", "due_on"),
    )

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)
    customer_id: str = Field(index=True, max_length=64)
    vehicle_id: str | None = Field(default=None, max_length=64)
    due_on: date
    detail: str = Field(sa_column=Column(Text, nullable=False))
    dedupe_key: str = Field(max_length=200)
    status: str = Field(default="open", max_length=16)  # open / done / cancelled
    outcome: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    note: str | None = Field(default=None, sa_column=Column(Text))
    returned_repair_order_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=created_at_column())
    done_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    done_by: str | None = Field(default=None, max_length=64)
    version: int = 1
    doc: dict = Field(sa_column=doc_column())
