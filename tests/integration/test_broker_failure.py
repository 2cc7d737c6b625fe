"""A broker dies while the relay publishes: with three brokers, acks=all and min.insync.replicas=2,
nothing committed is lost and each aggregate's events stay in order (Kafka system-test style)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
import pytest_asyncio
from shared.contracts.crm import CUSTOMERS, CustomerKind, CustomerRegistered
from shared.db import make_engine, make_session_factory, unit_of_work
from shared.messaging.envelope import Tenant
from shared.messaging.outbox import Outbox
from shared.messaging.relay import OutboxRelay, make_producer
from shared.messaging.topics import ensure_topics
from shared.plumbing_tables import create_plumbing_schema, outbox_table
from sqlalchemy import func, select

from tests.support.factories import eventually
from tests.support.infra import ROOT, create_database, drop_database
from tests.support.kafka import header, read_topic

KAFKA = str(ROOT / "deploy/kafka/kafka.sh")


@pytest.fixture
def three_brokers(infra, tmp_path: Path):
    if infra.how == "testcontainers":
        pytest.skip("the three-broker cluster comes from deploy/kafka/kafka.sh")
    env = {**os.environ, "KAFKA_STATE_DIR": str(tmp_path / "kafka3"),
           # Below Linux's ephemeral range (32768-60999): in a busy run a client socket may briefly
           # hold a port there, and kafka.sh refuses ports in use.
           "KAFKA_PORT": os.environ.get("TEST_KAFKA3_PORT", "29400")}

    def kafka(*args: str) -> None:
        done = subprocess.run(["bash", KAFKA, *args], env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"kafka.sh {' '.join(args)} failed:\n{done.stderr[-3000:]}"

    try:
        kafka("start", "--brokers", "3", "--fresh")
        bootstrap = subprocess.run(["bash", KAFKA, "bootstrap"], env=env, check=True, capture_output=True,
                                   text=True).stdout.strip()
        yield bootstrap, kafka
    finally:
        subprocess.run(["bash", KAFKA, "stop"], env=env, capture_output=True, timeout=120)


@pytest_asyncio.fixture
async def outbox_db(infra):
    name = await create_database(infra, "brokerfail")
    engine = make_engine(infra.database_url(name), pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(create_plumbing_schema)
    try:
        yield engine, infra.dsn(name)
    finally:
        await engine.dispose()
        await drop_database(infra, name)


async def test_relay_loses_nothing_and_keeps_order_when_a_broker_dies(three_brokers, outbox_db):
    bootstrap, kafka = three_brokers
    engine, dsn = outbox_db
    await ensure_topics(bootstrap, [CUSTOMERS], partitions=3, replication_factor=3)
    sessions = make_session_factory(engine)
    producer = make_producer(bootstrap, "fault-relay")
    await producer.start()
    relay = OutboxRelay(engine=engine, dsn=dsn, producer=producer, service="fault", batch_size=20, poll_seconds=0.1)
    await relay.start()
    aggregates = [str(uuid.uuid4()) for _ in range(10)]
    total = 300
    try:
        for n in range(total):
            if n == 100:
                await asyncio.to_thread(kafka, "stop-node", "2")
            if n == 200:
                await asyncio.to_thread(kafka, "start-node", "2")
            async with unit_of_work(sessions) as s:  # acknowledged to the caller once this commits
                agg = aggregates[n % len(aggregates)]
                await Outbox("fault").record(s, CustomerRegistered(
                    customer_id=agg, kind=CustomerKind.PERSON, name=f"#{n}", phones=["13800000000"],
                    home_store_id="s"), tenant=Tenant("dg", "s"))
            await asyncio.sleep(0.01)

        async def drained() -> bool:
            async with engine.connect() as c:
                return await c.scalar(select(func.count()).select_from(outbox_table()).where(
                    outbox_table().c.published_at.is_(None))) == 0

        assert await eventually(drained, timeout=120), "the relay did not catch up after the broker came back"
    finally:
        await relay.stop()
        await producer.stop()

    wanted = set(aggregates)
    records = await read_topic(bootstrap, CUSTOMERS, timeout=60,
                               until=lambda rs: len({header(r, "ce_id") for r in rs}) >= total)
    ours = [r for r in records if r.key and r.key.decode() in wanted]
    assert len({header(r, "ce_id") for r in ours}) == total, "an acknowledged event was lost"
    seen: dict[str, list[int]] = defaultdict(list)
    for r in sorted(ours, key=lambda r: (r.partition, r.offset)):
        n = int(json.loads(r.value)["name"][1:])
        if n not in seen[r.key.decode()]:
            seen[r.key.decode()].append(n)
    for agg, ns in seen.items():
        assert ns == sorted(ns), f"aggregate {agg} out of order"
