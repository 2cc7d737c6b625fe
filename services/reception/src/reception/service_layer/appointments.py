"""Booking (预约): book, reschedule, confirm, cancel, no-show, and the advisor's lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from shared.errors import Conflict, DomainError, NotFound
from shared.kit import PageRequest, UnitOfWork

from ..adapters import repository as repo
from ..adapters.repository import Appointments
from ..domain.appointment import Appointment, AppointmentState, BookedJob, PartsDecision, parts_shortfall
from ..domain.capacity import DayCapacity, capacity_refusal, check_slot, days_without_capacity, next_free_slots
from ..domain.pricing import rough_estimate
from . import commands as c
from .catalogue import resolve_jobs
from .common import working_hours

LOOK_AHEAD_DAYS = 14


async def _fits(uow: UnitOfWork, store_id: str, start: datetime, end: datetime, hours: Decimal,
                exclude: str | None = None) -> None:
    """Refuse a slot the day's capacity cannot take, answering with the next free slots from the day and time
    asked for, and the days the workshop has published no capacity for."""
    wh = working_hours(uow.settings)
    day = wh.local_day(start)
    caps = await repo.capacities(uow, store_id, day, day + timedelta(days=LOOK_AHEAD_DAYS))
    same_day = await repo.booked_slots(uow, store_id, wh.day_start(day), wh.day_start(day + timedelta(days=1)),
                                       exclude=exclude)
    why = capacity_refusal(start, end, hours, caps.get(day), same_day)
    if why is None:
        return
    raise Conflict(f"the workshop is full: {why}", field="slot_start",
                   **await _alternatives(uow, store_id, start, end - start, hours, caps, exclude=exclude))


async def _alternatives(uow: UnitOfWork, store_id: str, wanted: datetime, duration: timedelta, hours: Decimal,
                        caps: dict[date, DayCapacity], exclude: str | None = None) -> dict:
    """What to offer instead: the next free slots from the day and time asked for, and the closed days."""
    wh, now = working_hours(uow.settings), uow.now()
    day = wh.local_day(max(wanted, now))
    ahead = await repo.booked_slots(uow, store_id, wh.day_start(day),
                                    wh.day_start(day + timedelta(days=LOOK_AHEAD_DAYS + 1)), exclude=exclude)
    free = next_free_slots(wanted=wanted, now=now, duration=duration, hours=hours, capacities=caps, booked=ahead,
                           wh=wh, days=LOOK_AHEAD_DAYS)
    return {"next_free_slots": [{"slot_start": s.isoformat(), "slot_end": e.isoformat()} for s, e in free],
            "days_without_capacity": [d.isoformat() for d in days_without_capacity(day, LOOK_AHEAD_DAYS, caps)]}


async def _to_offer(uow: UnitOfWork, store_id: str, start: datetime, end: datetime, hours: Decimal,
                    parts_expected_on: date | None) -> list[tuple[datetime, datetime]]:
    """A customer who rebooks for a missing part: the free slots from the asked slot on (from the parts'
    arrival date when one is known)."""
    wh = working_hours(uow.settings)
    wanted = max(start, wh.day_start(parts_expected_on)) if parts_expected_on else start
    day = wh.local_day(wanted)
    caps = await repo.capacities(uow, store_id, day, day + timedelta(days=LOOK_AHEAD_DAYS))
    offer = await _alternatives(uow, store_id, wanted, end - start, hours, caps)
    return [(datetime.fromisoformat(s["slot_start"]), datetime.fromisoformat(s["slot_end"]))
            for s in offer["next_free_slots"]]


async def book(uow: UnitOfWork, cmd: c.BookAppointment) -> Appointment:
    """Book; a missing part needs the customer's choice: wait (booked) or rebook (recorded with slots to offer)."""
    uow.actor.check_store(cmd.store_id)
    now, wh = uow.now(), working_hours(uow.settings)
    vehicle = await repo.vehicle(uow, cmd.vehicle_id)
    if vehicle is None:
        raise NotFound(f"vehicle {cmd.vehicle_id} not known to reception", field="vehicle_id")
    start, end = cmd.slot_start, cmd.slot_end or cmd.slot_start + timedelta(hours=1)
    check_slot(start, end, now, wh)
    terms = await repo.store_terms(uow, cmd.store_id)
    jobs = await resolve_jobs(uow, cmd.store_id, cmd.jobs, terms.labour_rate)
    hours = sum((j.flat_rate_hours for j in jobs), Decimal(0))
    parts = [p for j in jobs for p in j.parts]
    stock = await repo.parts_at(uow, cmd.store_id, sorted({p.part_no for p in parts}))
    shortfall = parts_shortfall(parts, {n: r.available or Decimal(0) for n, r in stock.items()})
    offer: list[tuple[datetime, datetime]] = []
    if shortfall and cmd.parts_decision is PartsDecision.REBOOK:
        offer = await _to_offer(uow, cmd.store_id, start, end, hours, cmd.parts_expected_on)
    else:
        await _fits(uow, cmd.store_id, start, end, hours)
    a = Appointment.book(
        id=str(uuid.uuid4()), dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id,
        vehicle_id=vehicle.vehicle_id, customer_id=vehicle.owner_customer_id, slot_start=start, slot_end=end,
        jobs=[BookedJob(operation_code=j.operation_code, description=j.description,
                        flat_rate_hours=j.flat_rate_hours) for j in jobs],
        parts=parts, estimated_total=rough_estimate([j.flat_rate_hours for j in jobs], terms.labour_rate, parts),
        warranty_prewarning=vehicle.warranty_prewarning, shortfall=shortfall, decision=cmd.parts_decision,
        parts_expected_on=cmd.parts_expected_on, slot_day=wh.local_day(start), booked_by=uow.actor.user_id,
        now=now, slots_to_offer=offer)
    await uow.repo(Appointments).add(a)
    return a


async def _load(uow: UnitOfWork, appointment_id: str, version: int) -> Appointment:
    """The booking, locked: 404 outside the caller's group, 403 outside its stores, 409 when stale."""
    a = await uow.repo(Appointments).get(appointment_id)
    a.check_version(version)
    return a


async def _save(uow: UnitOfWork, a: Appointment) -> Appointment:
    await uow.repo(Appointments).save(a)
    return a


async def reschedule(uow: UnitOfWork, cmd: c.Reschedule) -> Appointment:
    a = await _load(uow, cmd.appointment_id, cmd.version)
    a.require("reschedule")
    wh = working_hours(uow.settings)
    start, end = cmd.slot_start, cmd.slot_end or cmd.slot_start + (a.slot_end - a.slot_start)
    check_slot(start, end, uow.now(), wh)
    if a.parts_expected_on and wh.local_day(start) < a.parts_expected_on:
        raise DomainError(f"the slot is before the parts arrive ({a.parts_expected_on})", field="slot_start")
    await _fits(uow, a.store_id, start, end, a.labour_hours, exclude=a.id)
    a.reschedule(start, end)
    return await _save(uow, a)


async def confirm(uow: UnitOfWork, cmd: c.Confirm) -> Appointment:
    a = await _load(uow, cmd.appointment_id, cmd.version)
    a.confirm(cmd.party, by=uow.actor.user_id, now=uow.now())
    return await _save(uow, a)


async def cancel(uow: UnitOfWork, cmd: c.CancelAppointment) -> Appointment:
    a = await _load(uow, cmd.appointment_id, cmd.version)
    a.cancel(cmd.reason)
    return await _save(uow, a)


async def no_show(uow: UnitOfWork, cmd: c.MarkNoShow) -> Appointment:
    a = await _load(uow, cmd.appointment_id, cmd.version)
    a.no_show(uow.now())
    return await _save(uow, a)


# -- the advisor's lists (reads) -------------------------------------------------------------------
async def to_confirm(uow: UnitOfWork, store_id: str, page: PageRequest | None = None) -> list[Appointment]:
    """Tomorrow's bookings still to confirm with the workshop, parts or claims (before close of business)."""
    wh = working_hours(uow.settings)
    tomorrow = wh.local_day(uow.now()) + timedelta(days=1)
    return await repo.appointments_between(uow, store_id, wh.day_start(tomorrow),
                                           wh.day_start(tomorrow + timedelta(days=1)), page=page,
                                           keep=lambda a: bool(a.parties_to_confirm()))


async def to_call(uow: UnitOfWork, store_id: str, page: PageRequest | None = None) -> list[Appointment]:
    """Bookings starting within the hour not yet confirmed with the customer."""
    now = uow.now()
    return await repo.appointments_between(uow, store_id, now, now + timedelta(hours=1, seconds=1), page=page,
                                           keep=lambda a: a.needs_customer_call(now))


async def of_day(uow: UnitOfWork, store_id: str, day: date, page: PageRequest | None = None, *,
                 warranty_path: bool | None = None) -> list[Appointment]:
    wh = working_hours(uow.settings)
    return await repo.appointments_between(uow, store_id, wh.day_start(day), wh.day_start(day + timedelta(days=1)),
                                           states=tuple(s.value for s in AppointmentState), page=page,
                                           keep=None if warranty_path is None
                                           else lambda a: a.warranty_path == warranty_path)
