"""crm.customers, crm.follow-ups, crm.complaints: crm is the system of record for customers and vehicles."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from .base import DomainEvent, event

CUSTOMERS = "crm.customers"
FOLLOW_UPS = "crm.follow-ups"
COMPLAINTS = "crm.complaints"


class CustomerKind(StrEnum):
    """Whether a customer is a private person or a company."""

    PERSON = "person"
    COMPANY = "company"


class _CustomerSnapshot(DomainEvent):
    """A customer's whole record as crm keeps it: the payload of CustomerRegistered and CustomerUpdated."""

    customer_id: str
    kind: CustomerKind
    name: str
    phones: list[str]
    home_store_id: str
    contact_window: str | None = None
    consent_to_call: bool = True


@event(CUSTOMERS, "CustomerRegistered", 1, aggregate="customer", key="customer_id")
class CustomerRegistered(_CustomerSnapshot):
    """A customer's record was created (first visit or by customer care).

    crm is the system of record; reception and claims keep a copy.
    """


@event(CUSTOMERS, "CustomerUpdated", 1, aggregate="customer", key="customer_id")
class CustomerUpdated(_CustomerSnapshot):
    """A customer's record changed; the payload is the whole new record.

    Readers replace their copy.
    """


class VehicleFacts(BaseModel):
    """What a vehicle's record says, as crm (its system of record) keeps it: written once here, and
    taken by the events that carry it, crm's aggregate and the views that show it."""

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


class _VehicleSnapshot(DomainEvent, VehicleFacts):
    """A vehicle's whole record as crm keeps it: the payload of VehicleRegistered and VehicleUpdated."""

    vehicle_id: str


@event(CUSTOMERS, "VehicleRegistered", 1, aggregate="vehicle", key="vehicle_id")
class VehicleRegistered(_VehicleSnapshot):
    """A vehicle's record was created.

    It carries the owner, sale date, warranty terms and insurance expiry; reception and claims keep a copy.
    """


@event(CUSTOMERS, "VehicleUpdated", 1, aggregate="vehicle", key="vehicle_id")
class VehicleUpdated(_VehicleSnapshot):
    """A vehicle's record changed (owner, plate, odometer, terms); the payload is the whole new record.

    Readers replace their copy.
    """


@event(CUSTOMERS, "WalkInMatched", 1, aggregate="customer", key="customer_id")
class WalkInMatched(DomainEvent):
    """A walk-in reception recorded (WalkInCustomerRecorded) was a customer or a vehicle crm already had.

    crm keeps its records and takes reception's ids as aliases of them; reception names crm's records on the
    repair order from now on and drops the copies it made under its own ids. Published only when a record was
    kept (a new customer with a new car keeps reception's ids).
    """

    repair_order_id: str
    customer_id: str = Field(description="crm's record of the customer (kept, or reception's id when new)")
    walk_in_customer_id: str = Field(description="The id reception gave the customer at the check-in")
    vehicle_id: str = Field(description="crm's record of the vehicle (kept, or reception's id when new)")
    walk_in_vehicle_id: str = Field(description="The id reception gave the vehicle at the check-in")


@event(FOLLOW_UPS, "FollowUpScheduled", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpScheduled(DomainEvent):
    """A follow-up call (回访) was planned after a delivery.

    crm plans one for every delivered repair order, due 1-3 days after pickup; customer care works its call list
    from it.
    """

    follow_up_id: str
    repair_order_id: str
    customer_id: str
    vehicle_id: str
    advisor_id: str | None = None
    due_from: datetime
    due_to: datetime


@event(FOLLOW_UPS, "FollowUpAttempted", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpAttempted(DomainEvent):
    """Published by crm for each follow-up call (回访) made, with its outcome.

    After no answer it says when to try again, in another call window; reports count the attempts.
    """

    follow_up_id: str
    attempt_no: int
    outcome: str
    called_at: datetime
    next_attempt_at: datetime | None = None


@event(FOLLOW_UPS, "FollowUpCompleted", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpCompleted(DomainEvent):
    """Published by crm when a follow-up call (回访) reaches the customer.

    It carries satisfaction, comments, any complaint opened and the next service date; reports use it for
    satisfaction and the follow-up success rate.
    """

    follow_up_id: str
    repair_order_id: str
    satisfaction: int = Field(ge=1, le=5)
    answers: dict[str, int] = Field(default_factory=dict)
    comments: str | None = None
    complaint_id: str | None = None
    next_service_date: date | None = None


@event(FOLLOW_UPS, "FollowUpFailed", 1, aggregate="follow_up", key="follow_up_id")
class FollowUpFailed(DomainEvent):
    """A follow-up call (回访) failed; it goes back to the advisor to correct the customer's details.

    It fails only for a wrong number, details not matching the record, a refusal, or no answer after 3 or more
    calls; once corrected it is tried again.
    """

    follow_up_id: str
    repair_order_id: str
    customer_id: str
    advisor_id: str | None = None
    reason: str
    attempts: int


@event(COMPLAINTS, "ComplaintOpened", 1, aggregate="complaint", key="complaint_id")
class ComplaintOpened(DomainEvent):
    """A complaint ticket (工联单) was opened.

    It carries the channel, severity and summary, and the follow-up call it came from if any; the general
    manager assigns it.
    """

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
    """Published by crm when a complaint ticket (工联单) is assigned to a department with a deadline.

    Readers track it against the deadline.
    """

    complaint_id: str
    department: str
    deadline: datetime
    assigned_by: str


@event(COMPLAINTS, "ComplaintResolved", 1, aggregate="complaint", key="complaint_id")
class ComplaintResolved(DomainEvent):
    """Published by crm when the remedy agreed for a complaint ticket (工联单) is carried out.

    The ticket waits for the customer's confirmation to close.
    """

    complaint_id: str
    remedy: str


@event(COMPLAINTS, "ComplaintClosed", 1, aggregate="complaint", key="complaint_id")
class ComplaintClosed(DomainEvent):
    """Published by crm when the customer confirms a complaint ticket (工联单) is resolved.

    Only the customer's confirmation closes it; reports count it as resolved.
    """

    complaint_id: str
    confirmed_by_customer_at: datetime


@event(COMPLAINTS, "ComplaintReopened", 1, aggregate="complaint", key="complaint_id")
class ComplaintReopened(DomainEvent):
    """Published by crm when a resolved or closed complaint ticket (工联单) is reopened.

    It carries the reason; the ticket is assigned again.
    """

    complaint_id: str
    reason: str
