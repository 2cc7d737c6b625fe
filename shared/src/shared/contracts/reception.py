"""reception.appointments and reception.repair-orders: bookings, check-ins, repair orders, invoices, deliveries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from .base import DomainEvent, event
from .common import PartLine, RepairJob, RequestedJob

APPOINTMENTS = "reception.appointments"
REPAIR_ORDERS = "reception.repair-orders"


@event(APPOINTMENTS, "AppointmentBooked", 1, aggregate="appointment", key="appointment_id")
class AppointmentBooked(DomainEvent):
    """A booking (预约) was made for a vehicle, a slot and requested jobs.

    Published by reception; parts picks the parts onto the reserved shelf and workshop plans the slot. A booking
    with a warranty pre-warning follows the warranty path.
    """

    appointment_id: str
    vehicle_id: str
    customer_id: str
    slot_start: datetime
    slot_end: datetime
    jobs: list[RequestedJob]
    parts: list[PartLine] = Field(default_factory=list)
    warranty_path: bool = False
    estimated_total: Decimal | None = None


@event(APPOINTMENTS, "AppointmentRescheduled", 1, aggregate="appointment", key="appointment_id")
class AppointmentRescheduled(DomainEvent):
    """Published by reception when a booking moves to another slot.

    Readers move what they hold for it to the new time; earlier confirmations lapse and are given again.
    """

    appointment_id: str
    slot_start: datetime
    slot_end: datetime
    previous_slot_start: datetime


@event(APPOINTMENTS, "AppointmentConfirmed", 1, aggregate="appointment", key="appointment_id")
class AppointmentConfirmed(DomainEvent):
    """Published by reception when a booking is confirmed with one party.

    The party is workshop, parts or claims (the day before) or the customer (before the slot); readers see which
    confirmations are still missing.
    """

    appointment_id: str
    confirmed_with: str


@event(APPOINTMENTS, "AppointmentCancelled", 1, aggregate="appointment", key="appointment_id")
class AppointmentCancelled(DomainEvent):
    """Published by reception when a booking is cancelled, with the reason.

    Readers release what they reserved for it: parts on the reserved shelf, the bay and technician slot.
    """

    appointment_id: str
    reason: str


@event(APPOINTMENTS, "AppointmentNoShow", 1, aggregate="appointment", key="appointment_id")
class AppointmentNoShow(DomainEvent):
    """Published by reception when the customer did not come for a booked slot.

    Readers release what they reserved for it.
    """

    appointment_id: str


@event(REPAIR_ORDERS, "VehicleCheckedIn", 1, aggregate="repair_order", key="repair_order_id")
class VehicleCheckedIn(DomainEvent):
    """The vehicle was received and walked round (接车 / 环车检查).

    Published by reception with the odometer and fuel level, linked to the booking if there was one; it starts
    the repair order.
    """

    repair_order_id: str
    vehicle_id: str
    customer_id: str
    odometer_km: int = Field(ge=0)
    fuel_level: Decimal | None = None
    appointment_id: str | None = None


@event(REPAIR_ORDERS, "WalkInCustomerRecorded", 1, aggregate="repair_order", key="repair_order_id")
class WalkInCustomerRecorded(DomainEvent):
    """First visit: the advisor captured a customer and vehicle crm does not know yet.

    reception picks the ids so it can use them at once; crm (the system of record) registers
    them from this event — or, when the VIN or a phone is already known, links to what it has
    and publishes the record it kept (CustomerUpdated / VehicleUpdated).
    """

    repair_order_id: str
    customer_id: str
    customer_kind: str = "person"
    customer_name: str
    phones: list[str]
    vehicle_id: str
    vin: str = Field(min_length=17, max_length=17)
    plate: str | None = None
    model: str | None = None
    odometer_km: int | None = Field(default=None, ge=0)


@event(REPAIR_ORDERS, "RepairOrderOpened", 1, aggregate="repair_order", key="repair_order_id")
class RepairOrderOpened(DomainEvent):
    """The customer signed the repair order (任务委托书).

    It carries the jobs with their pay types and the promised time; workshop dispatches the jobs, parts issues
    their parts, and warranty jobs lead to warranty claims.
    """

    repair_order_id: str
    number: str
    vehicle_id: str
    customer_id: str
    advisor_id: str
    promised_at: datetime
    jobs: list[RepairJob]
    wash: bool = False
    transport: str = "waits"
    comeback_of: str | None = None


@event(REPAIR_ORDERS, "AdditionalWorkApproved", 1, aggregate="repair_order", key="repair_order_id")
class AdditionalWorkApproved(DomainEvent):
    """The customer approved added work (增项); a new estimate version.

    Readers add the job to the repair order's plan.
    """

    repair_order_id: str
    finding_id: str
    job: RepairJob
    estimate_version: int


@event(REPAIR_ORDERS, "AdditionalWorkDeclined", 1, aggregate="repair_order", key="repair_order_id")
class AdditionalWorkDeclined(DomainEvent):
    """Published by reception when the customer declines added work (增项).

    A declined safety-related item carries the customer's signed refusal; the item is listed on the delivery so
    crm can offer it again.
    """

    repair_order_id: str
    finding_id: str
    description: str
    safety_related: bool
    declined_signature_ref: str | None = None


@event(REPAIR_ORDERS, "RepairOrderInvoiced", 1, aggregate="repair_order", key="repair_order_id")
class RepairOrderInvoiced(DomainEvent):
    """Settlement (结算) done: the invoice is issued.

    Published by reception once the internal delivery check passes, with totals by pay type, tax and the
    customer's total; reports take revenue from it.
    """

    repair_order_id: str
    invoice_number: str
    totals_by_pay_type: dict[str, Decimal]
    tax: Decimal
    customer_total: Decimal


@event(REPAIR_ORDERS, "VehicleDelivered", 1, aggregate="repair_order", key="repair_order_id")
class VehicleDelivered(DomainEvent):
    """The customer took the vehicle back (交车).

    It carries the next service date and mileage and any declined work; crm records the visit, schedules the
    follow-up call and turns declined work into a reminder.
    """

    repair_order_id: str
    vehicle_id: str
    customer_id: str
    advisor_id: str
    odometer_km: int | None = None
    next_service_date: date | None = None
    next_service_km: int | None = None
    declined_work: list[str] = Field(default_factory=list)


@event(REPAIR_ORDERS, "RepairOrderCancelled", 1, aggregate="repair_order", key="repair_order_id")
class RepairOrderCancelled(DomainEvent):
    """Published by reception when a repair order is cancelled before settlement, with the reason.

    Any issued parts were returned first; readers stop work and release what they hold for it.
    """

    repair_order_id: str
    reason: str
