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
    """A booking (预约) was made for a vehicle, a slot and requested jobs."""

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
    appointment_id: str
    slot_start: datetime
    slot_end: datetime
    previous_slot_start: datetime


@event(APPOINTMENTS, "AppointmentConfirmed", 1, aggregate="appointment", key="appointment_id")
class AppointmentConfirmed(DomainEvent):
    appointment_id: str
    confirmed_with: str


@event(APPOINTMENTS, "AppointmentCancelled", 1, aggregate="appointment", key="appointment_id")
class AppointmentCancelled(DomainEvent):
    appointment_id: str
    reason: str


@event(APPOINTMENTS, "AppointmentNoShow", 1, aggregate="appointment", key="appointment_id")
class AppointmentNoShow(DomainEvent):
    appointment_id: str


@event(REPAIR_ORDERS, "VehicleCheckedIn", 1, aggregate="repair_order", key="repair_order_id")
class VehicleCheckedIn(DomainEvent):
    """The vehicle was received and walked round (接车 / 环车检查)."""

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
    """The customer signed the repair order (任务委托书)."""

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
    """The customer approved added work (增项); a new estimate version."""

    repair_order_id: str
    finding_id: str
    job: RepairJob
    estimate_version: int


@event(REPAIR_ORDERS, "AdditionalWorkDeclined", 1, aggregate="repair_order", key="repair_order_id")
class AdditionalWorkDeclined(DomainEvent):
    repair_order_id: str
    finding_id: str
    description: str
    safety_related: bool
    declined_signature_ref: str | None = None


@event(REPAIR_ORDERS, "RepairOrderInvoiced", 1, aggregate="repair_order", key="repair_order_id")
class RepairOrderInvoiced(DomainEvent):
    """Settlement (结算) done: the invoice is issued."""

    repair_order_id: str
    invoice_number: str
    totals_by_pay_type: dict[str, Decimal]
    tax: Decimal
    customer_total: Decimal


@event(REPAIR_ORDERS, "VehicleDelivered", 1, aggregate="repair_order", key="repair_order_id")
class VehicleDelivered(DomainEvent):
    """The customer took the vehicle back (交车)."""

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
    repair_order_id: str
    reason: str
