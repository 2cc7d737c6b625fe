"""One handler per command: load, call the domain, save, record events — committed by the caller's unit of work."""

from __future__ import annotations

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import Conflict, NotFound
from shared.messaging.envelope import Tenant
from shared.messaging.outbox import Outbox
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters.orm import CustomerPhoneRow, CustomerRow, OwnershipRow, VehicleRow
from ..domain.model import Customer, Vehicle


async def register_customer(session: AsyncSession, outbox: Outbox, principal: Principal, *, store_id: str,
                            **fields) -> CustomerRow:
    customer = Customer.register(dealer_group_id=principal.dealer_group_id, home_store_id=store_id, **fields)
    taken = (await session.exec(select(CustomerPhoneRow).where(
        CustomerPhoneRow.dealer_group_id == principal.dealer_group_id,
        CustomerPhoneRow.phone.in_(customer.phones)))).first()
    if taken:
        raise Conflict(f"phone {taken.phone} already belongs to customer {taken.customer_id}", field="phones",
                       existing_customer_id=taken.customer_id)
    row = CustomerRow(id=customer.id, dealer_group_id=customer.dealer_group_id, store_id=store_id,
                      kind=customer.kind.value, name=customer.name, phones=customer.phones,
                      contact_window=customer.contact_window, consent_to_call=customer.consent_to_call,
                      created_by=principal.user_id)
    session.add(row)
    for p in customer.phones:
        session.add(CustomerPhoneRow(dealer_group_id=customer.dealer_group_id, phone=p, customer_id=customer.id))
    await session.flush()
    await outbox.record_all(session, customer.events, tenant=Tenant(customer.dealer_group_id, store_id))
    return row


async def get_customer(session: AsyncSession, principal: Principal, customer_id: str) -> CustomerRow:
    row = await session.get(CustomerRow, customer_id)
    if row is None or row.dealer_group_id != principal.dealer_group_id:
        raise NotFound(f"customer {customer_id} not found", field="customer_id")
    return row


async def register_vehicle(session: AsyncSession, outbox: Outbox, clock: Clock, principal: Principal, *,
                           store_id: str, vin: str, owner_customer_id: str, **details) -> VehicleRow:
    vehicle = Vehicle.register(dealer_group_id=principal.dealer_group_id, home_store_id=store_id, vin=vin,
                               owner_customer_id=owner_customer_id, **details)
    owner = await session.get(CustomerRow, owner_customer_id)
    if owner is None or owner.dealer_group_id != principal.dealer_group_id:
        raise NotFound(f"owner customer {owner_customer_id} not found", field="owner_customer_id")
    existing = (await session.exec(select(VehicleRow).where(
        VehicleRow.dealer_group_id == principal.dealer_group_id, VehicleRow.vin == vehicle.vin))).first()
    if existing:
        raise Conflict(f"VIN {vehicle.vin} is already registered as vehicle {existing.id}", field="vin",
                       existing_vehicle_id=existing.id)
    snap = vehicle.snapshot()
    snap.pop("vehicle_id")
    row = VehicleRow(id=vehicle.id, dealer_group_id=vehicle.dealer_group_id, store_id=store_id,
                     created_by=principal.user_id, **snap)
    session.add(row)
    session.add(OwnershipRow(vehicle_id=vehicle.id, customer_id=owner_customer_id, owned_from=clock.now()))
    await session.flush()
    await outbox.record_all(session, vehicle.events, tenant=Tenant(vehicle.dealer_group_id, store_id))
    return row


async def get_vehicle(session: AsyncSession, principal: Principal, vehicle_id: str) -> VehicleRow:
    row = await session.get(VehicleRow, vehicle_id)
    if row is None or row.dealer_group_id != principal.dealer_group_id:
        raise NotFound(f"vehicle {vehicle_id} not found", field="vehicle_id")
    return row


async def find_vehicle_by_vin(session: AsyncSession, principal: Principal, vin: str) -> VehicleRow:
    row = (await session.exec(select(VehicleRow).where(
        VehicleRow.dealer_group_id == principal.dealer_group_id, VehicleRow.vin == vin.strip().upper()))).first()
    if row is None:
        raise NotFound(f"no vehicle with VIN {vin}", field="vin")
    return row
