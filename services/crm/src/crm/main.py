"""Composition root of crm: customers, vehicles and customer care."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from shared.clock import Clock
from shared.contracts import crm as contracts
from shared.kit.organisation import organisation
from shared.observability import FOLLOW_UPS_FAILED
from shared.service import create_service_app

from .config import Settings
from .entrypoints.api import router
from .entrypoints.care_api import router as care_router
from .entrypoints.consumers import care
from .entrypoints.history import router as history_router
from .service_layer.reminders import daily_reminders

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        routers=[router, care_router, history_router],
        events=[care, organisation],
        clock=clock,
        counters={contracts.FollowUpFailed: FOLLOW_UPS_FAILED},
        background=[daily_reminders] if settings.run_reminder_loop else [],
    )
