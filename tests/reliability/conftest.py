"""The reliability rig for this package: its own Kafka, databases on the session's PostgreSQL but one service's
(OUTAGE_SERVICE) on a PostgreSQL cluster of its own, the six services as processes on ports 18300+
(tests/reliability/harness.py). Started once, stopped however the run ends."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from gateway.users import upsert_users

from deploy.launcher import ROOT, SERVICES
from deploy.stores import login, open_stores
from tests.support.e2e import JWT_KEYS, JWT_SIGNING_KEYS
from tests.support.infra import create_database, drop_database

from .harness import BASE_PORT, OUTAGE_SERVICE, Broker, Postgres, Rig, RigPlatform
from .workload import GROUP, PASSWORD, STORE, users


@dataclass(frozen=True)
class Scale:
    form: str
    lifecycles: int
    concurrency: int
    kills: int  # service kills during the lifecycle run (fault points included)
    broker_kills: int
    db_outages: int  # OUTAGE_SERVICE's PostgreSQL stopped and started again
    # 3: replication factor 3, min.insync.replicas=2, acks=all; the broker faults are then a SIGKILL of the busy
    # partition's leader and a SIGSTOP/SIGCONT of a broker, in turn (RELIABILITY_BROKERS overrides).
    brokers: int = 1


BOUNDED = Scale("bounded", lifecycles=12, concurrency=3, kills=4, broker_kills=1, db_outages=1)
FULL = Scale("full", lifecycles=80, concurrency=6, kills=24, broker_kills=2, db_outages=2, brokers=3)


@pytest.fixture(scope="package")
def scale(request) -> Scale:
    form = request.config.getoption("--reliability") or os.environ.get("RELIABILITY", "bounded")
    return FULL if form == "full" else BOUNDED


@pytest_asyncio.fixture(scope="package")
async def rig(infra, tmp_path_factory, scale):
    state = tmp_path_factory.mktemp("reliability")
    brokers = int(os.environ.get("RELIABILITY_BROKERS", scale.brokers))
    broker = Broker(state / "kafka", brokers=brokers)
    own_db = f"rel_{OUTAGE_SERVICE}"
    pg = Postgres(ROOT / ".local/reliability-postgres", databases=(own_db,))
    names: dict[str, str] = {}
    platform = None
    try:
        await asyncio.to_thread(broker.start)
        await asyncio.to_thread(pg.start, fresh=True)
        names = {svc: await create_database(infra, f"rel_{svc}") for svc in SERVICES if svc != OUTAGE_SERVICE}
        platform = RigPlatform(pg_server_url=infra.pg_server_url, kafka_bootstrap=broker.bootstrap,
                               state_dir=state / "platform", databases={**names, OUTAGE_SERVICE: own_db},
                               own_servers={OUTAGE_SERVICE: pg.server_url},
                               ports={svc: BASE_PORT + i for i, svc in enumerate(SERVICES)},
                               jwt_keys=JWT_KEYS, jwt_signing_keys=JWT_SIGNING_KEYS, die_with_parent=True,
                               simulator=True,  # the manufacturer: warranty lifecycles' claims are decided
                               extra_env={"KAFKA_GROUP_PREFIX": "rel.", "LOG_LEVEL": "WARNING",
                                          # One advisor sends 50 at once (test_concurrency): all must reach the
                                          # service. The gateway's own limits: gateway/tests/integration/test_edge.
                                          "RATE_LIMIT_PER_USER": "200/second",
                                          "OUTBOX_POLL_SECONDS": "0.5", "CONSUMER_LAG_POLL_SECONDS": "0",
                                          "KAFKA_REPLICATION_FACTOR": str(brokers),
                                          # RELIABILITY_STATIC=0: dynamic group members, to measure the old gap.
                                          **({"KAFKA_GROUP_INSTANCE_ID": ""}
                                             if os.environ.get("RELIABILITY_STATIC") == "0" else {})})
        await asyncio.to_thread(platform.migrate)
        platform.start(migrate=False)  # main thread: the services' parent-death signal is tied to it
        admin = dict(username="rel.admin", password=PASSWORD, dealer_group_id=GROUP, roles=["group_admin"])
        await upsert_users(platform.database_url("gateway"), [*users(scale.concurrency), admin])
        async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:  # every service knows it
            await open_stores(gw, await login(gw, "rel.admin", PASSWORD),
                              {STORE: {"name": "可靠性测试店", "brand": "Volkswagen", "city": "上海"}})
        yield Rig(platform, broker, pg)
    finally:
        if platform is not None:
            platform.stop()
        await asyncio.to_thread(broker.stop)
        await asyncio.to_thread(pg.stop)
        for n in names.values():
            await drop_database(infra, n)
