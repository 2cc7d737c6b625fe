"""One handler per command: load, call the domain, save, record events — committed by the caller's unit of work."""

from __future__ import annotations

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import Conflict, DomainError, NotFound
from shared.messaging.envelope import Tenant
from shared.messaging.outbox import Outbox
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters import repository as repo
from ..adapters.orm import CustomerPhoneRow, CustomerRow, OdometerReadingRow, OwnershipRow, VehicleRow
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
    """A group's stores share its customers: any store of the group may read the record."""
    return await repo.customer_row(session, principal.dealer_group_id, customer_id)


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
    if vehicle.odometer_km is not None:
        session.add(OdometerReadingRow(dealer_group_id=vehicle.dealer_group_id, store_id=store_id,
                                       vehicle_id=vehicle.id, read_on=clock.now().date(), km=vehicle.odometer_km,
                                       source="registration", recorded_at=clock.now()))
    await session.flush()
    await outbox.record_all(session, vehicle.events, tenant=Tenant(vehicle.dealer_group_id, store_id))
    return row


async def get_vehicle(session: AsyncSession, principal: Principal, vehicle_id: str) -> VehicleRow:
    return await repo.vehicle_row(session, principal.dealer_group_id, vehicle_id)


async def find_vehicle_by_vin(session: AsyncSession, principal: Principal, vin: str) -> VehicleRow:
    row = (await session.exec(select(VehicleRow).where(
        VehicleRow.dealer_group_id == principal.dealer_group_id, VehicleRow.vin == vin.strip().upper()))).first()
    if row is None:
        raise NotFound(f"no vehicle with VIN {vin}", field="vin")
    return row


async def _claim_phones(session: AsyncSession, dealer_group_id: str, customer_id: str, phones: list[str]) -> None:
    """Point the customer's phone rows at `phones`; a number another customer holds is a duplicate (409)."""
    taken = (await session.exec(select(CustomerPhoneRow).where(
        CustomerPhoneRow.dealer_group_id == dealer_group_id, CustomerPhoneRow.phone.in_(phones),
        CustomerPhoneRow.customer_id != customer_id))).first()
    if taken:
        raise Conflict(f"phone {taken.phone} already belongs to customer {taken.customer_id}", field="phones",
                       existing_customer_id=taken.customer_id)
    mine = (await session.exec(select(CustomerPhoneRow).where(
        CustomerPhoneRow.dealer_group_id == dealer_group_id, CustomerPhoneRow.customer_id == customer_id))).all()
    for row in mine:
        if row.phone not in phones:
            await session.delete(row)
    held = {r.phone for r in mine}
    for p in phones:
        if p not in held:
            session.add(CustomerPhoneRow(dealer_group_id=dealer_group_id, phone=p, customer_id=customer_id))


async def update_customer(session: AsyncSession, outbox: Outbox, principal: Principal, customer_id: str, *,
                          version: int, changes: dict) -> CustomerRow:
    """Correct a customer's record (PATCH): stale `version` → 409; changed phones are checked for duplicates."""
    row = await repo.customer_row(session, principal.dealer_group_id, customer_id, lock=True)
    customer = repo.customer_from_row(row)
    if not customer.update(expected_version=version, **changes):
        return row
    if "phones" in changes:
        await _claim_phones(session, row.dealer_group_id, row.id, customer.phones)
    repo.apply_customer(row, customer)
    session.add(row)
    await session.flush()
    await outbox.record_all(session, customer.events, tenant=Tenant(row.dealer_group_id, row.store_id))
    return row


async def update_vehicle(session: AsyncSession, outbox: Outbox, principal: Principal, vehicle_id: str, *,
                         version: int, changes: dict) -> VehicleRow:
    row = await repo.vehicle_row(session, principal.dealer_group_id, vehicle_id, lock=True)
    vehicle = repo.vehicle_from_row(row)
    if vehicle.update(expected_version=version, **changes):
        repo.apply_vehicle(row, vehicle)
        session.add(row)
        await session.flush()
        await outbox.record_all(session, vehicle.events, tenant=Tenant(row.dealer_group_id, row.store_id))
    return row


async def change_owner(session: AsyncSession, outbox: Outbox, clock: Clock, principal: Principal, vehicle_id: str,
                       *, version: int, new_owner_customer_id: str) -> VehicleRow:
    """The vehicle changed hands: the old ownership is closed, the new one opened, history kept."""
    row = await repo.vehicle_row(session, principal.dealer_group_id, vehicle_id, lock=True)
    owner = await repo.customer_row(session, principal.dealer_group_id, new_owner_customer_id,
                                    field="new_owner_customer_id")
    vehicle = repo.vehicle_from_row(row)
    vehicle.change_owner(expected_version=version, new_owner_customer_id=owner.id)
    now = clock.now()
    current = (await session.exec(select(OwnershipRow).where(
        OwnershipRow.vehicle_id == row.id, OwnershipRow.owned_to.is_(None)))).all()
    for o in current:
        o.owned_to = now
        session.add(o)
    session.add(OwnershipRow(vehicle_id=row.id, customer_id=owner.id, owned_from=now))
    repo.apply_vehicle(row, vehicle)
    session.add(row)
    await session.flush()
    await outbox.record_all(session, vehicle.events, tenant=Tenant(row.dealer_group_id, row.store_id))
    return row


async def ownership_history(session: AsyncSession, principal: Principal, vehicle_id: str) -> list[OwnershipRow]:
    row = await repo.vehicle_row(session, principal.dealer_group_id, vehicle_id)
    return list((await session.exec(select(OwnershipRow).where(OwnershipRow.vehicle_id == row.id)
                                    .order_by(OwnershipRow.owned_from, OwnershipRow.id))).all())


async def record_odometer(session: AsyncSession, outbox: Outbox, clock: Clock, *, dealer_group_id: str,
                          vehicle_id: str, read_on, km: int, source: str, version: int | None = None,
                          field: str = "vehicle_id", check_future: bool = True) -> VehicleRow:
    """Add an odometer reading to the history; the newest one becomes the vehicle's odometer (VehicleUpdated)."""
    row = await repo.vehicle_row(session, dealer_group_id, vehicle_id, lock=True, field=field)
    vehicle = repo.vehicle_from_row(row)
    history = await repo.readings(session, row.id)
    if check_future and read_on > clock.now().date():
        raise DomainError("a reading cannot be dated in the future", field="read_on")
    changed = vehicle.record_odometer(read_on=read_on, km=km, history=history, expected_version=version)
    session.add(OdometerReadingRow(dealer_group_id=row.dealer_group_id, store_id=row.store_id, vehicle_id=row.id,
                                   read_on=read_on, km=km, source=source, recorded_at=clock.now()))
    if changed:
        repo.apply_vehicle(row, vehicle)
        session.add(row)
    await session.flush()
    await outbox.record_all(session, vehicle.events, tenant=Tenant(row.dealer_group_id, row.store_id))
    return row


async def odometer_history(session: AsyncSession, principal: Principal, vehicle_id: str) -> list[OdometerReadingRow]:
    row = await repo.vehicle_row(session, principal.dealer_group_id, vehicle_id)
    return list((await session.exec(select(OdometerReadingRow).where(OdometerReadingRow.vehicle_id == row.id)
                                    .order_by(OdometerReadingRow.read_on, OdometerReadingRow.id))).all())
