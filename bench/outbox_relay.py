"""Outbox relay throughput and latency on real PostgreSQL and Kafka. Prints figures and ratios.

    uv run python bench/outbox_relay.py [--events 5000]

Uses KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set, otherwise starts throwaway servers with the
project's scripts (as the tests do). Measures:
  1. drain rate of a backlog, by batch size (events/s), one relay and two;
  2. commit-to-consumer latency with LISTEN/NOTIFY wake-up vs polling alone (p50/p95 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka import AIOKafkaConsumer
from shared.contracts.crm import CustomerKind, CustomerRegistered
from shared.db import make_engine, make_session_factory, unit_of_work
from shared.messaging.envelope import Tenant
from shared.messaging.outbox import Outbox
from shared.messaging.relay import OutboxRelay, make_producer
from shared.messaging.topics import ensure_topics
from shared.plumbing_tables import create_plumbing_schema, outbox_table
from sqlalchemy import delete, func, select

from tests.support.infra import create_database, drop_database, start_infra

TENANT = Tenant("dg-bench", "s-bench")


def ev(i: int, agg: str) -> CustomerRegistered:
    return CustomerRegistered(customer_id=agg, kind=CustomerKind.PERSON, name=f"#{i}", phones=["13800000000"],
                              home_store_id="s-bench")


async def fill(sessions, n: int, aggregates: int = 100, per_tx: int = 100) -> None:
    outbox = Outbox("bench")
    aggs = [str(uuid.uuid4()) for _ in range(aggregates)]
    for start in range(0, n, per_tx):
        async with unit_of_work(sessions) as s:
            for i in range(start, min(start + per_tx, n)):
                await outbox.record(s, ev(i, aggs[i % aggregates]), tenant=TENANT)


async def backlog(engine) -> int:
    async with engine.connect() as c:
        return await c.scalar(select(func.count()).select_from(outbox_table()).where(
            outbox_table().c.published_at.is_(None)))


async def drain(engine, dsn, bootstrap, batch: int, relays: int) -> float:
    producers = [make_producer(bootstrap, f"bench-{i}") for i in range(relays)]
    for p in producers:
        await p.start()
    rs = [OutboxRelay(engine=engine, dsn=dsn, producer=p, service="bench", batch_size=batch, poll_seconds=0.05)
          for p in producers]
    n = await backlog(engine)
    t0 = time.perf_counter()
    for r in rs:
        await r.start()
    while await backlog(engine):
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - t0
    for r in rs:
        await r.stop()
    for p in producers:
        await p.stop()
    return n / elapsed


async def latency(engine, dsn, bootstrap, sessions, *, notify: bool, samples: int = 40) -> list[float]:
    topic = "crm.customers"
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4()}",
                                auto_offset_reset="latest")
    await consumer.start()
    await asyncio.sleep(1.0)  # let the assignment settle
    producer = make_producer(bootstrap, "bench-lat")
    await producer.start()
    relay = OutboxRelay(engine=engine, dsn=dsn, producer=producer, service="bench", poll_seconds=0.5, listen=notify)
    await relay.start()
    out: list[float] = []
    try:
        for i in range(samples):
            agg = str(uuid.uuid4())
            t0 = time.perf_counter()
            async with unit_of_work(sessions) as s:
                await Outbox("bench").record(s, ev(i, agg), tenant=TENANT)
            found = False
            while not found:
                batch = await consumer.getmany(timeout_ms=1000)
                for recs in batch.values():
                    found = found or any(r.key and r.key.decode() == agg for r in recs)
            out.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
        await producer.stop()
        await consumer.stop()
    return out


async def main(events: int) -> None:
    infra = start_infra()
    name = await create_database(infra, "bench")
    try:
        url = infra.database_url(name)
        dsn = infra.dsn(name)
        engine = make_engine(url, pool_size=5)
        async with engine.begin() as c:
            await c.run_sync(create_plumbing_schema)
        sessions = make_session_factory(engine)
        await ensure_topics(infra.kafka_bootstrap)
        print(f"infra: {infra.how}; {events} events over 100 aggregates per run", flush=True)

        t0 = time.perf_counter()
        await fill(sessions, events)
        print(f"record into outbox (100 events per transaction): {events / (time.perf_counter() - t0):,.0f} events/s")

        rates = {}
        for batch, relays in [(1, 1), (50, 1), (200, 1), (200, 2)]:
            async with engine.begin() as c:
                await c.execute(delete(outbox_table()))
            await fill(sessions, events)
            rates[(batch, relays)] = await drain(engine, dsn, infra.kafka_bootstrap, batch, relays)
            rate = rates[(batch, relays)]
            print(f"relay drain  batch={batch:<4} relays={relays}: {rate:>9,.0f} events/s", flush=True)
        print(f"ratio batch 200 / batch 1: {rates[(200, 1)] / rates[(1, 1)]:.1f}x;"
              f" two relays / one: {rates[(200, 2)] / rates[(200, 1)]:.2f}x")

        lat_n = await latency(engine, dsn, infra.kafka_bootstrap, sessions, notify=True)
        lat_p = await latency(engine, dsn, infra.kafka_bootstrap, sessions, notify=False)
        for label, lat in (("LISTEN/NOTIFY", lat_n), ("polling 500 ms", lat_p)):
            q = statistics.quantiles(lat, n=20)
            print(f"commit->consumer {label:15}: p50 {statistics.median(lat):6.1f} ms  p95 {q[18]:6.1f} ms")
        print(f"ratio p50 polling / notify: {statistics.median(lat_p) / statistics.median(lat_n):.1f}x")
        await engine.dispose()
    finally:
        await drop_database(infra, name)
        infra.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    asyncio.run(main(ap.parse_args().events))
