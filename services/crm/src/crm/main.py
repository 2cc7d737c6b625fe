"""Composition root of crm: customers, vehicles and customer care."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from shared.clock import Clock
from shared.messaging.consumer import ConsumerDeps
from shared.service import create_service_app

from .config import Settings
from .entrypoints.api import router
from .entrypoints.care_api import router as care_router
from .entrypoints.consumers import build_consumers
from .service_layer.reminders import reminder_loop

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    deps = ConsumerDeps.from_settings(settings)
    holder: dict[str, FastAPI] = {}
    app = create_service_app(
        settings,
        title="crm",
        description="System of record for customers and vehicles; reminders, follow-up calls, complaints.",
        routers=[router, care_router],
        consumers=build_consumers(settings.service_name, deps, lambda: holder["app"].state.runtime,
                                  timezone=settings.timezone, max_attempts=settings.consumer_max_attempts,
                                  backoff=settings.consumer_retry_backoff_seconds),
        deps=deps,
        clock=clock,
        background=[reminder_loop(settings.timezone, settings.reminder_poll_seconds)]
        if settings.run_reminder_loop else [],
    )
    holder["app"] = app
    return app
