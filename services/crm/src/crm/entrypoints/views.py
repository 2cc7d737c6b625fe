"""What crm answers: the public shape of its records, built from the aggregates.

Instants are answered in UTC, as the database gives them back, whatever offset they were computed in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel
from shared.contracts.crm import VehicleFacts
from shared.kit import UnitOfWork

from ..adapters.orm import OdometerReadingRow, OwnershipRow
from ..domain.call_task import CallTask
from ..domain.complaint import Complaint
from ..domain.follow_up import FollowUp
from ..domain.model import Customer, Vehicle

Instant = Annotated[datetime, AfterValidator(lambda d: d.astimezone(UTC))]


class View(BaseModel):
    @classmethod
    def of(cls, agg: BaseModel, **extra: Any):
        return cls.model_validate({**agg.model_dump(), **extra})


# -- customers and vehicles ------------------------------------------------------------------
class CustomerPublic(View):
    id: str
    dealer_group_id: str
    store_id: str
    kind: str
    name: str
    phones: list[str]
    contact_window: str | None
    consent_to_call: bool
    unreachable_since: date | None = None
    version: int


class VehiclePublic(View, VehicleFacts):
    id: str
    dealer_group_id: str
    store_id: str
    insurer: str | None
    insurance_policy_no: str | None
    version: int


class OwnershipPublic(BaseModel):
    customer_id: str
    owned_from: Instant
    owned_to: Instant | None


class OdometerReadingPublic(BaseModel):
    read_on: date
    km: int
    source: str


def customer(uow: UnitOfWork, c: Customer) -> CustomerPublic:
    return CustomerPublic.of(c, kind=c.customer_kind)


def vehicle(uow: UnitOfWork, v: Vehicle) -> VehiclePublic:
    return VehiclePublic.of(v)


def ownership(row: OwnershipRow) -> OwnershipPublic:
    return OwnershipPublic.model_validate(row, from_attributes=True)


def odometer_reading(row: OdometerReadingRow) -> OdometerReadingPublic:
    return OdometerReadingPublic.model_validate(row, from_attributes=True)


# -- customer care ---------------------------------------------------------------------------
class FollowUpPublic(View):
    id: str
    store_id: str
    repair_order_id: str
    customer_id: str
    vehicle_id: str
    advisor_id: str | None
    delivered_at: Instant
    due_from: Instant
    due_to: Instant
    status: str
    round: int
    attempts: list[dict[str, Any]]
    failure_reason: str | None
    satisfaction: int | None
    answers: dict[str, int]
    comments: str | None
    complaint_id: str | None
    next_service_date: date | None
    completed_at: Instant | None
    version: int


class ComplaintPublic(View):
    id: str
    store_id: str
    customer_id: str
    vehicle_id: str | None
    repair_order_id: str | None
    follow_up_id: str | None
    channel: str
    severity: str
    summary: str
    status: str
    opened_at: Instant
    department: str | None
    deadline: Instant | None
    assigned_by: str | None
    remedy: str | None
    resolved_at: Instant | None
    closed_at: Instant | None
    history: list[dict[str, Any]]
    version: int
    overdue: bool = False


class CallTaskPublic(View):
    id: str
    store_id: str
    kind: str
    customer_id: str
    vehicle_id: str | None
    due_on: date
    detail: str
    status: str
    outcome: str | None
    reason: str | None
    note: str | None
    returned_repair_order_id: str | None
    version: int


def follow_up(uow: UnitOfWork, f: FollowUp) -> FollowUpPublic:
    return FollowUpPublic.of(f, attempts=[a.model_dump(mode="json") for a in f.attempts])


def complaint(uow: UnitOfWork, c: Complaint) -> ComplaintPublic:
    return ComplaintPublic.of(c, history=[h.model_dump(mode="json") for h in c.history],
                              overdue=c.is_overdue(uow.now()))


def call_task(uow: UnitOfWork, t: CallTask) -> CallTaskPublic:
    return CallTaskPublic.of(t, kind=t.task_kind)
