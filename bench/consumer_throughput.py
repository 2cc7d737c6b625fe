"""Idempotent consumer throughput on real Kafka and PostgreSQL. Prints figures and ratios.

    uv run python bench/consumer_throughput.py [--events 2000]

A fresh topic gets N CloudEvents (100 aggregates); an IdempotentConsumer (inbox + an upsert,
like reception's replicas) drains it. Reported: events/s,
one transaction per event vs up to 100 events per transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from shared.contracts.crm import CustomerKind, CustomerRegistered
from shared.db import make_engine, make_session_factory
from shared.messaging.consumer import ConsumerDeps, IdempotentConsumer, dlq_topic
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.relay import make_producer
from shared.messaging.topics import ensure_topics
from shared.plumbing_tables import create_plumbing_schema
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert

from tests.support.infra import create_database, drop_database, start_infra

md = MetaData()
replica = Table("replica", md, Column("id", String, primary_key=True), Column("name", String))


async def upsert(session, env, e: CustomerRegistered) -> None:
    stmt = insert(replica).values(id=e.customer_id, name=e.name)
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"name": stmt.excluded.name}))


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


async def drain_with_inbox(infra, engine, topic: str, n: int, batch_size: int) -> float:
    from shared.plumbing_tables import inbox_table

    producer = make_producer(infra.kafka_bootstrap, "bench-dlq")
    await producer.start()
    deps = ConsumerDeps(sessions=make_session_factory(engine), producer=producer, batch_size=batch_size)
    c = IdempotentConsumer(service="bench", name=f"bench-{uuid.uuid4().hex[:6]}", deps=deps)
    c.subscribe(topic, {CustomerRegistered: upsert})
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    broker.include_router(c.router)
    t0 = time.perf_counter()
    await broker.start()
    while True:
        async with engine.connect() as conn:
            done = await conn.scalar(select(func.count()).select_from(inbox_table()).where(
                inbox_table().c.consumer == c.name))
        if done >= n:
            break
        await asyncio.sleep(0.05)
    rate = n / (time.perf_counter() - t0)
    await broker.stop()
    await producer.stop()
    return rate


async def main(n: int) -> None:
    infra = start_infra()
    name = await create_database(infra, "bench_consumer")
    try:
        engine = make_engine(infra.database_url(name), pool_size=5)
        async with engine.begin() as conn:
            await conn.run_sync(create_plumbing_schema)
            await conn.run_sync(md.create_all)
        topic = f"bench.consumer.{uuid.uuid4().hex[:6]}"
        await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic)])
        await produce(infra.kafka_bootstrap, topic, n)
        print(f"infra: {infra.how}; {n} events on a 3-partition topic, 100 aggregates", flush=True)
        rates = {}
        for batch in (1, 100):  # each run is a new consumer group reading the same events
            rates[batch] = await drain_with_inbox(infra, engine, topic, n, batch)
            label = "one transaction per event" if batch == 1 else f"up to {batch} events per transaction"
            print(f"idempotent consumer (inbox + upsert), {label}: {rates[batch]:,.0f} events/s", flush=True)
        print(f"ratio batched / one by one: {rates[100] / rates[1]:.1f}x")
        await engine.dispose()
    finally:
        await drop_database(infra, name)
        infra.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2000)
    asyncio.run(main(ap.parse_args().events))
