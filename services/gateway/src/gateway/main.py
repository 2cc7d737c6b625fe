"""Composition root of the gateway."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from shared.clock import Clock
from shared.service import Runtime, create_service_app

from .config import Settings
from .entrypoints.api import router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    app: FastAPI

    async def started(_: Runtime) -> None:
        app.state.http = httpx.AsyncClient(timeout=settings.upstream_timeout_seconds)

    app = create_service_app(
        settings,
        routers=[router],
        clock=clock,
        on_started=started,
    )
    return app
