"""What the ops command reads off a running platform: each probe answers plain data (the CLI draws it).

Where things are comes from the environment, as for the services and the tests: KAFKA_BOOTSTRAP_SERVERS;
DATABASE_URL (its server: each service's database on it), else `./run start`'s (deploy/launcher.py's
`Platform.from_env`) PG_SERVER_URL or PGPORT_LOCAL; PLATFORM_BASE_PORT, PROMETHEUS_PORT, KAFKA_GROUP_PREFIX.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import shared.registry as registry
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from shared.contracts import TOPICS
from shared.messaging.consumer import dlq_topic


@dataclass
class Where:
    """The platform the command looks at."""

    kafka: str = "127.0.0.1:59092"
    pg_server: str = "postgresql://postgres@127.0.0.1:55432"
    databases: dict[str, str] = field(default_factory=lambda: {s.name: s.database for s in registry.SERVICES})
    ports: dict[str, int] = field(default_factory=lambda: {s.name: s.http_port for s in registry.SERVICES})
    prometheus: str = "http://127.0.0.1:9090"
    group_prefix: str = ""

    @classmethod
    def from_env(cls) -> Where:
        w = cls()
        w.kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", w.kafka)
        if database_url := os.environ.get("DATABASE_URL"):
            w.pg_server = server_url(database_url)
        else:
            pg_port = os.environ.get("PGPORT_LOCAL", "55432")
            w.pg_server = os.environ.get("PG_SERVER_URL", f"postgresql://postgres@127.0.0.1:{pg_port}")
        if base := os.environ.get("PLATFORM_BASE_PORT"):
            lowest = min(w.ports.values())
            w.ports = {s: int(base) + (p - lowest) for s, p in w.ports.items()}
        w.prometheus = os.environ.get("PROMETHEUS_URL", f"http://127.0.0.1:{os.environ.get('PROMETHEUS_PORT', '9090')}")
        w.group_prefix = os.environ.get("KAFKA_GROUP_PREFIX", "")
        return w

    def dsn(self, service: str) -> str:
        """The service's database on the server, keeping the server URL's options (e.g. ?sslmode=require)."""
        u = urlsplit(self.pg_server)
        return urlunsplit((u.scheme, u.netloc, f"/{self.databases[service]}", u.query, ""))

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def groups(self) -> list[str]:
        """The platform's consumer groups (shared/registry.py), as this environment names them."""
        return [self.group_prefix + g for s in registry.SERVICES for g in s.consumer_groups]


def server_url(database_url: str) -> str:
    """The server of a DATABASE_URL (any service's, or the tests' `.../postgres`): its database and any
    +driver dropped, for asyncpg."""
    u = urlsplit(database_url)
    return urlunsplit(("postgresql", u.netloc, "", u.query, ""))


# -- services ----------------------------------------------------------------------------------------
async def readiness(where: Where) -> dict[str, str]:
    """Each service's /ready: 'ready', or what it says is wrong, or why it does not answer."""
    async with httpx.AsyncClient(timeout=3) as client:
        async def one(svc: str) -> str:
            try:
                r = await client.get(where.url(svc) + "/ready")
            except httpx.HTTPError as e:
                return f"not answering ({type(e).__name__}) on {where.url(svc)}"
            if r.status_code == 200:
                return "ready"
            bad = {k: v for k, v in r.json().get("checks", {}).items() if v != "ok"}
            return f"not ready: {bad}"

        names = registry.names()
        return dict(zip(names, await asyncio.gather(*(one(s) for s in names)), strict=True))


# -- PostgreSQL: each service's outbox ---------------------------------------------------------------
@dataclass(frozen=True)
class Backlog:
    service: str
    unsent: int
    oldest_age_seconds: float | None
    published_last_5m: int
    error: str | None = None


async def outbox_backlog(where: Where, service: str) -> Backlog:
    try:
        conn = await asyncpg.connect(where.dsn(service), timeout=5)
    except Exception as e:
        return Backlog(service, 0, None, 0, error=f"{type(e).__name__}: {e}")
    try:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE published_at IS NULL) AS unsent, "
            "min(created_at) FILTER (WHERE published_at IS NULL) AS oldest, "
            "count(*) FILTER (WHERE published_at > now() - interval '5 minutes') AS recent FROM outbox")
    except asyncpg.PostgresError as e:  # e.g. a database not migrated (no outbox): a row saying so, not a traceback
        return Backlog(service, 0, None, 0, error=f"{type(e).__name__}: {e}")
    finally:
        await conn.close()
    age = (datetime.now(UTC) - row["oldest"]).total_seconds() if row["oldest"] else None
    return Backlog(service, row["unsent"], age, row["recent"])


# -- Kafka ----------------------------------------------------------------------------------------------
async def kafka_topics(where: Where) -> list[str]:
    """The cluster's topics (raises when Kafka does not answer)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=where.kafka, client_id="ops", request_timeout_ms=5000)
    await asyncio.wait_for(admin.start(), timeout=10)
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


async def dead_letter_counts(where: Where, topics: list[str] | None = None) -> dict[str, int]:
    """How many dead letters each topic's `<topic>.dlq` holds (its offsets; nothing is read)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=where.kafka, group_id=None, enable_auto_commit=False,
                                client_id="ops-dlq")
    await consumer.start()
    try:
        existing = await consumer.topics()
        await consumer._client.force_metadata_update()  # topics() does not fill the partitions' metadata
        out: dict[str, int] = {}
        for topic in topics or list(TOPICS):
            if dlq_topic(topic) not in existing:
                continue
            tps = [TopicPartition(dlq_topic(topic), p) for p in consumer.partitions_for_topic(dlq_topic(topic)) or ()]
            ends, starts = await consumer.end_offsets(tps), await consumer.beginning_offsets(tps)
            out[topic] = sum(ends[tp] - starts[tp] for tp in tps)
        return out
    finally:
        await consumer.stop()


# -- Prometheus ----------------------------------------------------------------------------------------
async def prometheus_view(where: Where) -> tuple[dict[str, str], list[dict]]:
    """Each scrape target's health by service, and the alerts firing or pending."""
    async with httpx.AsyncClient(base_url=where.prometheus, timeout=5) as client:
        targets = (await client.get("/api/v1/targets", params={"state": "active"})).json()["data"]["activeTargets"]
        alerts = (await client.get("/api/v1/alerts")).json()["data"]["alerts"]
    health = {t["labels"].get("service_name", t["scrapeUrl"]): t["health"] for t in targets}
    return health, alerts
