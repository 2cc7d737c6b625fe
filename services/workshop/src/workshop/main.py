"""Composition root of workshop: routers, consumer groups and background jobs, wired once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI
from shared.auth import Principal
from shared.clock import Clock
from shared.kit import UnitOfWork
from shared.kit.organisation import organisation
from shared.observability import get_logger
from shared.service import create_service_app

from .adapters.repository import all_shops
from .config import Settings
from .entrypoints.api import router
from .entrypoints.consumers import EVENTS
from .service_layer.shop import refresh_capacity

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = get_logger(__name__)


async def roll_capacity_window(runtime) -> None:
    """Each store's capacity for the coming two weeks, published at start and then as days go by, so
    reception can book after a fresh start without anyone typing capacity in."""
    while True:
        try:
            async with runtime.sessions() as session:
                shops = await all_shops(session)
            for group, store in shops:
                async with runtime.sessions() as session, session.begin():
                    uow = UnitOfWork(session, outbox=runtime.outbox, clock=runtime.clock, settings=runtime.settings,
                                     actor=Principal.service(group, "workshop.capacity"), command="refresh_capacity")
                    await refresh_capacity(uow, store)
        except Exception as e:  # the next round tries again; the service stays up
            log.warning("workshop.capacity_refresh_failed", error=str(e))
        await asyncio.sleep(runtime.settings.capacity_refresh_seconds)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(settings or Settings(), routers=[router], events=[*EVENTS, organisation],
                              clock=clock, background=[roll_capacity_window])
