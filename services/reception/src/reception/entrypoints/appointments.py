"""Bookings (预约) over HTTP: requests become commands."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from shared.kit import Page
from shared.openapi import links_to

from ..adapters import repository as repo
from ..adapters.repository import Appointments
from ..service_layer import appointments as handlers
from ..service_layer import commands as c
from . import views
from .deps import Booker, Reader

router = APIRouter(tags=["appointments"])

StoreId = Annotated[str, Query(min_length=1, max_length=64)]


@router.post("/appointments", status_code=201, response_model=views.AppointmentPublic,
             openapi_extra=links_to("/appointments/{appointment_id}"))
async def book(body: c.BookAppointment, run: Booker):
    """Book a vehicle for a slot and jobs. Full workshop → 409 with the next free slots from the day and time
    asked for, and the days without published capacity. A missing part → 409 until the customer chooses: wait
    (with the arrival date; booked) or rebook (recorded as `to_rebook`, holding no slot, with `slots_to_offer`;
    reschedule it to the slot the customer picks). Publishes AppointmentBooked once a slot is held."""
    return await run(handlers.book, body, view=views.appointment, status=201)


@router.get("/appointments/to-confirm", response_model=list[views.AppointmentPublic])
async def to_confirm(store_id: StoreId, uow: Reader, page: Page):
    """Tomorrow's bookings to confirm with the workshop, parts and claims before close of business."""
    return views.appointments(uow, await handlers.to_confirm(uow, store_id, page))


@router.get("/appointments/to-call", response_model=list[views.AppointmentPublic])
async def to_call(store_id: StoreId, uow: Reader, page: Page):
    """Bookings to confirm with the customer: the slot starts within the hour."""
    return views.appointments(uow, await handlers.to_call(uow, store_id, page))


@router.get("/appointments", response_model=list[views.AppointmentPublic])
async def of_day(store_id: StoreId, day: date, uow: Reader, page: Page, warranty_path: bool | None = None):
    """A day's bookings (the booking board); `warranty_path=true` for the supervisor's list."""
    return views.appointments(uow, await handlers.of_day(uow, store_id, day, page, warranty_path=warranty_path))


@router.get("/vehicles/{vehicle_id}/appointments", response_model=list[views.AppointmentPublic])
async def appointments_of_vehicle(vehicle_id: str, uow: Reader, page: Page):
    """The vehicle's bookings in every state, by slot, at the caller's stores only (a group role: all)."""
    return views.appointments(uow, await repo.appointments_of_vehicle(uow, vehicle_id, page))


@router.get("/appointments/{appointment_id}", response_model=views.AppointmentPublic)
async def get_appointment(appointment_id: str, uow: Reader):
    return views.appointment(uow, await uow.repo(Appointments).get(appointment_id, lock=False))


@router.post("/appointments/{appointment_id}/reschedule", response_model=views.AppointmentPublic)
async def reschedule(appointment_id: str, body: c.Reschedule, run: Booker):
    return await run(handlers.reschedule, body.bind(appointment_id=appointment_id), view=views.appointment)


@router.post("/appointments/{appointment_id}/confirm", response_model=views.AppointmentPublic)
async def confirm(appointment_id: str, body: c.Confirm, run: Booker):
    return await run(handlers.confirm, body.bind(appointment_id=appointment_id), view=views.appointment)


@router.post("/appointments/{appointment_id}/cancel", response_model=views.AppointmentPublic)
async def cancel(appointment_id: str, body: c.CancelAppointment, run: Booker):
    return await run(handlers.cancel, body.bind(appointment_id=appointment_id), view=views.appointment)


@router.post("/appointments/{appointment_id}/no-show", response_model=views.AppointmentPublic)
async def no_show(appointment_id: str, body: c.MarkNoShow, run: Booker):
    return await run(handlers.no_show, body.bind(appointment_id=appointment_id), view=views.appointment)
