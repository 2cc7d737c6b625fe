"""Notifications: events every instance of a service must hear, for an effect that is not business.

A consumer group gives each partition to one instance: right for work done once (the idempotent consumer), wrong
for "tell your open pages to refresh", which the instance holding a page must hear whoever holds the partition.
A notification subscriber has no group: aiokafka's group-less subscription assigns this instance every partition
of the topics (and follows a topic that gains partitions), starting at their end, since a nudge about the past is
worth nothing. It commits no offsets, so an instance that goes leaves nothing on the broker (no per-instance group
waiting for offsets.retention), and it keeps no inbox: a lost or repeated notification costs freshness only.
Nothing bounds the instances either: each reads everything, whatever their number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.contracts import DomainEvent
from shared.observability import CONSUMED, get_logger

from .consumer import _raw_body, _tolerant_parser
from .envelope import Envelope, UndecodableMessage

log = get_logger(__name__)

Notify = Callable[[Envelope, Any], Awaitable[None]]


READY_SECONDS = 5.0
"""How long a start waits to learn where each partition ends before going on without it."""


class NotificationSubscriber:
    """One group-less Kafka consumer per instance over `topics`, dispatching events by type to handlers."""

    def __init__(self, *, service: str, name: str, handlers: Mapping[type[DomainEvent], Notify]) -> None:
        self.service = service
        self.name = name
        self.by_type = {cls.event_type: fn for cls, fn in handlers.items()}
        self.topics: list[str] = sorted({cls.topic for cls in handlers})
        self.router = KafkaRouter()
        if not self.topics:
            return

        @self.router.subscriber(
            *self.topics,
            group_id=None,  # no group: every partition to this instance, nothing stored on the broker
            auto_offset_reset="latest",
            ack_policy=AckPolicy.MANUAL,  # never acknowledged: without a group there is nothing to commit to
            parser=_tolerant_parser,
            decoder=_raw_body,
            title=f"{self.name}:notifications",
            description=f"{self.name} (every instance) is notified of {', '.join(sorted(self.by_type))}",
        )
        async def on_message(body: Any, msg: KafkaMessage) -> None:
            await self.process(msg.raw_message)

    async def ready(self) -> None:
        """Wait until this instance knows where each partition ends: an event published once the service is
        started reaches it (the positions are otherwise looked up in the background, after the first poll)."""
        try:
            await asyncio.wait_for(self._positions(), READY_SECONDS)
        except TimeoutError:  # a refresh is best effort: never hold the service's start for it
            log.warning("notification.positions_unknown", subscriber=self.name, waited_seconds=READY_SECONDS)

    async def _positions(self) -> None:
        for sub in self.router.subscribers:
            consumer = sub.consumer
            for tp in consumer.assignment():
                await consumer.position(tp)

    async def process(self, record) -> str:
        """Notify of one Kafka record; returns 'handled', 'ignored', 'undecodable' or 'failed' (never raises:
        a notification that cannot be delivered is dropped, the next one refreshes as well)."""
        try:
            env = Envelope.from_kafka(record.value, record.headers)
            handler = self.by_type.get(env.type)
            if handler is None:
                return self._count(env.type, "ignored")
            event = env.event()
        except UndecodableMessage as e:
            log.warning("notification.undecodable", subscriber=self.name, topic=record.topic, error=str(e))
            return self._count("unknown", "undecodable")
        try:
            await handler(env, event)
        except Exception as e:
            log.warning("notification.failed", subscriber=self.name, event_id=env.id, error=repr(e))
            return self._count(env.type, "failed")
        return self._count(env.type, "handled")

    def _count(self, type_: str, result: str) -> str:
        CONSUMED.labels(self.service, self.name, type_, result).inc()
        return result

