"""reception's HTTP API: the vehicles it knows (replicas of crm's records)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from shared.errors import NotFound
from shared.openapi import answers

from ..adapters import repository as repo
from . import views
from .deps import VehicleReader
from .views import VehicleView

router = APIRouter(tags=["vehicles"])


@router.get("/vehicles/{vehicle_id}", response_model=VehicleView)
async def get_vehicle(vehicle_id: str, uow: VehicleReader):
    v = await repo.vehicle(uow, vehicle_id)
    if v is None:
        raise NotFound(f"vehicle {vehicle_id} not known to reception", field="vehicle_id")
    return await views.vehicle(uow, v)


@router.get("/vehicles", response_model=VehicleView, responses=answers(404))
async def find_vehicle(uow: VehicleReader, vin: Annotated[str, Query(min_length=1)]):
    v = await repo.vehicle_by_vin(uow, vin.strip().upper())
    if v is None:
        raise NotFound(f"no vehicle with VIN {vin} known to reception", field="vin")
    return await views.vehicle(uow, v)
