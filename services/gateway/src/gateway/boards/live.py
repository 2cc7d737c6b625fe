"""Live boards: the gateway consumes the workshop's and reception's events (consumer group `gateway.boards`)
and tells every open board of the event's store to fetch its data again (server-sent events, pages.py).

The event only says "this store changed": the page asks the services again with its user's token, so what a
user sees is still decided by the services. A missed nudge costs nothing but freshness; the inbox records the
event like any consumer's. With several gateway instances, each partition goes to one instance of the group:
a board connected to another instance learns of that change at its next nudge (one group per instance would
fix that; not needed while one gateway serves the stores)."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from shared.contracts import EVENT_TYPES, reception, workshop
from shared.kit import EventHandlers, UnitOfWork

TOPICS = (workshop.JOBS, reception.REPAIR_ORDERS, reception.APPOINTMENTS)
_QUEUE_SIZE = 16


class Hub:
    """Open boards per store, each a queue of the topics that changed it."""

    def __init__(self) -> None:
        self._boards: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)

    def listen(self, store_id: str) -> asyncio.Queue[str]:
        q: asyncio.Queue[str] = asyncio.Queue(_QUEUE_SIZE)
        self._boards[store_id].add(q)
        return q

    def leave(self, store_id: str, q: asyncio.Queue[str]) -> None:
        self._boards[store_id].discard(q)
        if not self._boards[store_id]:
            del self._boards[store_id]

    def changed(self, store_id: str, topic: str) -> int:
        """Nudge the store's open boards; a board whose queue is full already has a refresh coming."""
        told = 0
        for q in list(self._boards.get(store_id, ())):
            try:
                q.put_nowait(topic)
                told += 1
            except asyncio.QueueFull:
                pass
        return told

    def open_boards(self, store_id: str) -> int:
        return len(self._boards.get(store_id, ()))


def consumer(hub: Hub) -> EventHandlers:
    """The gateway's consumer group `boards`: every event type of the boards' topics nudges its store."""
    boards = EventHandlers("boards")

    async def nudge(uow: UnitOfWork, event) -> None:
        hub.changed(uow.envelope.tenant.store_id, type(event).topic)

    boards.on(*(cls for cls in EVENT_TYPES.values() if cls.topic in TOPICS))(nudge)
    return boards
