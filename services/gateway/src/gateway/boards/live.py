"""Live boards: every gateway instance is notified of the workshop's and reception's events and tells each board
of the event's store that it serves to fetch its data again (server-sent events, pages.py).

A notification, not a consumer group (shared/messaging/notifications.py): a board is connected to one instance,
whichever holds the event's partition, so every instance reads every partition, from the end, with no inbox.

The event only says "this store changed": the page asks the services again with its user's token, so what a
user sees is still decided by the services. A missed nudge costs nothing but freshness."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from shared.contracts import EVENT_TYPES, reception, workshop
from shared.kit import Notifications
from shared.messaging.envelope import Envelope

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


def notifications(hub: Hub) -> Notifications:
    """The gateway's `boards` notifications: every event type of the boards' topics nudges its store."""
    boards = Notifications("boards")

    async def nudge(env: Envelope, event) -> None:
        hub.changed(env.tenant.store_id, type(event).topic)

    boards.on(*(cls for cls in EVENT_TYPES.values() if cls.topic in TOPICS))(nudge)
    return boards
