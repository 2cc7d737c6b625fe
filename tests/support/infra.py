"""Real Kafka and real PostgreSQL for tests, found or started in this order:

1. `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` (a server URL; each test session makes its
   own databases on it) — what `./run test` and CI provide;
2. testcontainers, when a Docker engine answers;
3. otherwise our own scripts start a throwaway broker and cluster under `.local/test-*`,
   stopped again when the session ends.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import shared.registry as registry

ROOT = Path(__file__).resolve().parents[2]
SERVICES = registry.names()


@dataclass
class Infra:
    kafka_bootstrap: str
    pg_server_url: str  # postgresql://user[:pw]@host:port  (no database)
    how: str
    _stops: list = field(default_factory=list)

    def database_url(self, name: str, *, driver: str = "asyncpg") -> str:
        return self.pg_server_url.replace("postgresql://", f"postgresql+{driver}://", 1) + "/" + name

    def dsn(self, name: str) -> str:
        return f"{self.pg_server_url}/{name}"

    def stop(self) -> None:
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception as e:  # keep stopping the rest
                print(f"infra stop failed: {e!r}")


def _docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _server_url(url: str) -> str:
    """Drop the database and any +driver from a DATABASE_URL."""
    url = url.replace("postgresql+asyncpg://", "postgresql://").replace("postgres://", "postgresql://")
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def start_infra() -> Infra:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("DATABASE_URL"):
        return Infra(os.environ["KAFKA_BOOTSTRAP_SERVERS"], _server_url(os.environ["DATABASE_URL"]), "environment")
    if _docker_available():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        kafka = KafkaContainer("apache/kafka:4.1.2").with_kraft()
        pg = PostgresContainer("postgres:15", driver=None)
        kafka.start()
        pg.start()
        infra = Infra(kafka.get_bootstrap_server(), _server_url(pg.get_connection_url()), "testcontainers")
        infra._stops += [kafka.stop, pg.stop]
        return infra
    # Our own scripts, on ports apart from the dev platform's, with throwaway state.
    # Below Linux's ephemeral range (32768-60999): there a client socket may hold the port for a while
    # (TIME_WAIT) and the server cannot bind it.
    kafka_port = os.environ.get("TEST_KAFKA_PORT", "29292")
    pg_port = os.environ.get("TEST_PG_PORT", "25532")
    kenv = {**os.environ, "KAFKA_STATE_DIR": str(ROOT / ".local/test-kafka"), "KAFKA_PORT": kafka_port}
    penv = {**os.environ, "PG_STATE_DIR": str(ROOT / ".local/test-postgres"), "PGPORT_LOCAL": pg_port,
            "PG_FAST": "1", "PG_DATABASES": ""}
    subprocess.run(["bash", str(ROOT / "deploy/postgres/pg.sh"), "start", "--fresh"], env=penv, check=True)
    infra = Infra(f"127.0.0.1:{kafka_port}", f"postgresql://postgres@127.0.0.1:{pg_port}", "local scripts")
    infra._stops.append(lambda: subprocess.run(["bash", str(ROOT / "deploy/postgres/pg.sh"), "stop"], env=penv))
    try:
        subprocess.run(["bash", str(ROOT / "deploy/kafka/kafka.sh"), "start", "--fresh"], env=kenv, check=True)
    except BaseException:
        infra.stop()
        raise
    infra._stops.append(lambda: subprocess.run(["bash", str(ROOT / "deploy/kafka/kafka.sh"), "stop"], env=kenv))
    return infra


async def create_database(infra: Infra, prefix: str) -> str:
    """A fresh database for this test session; returns its name."""
    name = f"t_{prefix}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(infra.dsn("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(infra: Infra, name: str) -> None:
    conn = await asyncpg.connect(infra.dsn("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run(coro):
    return asyncio.run(coro)


def session_infra() -> Iterator[Infra]:
    infra = start_infra()
    try:
        yield infra
    finally:
        infra.stop()
