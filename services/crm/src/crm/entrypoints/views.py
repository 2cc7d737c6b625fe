"""What crm answers: the public shape of its records, built from the aggregates.

Instants are answered in UTC, as the database gives them back, whatever offset they were computed in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field
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


class FollowUpToCall(FollowUpPublic):
    """A follow-up as the list shows it to customer care: with whom to call about which car (crm's records now;
    None when the record is gone, e.g. merged into another)."""

    customer_name: str | None = None
    phones: list[str] = []
    plate: str | None = None


def follow_ups_to_call(uow: UnitOfWork, found: list[FollowUp], customers: dict[str, Customer],
                       vehicles: dict[str, Vehicle]) -> list[FollowUpToCall]:
    out = []
    for f in found:
        c, v = customers.get(f.customer_id), vehicles.get(f.vehicle_id)
        out.append(FollowUpToCall(**follow_up(uow, f).model_dump(), customer_name=c.name if c else None,
                                  phones=list(c.phones) if c else [], plate=v.plate if v else None))
    return out


def complaint(uow: UnitOfWork, c: Complaint) -> ComplaintPublic:
    return ComplaintPublic.of(c, history=[h.model_dump(mode="json") for h in c.history],
                              overdue=c.is_overdue(uow.now()))


def call_task(uow: UnitOfWork, t: CallTask) -> CallTaskPublic:
    return CallTaskPublic.of(t, kind=t.task_kind)


# -- reminders and reports ---------------------------------------------------------------------
class CreatedTask(BaseModel):
    id: str
    kind: str
    vehicle_id: str | None
    customer_id: str
    due_on: date
    detail: str


class ReminderRunPublic(BaseModel):
    """What one run of the daily reminder job created (tasks already there are not created again)."""

    run_date: date = Field(alias="date")
    created: int
    tasks: list[CreatedTask]


class FollowUpFigures(BaseModel):
    scheduled: int
    reached: int
    failed: int
    pending: int
    success_rate: Decimal | None = Field(description="reached ÷ scheduled, 4 places; none without follow-ups")
    failures_by_reason: dict[str, int]


class WeeklyFollowUpReport(FollowUpFigures):
    """The Monday follow-up report (回访周报) for one week's deliveries."""

    store_id: str | None
    week_start: date
    week_end: date
    target_success_rate: Decimal
    meets_target: bool | None
    per_advisor: dict[str, FollowUpFigures]


class SatisfactionFigures(BaseModel):
    surveys: int
    average: Decimal | None
    distribution: dict[str, int] = Field(description="Surveys per score, 1 to 5")
    per_question: dict[str, Decimal]


class ComplaintFigures(BaseModel):
    opened: int
    by_class: dict[str, int] = Field(description="grumble, general, medium, severe")
    closed: int
    unresolved: int
    overdue: int
    resolution_rate: Decimal | None


class Period(BaseModel):
    from_: date = Field(alias="from")
    to: date


class MonthlyReport(BaseModel):
    """Last month's satisfaction and complaint resolution (due by the 3rd)."""

    store_id: str | None
    month: str
    due_by: date
    visits: int
    satisfaction: SatisfactionFigures
    complaints: ComplaintFigures
    severe_complaint_rate: Decimal | None
    target_severe_complaint_rate: Decimal
    meets_target: bool | None
    period: Period
