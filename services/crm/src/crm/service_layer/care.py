"""Customer care commands: deliveries and walk-ins from reception, follow-up calls, complaints, call tasks."""

from __future__ import annotations

import uuid
from datetime import date, datetime, tzinfo

from shared.auth import Principal
from shared.clock import Clock
from shared.contracts.reception import VehicleDelivered, WalkInCustomerRecorded
from shared.errors import DomainError, InvalidTransition, StaleVersion
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.outbox import Outbox
from shared.observability import get_logger
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters import repository as repo
from ..adapters.orm import (
    AliasRow,
    CallTaskRow,
    ComplaintRow,
    CustomerPhoneRow,
    CustomerRow,
    FollowUpRow,
    OdometerReadingRow,
    ServiceVisitRow,
    VehicleRow,
)
from ..domain.complaint import Complaint, ComplaintChannel
from ..domain.follow_up import AttemptOutcome, FollowUp, FollowUpStatus
from ..domain.model import Customer, Vehicle, normalise_phone
from ..domain.reminders import (
    CustomerFacts,
    Reminder,
    TaskKind,
    declined_work_reminder,
    is_call_target,
    lapsed_return_call,
)
from . import handlers

log = get_logger(__name__)

VISIT_CLOSES = (TaskKind.MAINTENANCE_DUE.value, TaskKind.FIRST_SERVICE.value)


def _check_version(aggregate: str, expected: int | None, actual: int) -> None:
    if expected is not None and expected != actual:
        raise StaleVersion(aggregate, expected, actual)


async def add_task(session: AsyncSession, dealer_group_id: str, r: Reminder, now: datetime) -> str | None:
    """A call task per reminder key: running the job twice creates nothing twice."""
    stmt = insert(CallTaskRow).values(
        id=str(uuid.uuid4()), dealer_group_id=dealer_group_id, store_id=r.store_id, kind=r.kind.value,
        customer_id=r.customer_id, vehicle_id=r.vehicle_id, due_on=r.due_on, detail=r.detail, dedupe_key=r.key,
        status="open", created_at=now, version=1,
    ).on_conflict_do_nothing(constraint="uq_call_tasks_group_key").returning(CallTaskRow.id)
    return (await session.execute(stmt)).scalar_one_or_none()


def _facts(c: CustomerRow) -> CustomerFacts:
    return CustomerFacts(c.id, c.consent_to_call, c.unreachable_since)


# -- from reception --------------------------------------------------------------------------
async def vehicle_delivered(session: AsyncSession, outbox: Outbox, clock: Clock, tz: tzinfo, env: Envelope,
                            e: VehicleDelivered) -> FollowUp | None:
    """A delivery (交车): record the visit, schedule the follow-up (100% of deliveries, once per repair
    order), take the odometer, turn declined work into a reminder, and call a returning lapsed customer."""
    dg, store = env.tenant.dealer_group_id, env.tenant.store_id
    vehicle = await repo.vehicle_row(session, dg, e.vehicle_id)
    customer = await repo.customer_row(session, dg, e.customer_id)
    delivered_at = env.time
    delivered_on = delivered_at.astimezone(tz).date()
    inserted = (await session.execute(insert(ServiceVisitRow).values(
        repair_order_id=e.repair_order_id, dealer_group_id=dg, store_id=store, vehicle_id=vehicle.id,
        customer_id=customer.id, advisor_id=e.advisor_id, delivered_at=delivered_at, odometer_km=e.odometer_km,
        next_service_date=e.next_service_date, next_service_km=e.next_service_km, declined_work=list(e.declined_work),
    ).on_conflict_do_nothing().returning(ServiceVisitRow.repair_order_id))).scalar_one_or_none()
    if inserted is None:
        log.info("crm.delivery_already_known", repair_order_id=e.repair_order_id)
        return None
    tenant = Tenant(dg, store)
    meta = dict(tenant=tenant, causation_id=env.id, correlation_id=env.correlation_id)

    follow_up = FollowUp.schedule(dealer_group_id=dg, store_id=store, repair_order_id=e.repair_order_id,
                                  customer_id=customer.id, vehicle_id=vehicle.id, advisor_id=e.advisor_id,
                                  delivered_at=delivered_at, contact_window=customer.contact_window, tz=tz)
    session.add(repo.new_follow_up_row(follow_up))
    await session.flush()
    await outbox.record_all(session, follow_up.events, **meta)

    if e.odometer_km is not None:
        try:
            async with session.begin_nested():
                await handlers.record_odometer(session, outbox, clock, dealer_group_id=dg, vehicle_id=vehicle.id,
                                               read_on=delivered_on, km=e.odometer_km, source="delivery",
                                               check_future=False)
        except DomainError as err:  # a reading against the history is kept out; the delivery still counts
            log.warning("crm.delivery_odometer_refused", repair_order_id=e.repair_order_id, error=err.message)

    now = clock.now()
    # The visit answers the service reminders for this vehicle.
    await session.execute(update(CallTaskRow).where(
        CallTaskRow.dealer_group_id == dg, CallTaskRow.vehicle_id == vehicle.id, CallTaskRow.status == "open",
        col(CallTaskRow.kind).in_(VISIT_CLOSES)).values(status="cancelled", outcome="visited", done_at=now,
                                                        version=CallTaskRow.version + 1))
    # A lapsed customer who comes back gets a call 7 days later.
    lapsed = (await session.exec(select(CallTaskRow).where(
        CallTaskRow.dealer_group_id == dg, CallTaskRow.customer_id == customer.id,
        CallTaskRow.kind == TaskKind.LAPSED_CUSTOMER.value, col(CallTaskRow.returned_repair_order_id).is_(None),
        CallTaskRow.created_at <= delivered_at))).all()
    if lapsed:
        for t in lapsed:
            t.returned_repair_order_id = e.repair_order_id
            if t.status == "open":
                t.status, t.outcome, t.done_at = "cancelled", "came_back", now
            t.version += 1
            session.add(t)
        if is_call_target(_facts(customer), delivered_on):
            await add_task(session, dg, lapsed_return_call(customer_id=customer.id, vehicle_id=vehicle.id,
                                                           store_id=store, repair_order_id=e.repair_order_id,
                                                           delivered_on=delivered_on), now)
    declined = declined_work_reminder(customer_id=customer.id, vehicle_id=vehicle.id, store_id=store,
                                      repair_order_id=e.repair_order_id, delivered_on=delivered_on,
                                      declined=e.declined_work)
    if declined and is_call_target(_facts(customer), delivered_on):
        await add_task(session, dg, declined, now)
    return follow_up


async def walk_in_recorded(session: AsyncSession, outbox: Outbox, clock: Clock, env: Envelope,
                           e: WalkInCustomerRecorded) -> None:
    """First visit captured by reception. crm registers the customer and vehicle under reception's ids —
    unless a phone or the VIN is already known: then the existing record is kept (the system of record
    wins), reception's id becomes an alias of it, and the kept record is published as *Updated."""
    dg, store = env.tenant.dealer_group_id, env.tenant.store_id
    tenant = Tenant(dg, store)
    meta = dict(tenant=tenant, causation_id=env.id, correlation_id=env.correlation_id)
    now = clock.now()
    phones = []
    for p in e.phones:
        try:
            phones.append(normalise_phone(p))
        except DomainError:
            log.warning("crm.walk_in_bad_phone", repair_order_id=e.repair_order_id, phone=p)

    # -- the customer
    existing = await session.get(CustomerRow, e.customer_id)
    if existing is None and phones:
        match = (await session.exec(select(CustomerPhoneRow).where(
            CustomerPhoneRow.dealer_group_id == dg, col(CustomerPhoneRow.phone).in_(phones)))).first()
        if match:
            existing = await session.get(CustomerRow, match.customer_id, with_for_update=True)
            session.add(AliasRow(dealer_group_id=dg, kind="customer", alias_id=e.customer_id, kept_id=existing.id))
            kept = repo.customer_from_row(existing)
            kept.republish()
            await outbox.record_all(session, kept.events, **meta)
    if existing is None:
        customer = Customer.register(id=e.customer_id, dealer_group_id=dg, home_store_id=store,
                                     kind=e.customer_kind, name=e.customer_name, phones=phones or e.phones)
        session.add(CustomerRow(id=customer.id, dealer_group_id=dg, store_id=store, kind=customer.kind.value,
                                name=customer.name, phones=customer.phones, created_by=f"reception:{env.id}"))
        for p in customer.phones:
            session.add(CustomerPhoneRow(dealer_group_id=dg, phone=p, customer_id=customer.id))
        await session.flush()
        await outbox.record_all(session, customer.events, **meta)
        customer_id = customer.id
    else:
        customer_id = existing.id

    # -- the vehicle
    if await session.get(VehicleRow, e.vehicle_id) is not None:
        return
    vin = e.vin.strip().upper()
    known = (await session.exec(select(VehicleRow).where(VehicleRow.dealer_group_id == dg,
                                                         VehicleRow.vin == vin))).first()
    if known:
        session.add(AliasRow(dealer_group_id=dg, kind="vehicle", alias_id=e.vehicle_id, kept_id=known.id))
        v = repo.vehicle_from_row(known)
        fill = {k: val for k, val in (("plate", e.plate), ("model", e.model)) if val and getattr(v, k) is None}
        if not v.update(expected_version=v.version, **fill):
            v.events.append(_vehicle_updated(v))
        repo.apply_vehicle(known, v)
        session.add(known)
        await session.flush()
        await outbox.record_all(session, v.events, **meta)
        if e.odometer_km is not None:
            try:
                async with session.begin_nested():
                    await handlers.record_odometer(session, outbox, clock, dealer_group_id=dg, vehicle_id=known.id,
                                                   read_on=now.date(), km=e.odometer_km, source="walk-in",
                                                   check_future=False)
            except DomainError as err:
                log.warning("crm.walk_in_odometer_refused", vehicle_id=known.id, error=err.message)
        return
    vehicle = Vehicle.register(id=e.vehicle_id, dealer_group_id=dg, home_store_id=store, vin=vin,
                               owner_customer_id=customer_id, plate=e.plate, model=e.model, odometer_km=e.odometer_km)
    snap = vehicle.snapshot()
    snap.pop("vehicle_id")
    from ..adapters.orm import OwnershipRow
    session.add(VehicleRow(id=vehicle.id, dealer_group_id=dg, store_id=store, created_by=f"reception:{env.id}",
                           **snap))
    session.add(OwnershipRow(vehicle_id=vehicle.id, customer_id=customer_id, owned_from=now))
    if vehicle.odometer_km is not None:
        session.add(OdometerReadingRow(dealer_group_id=dg, store_id=store, vehicle_id=vehicle.id, read_on=now.date(),
                                       km=vehicle.odometer_km, source="walk-in", recorded_at=now))
    await session.flush()
    await outbox.record_all(session, vehicle.events, **meta)


def _vehicle_updated(v: Vehicle):
    from shared.contracts.crm import VehicleUpdated
    return VehicleUpdated(**v.snapshot())


# -- follow-up calls -------------------------------------------------------------------------
async def _follow_up(session: AsyncSession, principal: Principal, follow_up_id: str, version: int | None):
    row = await repo.follow_up_row(session, principal.dealer_group_id, follow_up_id, lock=True)
    principal.check_store(row.store_id)
    _check_version("follow-up", version, row.version)
    customer = await session.get(CustomerRow, row.customer_id, with_for_update=True)
    return row, repo.follow_up_from_row(row), customer


async def _save_follow_up(session: AsyncSession, outbox: Outbox, row: FollowUpRow, f: FollowUp) -> None:
    repo.apply_follow_up(row, f)
    session.add(row)
    await session.flush()
    await outbox.record_all(session, f.events, tenant=Tenant(row.dealer_group_id, row.store_id))


def _mark_unreachable(customer: CustomerRow, on: date) -> None:
    if customer.unreachable_since is None:
        customer.unreachable_since = on


async def record_attempt(session: AsyncSession, outbox: Outbox, clock: Clock, tz: tzinfo, principal: Principal,
                         follow_up_id: str, *, version: int | None, called_at: datetime | None, outcome: str,
                         note: str | None) -> FollowUpRow:
    row, f, customer = await _follow_up(session, principal, follow_up_id, version)
    now = clock.now()
    try:
        oc = AttemptOutcome(outcome)
    except ValueError:
        raise DomainError(f"unknown outcome {outcome!r} ({', '.join(AttemptOutcome)})", field="outcome") from None
    f.record_attempt(called_at=called_at or now, outcome=oc, now=now, contact_window=customer.contact_window, tz=tz,
                     note=note, agent_id=principal.user_id)
    if oc in (AttemptOutcome.NO_ANSWER, AttemptOutcome.WRONG_NUMBER):
        _mark_unreachable(customer, (called_at or now).astimezone(tz).date())
        session.add(customer)
    await _save_follow_up(session, outbox, row, f)
    return row


async def fail_follow_up(session: AsyncSession, outbox: Outbox, clock: Clock, principal: Principal,
                         follow_up_id: str, *, version: int | None, reason: str) -> FollowUpRow:
    row, f, _ = await _follow_up(session, principal, follow_up_id, version)
    f.fail(reason, now=clock.now())
    await _save_follow_up(session, outbox, row, f)
    return row


async def retry_follow_up(session: AsyncSession, outbox: Outbox, clock: Clock, tz: tzinfo, principal: Principal,
                          follow_up_id: str, *, version: int | None) -> FollowUpRow:
    row, f, customer = await _follow_up(session, principal, follow_up_id, version)
    f.retry_after_correction(now=clock.now(), contact_window=customer.contact_window, tz=tz)
    await _save_follow_up(session, outbox, row, f)
    return row


async def complete_follow_up(session: AsyncSession, outbox: Outbox, clock: Clock, tz: tzinfo, principal: Principal,
                             follow_up_id: str, *, version: int | None, called_at: datetime | None,
                             satisfaction: int, answers: dict[str, int], comments: str | None,
                             next_service_date: date | None, complaint: dict | None) -> FollowUpRow:
    """The customer was reached: the survey, maybe a complaint ticket (channel: follow-up call), and the
    next service date to remind them of."""
    row, f, customer = await _follow_up(session, principal, follow_up_id, version)
    now = clock.now()
    if f.status != FollowUpStatus.SCHEDULED:
        raise InvalidTransition("follow-up", f.status.value, "complete")
    visit = await session.get(ServiceVisitRow, row.repair_order_id)
    if next_service_date is None and visit is not None:
        next_service_date = visit.next_service_date
    ticket = None
    if complaint is not None:
        ticket = Complaint.open(dealer_group_id=row.dealer_group_id, store_id=row.store_id,
                                customer_id=row.customer_id, vehicle_id=row.vehicle_id,
                                repair_order_id=row.repair_order_id, follow_up_id=row.id,
                                channel=ComplaintChannel.FOLLOW_UP_CALL.value, now=now, **complaint)
    f.complete(called_at=called_at or now, now=now, contact_window=customer.contact_window, tz=tz,
               satisfaction=satisfaction, answers=answers, comments=comments, next_service_date=next_service_date,
               complaint_id=ticket.id if ticket else None, agent_id=principal.user_id)
    if ticket:
        session.add(repo.new_complaint_row(ticket))
        await session.flush()
        await outbox.record_all(session, ticket.events, tenant=Tenant(row.dealer_group_id, row.store_id))
    if customer.unreachable_since is not None:
        customer.unreachable_since = None
        session.add(customer)
    await _save_follow_up(session, outbox, row, f)
    return row


async def list_follow_ups(session: AsyncSession, principal: Principal, *, store_id: str | None, status: str | None,
                          due_before: datetime | None, customer_id: str | None) -> list[FollowUpRow]:
    q = select(FollowUpRow).where(FollowUpRow.dealer_group_id == principal.dealer_group_id)
    q = _store_filter(q, FollowUpRow, principal, store_id)
    if status:
        q = q.where(FollowUpRow.status == status)
    if due_before:
        q = q.where(FollowUpRow.due_from <= due_before)
    if customer_id:
        q = q.where(FollowUpRow.customer_id == customer_id)
    return list((await session.exec(q.order_by(FollowUpRow.due_from).limit(500))).all())


def _store_filter(q, model, principal: Principal, store_id: str | None):
    if store_id:
        principal.check_store(store_id)
        return q.where(model.store_id == store_id)
    if not principal.spans_group:
        return q.where(col(model.store_id).in_(sorted(principal.store_ids)))
    return q


async def get_follow_up(session: AsyncSession, principal: Principal, follow_up_id: str) -> FollowUpRow:
    row = await repo.follow_up_row(session, principal.dealer_group_id, follow_up_id)
    principal.check_store(row.store_id)
    return row


# -- complaints ------------------------------------------------------------------------------
async def open_complaint(session: AsyncSession, outbox: Outbox, clock: Clock, principal: Principal, *,
                         store_id: str, customer_id: str, vehicle_id: str | None, repair_order_id: str | None,
                         channel: str, severity: str, summary: str) -> ComplaintRow:
    customer = await repo.customer_row(session, principal.dealer_group_id, customer_id)
    if vehicle_id is not None:
        vehicle_id = (await repo.vehicle_row(session, principal.dealer_group_id, vehicle_id)).id
    c = Complaint.open(dealer_group_id=principal.dealer_group_id, store_id=store_id, customer_id=customer.id,
                       vehicle_id=vehicle_id, repair_order_id=repair_order_id, channel=channel, severity=severity,
                       summary=summary, now=clock.now())
    row = repo.new_complaint_row(c)
    session.add(row)
    await session.flush()
    await outbox.record_all(session, c.events, tenant=Tenant(row.dealer_group_id, row.store_id))
    return row


async def change_complaint(session: AsyncSession, outbox: Outbox, principal: Principal, complaint_id: str, *,
                           version: int | None, act) -> ComplaintRow:
    """Load, check store and version, apply `act(complaint)`, save, record its events."""
    row = await repo.complaint_row(session, principal.dealer_group_id, complaint_id, lock=True)
    principal.check_store(row.store_id)
    _check_version("complaint", version, row.version)
    c = repo.complaint_from_row(row)
    act(c)
    repo.apply_complaint(row, c)
    session.add(row)
    await session.flush()
    await outbox.record_all(session, c.events, tenant=Tenant(row.dealer_group_id, row.store_id))
    return row


async def list_complaints(session: AsyncSession, principal: Principal, *, store_id: str | None, status: str | None,
                          overdue: bool | None, now: datetime) -> list[ComplaintRow]:
    q = select(ComplaintRow).where(ComplaintRow.dealer_group_id == principal.dealer_group_id)
    q = _store_filter(q, ComplaintRow, principal, store_id)
    if status:
        q = q.where(ComplaintRow.status == status)
    rows = list((await session.exec(q.order_by(ComplaintRow.opened_at).limit(500))).all())
    if overdue is not None:
        rows = [r for r in rows if repo.complaint_from_row(r).is_overdue(now) == overdue]
    return rows


async def get_complaint(session: AsyncSession, principal: Principal, complaint_id: str) -> ComplaintRow:
    row = await repo.complaint_row(session, principal.dealer_group_id, complaint_id)
    principal.check_store(row.store_id)
    return row


# -- call tasks ------------------------------------------------------------------------------
TASK_OUTCOMES = ("reached", "no_answer", "wrong_number", "refused_contact")


async def list_call_tasks(session: AsyncSession, principal: Principal, *, store_id: str | None, status: str | None,
                          due_on_or_before: date | None, kind: str | None,
                          customer_id: str | None) -> list[CallTaskRow]:
    q = select(CallTaskRow).where(CallTaskRow.dealer_group_id == principal.dealer_group_id)
    q = _store_filter(q, CallTaskRow, principal, store_id)
    if status:
        q = q.where(CallTaskRow.status == status)
    if due_on_or_before:
        q = q.where(CallTaskRow.due_on <= due_on_or_before)
    if kind:
        q = q.where(CallTaskRow.kind == kind)
    if customer_id:
        q = q.where(CallTaskRow.customer_id == customer_id)
    return list((await session.exec(q.order_by(CallTaskRow.due_on, CallTaskRow.created_at).limit(1000))).all())


async def complete_call_task(session: AsyncSession, outbox: Outbox, clock: Clock, tz: tzinfo, principal: Principal,
                             task_id: str, *, version: int | None, outcome: str, reason: str | None,
                             note: str | None) -> CallTaskRow:
    """Record a reminder call. A lapsed-customer call records why they stayed away (流失原因). A customer
    who refuses further contact is marked so (CustomerUpdated); no answer keeps the task open."""
    row = await session.get(CallTaskRow, task_id, with_for_update=True)
    if row is None or row.dealer_group_id != principal.dealer_group_id:
        from shared.errors import NotFound
        raise NotFound(f"call task {task_id} not found", field="task_id")
    principal.check_store(row.store_id)
    _check_version("call task", version, row.version)
    if row.status != "open":
        raise InvalidTransition("call task", row.status, "record a call")
    if outcome not in TASK_OUTCOMES:
        raise DomainError(f"unknown outcome {outcome!r} ({', '.join(TASK_OUTCOMES)})", field="outcome")
    reason = (reason or "").strip() or None
    if row.kind == TaskKind.LAPSED_CUSTOMER.value and outcome == "reached" and not reason:
        raise DomainError("record why the customer stopped coming", field="reason")
    now = clock.now()
    customer = await session.get(CustomerRow, row.customer_id, with_for_update=True)
    if outcome == "no_answer":
        row.note = "\n".join(x for x in (row.note, f"{now.isoformat()} no answer" + (f": {note}" if note else "")) if x)
    else:
        row.status, row.outcome, row.reason, row.note = "done", outcome, reason, note or row.note
        row.done_at, row.done_by = now, principal.user_id
    if outcome in ("no_answer", "wrong_number"):
        _mark_unreachable(customer, now.astimezone(tz).date())
    elif outcome == "reached":
        customer.unreachable_since = None
    elif outcome == "refused_contact":
        c = repo.customer_from_row(customer)
        c.update(expected_version=c.version, consent_to_call=False)
        repo.apply_customer(customer, c)
        await outbox.record_all(session, c.events, tenant=Tenant(customer.dealer_group_id, customer.store_id))
    session.add(customer)
    row.version += 1
    session.add(row)
    await session.flush()
    return row
