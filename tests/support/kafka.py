"""Small helpers for tests that look at Kafka directly."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def read_topic(bootstrap: str, topic: str, *, until, timeout: float = 30.0) -> list:
    """Read `topic` from the beginning until `until(records)` is true or the timeout passes."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"test-reader-{uuid.uuid4()}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for recs in batch.values():
                records.extend(recs)
            if until(records):
                break
        return records
    finally:
        await consumer.stop()


def header(record, name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name:
            return v.decode()
    return None


async def publish(producer, env, *, topic: str | None = None, copies: int = 1) -> None:
    """Send an envelope as the relay would: key = aggregate id, CloudEvents headers."""
    from shared.contracts import event_class

    topic = topic or event_class(env.type).topic
    for _ in range(copies):
        await producer.send_and_wait(topic, env.value(), key=env.subject.encode(), headers=env.headers())


@asynccontextmanager
async def kafka_producer(infra):
    """A producer on the test broker (acks=all), stopped however the block ends."""
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@asynccontextmanager
async def running_consumer(infra, engine, topic: str, name: str, handler, *, service: str = "test",
                           batch_size: int = 100, max_attempts: int = 3):
    """An IdempotentConsumer (the backbone's, with its inbox and dead letters) of CustomerRegistered on `topic`,
    group `name`, running until the block ends; it commits what it handled before it leaves."""
    from faststream.kafka import KafkaBroker
    from shared.contracts.crm import CustomerRegistered
    from shared.db import make_session_factory
    from shared.messaging.consumer import ConsumerDeps, IdempotentConsumer
    from shared.messaging.relay import make_producer

    producer = make_producer(infra.kafka_bootstrap, name)
    await producer.start()
    deps = ConsumerDeps(sessions=make_session_factory(engine), producer=producer, batch_size=batch_size)
    consumer = IdempotentConsumer(service=service, name=name, deps=deps, max_attempts=max_attempts,
                                  retry_backoff_seconds=0.01)
    consumer.subscribe(topic, {CustomerRegistered: handler})
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    broker.include_router(consumer.router)
    await broker.start()
    try:
        yield consumer
    finally:
        await consumer.committer.close()
        await broker.stop()
        await producer.stop()
