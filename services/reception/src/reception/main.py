"""Composition root of reception."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from shared.clock import Clock
from shared.contracts import reception as contracts
from shared.kit.organisation import organisation
from shared.observability import REPAIR_ORDERS_OPENED, VEHICLES_DELIVERED
from shared.service import create_service_app

from .config import Settings
from .entrypoints import consumers
from .entrypoints.api import router
from .entrypoints.appointments import router as appointments_router
from .entrypoints.figures import router as figures_router
from .entrypoints.history import router as history_router
from .entrypoints.repair_orders import router as repair_orders_router
from .entrypoints.stores import router as stores_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        routers=[router, appointments_router, repair_orders_router, stores_router, history_router,
                 figures_router],
        events=[*consumers.GROUPS, organisation],
        clock=clock,
        counters={contracts.RepairOrderOpened: REPAIR_ORDERS_OPENED, contracts.VehicleDelivered: VEHICLES_DELIVERED},
    )
