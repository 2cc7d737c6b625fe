"""crm's HTTP API: translate requests into commands, nothing else."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from shared.auth import Principal, Role, require_roles
from shared.commands import run_command
from shared.contracts.crm import CustomerKind
from shared.db import unit_of_work

from ..service_layer import handlers

router = APIRouter(tags=["customers and vehicles"])

Writer = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.INSURANCE_CLERK))]
Reader = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.INSURANCE_CLERK,
    Role.WARRANTY_SPECIALIST, Role.GROUP_ANALYST, Role.GROUP_ADMIN, Role.GENERAL_MANAGER))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
    warranty_prewarning: bool
    version: int


def _public(model: type[BaseModel], row) -> dict:
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")


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
