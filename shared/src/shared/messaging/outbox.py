"""The transactional outbox: an event is a row written in the caller's transaction.

Nothing is sent to Kafka here; the relay (relay.py) publishes committed rows later,
so a change and its events are never split by a crash (no dual write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.contracts import DomainEvent
from shared.observability import current_trace_headers
from shared.plumbing_tables import outbox_table

from .envelope import Envelope, Tenant

# Built once: executed with a row (or a list of rows, one executemany), so SQLAlchemy compiles it
# once and takes it from its cache after, instead of a new `insert().values(...)` per event.
# The statement-level trigger sends NOTIFY on each execution (PostgreSQL folds repeats of one
# notification in a transaction into one).
INSERT_OUTBOX = insert(outbox_table())


# Business counters wait in the session until its transaction commits: an event rolled back was no fact.
_PENDING_COUNTS = "outbox_pending_counts"


class Outbox:
    """Records events for one service (the CloudEvents `source`). `counters`: the business counters
    (shared.observability) its event types count, incremented when the transaction recording them commits."""

    def __init__(self, source: str, counters: Mapping[type[DomainEvent], Counter] | None = None) -> None:
        self.source = source
        self.counters = {cls.event_type: c for cls, c in (counters or {}).items()}

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
        [env] = await self.record_all(session, [event], tenant=tenant, correlation_id=correlation_id,
                                      causation_id=causation_id, time=time)
        return env

    async def record_all(
        self,
        session: AsyncSession,
        events: Iterable[DomainEvent],
        *,
        tenant: Tenant,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        time: datetime | None = None,
        trace_headers: dict[str, str] | None = None,
    ) -> list[Envelope]:
        """Add the events, in order, to the session's transaction with one statement (executemany)."""
        envs, rows = self.rows(events, tenant=tenant, correlation_id=correlation_id, causation_id=causation_id,
                               time=time, trace_headers=trace_headers)
        if envs:
            await session.execute(INSERT_OUTBOX, rows)
            self.count_on_commit(session, envs)
        return envs

    def rows(self, events: Iterable[DomainEvent], *, tenant: Tenant, correlation_id: str | None = None,
             causation_id: str | None = None, time: datetime | None = None,
             trace_headers: dict[str, str] | None = None) -> tuple[list[Envelope], list[dict[str, Any]]]:
        """The envelopes and outbox rows of the events, not written yet (a batch handler writes the rows of
        many events as one executemany of INSERT_OUTBOX, then `count_on_commit`). `trace_headers`: the trace
        the rows carry on, else the current span's."""
        events = list(events)
        envs = [Envelope.new(e, source=self.source, tenant=tenant, correlation_id=correlation_id,
                             causation_id=causation_id, time=time) for e in events]
        if not envs:
            return envs, []
        headers = current_trace_headers() if trace_headers is None else trace_headers
        return envs, [_row(env, e, headers) for env, e in zip(envs, events, strict=True)]

    def count_on_commit(self, session: AsyncSession, envs: list[Envelope]) -> None:
        counted = [(self.counters[env.type], env.tenant) for env in envs if env.type in self.counters]
        if counted:
            session.info.setdefault(_PENDING_COUNTS, []).extend(
                (counter, (self.source, tenant.dealer_group_id, tenant.store_id)) for counter, tenant in counted)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter, labels in session.info.pop(_PENDING_COUNTS, ()):
        counter.labels(*labels).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_COUNTS, None)


def _row(env: Envelope, event: DomainEvent, trace_headers: dict[str, str]) -> dict[str, Any]:
    headers = env.header_values()
    headers.update(trace_headers)
    return {
        "id": env.id,
        "topic": event.topic,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "event_type": event.event_type,
        "payload": env.data,
        "headers": headers,
    }
