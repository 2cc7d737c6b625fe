"""crm.customers, crm.follow-ups, crm.complaints: crm is the system of record for customers and vehicles."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from .base import DomainEvent, event

CUSTOMERS = "crm.customers"
FOLLOW_UPS = "crm.follow-ups"
COMPLAINTS = "crm.complaints"


class CustomerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class _CustomerSnapshot(DomainEvent):
    customer_id: str
    kind: CustomerKind
    name: str
    phones: list[str]
    home_store_id: str
    contact_window: str | None = None
    consent_to_call: bool = True


@event(CUSTOMERS, "CustomerRegistered", 1, aggregate="customer", key="customer_id")
class CustomerRegistered(_CustomerSnapshot):
    """A customer's record was created (first visit or by customer care)."""


@event(CUSTOMERS, "CustomerUpdated", 1, aggregate="customer", key="customer_id")
class CustomerUpdated(_CustomerSnapshot):
    """A customer's record changed; the payload is the whole new record."""


class _VehicleSnapshot(DomainEvent):
    vehicle_id: str
    vin: str = Field(min_length=17, max_length=17)
    plate: str | None = None
    model: str | None = None
    owner_customer_id: str
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = None
    warranty_km: int | None = None
    odometer_km: int | None = None
    insurance_expiry: date | None = None
    warranty_prewarning: bool = False


@event(CUSTOMERS, "VehicleRegistered", 1, aggregate="vehicle", key="vehicle_id")
class VehicleRegistered(_VehicleSnapshot):
    """A vehicle's record was created."""


@event(CUSTOMERS, "VehicleUpdated", 1, aggregate="vehicle", key="vehicle_id")
class VehicleUpdated(_VehicleSnapshot):
    """A vehicle's record changed (owner, plate, odometer, terms); the payload is the whole new record."""


@event(FOLLOW_UPS, "FollowUpScheduled", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpScheduled(DomainEvent):
    """A follow-up call (回访) was planned after a delivery."""

    follow_up_id: str
    repair_order_id: str
    customer_id: str
    vehicle_id: str
    advisor_id: str | None = None
    due_from: datetime
    due_to: datetime


@event(FOLLOW_UPS, "FollowUpAttempted", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpAttempted(DomainEvent):
    follow_up_id: str
    attempt_no: int
    outcome: str
    called_at: datetime
    next_attempt_at: datetime | None = None


@event(FOLLOW_UPS, "FollowUpCompleted", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpCompleted(DomainEvent):
    follow_up_id: str
    repair_order_id: str
    satisfaction: int = Field(ge=1, le=5)
    answers: dict[str, int] = Field(default_factory=dict)
    comments: str | None = None
    complaint_id: str | None = None
    next_service_date: date | None = None


@event(FOLLOW_UPS, "FollowUpFailed", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpFailed(DomainEvent):
    """A follow-up failed; it goes back to the advisor to correct the customer's details."""

    follow_up_id: str
    repair_order_id: str
    customer_id: str
    advisor_id: str | None = None
    reason: str
    attempts: int


@event(COMPLAINTS, "ComplaintOpened", 1, aggregate="complaint", key="complaint_id")
class ComplaintOpened(DomainEvent):
    """A complaint ticket (工联单) was opened."""

    complaint_id: str
    customer_id: str
    vehicle_id: str | None = None
    repair_order_id: str | None = None
    follow_up_id: str | None = None
    channel: str
    severity: str
    summary: str


@event(COMPLAINTS, "ComplaintAssigned", 1, aggregate="complaint", key="complaint_id")
class ComplaintAssigned(DomainEvent):
    complaint_id: str
    department: str
    deadline: datetime
    assigned_by: str


@event(COMPLAINTS, "ComplaintResolved", 1, aggregate="complaint", key="complaint_id")
class ComplaintResolved(DomainEvent):
    complaint_id: str
    remedy: str


@event(COMPLAINTS, "ComplaintClosed", 1, aggregate="complaint", key="complaint_id")
class ComplaintClosed(DomainEvent):
    complaint_id: str
    confirmed_by_customer_at: datetime


@event(COMPLAINTS, "ComplaintReopened", 1, aggregate="complaint", key="complaint_id")
class ComplaintReopened(DomainEvent):
    complaint_id: str
    reason: str
