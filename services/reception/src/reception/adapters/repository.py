"""reception's repositories and queries. Never commits: the unit of work does.

Repair orders and appointments are stored whole as JSONB `doc` with the columns queries need
projected beside them (`columns()`); the other queries read the replicas and the store's terms,
always inside the acting dealer group (`uow.actor`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.kit import PageRequest, Repository, UnitOfWork, Upsert
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from ..domain.appointment import Appointment
from ..domain.capacity import BookedSlot, DayCapacity
from ..domain.repair_order import RepairOrder
from .orm import (
    AppointmentRow,
    CustomerReplica,
    LabourOperationReplica,
    PartReplica,
    RepairOrderRow,
    StoreSequenceRow,
    StoreSettingsRow,
    VehicleReplica,
    WorkshopCapacityReplica,
)


class RepairOrders(Repository[RepairOrder]):
    table = RepairOrderRow.__table__
    aggregate = RepairOrder
    id_field = "repair_order_id"

    def columns(self, ro: RepairOrder) -> dict[str, Any]:
        return {"number": ro.number, "vehicle_id": ro.vehicle_id, "state": ro.state.value,
                "open_hours": ro.open_hours, "invoice_number": ro.invoice_number, "delivered_at": ro.delivered_at,
                "opened_at": ro.opened_at, "invoiced_at": ro.invoiced_at}


class Appointments(Repository[Appointment]):
    table = AppointmentRow.__table__
    aggregate = Appointment
    id_field = "appointment_id"

    def columns(self, a: Appointment) -> dict[str, Any]:
        return {"vehicle_id": a.vehicle_id, "state": a.state.value, "slot_start": a.slot_start,
                "slot_end": a.slot_end, "labour_hours": a.labour_hours}


# -- the store's terms and number sequences ------------------------------------------------------
@dataclass(frozen=True)
class StoreTerms:
    store_id: str
    labour_rate: Decimal
    tax_rate: Decimal
    comeback_days: int
    service_interval_months: int
    service_interval_km: int


_store_settings = Upsert(StoreSettingsRow, keys=("dealer_group_id", "store_id"))


async def store_terms(uow: UnitOfWork, store_id: str) -> StoreTerms:
    """The store's terms, or the service's defaults until the store sets its own."""
    row = await uow.session.get(StoreSettingsRow, (uow.actor.dealer_group_id, store_id))
    if row is None:
        s = uow.settings
        return StoreTerms(store_id, s.default_labour_rate, s.default_tax_rate, s.default_comeback_days,
                          s.default_service_interval_months, s.default_service_interval_km)
    return StoreTerms(store_id, row.labour_rate, row.tax_rate, row.comeback_days, row.service_interval_months,
                      row.service_interval_km)


async def set_store_terms(uow: UnitOfWork, terms: StoreTerms) -> None:
    await _store_settings(uow.session, dict(
        dealer_group_id=uow.actor.dealer_group_id, store_id=terms.store_id, labour_rate=terms.labour_rate,
        tax_rate=terms.tax_rate, comeback_days=terms.comeback_days,
        service_interval_months=terms.service_interval_months, service_interval_km=terms.service_interval_km,
        updated_by=uow.actor.user_id, updated_at=uow.now()))


async def next_number(uow: UnitOfWork, store_id: str, name: str) -> int:
    """The store's next number in sequence `name`; gap-free because it rides in the command's transaction."""
    t = StoreSequenceRow.__table__
    stmt = insert(t).values(dealer_group_id=uow.actor.dealer_group_id, store_id=store_id, name=name, last_value=1)
    stmt = stmt.on_conflict_do_update(index_elements=["dealer_group_id", "store_id", "name"],
                                      set_={"last_value": t.c.last_value + 1}).returning(t.c.last_value)
    return (await uow.session.execute(stmt)).scalar_one()


# -- repair orders -------------------------------------------------------------------------------
async def vehicle_history(uow: UnitOfWork, vehicle_id: str, exclude: str | None = None) -> list[RepairOrder]:
    """The vehicle's orders at every store of the group (not only the caller's)."""
    rows = (await uow.session.execute(select(RepairOrderRow.doc).where(
        RepairOrderRow.dealer_group_id == uow.actor.dealer_group_id, RepairOrderRow.vehicle_id == vehicle_id,
        RepairOrderRow.id != (exclude or ""))))
    return [RepairOrder.model_validate(doc) for doc in rows.scalars()]


async def orders_between(uow: UnitOfWork, start: datetime, end: datetime,
                         store_id: str | None = None) -> list[RepairOrder]:
    """Orders opened or invoiced in [start, end), of `store_id` or of every store the caller may see."""
    orders = uow.repo(RepairOrders)
    if uow.session is None:
        return [o for o in await orders.list(store_id=store_id)
                if any(t is not None and start <= t < end for t in (o.opened_at, o.invoiced_at))]
    t = RepairOrderRow
    return await orders.list(or_(and_(t.opened_at >= start, t.opened_at < end),
                                 and_(t.invoiced_at >= start, t.invoiced_at < end)), store_id=store_id)


async def orders_of_vehicle(uow: UnitOfWork, vehicle_id: str, page: PageRequest) -> list[RepairOrder]:
    """The vehicle's orders at the caller's stores (a group role: every store of the group), by opening (the
    order checked in and not yet opened, and those cancelled before opening, last)."""
    return await uow.repo(RepairOrders).list(RepairOrderRow.vehicle_id == vehicle_id,
                                             order_by=(RepairOrderRow.opened_at,), page=page)


async def lock_vehicle(uow: UnitOfWork, vehicle_id: str) -> None:
    """Serialise check-ins of one vehicle until the transaction ends (one open order per vehicle)."""
    await uow.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"reception.vehicle:{vehicle_id}"))))


async def queued_hours(uow: UnitOfWork, store_id: str) -> Decimal:
    """Labour hours of open orders still to do: the shop's load."""
    n = await uow.session.scalar(select(func.coalesce(func.sum(RepairOrderRow.open_hours), 0)).where(
        RepairOrderRow.dealer_group_id == uow.actor.dealer_group_id, RepairOrderRow.store_id == store_id,
        RepairOrderRow.state == "open"))
    return Decimal(n)


# -- appointments ----------------------------------------------------------------------------------
async def appointments_between(uow: UnitOfWork, store_id: str, start: datetime, end: datetime, *,
                               states: tuple[str, ...] = ("booked",), page: PageRequest | None = None,
                               keep: Callable[[Appointment], bool] | None = None) -> list[Appointment]:
    """The store's bookings starting in [start, end), by slot (403 for a store outside the caller's)."""
    return await uow.repo(Appointments).list(
        AppointmentRow.state.in_(states), AppointmentRow.slot_start >= start, AppointmentRow.slot_start < end,
        order_by=(AppointmentRow.slot_start,), store_id=store_id, page=page, keep=keep)


async def appointments_of_vehicle(uow: UnitOfWork, vehicle_id: str, page: PageRequest) -> list[Appointment]:
    """The vehicle's bookings at the caller's stores, in every state, by slot."""
    return await uow.repo(Appointments).list(AppointmentRow.vehicle_id == vehicle_id,
                                             order_by=(AppointmentRow.slot_start,), page=page)


async def booked_slots(uow: UnitOfWork, store_id: str, start: datetime, end: datetime,
                       exclude: str | None = None) -> list[BookedSlot]:
    """Bookings holding capacity (booked or already checked in) between start and end."""
    rows = (await uow.session.execute(select(AppointmentRow.slot_start, AppointmentRow.slot_end,
                                             AppointmentRow.labour_hours).where(
        AppointmentRow.dealer_group_id == uow.actor.dealer_group_id, AppointmentRow.store_id == store_id,
        AppointmentRow.state.in_(("booked", "checked_in")), AppointmentRow.slot_start >= start,
        AppointmentRow.slot_start < end, AppointmentRow.id != (exclude or "")))).all()
    return [BookedSlot(s, e, h) for s, e, h in rows]


async def capacities(uow: UnitOfWork, store_id: str, first: date, last: date) -> dict[date, DayCapacity]:
    rows = (await uow.session.execute(select(WorkshopCapacityReplica).where(
        WorkshopCapacityReplica.dealer_group_id == uow.actor.dealer_group_id,
        WorkshopCapacityReplica.store_id == store_id,
        WorkshopCapacityReplica.day >= first, WorkshopCapacityReplica.day <= last))).scalars().all()
    return {r.day: DayCapacity(r.day, r.bays, r.technician_hours) for r in rows}


# -- replicas --------------------------------------------------------------------------------------
async def labour_operation(uow: UnitOfWork, store_id: str, code: str) -> LabourOperationReplica | None:
    return await uow.session.get(LabourOperationReplica, (uow.actor.dealer_group_id, store_id, code))


async def parts_at(uow: UnitOfWork, store_id: str, part_nos: list[str]) -> dict[str, PartReplica]:
    if not part_nos:
        return {}
    rows = (await uow.session.execute(select(PartReplica).where(
        PartReplica.dealer_group_id == uow.actor.dealer_group_id, PartReplica.store_id == store_id,
        PartReplica.part_no.in_(part_nos)))).scalars().all()
    return {r.part_no: r for r in rows}


async def vehicle(uow: UnitOfWork, vehicle_id: str) -> VehicleReplica | None:
    """The vehicle as crm last told reception, if it is of the caller's group."""
    v = await uow.session.get(VehicleReplica, vehicle_id)
    return v if v is not None and v.dealer_group_id == uow.actor.dealer_group_id else None


async def vehicle_by_vin(uow: UnitOfWork, vin: str) -> VehicleReplica | None:
    return (await uow.session.execute(select(VehicleReplica).where(
        VehicleReplica.dealer_group_id == uow.actor.dealer_group_id, VehicleReplica.vin == vin))).scalars().first()


async def drop_walk_in_copies(uow: UnitOfWork, *, walk_in_customer_id: str, customer_id: str,
                              walk_in_vehicle_id: str, vehicle_id: str) -> None:
    """The copies reception made of a walk-in under its own ids, once crm says it kept other records: their
    rows go, and a new car reception recorded names crm's customer as its owner (crm's VehicleRegistered says
    the same, possibly later: it travels under another key)."""
    group = uow.actor.dealer_group_id
    if walk_in_customer_id != customer_id:
        await uow.session.execute(update(VehicleReplica).where(
            VehicleReplica.dealer_group_id == group, VehicleReplica.owner_customer_id == walk_in_customer_id,
        ).values(owner_customer_id=customer_id))
        await uow.session.execute(delete(CustomerReplica).where(
            CustomerReplica.dealer_group_id == group, CustomerReplica.customer_id == walk_in_customer_id))
    if walk_in_vehicle_id != vehicle_id:
        await uow.session.execute(delete(VehicleReplica).where(
            VehicleReplica.dealer_group_id == group, VehicleReplica.vehicle_id == walk_in_vehicle_id))


async def customer(uow: UnitOfWork, customer_id: str) -> CustomerReplica | None:
    return await uow.session.get(CustomerReplica, customer_id)
