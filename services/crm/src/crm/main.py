"""Composition root of crm: customers, vehicles and customer care."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from shared.clock import Clock
from shared.service import create_service_app

from .config import Settings
from .entrypoints.api import router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="crm",
        description="System of record for customers and vehicles; reminders, follow-up calls, complaints.",
        routers=[router],
        clock=clock,
    )
