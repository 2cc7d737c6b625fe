"""The transactional outbox: an event is a row written in the caller's transaction.

Nothing is sent to Kafka here; the relay (relay.py) publishes committed rows later,
so a change and its events are never split by a crash (no dual write).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import DomainEvent
from shared.observability import current_trace_headers

from .envelope import Envelope, Tenant


class Outbox:
    """Records events for one service (the CloudEvents `source`)."""

    def __init__(self, source: str) -> None:
        self.source = source

    async def record(
        self,
        session: AsyncSession,
        event: DomainEvent,
        *,
        tenant: Tenant,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        time: datetime | None = None,
    ) -> Envelope:
        """Add the event to the session's transaction; it is published only if that commits."""
        from shared.plumbing_tables import outbox_table

        env = Envelope.new(
            event,
            source=self.source,
            tenant=tenant,
            correlation_id=correlation_id,
            causation_id=causation_id,
            time=time,
        )
        headers = {k: v.decode() for k, v in env.headers()}
        headers.update(current_trace_headers())
        await session.execute(
            insert(outbox_table(session)).values(
                id=env.id,
                topic=event.topic,
                aggregate_type=event.aggregate_type,
                aggregate_id=event.aggregate_id,
                event_type=event.event_type,
                payload=env.data,
                headers=headers,
            )
        )
        return env

    async def record_all(
        self, session: AsyncSession, events: Iterable[DomainEvent], *, tenant: Tenant, **kw
    ) -> list[Envelope]:
        return [await self.record(session, e, tenant=tenant, **kw) for e in events]
