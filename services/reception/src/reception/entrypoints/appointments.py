"""Bookings (预约) over HTTP: requests become commands."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from shared.commands import run_command
from shared.db import unit_of_work

from ..adapters import repository as repo
from ..domain.appointment import Appointment, PartsStatus
from ..service_layer import appointments as handlers
from ..service_layer import commands as c
from .deps import Booker, Reader, context

router = APIRouter(tags=["appointments"])

StoreId = Annotated[str, Query(min_length=1, max_length=64)]


def view(a: Appointment) -> dict:
    out = a.model_dump(mode="json")
    out["parties_to_confirm"] = [p.value for p in a.parties_to_confirm()] if a.state == "booked" else []
    out["parts_ready"] = a.parts_status in (PartsStatus.NOT_NEEDED, PartsStatus.RESERVED)
    return out


def _command(request: Request, principal, body, status: int, fn):
    ctx = context(request)

    async def handle(session):
        return status, view(await fn(session, ctx))

    return run_command(request, principal, body, handle)


@router.post("/appointments", status_code=201)
async def book(body: c.BookAppointment, request: Request, principal: Booker):
    """Book a vehicle for a slot and jobs. Full workshop → 409 with the next free slots; a missing part →
    409 until the customer chooses to wait (with the arrival date) or rebooks. Publishes AppointmentBooked."""
    principal.check_store(body.store_id)
    return await _command(request, principal, body, 201, lambda s, ctx: handlers.book(s, ctx, principal, body))


@router.get("/appointments/to-confirm")
async def to_confirm(store_id: StoreId, request: Request, principal: Reader):
    """Tomorrow's bookings to confirm with the workshop, parts and claims before close of business."""
    principal.check_store(store_id)
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        return [view(a) for a in await handlers.to_confirm(session, context(request), principal, store_id)]


@router.get("/appointments/to-call")
async def to_call(store_id: StoreId, request: Request, principal: Reader):
    """Bookings to confirm with the customer: the slot starts within the hour."""
    principal.check_store(store_id)
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        return [view(a) for a in await handlers.to_call(session, context(request), principal, store_id)]


@router.get("/appointments")
async def of_day(store_id: StoreId, day: date, request: Request, principal: Reader,
                 warranty_path: bool | None = None):
    """A day's bookings (the booking board); `warranty_path=true` for the supervisor's list."""
    principal.check_store(store_id)
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        rows = await handlers.of_day(session, context(request), principal, store_id, day)
        return [view(a) for a in rows if warranty_path is None or a.warranty_path == warranty_path]


@router.get("/appointments/{appointment_id}")
async def get_appointment(appointment_id: str, request: Request, principal: Reader):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        a = await repo.load_appointment(session, principal.dealer_group_id, appointment_id, lock=False)
        principal.check_store(a.store_id)
        return view(a)


@router.post("/appointments/{appointment_id}/reschedule")
async def reschedule(appointment_id: str, body: c.Reschedule, request: Request, principal: Booker):
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.reschedule(s, ctx, principal, appointment_id, body))


@router.post("/appointments/{appointment_id}/confirm")
async def confirm(appointment_id: str, body: c.Confirm, request: Request, principal: Booker):
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.confirm(s, ctx, principal, appointment_id, body))


@router.post("/appointments/{appointment_id}/cancel")
async def cancel(appointment_id: str, body: c.CancelAppointment, request: Request, principal: Booker):
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.cancel(s, ctx, principal, appointment_id, body))


@router.post("/appointments/{appointment_id}/no-show")
async def no_show(appointment_id: str, body: c.MarkNoShow, request: Request, principal: Booker):
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.no_show(s, ctx, principal, appointment_id, body))
