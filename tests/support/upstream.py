"""Other services, as a service's tests see them: their events published as their outbox relays would
(CloudEvents, key = aggregate id), and what the service under test published, read back."""

from __future__ import annotations

import asyncio
import json
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from shared.contracts.base import DomainEvent
from shared.messaging.envelope import Envelope, Tenant

from tests.support.factories import eventually, new_store, new_vin
from tests.support.kafka import publish

GROUP = "dg-test"


class Upstream:
    def __init__(self, producer: AIOKafkaProducer, bootstrap: str) -> None:
        self.producer = producer
        self.bootstrap = bootstrap

    new_vin = staticmethod(new_vin)
    new_store = staticmethod(new_store)
    eventually = staticmethod(eventually)

    async def publish(self, event: DomainEvent, *, store: str, source: str, group: str = GROUP, copies: int = 1,
                      envelope: Envelope | None = None) -> Envelope:
        env = envelope or Envelope.new(event, source=source, tenant=Tenant(group, store))
        await publish(self.producer, env, copies=copies)
        return env

    async def events_for(self, topic: str, key: str, *, until, timeout: float = 30.0) -> list[dict]:
        """The events on `topic` keyed by `key`, as {"type", "data"}, once `until(types)` holds (and a
        little longer, so a duplicate would show up too)."""
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=self.bootstrap, group_id=f"test-{uuid.uuid4()}",
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        out: list[dict] = []
        try:
            loop = asyncio.get_running_loop()
            deadline, done_at = loop.time() + timeout, None
            while loop.time() < deadline and (done_at is None or loop.time() < done_at):
                for recs in (await consumer.getmany(timeout_ms=300)).values():
                    out += [{"type": dict((k, v.decode()) for k, v in r.headers)["ce_type"],
                             "data": json.loads(r.value)} for r in recs if r.key == key.encode()]
                if done_at is None and until([e["type"] for e in out]):
                    done_at = loop.time() + 1.0
            return out
        finally:
            await consumer.stop()
