"""The unit of work every handler receives: one transaction, who acts, the clock, the outbox.

Every handler has the same shape, commands and events alike::

    async def open_order(uow: UnitOfWork, cmd: OpenOrder) -> RepairOrder: ...
    async def vehicle_delivered(uow: UnitOfWork, e: VehicleDelivered) -> None: ...

`uow.actor` is the caller (a user over HTTP, the consumer itself for an event), `uow.clock` the
injected clock, `uow.settings` the service's settings, `uow.repo(Repairs)` a repository bound to
this transaction. Saving an aggregate moves its events into the outbox in the same transaction;
nothing here commits: the HTTP command runner or the consumer does, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select

from shared.auth import Principal
from shared.clock import Clock
from shared.contracts.base import DomainEvent
from shared.errors import DomainError
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.outbox import Outbox
from shared.plumbing_tables import organisation_table

from . import audit
from .aggregate import Aggregate
from .repository import InMemoryRepository, Repository

R = TypeVar("R", bound=Repository)

_STORES = organisation_table("known_stores")
_KNOWS_STORE = select(_STORES.c.store_id).where(_STORES.c.dealer_group_id == bindparam("dg"),
                                                _STORES.c.store_id == bindparam("store"))


class UnitOfWork:
    def __init__(self, session: Any, *, outbox: Outbox | None, clock: Clock, settings: Any, actor: Principal,
                 envelope: Envelope | None = None, command: str | None = None,
                 correlation_id: str | None = None) -> None:
        self.session = session
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.actor = actor
        self.envelope = envelope
        self.command = command
        # One id across a request's changes, the events they raise and whatever those cause.
        self.correlation_id = envelope.correlation_id if envelope else correlation_id
        # The trace the events this unit records carry on; None: the current span's (a handler run without a
        # span of its own, as a batch handler is, passes the handled event's).
        self.trace_headers: dict[str, str] | None = None
        self._repos: dict[type, Repository] = {}

    def repo(self, cls: type[R]) -> R:
        """The repository `cls`, bound to this transaction (one instance per unit of work)."""
        if cls not in self._repos:
            self._repos[cls] = cls(self)
        return self._repos[cls]  # type: ignore[return-value]

    def now(self) -> datetime:
        return self.clock.now()

    async def publish(self, events: Iterable[DomainEvent], *, tenant: Tenant) -> list[Envelope]:
        """Record events in the outbox (one statement); an event handled from Kafka is their cause and
        correlation. Returns their envelopes (ids, times). Their time is the service clock's (business time, as
        the in-memory unit of work stamps them): a consumer dates what it learns by it (crm's delivery day)."""
        env = self.envelope
        return await self.outbox.record_all(self.session, list(events), tenant=tenant,
                                            correlation_id=self.correlation_id,
                                            causation_id=env.id if env else None, time=self.clock.now(),
                                            trace_headers=self.trace_headers)

    def outbox_rows(self, agg: Aggregate) -> tuple[list[Envelope], list[dict]]:
        """The outbox rows of the aggregate's raised events (cleared), as `collect` would write them: for a
        batch handler that writes the rows of many units as one executemany."""
        if not agg.events:
            return [], []
        env = self.envelope
        out = self.outbox.rows(list(agg.events), tenant=Tenant(agg.dealer_group_id, agg.store_id),
                               correlation_id=self.correlation_id, causation_id=env.id if env else None,
                               time=self.clock.now(), trace_headers=self.trace_headers)
        agg.events.clear()
        return out

    async def check_store_known(self, store_id: str) -> None:
        """A person creates records only for a store of their dealer group this service knows (from the
        gateway's StoreOpened, shared.kit.organisation): else 422 naming `store_id`. A consumer (a system
        actor) is never refused: an event may arrive before the store's, and must not be dead-lettered."""
        if self.actor.system or not store_id or await self.knows_store(store_id):
            return
        raise DomainError(f"store {store_id} is not a store of your dealer group", field="store_id")

    async def knows_store(self, store_id: str) -> bool:
        found = await self.session.execute(_KNOWS_STORE, {"dg": self.actor.dealer_group_id, "store": store_id})
        return found.first() is not None

    async def audit(self, aggregate_type: str, before: dict | None, after: dict) -> None:
        """The audit row of a saved change, in this transaction (nothing when nothing changed)."""
        row = audit.entry(self, aggregate_type=aggregate_type, before=before, after=after)
        if row is not None:
            await self.session.execute(audit.RECORD, row)

    async def audit_trail(self, aggregate_type: str, aggregate_id: str) -> list[dict]:
        """The audit rows of one aggregate of the actor's group, oldest first."""
        rows = await self.session.execute(audit.HISTORY, {"kind": aggregate_type, "id": aggregate_id,
                                                          "dg": self.actor.dealer_group_id})
        return [dict(r) for r in rows.mappings()]

    async def collect(self, agg: Aggregate) -> None:
        """Move the aggregate's raised events to the outbox, under its own tenant."""
        if agg.events:
            await self.publish(list(agg.events), tenant=Tenant(agg.dealer_group_id, agg.store_id))
            agg.events.clear()


class InMemoryUnitOfWork(UnitOfWork):
    """No database, no Kafka: repositories on dicts, published events in a list (handler tests)."""

    def __init__(self, *, clock: Clock, settings: Any = None, actor: Principal,
                 known_stores: set[tuple[str, str]] | None = None) -> None:
        super().__init__(None, outbox=None, clock=clock, settings=settings, actor=actor)
        # (dealer group, store) pairs the service knows; None: a handler test that does not model the
        # organisation replica, where every store is known.
        self.known_stores = known_stores
        self.tables: dict[type, dict[str, dict]] = {}
        self.published: list[tuple[DomainEvent, Tenant]] = []
        self.audit_log: list[dict] = []

    def repo(self, cls: type[R]) -> R:
        if cls not in self._repos:
            self._repos[cls] = InMemoryRepository(self, cls, self.tables.setdefault(cls, {}))
        return self._repos[cls]  # type: ignore[return-value]

    async def publish(self, events: Iterable[DomainEvent], *, tenant: Tenant) -> list[Envelope]:
        events = list(events)
        self.published.extend((e, tenant) for e in events)
        return [Envelope.new(e, source="in-memory", tenant=tenant, time=self.clock.now()) for e in events]

    async def audit(self, aggregate_type: str, before: dict | None, after: dict) -> None:
        row = audit.entry(self, aggregate_type=aggregate_type, before=before, after=after)
        if row is not None:
            self.audit_log.append(row)

    async def knows_store(self, store_id: str) -> bool:
        return self.known_stores is None or (self.actor.dealer_group_id, store_id) in self.known_stores

    async def audit_trail(self, aggregate_type: str, aggregate_id: str) -> list[dict]:
        return [r for r in self.audit_log if (r["aggregate_type"], r["aggregate_id"]) == (aggregate_type, aggregate_id)
                and r["dealer_group_id"] == self.actor.dealer_group_id]

    def as_actor(self, actor: Principal, command: str | None = None) -> InMemoryUnitOfWork:
        """The same store, acted on by someone else (a second user, the next request)."""
        other = InMemoryUnitOfWork(clock=self.clock, settings=self.settings, actor=actor,
                                   known_stores=self.known_stores)
        other.tables, other.published, other.audit_log = self.tables, self.published, self.audit_log
        other.command = command
        return other

    def event_types(self) -> list[str]:
        return [type(e).__name__ for e, _ in self.published]
