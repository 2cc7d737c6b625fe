"""Outbox relay throughput beside the raw producer, measured in the same run (benchmark 3).

    uv run python -m bench relay [--events 5000]

  writes   events into the outbox, 100 a transaction: Outbox.record_all beside asyncpg executemany of the
           same rows (median of 3 interleaved rounds);
  relay    drain of a backlog (1000 aggregates; a tenth of it at batch 1) at batch 1, 50 and 200, beside
           the floor: the same rows' bytes sent by a bare aiokafka producer (acks=all, idempotent) and awaited;
  2 relays the same backlog (committed at once) drained by one relay process, then by two (as two
           instances of a service run them), batch 200: target >= 1.0x one relay (they claim disjoint
           aggregates), and every aggregate's events arrive in order (checked by reading the topic).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
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
from shared.messaging.envelope import Envelope, Tenant, json_bytes
from shared.messaging.outbox import Outbox
from shared.messaging.relay import OutboxRelay, make_producer
from shared.observability import current_trace_headers
from shared.plumbing_tables import create_plumbing_schema, outbox_table
from sqlalchemy import delete, func, insert, select

from bench.common import (
    BENCH_STORE,
    ROOT,
    BenchInfra,
    Figure,
    fresh_topics,
    report,
    standalone,
    stop_processes,
)

warnings.filterwarnings("ignore", category=DeprecationWarning)  # SQLModel's nudge to session.exec()

TENANT = Tenant(*BENCH_STORE)


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


async def compare_writes(engine, sessions, dsn: str, n: int, rounds: int = 3) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    rates: dict[str, list[float]] = {label: [] for label in WRITES}
    try:
        for _ in range(rounds):  # interleaved, so the machine's noise spreads over every variant
            for label, how in WRITES.items():
                rates[label].append(await write_outbox(conn if how == "raw" else sessions, n, how))
    finally:
        await conn.close()
    async with engine.begin() as c:
        await c.execute(delete(outbox_table()))
    return {label: statistics.median(r) for label, r in rates.items()}


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


FLOOR_TOPIC = "bench.relay-floor"


def spawn_relay(url: str, bootstrap: str, batch: int) -> subprocess.Popen:
    """A relay as its own process, as an instance of a service runs it (`python -m shared.messaging.relay`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "shared.messaging.relay", "--database-url", url, "--bootstrap-servers", bootstrap,
         "--service", "bench", "--poll-seconds", "0.05", "--batch-size", str(batch)],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)


async def drain_processes(engine, sessions, url: str, bootstrap: str, n: int, relays: int) -> tuple[float, dict]:
    """Relays as processes (one per core at most, as instances would run): started and listening first,
    then the backlog committed in one transaction; events/s from that commit to the last row marked."""
    procs = [spawn_relay(url, bootstrap, 200) for _ in range(relays)]
    try:
        for p in procs:
            while "relay ready" not in (await asyncio.to_thread(p.stdout.readline)):
                if p.poll() is not None:
                    raise RuntimeError("a relay exited")
        await asyncio.sleep(1.0)  # LISTEN in place
        expected = await fill_tracked(sessions, engine, n, per_tx=n)
        t0 = time.perf_counter()
        while await backlog(engine):
            await asyncio.sleep(0.02)
        return n / (time.perf_counter() - t0), expected
    finally:
        stop_processes(procs)


async def raw_produce(engine, bootstrap: str) -> float:
    """The floor: the backlog's rows, read beforehand, sent by a bare producer configured as the relay's
    (to a topic of its own: the relay's topic must hold the relay's sends only, for the order check)."""
    t = outbox_table()
    async with engine.connect() as c:
        rows = (await c.execute(select(t.c.topic, t.c.aggregate_id, t.c.payload, t.c.headers)
                                .where(t.c.published_at.is_(None)).order_by(t.c.seq))).all()
    msgs = [(r.topic, json_bytes(r.payload), r.aggregate_id.encode(),
             [(k, str(v).encode()) for k, v in r.headers.items()]) for r in rows]
    p = make_producer(bootstrap, "bench-raw")
    await p.start()
    try:
        t0 = time.perf_counter()
        futs = [await p.send(FLOOR_TOPIC, value=v, key=k, headers=h) for _, v, k, h in msgs]
        await asyncio.gather(*futs)
        return len(msgs) / (time.perf_counter() - t0)
    finally:
        await p.stop()


async def in_order(bootstrap: str, topic: str, expected: dict[str, list[str]]) -> bool:
    """Every aggregate's names arrived in the order they were written (the events carry '#i')."""
    seen: dict[str, list[str]] = {}
    want = sum(len(v) for v in expected.values())
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-order-{uuid.uuid4()}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        got, deadline = 0, time.monotonic() + 60
        while got < want and time.monotonic() < deadline:
            for recs in (await consumer.getmany(timeout_ms=500)).values():
                for r in recs:
                    agg = r.key.decode()
                    if agg in expected:
                        seen.setdefault(agg, []).append(json.loads(r.value)["name"])
                        got += 1
    finally:
        await consumer.stop()
    wrong = {agg: (names, seen.get(agg)) for agg, names in expected.items() if seen.get(agg) != names}
    if wrong:
        print(f"relay: {len(wrong)} aggregates out of order or incomplete, e.g. {list(wrong.items())[:2]}")
    return not wrong


# A backlog as the platform makes one: many aggregates (repair orders, vehicles), a few events each. (With
# fewer aggregates than a batch, one relay's batch holds every aggregate and a second has nothing to send.)
AGGREGATES = 1000


async def fill_tracked(sessions, engine, n: int, per_tx: int = 100) -> dict[str, list[str]]:
    await fill(sessions, n, aggregates=AGGREGATES, per_tx=per_tx)
    t = outbox_table()
    async with engine.connect() as c:
        rows = (await c.execute(select(t.c.aggregate_id, t.c.payload).where(t.c.published_at.is_(None))
                                .order_by(t.c.seq))).all()
    order: dict[str, list[str]] = {}
    for agg, payload in rows:
        order.setdefault(agg, []).append(payload["name"])
    return order


async def run(infra: BenchInfra, events: int) -> list[Figure]:
    name = await infra.create_database("relay")
    engine = make_engine(infra.database_url(name), pool_size=5)
    async with engine.begin() as c:
        await c.run_sync(create_plumbing_schema)
    sessions = make_session_factory(engine)
    await fresh_topics(infra.kafka_bootstrap, [FLOOR_TOPIC])
    writes = await compare_writes(engine, sessions, infra.dsn(name), events)
    figures = [Figure("outbox write, record_all, 100/tx", writes[list(WRITES)[2]], "ev/s", writes[list(WRITES)[3]],
                      "asyncpg executemany", target="(none)")]
    rates, floors = {}, []
    for batch in (1, 50, 200):
        async with engine.begin() as c:
            await c.execute(delete(outbox_table()))
        await fill_tracked(sessions, engine, events if batch > 1 else events // 10)
        floors.append(await raw_produce(engine, infra.kafka_bootstrap))
        rates[(batch, 1)] = await drain(engine, infra.dsn(name), infra.kafka_bootstrap, batch, 1)
    processes, ordered = {}, True
    for relays in (1, 2):
        async with engine.begin() as c:
            await c.execute(delete(outbox_table()))
        processes[relays], expected = await drain_processes(engine, sessions, infra.database_url(name),
                                                            infra.kafka_bootstrap, events, relays)
        ordered = ordered and await in_order(infra.kafka_bootstrap, CustomerRegistered.topic, expected)
    floor = statistics.median(floors)
    for batch in (1, 50, 200):
        figures.append(Figure(f"relay drain, batch {batch}", rates[(batch, 1)], "ev/s", floor,
                              "aiokafka produce, same rows", target="(none)"))
    two = Figure("two relay processes, batch 200 (vs one)", processes[2], "ev/s", processes[1], "one relay process",
                 target=">= 1.0x one relay", note=f"per-aggregate order kept: {ordered}")
    two.ok = bool(two.ratio and two.ratio >= 1.0 and ordered)
    figures.append(two)
    await engine.dispose()
    report("relay", figures, {"events": events, "writes": writes, "floors": floors,
                              "rates": {f"batch={b}": v for (b, _), v in rates.items()},
                              "relay_processes": processes,
                              "two_relays_in_order": ordered}, infra)
    return figures


async def main(events: int) -> None:
    await standalone(run, events)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    asyncio.run(main(ap.parse_args().events))
