"""Every service's migrations build exactly the schema its models describe, and come down again."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from alembic import command
from shared.migrations import alembic_config

from tests.support.infra import SERVICES, create_database, drop_database


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models_and_downgrade_cleanly(infra, service):
    name = await create_database(infra, f"mig_{service}")
    try:
        cfg = alembic_config(importlib.import_module(f"{service}.main").MIGRATIONS, infra.database_url(name))

        def cycle() -> None:
            command.upgrade(cfg, "head")
            command.check(cfg)  # raises when the models and the migrated schema differ
            command.downgrade(cfg, "base")
            command.upgrade(cfg, "head")

        await asyncio.to_thread(cycle)
    finally:
        await drop_database(infra, name)
