"""reception's HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from shared.auth import Principal, Role, require_roles
from shared.db import unit_of_work
from shared.errors import NotFound
from sqlmodel import select

from ..adapters.orm import CustomerReplica, VehicleReplica

router = APIRouter(tags=["vehicles"])

Reader = Annotated[Principal, Depends(require_roles(
    Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.WARRANTY_SPECIALIST, Role.INSURANCE_CLERK,
    Role.CUSTOMER_CARE, Role.GROUP_ANALYST, Role.GROUP_ADMIN))]


class OwnerView(BaseModel):
    customer_id: str
    name: str | None = None
    phones: list[str] = []


class VehicleView(BaseModel):
    """The vehicle as reception sees it, from its replica of crm's records."""

    vehicle_id: str
    vin: str
    plate: str | None
    model: str | None
    sale_date: date | None
    warranty_start: date | None
    warranty_years: int | None
    warranty_km: int | None
    odometer_km: int | None
    insurance_expiry: date | None
    warranty_prewarning: bool
    owner: OwnerView


async def _view(session, v: VehicleReplica) -> dict:
    owner = await session.get(CustomerReplica, v.owner_customer_id)
    return VehicleView(
        **v.model_dump(exclude={"owner_customer_id"}),
        owner=OwnerView(customer_id=v.owner_customer_id, name=owner.name if owner else None,
                        phones=owner.phones if owner else []),
    ).model_dump(mode="json")


@router.get("/vehicles/{vehicle_id}", response_model=VehicleView)
async def get_vehicle(vehicle_id: str, request: Request, principal: Reader):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        v = await session.get(VehicleReplica, vehicle_id)
        if v is None or v.dealer_group_id != principal.dealer_group_id:
            raise NotFound(f"vehicle {vehicle_id} not known to reception", field="vehicle_id")
        return await _view(session, v)


@router.get("/vehicles", response_model=VehicleView)
async def find_vehicle(request: Request, principal: Reader, vin: Annotated[str, Query(min_length=1)]):
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        v = (await session.exec(select(VehicleReplica).where(
            VehicleReplica.dealer_group_id == principal.dealer_group_id,
            VehicleReplica.vin == vin.strip().upper()))).first()
        if v is None:
            raise NotFound(f"no vehicle with VIN {vin} known to reception", field="vin")
        return await _view(session, v)
