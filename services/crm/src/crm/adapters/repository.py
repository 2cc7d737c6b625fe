"""Loading aggregates from rows and writing them back. Never commits: the unit of work does."""

from __future__ import annotations

from shared.contracts.crm import CustomerKind
from shared.errors import NotFound
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.complaint import Complaint, ComplaintChannel, ComplaintSeverity, ComplaintStatus
from ..domain.follow_up import Attempt, FailureReason, FollowUp, FollowUpStatus
from ..domain.model import Customer, Vehicle
from ..domain.reminders import Reading
from .orm import AliasRow, ComplaintRow, CustomerRow, FollowUpRow, OdometerReadingRow, VehicleRow


async def resolve_alias(session: AsyncSession, dealer_group_id: str, kind: str, record_id: str) -> str:
    alias = await session.get(AliasRow, (dealer_group_id, kind, record_id))
    return alias.kept_id if alias else record_id


async def _get(session: AsyncSession, model, record_id: str, dealer_group_id: str, what: str, field: str,
               lock: bool):
    row = await session.get(model, record_id, with_for_update=lock)
    if row is None or row.dealer_group_id != dealer_group_id:
        raise NotFound(f"{what} {record_id} not found", field=field)
    return row


# -- customers -------------------------------------------------------------------------------
async def customer_row(session: AsyncSession, dealer_group_id: str, customer_id: str, *, lock: bool = False,
                       field: str = "customer_id") -> CustomerRow:
    customer_id = await resolve_alias(session, dealer_group_id, "customer", customer_id)
    return await _get(session, CustomerRow, customer_id, dealer_group_id, "customer", field, lock)


def customer_from_row(r: CustomerRow) -> Customer:
    return Customer(id=r.id, dealer_group_id=r.dealer_group_id, home_store_id=r.store_id, kind=CustomerKind(r.kind),
                    name=r.name, phones=list(r.phones), contact_window=r.contact_window,
                    consent_to_call=r.consent_to_call, unreachable_since=r.unreachable_since, version=r.version)


def apply_customer(r: CustomerRow, c: Customer) -> None:
    r.kind, r.name, r.phones, r.contact_window = c.kind.value, c.name, list(c.phones), c.contact_window
    r.consent_to_call, r.unreachable_since, r.version = c.consent_to_call, c.unreachable_since, c.version


# -- vehicles --------------------------------------------------------------------------------
_VEHICLE_FIELDS = ("vin", "plate", "model", "owner_customer_id", "sale_date", "warranty_start", "warranty_years",
                   "warranty_km", "odometer_km", "insurance_expiry", "warranty_prewarning", "insurer",
                   "insurance_policy_no", "version")


async def vehicle_row(session: AsyncSession, dealer_group_id: str, vehicle_id: str, *, lock: bool = False,
                      field: str = "vehicle_id") -> VehicleRow:
    vehicle_id = await resolve_alias(session, dealer_group_id, "vehicle", vehicle_id)
    return await _get(session, VehicleRow, vehicle_id, dealer_group_id, "vehicle", field, lock)


def vehicle_from_row(r: VehicleRow) -> Vehicle:
    return Vehicle(id=r.id, dealer_group_id=r.dealer_group_id, home_store_id=r.store_id,
                   **{f: getattr(r, f) for f in _VEHICLE_FIELDS})


def apply_vehicle(r: VehicleRow, v: Vehicle) -> None:
    for f in _VEHICLE_FIELDS:
        setattr(r, f, getattr(v, f))


async def readings(session: AsyncSession, vehicle_id: str) -> list[Reading]:
    rows = (await session.exec(select(OdometerReadingRow).where(OdometerReadingRow.vehicle_id == vehicle_id))).all()
    return [Reading(r.read_on, r.km) for r in rows]


# -- follow-ups ------------------------------------------------------------------------------
async def follow_up_row(session: AsyncSession, dealer_group_id: str, follow_up_id: str, *,
                        lock: bool = False) -> FollowUpRow:
    return await _get(session, FollowUpRow, follow_up_id, dealer_group_id, "follow-up", "follow_up_id", lock)


def follow_up_from_row(r: FollowUpRow) -> FollowUp:
    return FollowUp(
        id=r.id, dealer_group_id=r.dealer_group_id, store_id=r.store_id, repair_order_id=r.repair_order_id,
        customer_id=r.customer_id, vehicle_id=r.vehicle_id, advisor_id=r.advisor_id, delivered_at=r.delivered_at,
        due_from=r.due_from, due_to=r.due_to, status=FollowUpStatus(r.status), round=r.round,
        attempts=[Attempt.from_json(a) for a in r.attempts],
        failure_reason=FailureReason(r.failure_reason) if r.failure_reason else None, failed_at=r.failed_at,
        satisfaction=r.satisfaction, answers=dict(r.answers or {}), comments=r.comments, complaint_id=r.complaint_id,
        next_service_date=r.next_service_date, completed_at=r.completed_at, version=r.version)


def apply_follow_up(r: FollowUpRow, f: FollowUp) -> None:
    r.due_from, r.due_to, r.status, r.round = f.due_from, f.due_to, f.status.value, f.round
    r.attempts = [a.to_json() for a in f.attempts]
    r.failure_reason = f.failure_reason.value if f.failure_reason else None
    r.failed_at, r.satisfaction, r.answers, r.comments = f.failed_at, f.satisfaction, dict(f.answers), f.comments
    r.complaint_id, r.next_service_date, r.completed_at, r.version = (
        f.complaint_id, f.next_service_date, f.completed_at, f.version)


def new_follow_up_row(f: FollowUp) -> FollowUpRow:
    r = FollowUpRow(id=f.id, dealer_group_id=f.dealer_group_id, store_id=f.store_id,
                    repair_order_id=f.repair_order_id, customer_id=f.customer_id, vehicle_id=f.vehicle_id,
                    advisor_id=f.advisor_id, delivered_at=f.delivered_at, due_from=f.due_from, due_to=f.due_to,
                    status=f.status.value)
    apply_follow_up(r, f)
    return r


# -- complaints ------------------------------------------------------------------------------
_COMPLAINT_FIELDS = ("customer_id", "vehicle_id", "repair_order_id", "follow_up_id", "summary", "opened_at",
                     "department", "deadline", "assigned_by", "remedy", "resolved_at", "closed_at", "version")


async def complaint_row(session: AsyncSession, dealer_group_id: str, complaint_id: str, *,
                        lock: bool = False) -> ComplaintRow:
    return await _get(session, ComplaintRow, complaint_id, dealer_group_id, "complaint", "complaint_id", lock)


def complaint_from_row(r: ComplaintRow) -> Complaint:
    return Complaint(id=r.id, dealer_group_id=r.dealer_group_id, store_id=r.store_id,
                     channel=ComplaintChannel(r.channel), severity=ComplaintSeverity(r.severity),
                     status=ComplaintStatus(r.status), history=list(r.history),
                     **{f: getattr(r, f) for f in _COMPLAINT_FIELDS})


def apply_complaint(r: ComplaintRow, c: Complaint) -> None:
    for f in _COMPLAINT_FIELDS:
        setattr(r, f, getattr(c, f))
    r.channel, r.severity, r.status, r.history = c.channel.value, c.severity.value, c.status.value, list(c.history)


def new_complaint_row(c: Complaint) -> ComplaintRow:
    r = ComplaintRow(id=c.id, dealer_group_id=c.dealer_group_id, store_id=c.store_id, customer_id=c.customer_id,
                     channel=c.channel.value, severity=c.severity.value, summary=c.summary, status=c.status.value,
                     opened_at=c.opened_at)
    apply_complaint(r, c)
    return r
