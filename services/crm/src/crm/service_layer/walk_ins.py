"""A walk-in's first visit captured by reception: crm registers the customer and the vehicle under
reception's ids, unless a phone or the VIN is already known. Then the existing record is kept (the
system of record wins), reception's id becomes an alias of it, the kept record is published
again as *Updated, and WalkInMatched tells reception which records it kept (so the repair order names them)."""

from __future__ import annotations

from shared.contracts.crm import WalkInMatched
from shared.contracts.reception import WalkInCustomerRecorded
from shared.errors import DomainError
from shared.kit import UnitOfWork
from shared.observability import get_logger

from ..adapters import repository as repo
from ..adapters.repository import Customers, Vehicles
from ..domain.model import Customer, Vehicle, normalise_phone
from .customers import add_customer, add_vehicle
from .deliveries import odometer_quietly

log = get_logger(__name__)


async def walk_in_recorded(uow: UnitOfWork, e: WalkInCustomerRecorded) -> None:
    customer_id = await _customer(uow, e)
    vehicle_id = await _vehicle(uow, e, customer_id)
    if (customer_id, vehicle_id) != (e.customer_id, e.vehicle_id):
        await uow.publish([WalkInMatched(repair_order_id=e.repair_order_id, customer_id=customer_id,
                                         walk_in_customer_id=e.customer_id, vehicle_id=vehicle_id,
                                         walk_in_vehicle_id=e.vehicle_id)], tenant=uow.envelope.tenant)


def _valid_phones(e: WalkInCustomerRecorded) -> list[str]:
    phones = []
    for p in e.phones:
        try:
            phones.append(normalise_phone(p))
        except DomainError:
            log.warning("crm.walk_in_bad_phone", repair_order_id=e.repair_order_id, phone=p)
    return phones


async def _customer(uow: UnitOfWork, e: WalkInCustomerRecorded) -> str:
    customers = uow.repo(Customers)
    existing = await customers.find(e.customer_id, lock=False)
    if existing is not None:
        return existing.id
    phones = _valid_phones(e)
    owner_id = await repo.phone_owner(uow, phones) if phones else None
    if owner_id is not None:
        kept = await customers.get(owner_id)
        repo.add_alias(uow, "customer", e.customer_id, kept.id)
        kept.republish()
        await customers.save(kept)
        return kept.id
    tenant = uow.envelope.tenant
    customer = Customer.register(id=e.customer_id, dealer_group_id=tenant.dealer_group_id, store_id=tenant.store_id,
                                 kind=e.customer_kind, name=e.customer_name, phones=phones or e.phones)
    await add_customer(uow, customer, created_by=f"reception:{uow.envelope.id}")
    return customer.id


async def _vehicle(uow: UnitOfWork, e: WalkInCustomerRecorded, customer_id: str) -> str:
    """The vehicle's record: registered under reception's id, or the one crm had by the VIN."""
    vehicles = uow.repo(Vehicles)
    if (already := await vehicles.find(e.vehicle_id, lock=False)) is not None:
        return already.id
    vin = e.vin.strip().upper()
    known = await repo.vehicle_by_vin(uow, vin)
    if known is None:
        tenant = uow.envelope.tenant
        vehicle = Vehicle.register(id=e.vehicle_id, dealer_group_id=tenant.dealer_group_id, store_id=tenant.store_id,
                                   vin=vin, owner_customer_id=customer_id, plate=e.plate, model=e.model,
                                   odometer_km=e.odometer_km)
        await add_vehicle(uow, vehicle, created_by=f"reception:{uow.envelope.id}", source="walk-in")
        return vehicle.id
    repo.add_alias(uow, "vehicle", e.vehicle_id, known.id)
    kept = await vehicles.get(known.id)
    fill = {k: val for k, val in (("plate", e.plate), ("model", e.model)) if val and getattr(kept, k) is None}
    if not kept.update(expected_version=kept.version, **fill):
        kept.republish()
    await vehicles.save(kept)
    if e.odometer_km is not None:
        await odometer_quietly(uow, kept.id, uow.now().date(), e.odometer_km, source="walk-in",
                               ref=e.repair_order_id)
    return kept.id
