"""Outbox relay throughput and latency on real PostgreSQL and Kafka. Prints figures and ratios.

    uv run python bench/outbox_relay.py [--events 5000]

Uses KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set, otherwise starts throwaway servers with the
project's scripts (as the tests do). Measures:
  0. writing events into the outbox, 100 per transaction, side by side (median of 3 interleaved
     rounds): before (a new `insert().values()` per event, as Outbox.record did), after (`record`
     per event, and `record_all`: one statement built once, record_all one executemany) and the
     raw floor (asyncpg executemany of the same rows, the envelopes built the same way);
  1. drain rate of a backlog, by batch size (events/s), one relay and two;
  2. commit-to-consumer latency with LISTEN/NOTIFY wake-up vs polling alone (p50/p95 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from aiokafka import AIOKafkaConsumer
from shared.contracts.crm import CustomerKind, CustomerRegistered
from shared.db import make_engine, make_session_factory, unit_of_work
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.outbox import Outbox
from shared.messaging.relay import OutboxRelay, make_producer
from shared.messaging.topics import ensure_topics
from shared.observability import current_trace_headers
from shared.plumbing_tables import create_plumbing_schema, outbox_table
from sqlalchemy import delete, func, insert, select

from tests.support.infra import create_database, drop_database, start_infra

warnings.filterwarnings("ignore", category=DeprecationWarning)  # SQLModel's nudge to session.exec()

TENANT = Tenant("dg-bench", "s-bench")


def ev(i: int, agg: str) -> CustomerRegistered:
    return CustomerRegistered(customer_id=agg, kind=CustomerKind.PERSON, name=f"#{i}", phones=["13800000000"],
                              home_store_id="s-bench")


async def fill(sessions, n: int, aggregates: int = 100, per_tx: int = 100) -> None:
    await write_outbox(sessions, n, "record_all", aggregates, per_tx)


async def record_built_per_event(session, outbox: Outbox, event) -> None:
    """Before: Outbox.record as it was, a new insert().values() statement per event."""
    env = Envelope.new(event, source=outbox.source, tenant=TENANT)
    headers = {k: v.decode() for k, v in env.headers()}
    headers.update(current_trace_headers())
    await session.execute(insert(outbox_table()).values(
        id=env.id, topic=event.topic, aggregate_type=event.aggregate_type, aggregate_id=event.aggregate_id,
        event_type=event.event_type, payload=env.data, headers=headers))


RAW_INSERT = ("INSERT INTO outbox (id, topic, aggregate_type, aggregate_id, event_type, payload, headers) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7)")


async def write_outbox(target, n: int, how: str, aggregates: int = 100, per_tx: int = 100) -> float:
    """Write n events, per_tx per transaction, `how` = before | record | record_all | raw; events/s."""
    outbox = Outbox("bench")
    aggs = [str(uuid.uuid4()) for _ in range(aggregates)]
    t0 = time.perf_counter()
    for start in range(0, n, per_tx):
        events = [ev(i, aggs[i % aggregates]) for i in range(start, min(start + per_tx, n))]
        if how == "raw":
            async with target.transaction():
                await target.executemany(RAW_INSERT, [_raw_row(outbox, e) for e in events])
            continue
        async with unit_of_work(target) as s:
            if how == "record_all":
                await outbox.record_all(s, events, tenant=TENANT)
                continue
            for e in events:
                if how == "record":
                    await outbox.record(s, e, tenant=TENANT)
                else:
                    await record_built_per_event(s, outbox, e)
    return n / (time.perf_counter() - t0)


def _raw_row(outbox: Outbox, event) -> tuple:
    env = Envelope.new(event, source=outbox.source, tenant=TENANT)
    headers = {k: v.decode() for k, v in env.headers()}
    headers.update(current_trace_headers())
    return (env.id, event.topic, event.aggregate_type, event.aggregate_id, event.event_type, json.dumps(env.data),
            json.dumps(headers))


WRITES = {
    "before: insert().values() built per event": "before",
    "after: Outbox.record per event": "record",
    "after: Outbox.record_all (one executemany)": "record_all",
    "raw floor: asyncpg executemany": "raw",
}


async def compare_writes(engine, sessions, dsn: str, n: int, rounds: int = 3) -> None:
    conn = await asyncpg.connect(dsn)
    rates: dict[str, list[float]] = {label: [] for label in WRITES}
    try:
        for _ in range(rounds):  # interleaved, so the machine's noise spreads over every variant
            for label, how in WRITES.items():
                rates[label].append(await write_outbox(conn if how == "raw" else sessions, n, how))
    finally:
        await conn.close()
    med = {label: statistics.median(r) for label, r in rates.items()}
    floor, before = med[list(WRITES)[-1]], med[list(WRITES)[0]]
    print(f"record into outbox, 100 events per transaction, median of {rounds} rounds:")
    for label, rate in med.items():
        print(f"  {label:45} {rate:>8,.0f} events/s  {rate / before:5.1f}x before  {rate / floor:6.1%} of the floor")
    async with engine.begin() as c:
        await c.execute(delete(outbox_table()))


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

        await compare_writes(engine, sessions, dsn, events)

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
