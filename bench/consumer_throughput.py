"""Idempotent consumer throughput on real Kafka and PostgreSQL: before/after and the raw floor, side by side.

    uv run python bench/consumer_throughput.py [--events 5000] [--rounds 3]

A fresh 3-partition topic gets N CloudEvents (100 aggregates); each variant drains all of it as a
new consumer group, doing the same work per event (decode, inbox row, upsert of a replica row):

  before        the inbox insert built per record as `postgresql.insert().on_conflict_do_nothing()`
                (left out of SQLAlchemy's compiled cache: compiled per record), the handler's upsert
                built the same way: 200 statements per batch of 100, each compiled;
  before+Upsert the same inbox insert; the handler uses shared.kit.Upsert (SQL written once);
  after         IdempotentConsumer as it is: a batch's ids claimed in one statement written once,
                handlers run for the new ids, the Upsert handler;
  raw floor     aiokafka getmany + asyncpg: the claim with unnest, the upserts with one executemany,
                no SQLAlchemy, no FastStream.

Batched variants handle up to 100 events per transaction; one more line shows `after` with one
transaction per event, on a smaller topic. Rates run from the first event handled to the last
inbox row committed (group joins are left out), median of the rounds, variants interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker
from shared.contracts.crm import CustomerKind, CustomerRegistered
from shared.db import make_engine, make_session_factory
from shared.kit.upsert import Upsert
from shared.messaging.consumer import ConsumerDeps, IdempotentConsumer, dlq_topic
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.relay import make_producer
from shared.messaging.topics import ensure_topics
from shared.plumbing_tables import create_plumbing_schema, inbox_table
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert

from tests.support.infra import create_database, drop_database, start_infra

warnings.filterwarnings("ignore", category=DeprecationWarning)  # SQLModel's nudge to session.exec()

md = MetaData()
replica = Table("replica", md, Column("id", String, primary_key=True), Column("name", String))
UPSERT = Upsert(replica, keys=("id",))


async def upsert_built_per_event(session, env, e: CustomerRegistered) -> None:
    stmt = insert(replica).values(id=e.customer_id, name=e.name)
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"name": stmt.excluded.name}))


async def upsert_written_once(session, env, e: CustomerRegistered) -> None:
    await UPSERT(session, {"id": e.customer_id, "name": e.name})


class PerRecordInbox(IdempotentConsumer):
    """Before: one inbox insert per record, built (and compiled) each time, as the consumer did."""

    async def _claim(self, session, items) -> set[str]:
        t = inbox_table()
        new = set()
        for record, env in items:
            inserted = await session.execute(
                insert(t).values(consumer=self.name, event_id=env.id, event_type=env.type, topic=record.topic,
                                 partition=record.partition, offset=record.offset)
                .on_conflict_do_nothing().returning(t.c.event_id))
            if inserted.first() is not None:
                new.add(env.id)
        return new


async def produce(bootstrap: str, topic: str, n: int) -> None:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await p.start()
    aggs = [str(uuid.uuid4()) for _ in range(100)]
    futs = []
    for i in range(n):
        e = CustomerRegistered(customer_id=aggs[i % 100], kind=CustomerKind.PERSON, name=f"#{i}",
                               phones=["13800000000"], home_store_id="s")
        env = Envelope.new(e, source="bench", tenant=Tenant("dg", "s"))
        futs.append(await p.send(topic, env.value(), key=env.subject.encode(), headers=env.headers()))
    await asyncio.gather(*futs)
    await p.stop()


async def inbox_rows(engine, consumer: str) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(inbox_table()).where(
            inbox_table().c.consumer == consumer))


async def wait_for_rows(engine, consumer: str, n: int) -> float:
    while await inbox_rows(engine, consumer) < n:
        await asyncio.sleep(0.02)
    return time.perf_counter()


async def drain_consumer(infra, engine, topic: str, n: int, *, cls, handler, batch_size: int = 100) -> float:
    producer = make_producer(infra.kafka_bootstrap, "bench-dlq")
    await producer.start()
    deps = ConsumerDeps(sessions=make_session_factory(engine), producer=producer, batch_size=batch_size)
    c = cls(service="bench", name=f"bench-{uuid.uuid4().hex[:6]}", deps=deps)
    first: list[float] = []

    async def timed(session, env, event) -> None:
        first or first.append(time.perf_counter())
        await handler(session, env, event)

    c.subscribe(topic, {CustomerRegistered: timed})
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    broker.include_router(c.router)
    await broker.start()
    end = await wait_for_rows(engine, c.name, n)
    await broker.stop()
    await c.committer.close()
    await producer.stop()
    return n / (end - first[0])


UPSERT_SQL = "INSERT INTO replica (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name"


RAW_CLAIM = ('INSERT INTO inbox (consumer, event_id, event_type, topic, "partition", "offset") '
             "SELECT $1::varchar, * FROM unnest($2::varchar[], $3::varchar[], $4::varchar[], $5::int[], $6::bigint[]) "
             "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id")


async def drain_raw(infra, dsn: str, topic: str, n: int) -> float:
    """The floor: the same work with aiokafka and asyncpg only (one claim + one executemany a batch)."""
    group = f"raw-{uuid.uuid4().hex[:6]}"
    conn = await asyncpg.connect(dsn)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=infra.kafka_bootstrap, group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    done, t0 = 0, None
    try:
        while done < n:
            for recs in (await consumer.getmany(timeout_ms=200, max_records=100)).values():
                t0 = t0 or time.perf_counter()
                envs = [Envelope.from_kafka(r.value, r.headers) for r in recs]
                events = [env.event() for env in envs]
                async with conn.transaction():
                    new = {row[0] for row in await conn.fetch(
                        RAW_CLAIM, group, [e.id for e in envs], [e.type for e in envs], [r.topic for r in recs],
                        [r.partition for r in recs], [r.offset for r in recs])}
                    rows = [(e.customer_id, e.name) for env, e in zip(envs, events, strict=True) if env.id in new]
                    await conn.executemany(UPSERT_SQL, rows)
                done += len(recs)
            await consumer.commit()
        return n / (time.perf_counter() - t0)
    finally:
        await consumer.stop()
        await conn.close()


VARIANTS = {
    "before (per-record statements, compiled each time)": dict(cls=PerRecordInbox, handler=upsert_built_per_event),
    "before inbox, Upsert handler": dict(cls=PerRecordInbox, handler=upsert_written_once),
    "after (one claim per batch, statements written once)": dict(cls=IdempotentConsumer, handler=upsert_written_once),
}


async def compare(infra, engine, dsn: str, topic: str, n: int, rounds: int) -> dict[str, float]:
    rates: dict[str, list[float]] = {label: [] for label in [*VARIANTS, "raw floor"]}
    for _ in range(rounds):  # interleaved, so the machine's noise spreads over every variant
        for label, kw in VARIANTS.items():
            rates[label].append(await drain_consumer(infra, engine, topic, n, **kw))
        rates["raw floor"].append(await drain_raw(infra, dsn, topic, n))
    return {label: statistics.median(r) for label, r in rates.items()}


async def main(n: int, rounds: int) -> None:
    infra = start_infra()
    name = await create_database(infra, "bench_consumer")
    try:
        engine = make_engine(infra.database_url(name), pool_size=5)
        async with engine.begin() as conn:
            await conn.run_sync(create_plumbing_schema)
            await conn.run_sync(md.create_all)
        topic, small = (f"bench.consumer.{uuid.uuid4().hex[:6]}" for _ in range(2))
        await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic), small, dlq_topic(small)])
        await produce(infra.kafka_bootstrap, topic, n)
        await produce(infra.kafka_bootstrap, small, n // 5)
        print(f"infra: {infra.how}; {n} events on a 3-partition topic, 100 aggregates; median of {rounds} rounds"
              f"; up to 100 events per transaction", flush=True)
        rates = await compare(infra, engine, infra.dsn(name), topic, n, rounds)
        after, floor = rates[list(VARIANTS)[-1]], rates["raw floor"]
        for label, rate in rates.items():
            print(f"  {label:55} {rate:>8,.0f} events/s   {rate / floor:5.1%} of the floor", flush=True)
        before = rates[list(VARIANTS)[0]]
        print(f"ratio after / before: {after / before:.1f}x; raw floor / after: {floor / after:.1f}x")
        one = await drain_consumer(infra, engine, small, n // 5, cls=IdempotentConsumer,
                                   handler=upsert_written_once, batch_size=1)
        print(f"after, one transaction per event ({n // 5} events): {one:,.0f} events/s;"
              f" batched / one by one: {after / one:.1f}x")
        await engine.dispose()
    finally:
        await drop_database(infra, name)
        infra.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    asyncio.run(main(a.events, a.rounds))
