"""crm's HTTP API: translate requests into commands, nothing else."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from shared.auth import Principal, Role, require_roles
from shared.commands import run_command
from shared.contracts.crm import CustomerKind
from shared.db import unit_of_work

from ..service_layer import handlers
from .common import Strict, Versioned
from .common import public as _public

router = APIRouter(tags=["customers and vehicles"])

Writer = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.INSURANCE_CLERK))]
Reader = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.INSURANCE_CLERK,
    Role.WARRANTY_SPECIALIST, Role.GROUP_ANALYST, Role.GROUP_ADMIN, Role.GENERAL_MANAGER))]


class CustomerCreate(Strict):
    store_id: str = Field(min_length=1, max_length=64, description="The customer's home store")
    kind: CustomerKind = CustomerKind.PERSON
    name: str = Field(min_length=1, max_length=200)
    phones: list[str] = Field(min_length=1, max_length=5)
    contact_window: str | None = Field(default=None, max_length=100, examples=["09:00-11:30"])
    consent_to_call: bool = True


class CustomerPublic(BaseModel):
    id: str
    dealer_group_id: str
    store_id: str
    kind: str
    name: str
    phones: list[str]
    contact_window: str | None
    consent_to_call: bool
    unreachable_since: date | None = None
    version: int


class VehicleCreate(Strict):
    store_id: str = Field(min_length=1, max_length=64)
    vin: str = Field(min_length=1, max_length=32, description="17 characters, no I/O/Q; check digit verified")
    owner_customer_id: str = Field(min_length=1, max_length=64)
    plate: str | None = Field(default=None, max_length=20)
    model: str | None = Field(default=None, max_length=100)
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = Field(default=None, ge=0, le=20)
    warranty_km: int | None = Field(default=None, ge=0)
    odometer_km: int | None = Field(default=None, ge=0)
    insurance_expiry: date | None = None
    insurer: str | None = Field(default=None, max_length=100)
    insurance_policy_no: str | None = Field(default=None, max_length=64)
    warranty_prewarning: bool = False


class VehiclePublic(BaseModel):
    id: str
    dealer_group_id: str
    store_id: str
    vin: str
    plate: str | None
    model: str | None
    owner_customer_id: str
    sale_date: date | None
    warranty_start: date | None
    warranty_years: int | None
    warranty_km: int | None
    odometer_km: int | None
    insurance_expiry: date | None
    insurer: str | None
    insurance_policy_no: str | None
    warranty_prewarning: bool
    version: int


@router.post("/customers", status_code=201, response_model=CustomerPublic)
async def register_customer(body: CustomerCreate, request: Request, principal: Writer):
    """Register a customer. Duplicate phone numbers within the dealer group are refused (409)."""
    principal.check_store(body.store_id)
    rt = request.app.state.runtime

    async def handle(session):
        row = await handlers.register_customer(session, rt.outbox, principal, **body.model_dump())
        return 201, _public(CustomerPublic, row)

    return await run_command(request, principal, body, handle)


@router.get("/customers/{customer_id}", response_model=CustomerPublic)
async def get_customer(customer_id: str, request: Request, principal: Reader):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        return _public(CustomerPublic, await handlers.get_customer(session, principal, customer_id))


@router.post("/vehicles", status_code=201, response_model=VehiclePublic)
async def register_vehicle(body: VehicleCreate, request: Request, principal: Writer):
    """Register a vehicle for an existing customer. The VIN is validated; duplicates are refused (409)."""
    principal.check_store(body.store_id)
    rt = request.app.state.runtime

    async def handle(session):
        row = await handlers.register_vehicle(session, rt.outbox, rt.clock, principal, **body.model_dump())
        return 201, _public(VehiclePublic, row)

    return await run_command(request, principal, body, handle)


@router.get("/vehicles/{vehicle_id}", response_model=VehiclePublic)
async def get_vehicle(vehicle_id: str, request: Request, principal: Reader):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        return _public(VehiclePublic, await handlers.get_vehicle(session, principal, vehicle_id))


@router.get("/vehicles", response_model=VehiclePublic)
async def find_vehicle(request: Request, principal: Reader, vin: Annotated[str, Query(min_length=1)]):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        return _public(VehiclePublic, await handlers.find_vehicle_by_vin(session, principal, vin))


class CustomerUpdate(Versioned):
    kind: CustomerKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phones: list[str] | None = Field(default=None, min_length=1, max_length=5)
    contact_window: str | None = Field(default=None, max_length=100)
    consent_to_call: bool | None = None


class VehicleUpdate(Versioned):
    plate: str | None = Field(default=None, max_length=20)
    model: str | None = Field(default=None, max_length=100)
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = Field(default=None, ge=0, le=20)
    warranty_km: int | None = Field(default=None, ge=0)
    insurance_expiry: date | None = None
    insurer: str | None = Field(default=None, max_length=100)
    insurance_policy_no: str | None = Field(default=None, max_length=64)
    warranty_prewarning: bool | None = None


class OwnerChange(Versioned):
    new_owner_customer_id: str = Field(min_length=1, max_length=64)


class OdometerReadingCreate(Strict):
    read_on: date
    km: int = Field(ge=0, le=5_000_000)
    version: int | None = Field(default=None, ge=1, description="Optional: refuse if the vehicle changed since")


class OwnershipPublic(BaseModel):
    customer_id: str
    owned_from: datetime
    owned_to: datetime | None


class OdometerReadingPublic(BaseModel):
    read_on: date
    km: int
    source: str


def _changes(body: Versioned) -> dict:
    changes = body.model_dump(exclude_unset=True)
    changes.pop("version", None)
    for k in ("name", "phones", "kind", "consent_to_call", "warranty_prewarning"):
        if k in changes and changes[k] is None:
            changes.pop(k)  # these cannot be blanked
    return changes


@router.patch("/customers/{customer_id}", response_model=CustomerPublic)
async def update_customer(customer_id: str, body: CustomerUpdate, request: Request, principal: Writer):
    """Correct a customer's record. Send the `version` you read: a stale one gets 409. Publishes CustomerUpdated."""
    rt = request.app.state.runtime

    async def handle(session):
        row = await handlers.update_customer(session, rt.outbox, principal, customer_id, version=body.version,
                                             changes=_changes(body))
        return 200, _public(CustomerPublic, row)

    return await run_command(request, principal, body, handle)


@router.patch("/vehicles/{vehicle_id}", response_model=VehiclePublic)
async def update_vehicle(vehicle_id: str, body: VehicleUpdate, request: Request, principal: Writer):
    """Correct a vehicle's plate, model, sale, warranty or insurance details. Publishes VehicleUpdated."""
    rt = request.app.state.runtime

    async def handle(session):
        row = await handlers.update_vehicle(session, rt.outbox, principal, vehicle_id, version=body.version,
                                            changes=_changes(body))
        return 200, _public(VehiclePublic, row)

    return await run_command(request, principal, body, handle)


@router.post("/vehicles/{vehicle_id}/owner", response_model=VehiclePublic)
async def change_owner(vehicle_id: str, body: OwnerChange, request: Request, principal: Writer):
    """The vehicle changed hands (过户). The ownership history keeps the previous owner."""
    rt = request.app.state.runtime

    async def handle(session):
        row = await handlers.change_owner(session, rt.outbox, rt.clock, principal, vehicle_id, version=body.version,
                                          new_owner_customer_id=body.new_owner_customer_id)
        return 200, _public(VehiclePublic, row)

    return await run_command(request, principal, body, handle)


@router.get("/vehicles/{vehicle_id}/owners", response_model=list[OwnershipPublic])
async def vehicle_owners(vehicle_id: str, request: Request, principal: Reader):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        return [_public(OwnershipPublic, r) for r in await handlers.ownership_history(session, principal, vehicle_id)]


@router.post("/vehicles/{vehicle_id}/odometer-readings", status_code=201, response_model=VehiclePublic)
async def record_odometer(vehicle_id: str, body: OdometerReadingCreate, request: Request, principal: Writer):
    """Add an odometer reading; it may not go backwards. Mileage reminders are estimated from this history."""
    rt = request.app.state.runtime

    async def handle(session):
        row = await handlers.record_odometer(session, rt.outbox, rt.clock, dealer_group_id=principal.dealer_group_id,
                                             vehicle_id=vehicle_id, read_on=body.read_on, km=body.km,
                                             source="manual", version=body.version)
        return 201, _public(VehiclePublic, row)

    return await run_command(request, principal, body, handle)


@router.get("/vehicles/{vehicle_id}/odometer-readings", response_model=list[OdometerReadingPublic])
async def odometer_readings(vehicle_id: str, request: Request, principal: Reader):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        return [_public(OdometerReadingPublic, r)
                for r in await handlers.odometer_history(session, principal, vehicle_id)]
