"""Check-in, the signed repair order, added work, settlement and delivery: one handler per command."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.contracts import crm
from shared.contracts import reception as ev
from shared.errors import Conflict, DomainError, NotFound
from shared.kit import UnitOfWork
from shared.messaging.envelope import Tenant
from shared.vin import normalise_vin

from ..adapters import repository as repo
from ..adapters.orm import CustomerReplica, VehicleReplica
from ..adapters.repository import Appointments, RepairOrders
from ..domain.capacity import promised_completion, technicians_on
from ..domain.pricing import Job, Material, PartItem, SettlementSheet, Signature, labour_amount, settle
from ..domain.repair_order import (
    CheckInSheet,
    Finding,
    RepairOrder,
    RoState,
    is_comeback,
    next_service,
    plate_check,
)
from . import commands as c
from .catalogue import price_parts, resolve_jobs
from .common import working_hours


@dataclass
class _Arrival:
    """Who the car at the check-in belongs to: a known vehicle, or a first visit for crm to record."""

    vehicle_id: str
    customer_id: str
    plate: str | None
    last_odometer_km: int | None = None
    plate_on_record: str | None = None
    walk_in: ev.WalkInCustomerRecorded | None = None


async def _arrival(uow: UnitOfWork, cmd: c.CheckIn, vin: str, ro_id: str) -> _Arrival:
    if cmd.vehicle_id:
        v = await repo.vehicle(uow, cmd.vehicle_id)
        if v is None:
            raise NotFound(f"vehicle {cmd.vehicle_id} not known to reception", field="vehicle_id")
        if v.vin != vin:
            raise DomainError(f"VIN on the car ({vin}) does not match the vehicle's record ({v.vin})", field="vin")
        return _Arrival(v.vehicle_id, v.owner_customer_id, cmd.plate or v.plate, v.odometer_km, plate_on_record=v.plate)
    if cmd.first_visit is None:
        raise DomainError("give vehicle_id, or first_visit with the customer for a car crm does not know",
                          field="vehicle_id")
    known = await repo.vehicle_by_vin(uow, vin)
    if known is not None:
        raise Conflict(f"VIN {vin} is already known as vehicle {known.vehicle_id}: check in with its vehicle_id",
                       field="vin", existing_vehicle_id=known.vehicle_id)
    vehicle_id, customer_id, fv = str(uuid.uuid4()), str(uuid.uuid4()), cmd.first_visit
    plate = (cmd.plate or fv.vehicle.plate or "").strip().upper() or None
    walk_in = ev.WalkInCustomerRecorded(
        repair_order_id=ro_id, customer_id=customer_id, customer_kind=fv.customer.kind,
        customer_name=fv.customer.name, phones=fv.customer.phones, vehicle_id=vehicle_id, vin=vin, plate=plate,
        model=fv.vehicle.model, odometer_km=cmd.odometer_km)
    return _Arrival(vehicle_id, customer_id, plate, walk_in=walk_in)


async def _record_walk_in(uow: UnitOfWork, walk_in: ev.WalkInCustomerRecorded, store_id: str) -> None:
    """Tell crm of the first visit; kept in the replicas at once, so the order and lists show the customer and
    vehicle before crm answers."""
    (env,) = await uow.publish([walk_in], tenant=Tenant(uow.actor.dealer_group_id, store_id))
    dg, now = uow.actor.dealer_group_id, uow.now()
    uow.session.add(CustomerReplica(customer_id=walk_in.customer_id, dealer_group_id=dg, store_id=store_id,
                                    kind=walk_in.customer_kind, name=walk_in.customer_name, phones=walk_in.phones,
                                    source_event_id=env.id, updated_at=now))
    uow.session.add(VehicleReplica(vehicle_id=walk_in.vehicle_id, dealer_group_id=dg, store_id=store_id,
                                   vin=walk_in.vin, plate=walk_in.plate, model=walk_in.model,
                                   owner_customer_id=walk_in.customer_id, odometer_km=walk_in.odometer_km,
                                   source_event_id=env.id, updated_at=now))


async def check_in(uow: UnitOfWork, cmd: c.CheckIn) -> RepairOrder:
    """Receive a car (接车). A first visit records the customer and vehicle with ids reception picks and
    tells crm (WalkInCustomerRecorded); crm stays their system of record."""
    uow.actor.check_store(cmd.store_id)
    vin = normalise_vin(cmd.vin)
    ro_id = str(uuid.uuid4())
    arrival = await _arrival(uow, cmd, vin, ro_id)
    mismatch = plate_check(cmd.plate, arrival.plate_on_record, confirmed=cmd.confirm_plate_change)
    history: list[RepairOrder] = []
    if arrival.walk_in is None:
        await repo.lock_vehicle(uow, arrival.vehicle_id)  # two advisors checking the same car in: one waits
        history = await repo.vehicle_history(uow, arrival.vehicle_id)
    appointment = None
    if cmd.appointment_id:
        appointment = await uow.repo(Appointments).get(cmd.appointment_id)
        if appointment.vehicle_id != arrival.vehicle_id:
            raise DomainError("the appointment is for another vehicle", field="appointment_id")
        appointment.checked_in(ro_id)
    sheet = CheckInSheet(plate=arrival.plate, plate_mismatch=mismatch, vin=vin, odometer_km=cmd.odometer_km,
                         fuel_level=cmd.fuel_level, covers_fitted=cmd.covers_fitted, damage_marks=cmd.damage_marks,
                         spare_tyre=cmd.spare_tyre, valuables=cmd.valuables,
                         customer_complaint=cmd.customer_complaint, inspection=cmd.inspection,
                         checked_in_at=uow.now())
    ro = RepairOrder.check_in_vehicle(
        id=ro_id, dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id, vehicle_id=arrival.vehicle_id,
        customer_id=arrival.customer_id, advisor_id=uow.actor.user_id, sheet=sheet,
        appointment_id=cmd.appointment_id, last_odometer_km=arrival.last_odometer_km, history=history)
    if arrival.walk_in is not None:
        await _record_walk_in(uow, arrival.walk_in, cmd.store_id)
    if appointment is not None:
        await uow.repo(Appointments).save(appointment)
    await uow.repo(RepairOrders).add(ro)
    return ro


async def _load(uow: UnitOfWork, ro_id: str, version: int | None = None) -> RepairOrder:
    """The order, locked: 404 outside the caller's group, 403 outside its stores, 409 when stale."""
    ro = await uow.repo(RepairOrders).get(ro_id)
    if version is not None:
        ro.check_version(version)
    return ro


async def _comeback_of(uow: UnitOfWork, ro: RepairOrder, jobs: list[Job], window_days: int,
                       given: str | None) -> str | None:
    """The earlier order this one comes back on (返修): named by the advisor, or found by the same job on
    the same vehicle delivered within the store's window (at any store of the group)."""
    if given:
        prev = await uow.repo(RepairOrders).find(given, lock=False)
        if prev is None:
            raise NotFound(f"repair order {given} not found", field="repair_order_id")
        if prev.vehicle_id != ro.vehicle_id or prev.id == ro.id:
            raise DomainError("the comeback must name an earlier order of the same vehicle", field="comeback_of")
        return prev.id
    codes = {j.operation_code for j in jobs if j.operation_code}
    now = uow.now()
    candidates = [p for p in await repo.vehicle_history(uow, ro.vehicle_id, exclude=ro.id)
                  if p.delivered_at and is_comeback(previous_delivered_at=p.delivered_at, now=now,
                                                    window_days=window_days,
                                                    previous_codes={j.operation_code for j in p.jobs
                                                                    if j.operation_code}, codes=codes)]
    return max(candidates, key=lambda p: p.delivered_at).id if candidates else None


async def open_order(uow: UnitOfWork, cmd: c.OpenOrder) -> RepairOrder:
    ro = await _load(uow, cmd.repair_order_id, cmd.version)
    ro.require("open")  # before pricing: a wrong state is named first
    terms = await repo.store_terms(uow, ro.store_id)
    now, wh = uow.now(), working_hours(uow.settings)
    jobs = await resolve_jobs(uow, ro.store_id, cmd.jobs, terms.labour_rate)
    materials = [Material(description=m.description, amount=m.amount, pay_type=m.pay_type) for m in cmd.materials]
    promised = cmd.promised_at
    if promised is None:
        today = wh.local_day(now)
        caps = await repo.capacities(uow, ro.store_id, today, today)
        promised = promised_completion(
            now=now, job_hours=sum((j.flat_rate_hours for j in jobs), Decimal(0)),
            queued_hours=await repo.queued_hours(uow, ro.store_id),
            technicians=technicians_on(caps.get(today), wh), wh=wh)
    comeback_of = await _comeback_of(uow, ro, jobs, terms.comeback_days, cmd.comeback_of)
    number = f"{ro.store_id}-RO{await repo.next_number(uow, ro.store_id, 'repair_order'):06d}"
    ro.open(number=number, jobs=jobs, materials=materials, payment_method=cmd.payment_method,
            old_parts=cmd.old_parts, wash=cmd.wash, transport=cmd.transport,
            signature=Signature(name=cmd.signature.name, image_ref=cmd.signature.image_ref, signed_at=now),
            promised_at=promised, now=now, comeback_of=comeback_of)
    await uow.repo(RepairOrders).save(ro)
    return ro


async def decide_added_work(uow: UnitOfWork, cmd: c.DecideAddedWork) -> RepairOrder:
    """The advisor prices the added work (增项) and records the customer's decision."""
    ro = await _load(uow, cmd.repair_order_id, cmd.version)
    f = ro.finding(cmd.finding_id)
    if f is None:
        raise NotFound(f"repair order {ro.id} has no added work {cmd.finding_id}", field="finding_id")
    if cmd.flat_rate_hours is not None and cmd.flat_rate_hours < 0:
        raise DomainError(f"labour hours must not be negative (got {cmd.flat_rate_hours})", field="flat_rate_hours")
    terms = await repo.store_terms(uow, ro.store_id)
    parts = ([PartItem(part_no=p.part_no, quantity=p.quantity, unit_price=p.unit_price) for p in cmd.parts]
             if cmd.parts is not None else list(f.parts))
    job = Job(job_id=str(uuid.uuid4()), operation_code=f.operation_code, description=f.description,
              pay_type=cmd.pay_type, flat_rate_hours=cmd.flat_rate_hours if cmd.flat_rate_hours is not None
              else f.estimated_hours, labour_rate=terms.labour_rate, parts=parts, safety_related=f.safety_related,
              finding_id=f.finding_id)
    (job,) = await price_parts(uow, ro.store_id, [job])
    if cmd.decision is c.Decision.APPROVE:
        ro.approve_added_work(f.finding_id, job)
    else:
        sig = (Signature(name=cmd.signature.name, image_ref=cmd.signature.image_ref, signed_at=uow.now())
               if cmd.signature else None)
        ro.decline_added_work(f.finding_id, estimated_amount=job.labour_amount + job.parts_amount, signature=sig)
    await uow.repo(RepairOrders).save(ro)
    return ro


def _next_service(uow: UnitOfWork, terms: repo.StoreTerms, odometer_km: int) -> tuple[date, int]:
    """As delivery computes it: from today (in the store's time zone) and the odometer the car leaves with."""
    today = working_hours(uow.settings).local_day(uow.now())
    return next_service(today, odometer_km, interval_months=terms.service_interval_months,
                        interval_km=terms.service_interval_km)


async def settlement_sheet(uow: UnitOfWork, ro: RepairOrder) -> SettlementSheet:
    """The sheet as it would print now (the invoiced one once settled), with the next service date and
    mileage: as delivery will compute them, and as it did once the car is delivered."""
    if ro.state is RoState.DELIVERED and ro.settlement is not None:
        return ro.settlement.model_copy(update={"next_service_date": ro.next_service_date,
                                                "next_service_km": ro.next_service_km})
    if ro.settlement is not None:
        return ro.settlement
    terms = await repo.store_terms(uow, ro.store_id)
    history = await repo.vehicle_history(uow, ro.vehicle_id, exclude=ro.id)
    had_first_service = any(p.has_first_service and p.state in (RoState.INVOICED, RoState.DELIVERED)
                            for p in history)
    sheet = settle(ro.jobs, ro.materials, tax_rate=terms.tax_rate, first_service_free=not had_first_service,
                   declined=ro.declined_work)
    day, km = _next_service(uow, terms, ro.check_in.odometer_km)
    return sheet.model_copy(update={"next_service_date": day, "next_service_km": km})


async def invoice(uow: UnitOfWork, cmd: c.InvoiceOrder) -> RepairOrder:
    ro = await _load(uow, cmd.repair_order_id, cmd.version)
    ro.assert_invoiceable()
    sheet = await settlement_sheet(uow, ro)
    n = await repo.next_number(uow, ro.store_id, "invoice")
    ro.invoice(invoice_number=f"{ro.store_id}-INV{n:06d}", sheet=sheet, now=uow.now())
    await uow.repo(RepairOrders).save(ro)
    return ro


async def deliver(uow: UnitOfWork, cmd: c.DeliverVehicle) -> RepairOrder:
    """Hand the car back (交车), telling the customer the next service date and mileage (kept on the order and
    shown on the settlement sheet)."""
    ro = await _load(uow, cmd.repair_order_id, cmd.version)
    terms = await repo.store_terms(uow, ro.store_id)
    odometer = cmd.odometer_out_km if cmd.odometer_out_km is not None else ro.check_in.odometer_km
    day, km = _next_service(uow, terms, odometer)
    ro.deliver(now=uow.now(), next_service_date=day, next_service_km=km, odometer_out_km=cmd.odometer_out_km)
    await uow.repo(RepairOrders).save(ro)
    return ro


async def cancel(uow: UnitOfWork, cmd: c.CancelOrder) -> RepairOrder:
    ro = await _load(uow, cmd.repair_order_id, cmd.version)
    ro.cancel(cmd.reason)
    await uow.repo(RepairOrders).save(ro)
    return ro


# -- facts from workshop (consumers) --------------------------------------------------------------
async def walk_in_matched(uow: UnitOfWork, e: crm.WalkInMatched) -> None:
    """crm already had the walk-in's customer or vehicle: the repair order names crm's records, and reception's
    provisional copies go (the kept records' own events bring reception's copies of them)."""
    ids = dict(walk_in_customer_id=e.walk_in_customer_id, customer_id=e.customer_id,
               walk_in_vehicle_id=e.walk_in_vehicle_id, vehicle_id=e.vehicle_id)
    ro = await uow.repo(RepairOrders).find(e.repair_order_id)
    if ro is not None and ro.records_kept(**ids):
        await uow.repo(RepairOrders).save(ro)
    await repo.drop_walk_in_copies(uow, **ids)


async def record_added_work_found(uow: UnitOfWork, ro: RepairOrder, *, finding_id: str, description: str,
                                  safety_related: bool, operation_code: str | None, estimated_hours: Decimal,
                                  parts: list[PartItem]) -> bool:
    """Workshop found added work: priced for the advisor; False when already recorded."""
    terms = await repo.store_terms(uow, ro.store_id)
    quote = Job(job_id="quote", description=description, flat_rate_hours=estimated_hours,
                labour_rate=terms.labour_rate, parts=parts)
    (quote,) = await price_parts(uow, ro.store_id, [quote])
    return ro.record_finding(Finding(
        finding_id=finding_id, description=description, safety_related=safety_related,
        operation_code=operation_code, estimated_hours=estimated_hours, parts=quote.parts, found_at=uow.now(),
        estimated_amount=labour_amount(estimated_hours, terms.labour_rate) + quote.parts_amount))
