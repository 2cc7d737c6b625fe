"""Composition root of claims: routers, consumer groups and background jobs, wired once."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from shared.clock import Clock
from shared.contracts import claims as contracts
from shared.kit.organisation import organisation
from shared.observability import CLAIMS_SUBMITTED
from shared.service import create_service_app

from .config import Settings
from .entrypoints.api import router
from .entrypoints.consumers import EVENTS
from .service_layer.renewals import daily_renewal_reminders

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(settings, routers=[router], events=[*EVENTS, organisation], clock=clock,
                              counters={contracts.WarrantyClaimSubmitted: CLAIMS_SUBMITTED},
                              background=[daily_renewal_reminders] if settings.run_renewal_loop else [])
