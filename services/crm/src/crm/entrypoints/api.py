"""crm's HTTP API for customers and vehicles: translate requests into commands, nothing else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from shared.errors import NotFound
from shared.openapi import answers, links_to

from ..adapters import repository as repo
from ..adapters.repository import Customers, Vehicles
from ..service_layer import customers as handlers
from ..service_layer.commands import (
    CustomerCreate,
    CustomerUpdate,
    OdometerReadingCreate,
    OwnerChange,
    VehicleCreate,
    VehicleUpdate,
)
from . import views
from .deps import RecordReader, RecordWriter
from .views import CustomerPublic, OdometerReadingPublic, OwnershipPublic, VehiclePublic

router = APIRouter(tags=["customers and vehicles"])


@router.post("/customers", status_code=201, response_model=CustomerPublic,
             openapi_extra=links_to("/customers/{customer_id}"))
async def register_customer(body: CustomerCreate, run: RecordWriter):
    """Register a customer. Duplicate phone numbers within the dealer group are refused (409)."""
    return await run(handlers.register_customer, body, view=views.customer, status=201)


@router.get("/customers/{customer_id}", response_model=CustomerPublic)
async def get_customer(customer_id: str, uow: RecordReader):
    """A group's stores share its customers: any store of the group may read the record."""
    return views.customer(uow, await uow.repo(Customers).get(customer_id, lock=False))


@router.post("/vehicles", status_code=201, response_model=VehiclePublic,
             openapi_extra=links_to("/vehicles/{vehicle_id}"))
async def register_vehicle(body: VehicleCreate, run: RecordWriter):
    """Register a vehicle for an existing customer. The VIN is validated; duplicates are refused (409)."""
    return await run(handlers.register_vehicle, body, view=views.vehicle, status=201)


@router.get("/vehicles/{vehicle_id}", response_model=VehiclePublic)
async def get_vehicle(vehicle_id: str, uow: RecordReader):
    return views.vehicle(uow, await uow.repo(Vehicles).get(vehicle_id, lock=False))


@router.get("/vehicles", response_model=VehiclePublic, responses=answers(404))
async def find_vehicle(uow: RecordReader, vin: Annotated[str, Query(min_length=1)]):
    found = await repo.vehicle_by_vin(uow, vin)
    if found is None:
        raise NotFound(f"no vehicle with VIN {vin}", field="vin")
    return views.vehicle(uow, found)


@router.patch("/customers/{customer_id}", response_model=CustomerPublic)
async def update_customer(customer_id: str, body: CustomerUpdate, run: RecordWriter):
    """Correct a customer's record. Send the `version` you read: a stale one gets 409. Publishes CustomerUpdated."""
    return await run(handlers.update_customer, body.bind(customer_id=customer_id), view=views.customer)


@router.patch("/vehicles/{vehicle_id}", response_model=VehiclePublic)
async def update_vehicle(vehicle_id: str, body: VehicleUpdate, run: RecordWriter):
    """Correct a vehicle's plate, model, sale, warranty or insurance details. Publishes VehicleUpdated."""
    return await run(handlers.update_vehicle, body.bind(vehicle_id=vehicle_id), view=views.vehicle)


@router.post("/vehicles/{vehicle_id}/owner", response_model=VehiclePublic)
async def change_owner(vehicle_id: str, body: OwnerChange, run: RecordWriter):
    """The vehicle changed hands (过户). The ownership history keeps the previous owner."""
    return await run(handlers.change_owner, body.bind(vehicle_id=vehicle_id), view=views.vehicle)


@router.get("/vehicles/{vehicle_id}/owners", response_model=list[OwnershipPublic])
async def vehicle_owners(vehicle_id: str, uow: RecordReader):
    v = await uow.repo(Vehicles).get(vehicle_id, lock=False)
    return [views.ownership(r) for r in await repo.ownerships(uow, v.id)]


@router.post("/vehicles/{vehicle_id}/odometer-readings", status_code=201, response_model=VehiclePublic)
async def record_odometer(vehicle_id: str, body: OdometerReadingCreate, run: RecordWriter):
    """Add an odometer reading; it may not go backwards. Mileage reminders are estimated from this history."""
    return await run(handlers.record_odometer, body.bind(vehicle_id=vehicle_id), view=views.vehicle, status=201)


@router.get("/vehicles/{vehicle_id}/odometer-readings", response_model=list[OdometerReadingPublic])
async def odometer_readings(vehicle_id: str, uow: RecordReader):
    v = await uow.repo(Vehicles).get(vehicle_id, lock=False)
    return [views.odometer_reading(r) for r in await repo.odometer_history(uow, v.id)]
