"""Alembic, the same way for every service: env.py calls `run_env`, scripts call `upgrade`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    return cfg


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_service_env(package: str) -> None:
    """Body of a service's migrations/env.py: its tables are `<package>.adapters.orm.metadata`."""
    import importlib

    run_env(importlib.import_module(f"{package}.adapters.orm").metadata)


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's migrations/env.py (online, async engine)."""
    url = context.config.get_main_option("sqlalchemy.url")

    def do_run(connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run())


async def upgrade_async(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """From inside an event loop: Alembic's env runs its own loop, so give it a thread."""
    await asyncio.to_thread(upgrade, migrations_dir, database_url, revision)


def service_migrations(service: str) -> Path:
    """A service's Alembic scripts (`<package>.main.MIGRATIONS`), by its name in the service registry."""
    import importlib

    import shared.registry as registry

    return importlib.import_module(f"{registry.service(service).package}.main").MIGRATIONS


def pending(migrations_dir: Path, database_url: str) -> tuple[set[str], set[str]]:
    """(the database's revisions, the scripts' heads): equal once the database is migrated."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(migrations_dir, database_url)).get_heads())

    async def current() -> set[str]:
        engine = create_async_engine(database_url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads()))
        finally:
            await engine.dispose()

    return asyncio.run(current()), heads


def wait_for_head(migrations_dir: Path, database_url: str, timeout: float, poll: float = 2.0) -> None:
    """Block until the database is at the scripts' head (another process migrates it): a pod of a new
    version starts only once its migration Job has run (deploy/k8s/). Raises TimeoutError."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            current, heads = pending(migrations_dir, database_url)
            if current == heads:
                return
            state = f"at {sorted(current) or 'base'}, head {sorted(heads)}"
        except OSError as e:  # the database not up yet (a new cluster): wait as for a migration
            state = f"database unreachable: {e!r}"
        if time.monotonic() > deadline:
            raise TimeoutError(f"database not migrated after {timeout:.0f}s: {state}")
        print(f"migrations: waiting, {state}", flush=True)
        time.sleep(poll)


def main(argv: list[str] | None = None) -> None:
    """`python -m shared.migrations upgrade|wait SERVICE`, on the database of DATABASE_URL (the Kubernetes
    migration Job and the Deployments' init container, deploy/k8s/)."""
    import argparse
    import os

    ap = argparse.ArgumentParser(prog="python -m shared.migrations", description=main.__doc__)
    ap.add_argument("command", choices=["upgrade", "wait"])
    ap.add_argument("service")
    ap.add_argument("--timeout", type=float, default=900.0, help="wait: seconds before giving up")
    a = ap.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or ap.error("DATABASE_URL is not set")
    scripts = service_migrations(a.service)
    if a.command == "upgrade":
        upgrade(scripts, url)
        print(f"migrations: {a.service} at head", flush=True)
    else:
        wait_for_head(scripts, url, a.timeout)
        print(f"migrations: {a.service} is at head", flush=True)


if __name__ == "__main__":
    main()
