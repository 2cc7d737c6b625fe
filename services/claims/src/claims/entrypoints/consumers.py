"""claims's consumer groups: `group = EventHandlers("purpose")` (group id "claims.purpose"),
handlers `(uow, event)` registered with `@group.on(EventClass)`."""

from __future__ import annotations

from shared.kit import EventHandlers

EVENTS: list[EventHandlers] = []
