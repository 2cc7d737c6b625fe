"""Customers and vehicles: register, correct, change hands, read the odometer."""

from __future__ import annotations

from datetime import date

from shared.errors import Conflict, DomainError
from shared.kit import UnitOfWork

from ..adapters import repository as repo
from ..adapters.repository import Customers, Vehicles
from ..domain.model import Customer, Vehicle
from .commands import CustomerCreate, CustomerUpdate, OdometerReadingCreate, OwnerChange, VehicleCreate, VehicleUpdate


async def register_customer(uow: UnitOfWork, cmd: CustomerCreate) -> Customer:
    """A new customer of the group. Duplicate phone numbers within the dealer group are refused (409)."""
    uow.actor.check_store(cmd.store_id)
    customer = Customer.register(dealer_group_id=uow.actor.dealer_group_id, **cmd.model_dump())
    await add_customer(uow, customer, created_by=uow.actor.user_id)
    return customer


async def add_customer(uow: UnitOfWork, customer: Customer, *, created_by: str) -> None:
    await repo.claim_phones(uow, customer)
    await uow.repo(Customers).add(customer, created_by=created_by)


async def update_customer(uow: UnitOfWork, cmd: CustomerUpdate) -> Customer:
    """Correct a customer's record (PATCH): stale `version` → 409; changed phones are checked for duplicates."""
    customer = await uow.repo(Customers).get(cmd.customer_id)
    changes = cmd.changes()
    if customer.update(expected_version=cmd.version, **changes):
        if "phones" in changes:
            await repo.claim_phones(uow, customer)
        await uow.repo(Customers).save(customer)
    return customer


async def register_vehicle(uow: UnitOfWork, cmd: VehicleCreate) -> Vehicle:
    """A vehicle for an existing customer. The VIN is validated; duplicates are refused (409)."""
    uow.actor.check_store(cmd.store_id)
    vehicle = Vehicle.register(dealer_group_id=uow.actor.dealer_group_id, **cmd.model_dump())
    owner = await repo.load(uow, Customers, cmd.owner_customer_id, field="owner_customer_id")
    if owner.id != vehicle.owner_customer_id:  # an alias: the vehicle belongs to the record crm kept
        vehicle = Vehicle.register(dealer_group_id=uow.actor.dealer_group_id,
                                   **cmd.model_dump() | {"owner_customer_id": owner.id})
    existing = await repo.vehicle_by_vin(uow, vehicle.vin)
    if existing:
        raise Conflict(f"VIN {vehicle.vin} is already registered as vehicle {existing.id}", field="vin",
                       existing_vehicle_id=existing.id)
    await add_vehicle(uow, vehicle, created_by=uow.actor.user_id, source="registration")
    return vehicle


async def add_vehicle(uow: UnitOfWork, vehicle: Vehicle, *, created_by: str, source: str) -> None:
    """A new vehicle, its first owner and, when known, its first odometer reading (by `source`)."""
    await uow.repo(Vehicles).add(vehicle, created_by=created_by)
    await repo.hand_over(uow, vehicle.id, vehicle.owner_customer_id)
    if vehicle.odometer_km is not None:
        repo.add_reading(uow, vehicle, read_on=uow.now().date(), km=vehicle.odometer_km, source=source)


async def update_vehicle(uow: UnitOfWork, cmd: VehicleUpdate) -> Vehicle:
    """Correct a vehicle's plate, model, sale, warranty or insurance details."""
    vehicle = await uow.repo(Vehicles).get(cmd.vehicle_id)
    if vehicle.update(expected_version=cmd.version, **cmd.changes()):
        await uow.repo(Vehicles).save(vehicle)
    return vehicle


async def change_owner(uow: UnitOfWork, cmd: OwnerChange) -> Vehicle:
    """The vehicle changed hands: the old ownership is closed, the new one opened, history kept."""
    vehicle = await uow.repo(Vehicles).get(cmd.vehicle_id)
    owner = await repo.load(uow, Customers, cmd.new_owner_customer_id, field="new_owner_customer_id")
    vehicle.change_owner(expected_version=cmd.version, new_owner_customer_id=owner.id)
    await repo.hand_over(uow, vehicle.id, owner.id)
    await uow.repo(Vehicles).save(vehicle)
    return vehicle


async def record_odometer(uow: UnitOfWork, cmd: OdometerReadingCreate) -> Vehicle:
    """An odometer reading entered by hand; the newest one becomes the vehicle's odometer (VehicleUpdated)."""
    return await add_odometer_reading(uow, cmd.vehicle_id, read_on=cmd.read_on, km=cmd.km, source="manual",
                                      version=cmd.version)


async def add_odometer_reading(uow: UnitOfWork, vehicle_id: str, *, read_on: date, km: int, source: str,
                               version: int | None = None, check_future: bool = True) -> Vehicle:
    """Add a reading to the history (it may not go backwards); the newest becomes the vehicle's odometer."""
    vehicle = await uow.repo(Vehicles).get(vehicle_id)
    history = await repo.readings(uow, vehicle.id)
    if check_future and read_on > uow.now().date():
        raise DomainError("a reading cannot be dated in the future", field="read_on")
    changed = vehicle.record_odometer(read_on=read_on, km=km, history=history, expected_version=version)
    repo.add_reading(uow, vehicle, read_on=read_on, km=km, source=source)
    if changed:
        await uow.repo(Vehicles).save(vehicle)
    return vehicle
