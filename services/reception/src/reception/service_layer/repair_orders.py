"""Check-in, the signed repair order, added work, settlement and delivery: one handler per command."""

from __future__ import annotations

import uuid
from decimal import Decimal

from shared.auth import Principal
from shared.contracts import reception as ev
from shared.errors import Conflict, DomainError, NotFound
from shared.messaging.envelope import Tenant
from shared.vin import normalise_vin
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters import repository as repo
from ..adapters.orm import CustomerReplica, VehicleReplica
from ..domain.capacity import promised_completion, technicians_on
from ..domain.pricing import Job, Material, PartItem, Signature, labour_amount, settle
from ..domain.repair_order import CheckInSheet, Finding, RepairOrder, RoState, add_months, is_comeback
from . import commands as c
from .catalogue import price_parts, resolve_jobs
from .common import Context


async def check_in(session: AsyncSession, ctx: Context, principal: Principal, cmd: c.CheckIn) -> RepairOrder:
    """Receive a car (接车). A first visit records the customer and vehicle with ids reception picks and
    tells crm (WalkInCustomerRecorded); crm stays their system of record."""
    dg, now = principal.dealer_group_id, ctx.clock.now()
    vin = normalise_vin(cmd.vin)
    ro_id = str(uuid.uuid4())
    walk_in: ev.WalkInCustomerRecorded | None = None
    if cmd.vehicle_id:
        v = await session.get(VehicleReplica, cmd.vehicle_id)
        if v is None or v.dealer_group_id != dg:
            raise NotFound(f"vehicle {cmd.vehicle_id} not known to reception", field="vehicle_id")
        if v.vin != vin:
            raise DomainError(f"VIN on the car ({vin}) does not match the vehicle's record ({v.vin})", field="vin")
        vehicle_id, customer_id, last_odometer = v.vehicle_id, v.owner_customer_id, v.odometer_km
        plate = cmd.plate or v.plate
    else:
        if cmd.first_visit is None:
            raise DomainError("give vehicle_id, or first_visit with the customer for a car crm does not know",
                              field="vehicle_id")
        known = (await session.exec(select(VehicleReplica).where(VehicleReplica.dealer_group_id == dg,
                                                                 VehicleReplica.vin == vin))).first()
        if known is not None:
            raise Conflict(f"VIN {vin} is already known as vehicle {known.vehicle_id}: check in with its vehicle_id",
                           field="vin", existing_vehicle_id=known.vehicle_id)
        vehicle_id, customer_id, last_odometer = str(uuid.uuid4()), str(uuid.uuid4()), None
        fv = cmd.first_visit
        plate = (cmd.plate or fv.vehicle.plate or "").strip().upper() or None
        walk_in = ev.WalkInCustomerRecorded(
            repair_order_id=ro_id, customer_id=customer_id, customer_kind=fv.customer.kind,
            customer_name=fv.customer.name, phones=fv.customer.phones, vehicle_id=vehicle_id, vin=vin, plate=plate,
            model=fv.vehicle.model, odometer_km=cmd.odometer_km)
    appointment = None
    if cmd.appointment_id:
        appointment = await repo.load_appointment(session, dg, cmd.appointment_id)
        if appointment.vehicle_id != vehicle_id:
            raise DomainError("the appointment is for another vehicle", field="appointment_id")
        appointment.checked_in(ro_id)
    sheet = CheckInSheet(plate=plate, vin=vin, odometer_km=cmd.odometer_km, fuel_level=cmd.fuel_level,
                         covers_fitted=cmd.covers_fitted, damage_marks=cmd.damage_marks, spare_tyre=cmd.spare_tyre,
                         valuables=cmd.valuables, customer_complaint=cmd.customer_complaint,
                         inspection=cmd.inspection, checked_in_at=now)
    ro = RepairOrder.check_in_vehicle(id=ro_id, dealer_group_id=dg, store_id=cmd.store_id, vehicle_id=vehicle_id,
                                      customer_id=customer_id, advisor_id=principal.user_id, sheet=sheet,
                                      appointment_id=cmd.appointment_id, last_odometer_km=last_odometer)
    if walk_in is not None:
        env = await ctx.outbox.record(session, walk_in, tenant=Tenant(dg, cmd.store_id))
        # Kept in the replicas at once, so the order and lists show them before crm answers.
        session.add(CustomerReplica(customer_id=customer_id, dealer_group_id=dg, store_id=cmd.store_id,
                                    kind=walk_in.customer_kind, name=walk_in.customer_name, phones=walk_in.phones,
                                    source_event_id=env.id, updated_at=now))
        session.add(VehicleReplica(vehicle_id=vehicle_id, dealer_group_id=dg, store_id=cmd.store_id, vin=vin,
                                   plate=plate, model=walk_in.model, owner_customer_id=customer_id,
                                   odometer_km=cmd.odometer_km, source_event_id=env.id, updated_at=now))
    if appointment is not None:
        await repo.save_appointment(session, appointment)
    await repo.save_repair_order(session, ro)
    await ctx.publish(session, ro.events, dg, ro.store_id)
    return ro


async def _load(session: AsyncSession, principal: Principal, ro_id: str, version: int | None = None) -> RepairOrder:
    ro = await repo.load_repair_order(session, principal.dealer_group_id, ro_id)
    principal.check_store(ro.store_id)
    if version is not None:
        ro.check_version(version)
    return ro


async def _comeback_of(session: AsyncSession, ctx: Context, ro: RepairOrder, jobs: list[Job], window_days: int,
                       given: str | None) -> str | None:
    """The earlier order this one comes back on (返修): named by the advisor, or found by the same job on
    the same vehicle delivered within the store's window."""
    if given:
        prev = await repo.load_repair_order(session, ro.dealer_group_id, given, lock=False)
        if prev.vehicle_id != ro.vehicle_id or prev.id == ro.id:
            raise DomainError("the comeback must name an earlier order of the same vehicle", field="comeback_of")
        return prev.id
    codes = {j.operation_code for j in jobs if j.operation_code}
    now = ctx.clock.now()
    candidates = [p for p in await repo.vehicle_history(session, ro.dealer_group_id, ro.vehicle_id, exclude=ro.id)
                  if p.delivered_at and is_comeback(previous_delivered_at=p.delivered_at, now=now,
                                                    window_days=window_days,
                                                    previous_codes={j.operation_code for j in p.jobs
                                                                    if j.operation_code}, codes=codes)]
    return max(candidates, key=lambda p: p.delivered_at).id if candidates else None


async def open_order(session: AsyncSession, ctx: Context, principal: Principal, ro_id: str,
                     cmd: c.OpenOrder) -> RepairOrder:
    ro = await _load(session, principal, ro_id, cmd.version)
    ro.require("open")  # before pricing: a wrong state is named first
    terms = await repo.store_terms(session, ctx.settings, ro.dealer_group_id, ro.store_id)
    now, wh = ctx.clock.now(), ctx.working_hours
    jobs = await resolve_jobs(session, ro.dealer_group_id, ro.store_id, cmd.jobs, terms.labour_rate)
    materials = [Material(description=m.description, amount=m.amount, pay_type=m.pay_type) for m in cmd.materials]
    promised = cmd.promised_at
    if promised is None:
        today = wh.local_day(now)
        caps = await repo.capacities(session, ro.dealer_group_id, ro.store_id, today, today)
        promised = promised_completion(
            now=now, job_hours=sum((j.flat_rate_hours for j in jobs), Decimal(0)),
            queued_hours=await repo.queued_hours(session, ro.dealer_group_id, ro.store_id),
            technicians=technicians_on(caps.get(today), wh), wh=wh)
    comeback_of = await _comeback_of(session, ctx, ro, jobs, terms.comeback_days, cmd.comeback_of)
    number = f"{ro.store_id}-RO{await repo.next_number(session, ro.dealer_group_id, ro.store_id, 'repair_order'):06d}"
    ro.open(number=number, jobs=jobs, materials=materials, payment_method=cmd.payment_method,
            old_parts=cmd.old_parts, wash=cmd.wash, transport=cmd.transport,
            signature=Signature(name=cmd.signature.name, image_ref=cmd.signature.image_ref, signed_at=now),
            promised_at=promised, now=now, comeback_of=comeback_of)
    await repo.save_repair_order(session, ro)
    await ctx.publish(session, ro.events, ro.dealer_group_id, ro.store_id)
    return ro


async def decide_added_work(session: AsyncSession, ctx: Context, principal: Principal, ro_id: str, finding_id: str,
                            cmd: c.DecideAddedWork) -> RepairOrder:
    """The advisor prices the added work (增项) and records the customer's decision."""
    ro = await _load(session, principal, ro_id, cmd.version)
    f = ro.finding(finding_id)
    if f is None:
        raise NotFound(f"repair order {ro_id} has no added work {finding_id}", field="finding_id")
    if cmd.flat_rate_hours is not None and cmd.flat_rate_hours < 0:
        raise DomainError(f"labour hours must not be negative (got {cmd.flat_rate_hours})", field="flat_rate_hours")
    terms = await repo.store_terms(session, ctx.settings, ro.dealer_group_id, ro.store_id)
    parts = ([PartItem(part_no=p.part_no, quantity=p.quantity, unit_price=p.unit_price) for p in cmd.parts]
             if cmd.parts is not None else list(f.parts))
    job = Job(job_id=str(uuid.uuid4()), operation_code=f.operation_code, description=f.description,
              pay_type=cmd.pay_type, flat_rate_hours=cmd.flat_rate_hours if cmd.flat_rate_hours is not None
              else f.estimated_hours, labour_rate=terms.labour_rate, parts=parts, safety_related=f.safety_related,
              finding_id=f.finding_id)
    (job,) = await price_parts(session, ro.dealer_group_id, ro.store_id, [job])
    if cmd.decision is c.Decision.APPROVE:
        ro.approve_added_work(finding_id, job)
    else:
        sig = (Signature(name=cmd.signature.name, image_ref=cmd.signature.image_ref, signed_at=ctx.clock.now())
               if cmd.signature else None)
        ro.decline_added_work(finding_id, estimated_amount=job.labour_amount + job.parts_amount, signature=sig)
    await repo.save_repair_order(session, ro)
    await ctx.publish(session, ro.events, ro.dealer_group_id, ro.store_id)
    return ro


async def settlement_sheet(session: AsyncSession, ctx: Context, ro: RepairOrder):
    """The sheet as it would print now (the invoiced one once settled)."""
    if ro.settlement is not None:
        return ro.settlement
    terms = await repo.store_terms(session, ctx.settings, ro.dealer_group_id, ro.store_id)
    history = await repo.vehicle_history(session, ro.dealer_group_id, ro.vehicle_id, exclude=ro.id)
    had_first_service = any(p.has_first_service and p.state in (RoState.INVOICED, RoState.DELIVERED)
                            for p in history)
    return settle(ro.jobs, ro.materials, tax_rate=terms.tax_rate, first_service_free=not had_first_service,
                  declined=ro.declined_work)


async def invoice(session: AsyncSession, ctx: Context, principal: Principal, ro_id: str,
                  cmd: c.InvoiceOrder) -> RepairOrder:
    ro = await _load(session, principal, ro_id, cmd.version)
    ro.assert_invoiceable()
    sheet = await settlement_sheet(session, ctx, ro)
    n = await repo.next_number(session, ro.dealer_group_id, ro.store_id, "invoice")
    ro.invoice(invoice_number=f"{ro.store_id}-INV{n:06d}", sheet=sheet, now=ctx.clock.now())
    await repo.save_repair_order(session, ro)
    await ctx.publish(session, ro.events, ro.dealer_group_id, ro.store_id)
    return ro


async def deliver(session: AsyncSession, ctx: Context, principal: Principal, ro_id: str,
                  cmd: c.DeliverVehicle) -> RepairOrder:
    """Hand the car back (交车), telling the customer the next service date and mileage."""
    ro = await _load(session, principal, ro_id, cmd.version)
    terms = await repo.store_terms(session, ctx.settings, ro.dealer_group_id, ro.store_id)
    now = ctx.clock.now()
    odometer = cmd.odometer_out_km if cmd.odometer_out_km is not None else ro.check_in.odometer_km
    ro.deliver(now=now, next_service_date=add_months(ctx.working_hours.local_day(now), terms.service_interval_months),
               next_service_km=odometer + terms.service_interval_km, odometer_out_km=cmd.odometer_out_km)
    await repo.save_repair_order(session, ro)
    await ctx.publish(session, ro.events, ro.dealer_group_id, ro.store_id)
    return ro


async def cancel(session: AsyncSession, ctx: Context, principal: Principal, ro_id: str,
                 cmd: c.CancelOrder) -> RepairOrder:
    ro = await _load(session, principal, ro_id, cmd.version)
    ro.cancel(cmd.reason)
    await repo.save_repair_order(session, ro)
    await ctx.publish(session, ro.events, ro.dealer_group_id, ro.store_id)
    return ro


# -- facts from workshop and parts (consumers) ----------------------------------------------------
async def record_added_work_found(session: AsyncSession, ctx: Context, ro: RepairOrder, *, finding_id: str,
                                  description: str, safety_related: bool, operation_code: str | None,
                                  estimated_hours: Decimal, parts: list[PartItem]) -> bool:
    terms = await repo.store_terms(session, ctx.settings, ro.dealer_group_id, ro.store_id)
    quote = Job(job_id="quote", description=description, flat_rate_hours=estimated_hours,
                labour_rate=terms.labour_rate, parts=parts)
    (quote,) = await price_parts(session, ro.dealer_group_id, ro.store_id, [quote])
    return ro.record_finding(Finding(
        finding_id=finding_id, description=description, safety_related=safety_related,
        operation_code=operation_code, estimated_hours=estimated_hours, parts=quote.parts, found_at=ctx.clock.now(),
        estimated_amount=labour_amount(estimated_hours, terms.labour_rate) + quote.parts_amount))
