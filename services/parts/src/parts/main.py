"""Composition root of parts: routers, consumer groups and background jobs, wired once."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from shared.clock import Clock
from shared.kit.organisation import organisation
from shared.service import create_service_app

from .config import Settings
from .entrypoints.api import router
from .entrypoints.consumers import EVENTS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(settings or Settings(), routers=[router], events=[*EVENTS, organisation], clock=clock)
