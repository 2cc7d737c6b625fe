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


async def test_a_pod_waits_for_its_migration_job_then_starts(infra):
    """deploy/k8s/: the Deployment's init container (`wait`) holds the pod until the Job (`upgrade`) migrated."""
    import os
    import subprocess
    import sys

    from shared.migrations import pending, service_migrations, wait_for_head

    name = await create_database(infra, "mig_wait_crm")
    url = infra.database_url(name)
    try:
        scripts = service_migrations("crm")
        current, heads = await asyncio.to_thread(pending, scripts, url)
        assert current == set() and len(heads) == 1
        with pytest.raises(TimeoutError, match="not migrated"):
            await asyncio.to_thread(wait_for_head, scripts, url, 0.5, 0.1)
        env = {**os.environ, "DATABASE_URL": url}
        job = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "shared.migrations", "upgrade", "crm"],
                                      env=env, capture_output=True, text=True, timeout=120)
        assert job.returncode == 0, job.stderr
        pod = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "shared.migrations", "wait", "crm",
                                                       "--timeout", "5"], env=env, capture_output=True, text=True,
                                      timeout=60)
        assert pod.returncode == 0 and "at head" in pod.stdout, pod.stderr
        assert (await asyncio.to_thread(pending, scripts, url))[0] == heads
    finally:
        await drop_database(infra, name)
