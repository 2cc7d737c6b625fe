"""Loading and saving reception's aggregates and reading its replicas. Never commits: the unit of work does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.errors import NotFound
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.appointment import Appointment
from ..domain.capacity import BookedSlot, DayCapacity
from ..domain.repair_order import RepairOrder
from .orm import (
    AppointmentRow,
    LabourOperationReplica,
    PartReplica,
    RepairOrderRow,
    StoreSequenceRow,
    StoreSettingsRow,
    WorkshopCapacityReplica,
)


@dataclass(frozen=True)
class StoreTerms:
    labour_rate: Decimal
    tax_rate: Decimal
    comeback_days: int
    service_interval_months: int
    service_interval_km: int


async def store_terms(session: AsyncSession, settings, dealer_group_id: str, store_id: str) -> StoreTerms:
    row = await session.get(StoreSettingsRow, (dealer_group_id, store_id))
    if row is None:
        return StoreTerms(settings.default_labour_rate, settings.default_tax_rate, settings.default_comeback_days,
                          settings.default_service_interval_months, settings.default_service_interval_km)
    return StoreTerms(row.labour_rate, row.tax_rate, row.comeback_days, row.service_interval_months,
                      row.service_interval_km)


async def next_number(session: AsyncSession, dealer_group_id: str, store_id: str, name: str) -> int:
    """The store's next number in sequence `name`; gap-free because it rides in the command's transaction."""
    t = StoreSequenceRow.__table__
    stmt = insert(t).values(dealer_group_id=dealer_group_id, store_id=store_id, name=name, last_value=1)
    stmt = stmt.on_conflict_do_update(index_elements=["dealer_group_id", "store_id", "name"],
                                      set_={"last_value": t.c.last_value + 1}).returning(t.c.last_value)
    return (await session.execute(stmt)).scalar_one()


# -- repair orders -------------------------------------------------------------------------------
async def load_repair_order(session: AsyncSession, dealer_group_id: str, ro_id: str, *,
                            lock: bool = True) -> RepairOrder:
    q = select(RepairOrderRow).where(RepairOrderRow.id == ro_id, RepairOrderRow.dealer_group_id == dealer_group_id)
    if lock:
        q = q.with_for_update()
    row = (await session.execute(q)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"repair order {ro_id} not found", field="repair_order_id")
    return RepairOrder.model_validate(row.doc)


async def find_repair_order(session: AsyncSession, ro_id: str) -> RepairOrder | None:
    """For consumers: the order an event refers to, locked, whatever its tenant (the event names it)."""
    row = (await session.execute(select(RepairOrderRow).where(RepairOrderRow.id == ro_id).with_for_update())
           ).scalar_one_or_none()
    return RepairOrder.model_validate(row.doc) if row else None


async def save_repair_order(session: AsyncSession, ro: RepairOrder) -> None:
    values = dict(id=ro.id, dealer_group_id=ro.dealer_group_id, store_id=ro.store_id, number=ro.number,
                  vehicle_id=ro.vehicle_id, state=ro.state.value, open_hours=ro.open_hours,
                  invoice_number=ro.invoice_number, delivered_at=ro.delivered_at, version=ro.version,
                  doc=ro.model_dump(mode="json"))
    stmt = insert(RepairOrderRow.__table__).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}))


async def vehicle_history(session: AsyncSession, dealer_group_id: str, vehicle_id: str,
                          exclude: str | None = None) -> list[RepairOrder]:
    rows = (await session.execute(select(RepairOrderRow).where(
        RepairOrderRow.dealer_group_id == dealer_group_id, RepairOrderRow.vehicle_id == vehicle_id,
        RepairOrderRow.id != (exclude or "")))).scalars().all()
    return [RepairOrder.model_validate(r.doc) for r in rows]


async def queued_hours(session: AsyncSession, dealer_group_id: str, store_id: str) -> Decimal:
    """Labour hours of open orders still to do: the shop's load."""
    n = await session.scalar(select(func.coalesce(func.sum(RepairOrderRow.open_hours), 0)).where(
        RepairOrderRow.dealer_group_id == dealer_group_id, RepairOrderRow.store_id == store_id,
        RepairOrderRow.state == "open"))
    return Decimal(n)


# -- appointments ----------------------------------------------------------------------------------
async def load_appointment(session: AsyncSession, dealer_group_id: str, appointment_id: str, *,
                           lock: bool = True) -> Appointment:
    q = select(AppointmentRow).where(AppointmentRow.id == appointment_id,
                                     AppointmentRow.dealer_group_id == dealer_group_id)
    if lock:
        q = q.with_for_update()
    row = (await session.execute(q)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"appointment {appointment_id} not found", field="appointment_id")
    return Appointment.model_validate(row.doc)


async def find_appointment(session: AsyncSession, appointment_id: str) -> Appointment | None:
    row = (await session.execute(select(AppointmentRow).where(AppointmentRow.id == appointment_id)
                                 .with_for_update())).scalar_one_or_none()
    return Appointment.model_validate(row.doc) if row else None


async def save_appointment(session: AsyncSession, a: Appointment) -> None:
    values = dict(id=a.id, dealer_group_id=a.dealer_group_id, store_id=a.store_id, vehicle_id=a.vehicle_id,
                  state=a.state.value, slot_start=a.slot_start, slot_end=a.slot_end, labour_hours=a.labour_hours,
                  version=a.version, doc=a.model_dump(mode="json"))
    stmt = insert(AppointmentRow.__table__).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}))


async def appointments_between(session: AsyncSession, dealer_group_id: str, store_id: str, start, end, *,
                               states: tuple[str, ...] = ("booked",)) -> list[Appointment]:
    rows = (await session.execute(select(AppointmentRow).where(
        AppointmentRow.dealer_group_id == dealer_group_id, AppointmentRow.store_id == store_id,
        AppointmentRow.state.in_(states), AppointmentRow.slot_start >= start, AppointmentRow.slot_start < end)
        .order_by(AppointmentRow.slot_start))).scalars().all()
    return [Appointment.model_validate(r.doc) for r in rows]


async def booked_slots(session: AsyncSession, dealer_group_id: str, store_id: str, start, end,
                       exclude: str | None = None) -> list[BookedSlot]:
    """Bookings holding capacity (booked or already checked in) between start and end."""
    rows = (await session.execute(select(AppointmentRow.slot_start, AppointmentRow.slot_end,
                                         AppointmentRow.labour_hours).where(
        AppointmentRow.dealer_group_id == dealer_group_id, AppointmentRow.store_id == store_id,
        AppointmentRow.state.in_(("booked", "checked_in")), AppointmentRow.slot_start >= start,
        AppointmentRow.slot_start < end, AppointmentRow.id != (exclude or "")))).all()
    return [BookedSlot(s, e, h) for s, e, h in rows]


async def capacities(session: AsyncSession, dealer_group_id: str, store_id: str, first: date,
                     last: date) -> dict[date, DayCapacity]:
    rows = (await session.execute(select(WorkshopCapacityReplica).where(
        WorkshopCapacityReplica.dealer_group_id == dealer_group_id, WorkshopCapacityReplica.store_id == store_id,
        WorkshopCapacityReplica.day >= first, WorkshopCapacityReplica.day <= last))).scalars().all()
    return {r.day: DayCapacity(r.day, r.bays, r.technician_hours) for r in rows}


# -- replicas --------------------------------------------------------------------------------------
async def labour_operation(session: AsyncSession, dealer_group_id: str, store_id: str,
                           code: str) -> LabourOperationReplica | None:
    return await session.get(LabourOperationReplica, (dealer_group_id, store_id, code))


async def parts_at(session: AsyncSession, dealer_group_id: str, store_id: str,
                   part_nos: list[str]) -> dict[str, PartReplica]:
    if not part_nos:
        return {}
    rows = (await session.execute(select(PartReplica).where(
        PartReplica.dealer_group_id == dealer_group_id, PartReplica.store_id == store_id,
        PartReplica.part_no.in_(part_nos)))).scalars().all()
    return {r.part_no: r for r in rows}
