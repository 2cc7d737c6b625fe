"""The aggregate base: identity, tenant, version, the events it raised, and its state-machine guard.

An aggregate is a pydantic model. It is stored whole (as JSONB, see `repository.py`), so nested
values (a repair order's jobs, a follow-up's attempts) need no tables of their own, and it knows
nothing of SQL, HTTP or Kafka.

Worked example::

    class TicketState(StrEnum):
        OPEN = "open"
        CLOSED = "closed"

    class Ticket(Aggregate):
        kind: ClassVar[str] = "ticket"
        TRANSITIONS: ClassVar[dict[str, set]] = {"close": {TicketState.OPEN}}
        state: TicketState = TicketState.OPEN

        def close(self) -> None:
            self.require("close")          # 409 naming the current state when not allowed
            self.state = TicketState.CLOSED
            self.changed()                 # version + 1
            self.raise_event(TicketClosed(ticket_id=self.id))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr

from shared.contracts.base import DomainEvent
from shared.errors import InvalidTransition, StaleVersion


class Aggregate(BaseModel):
    """A consistency boundary: loaded, changed and saved as one, with the events it raised."""

    model_config = ConfigDict(extra="ignore", validate_assignment=False)

    kind: ClassVar[str] = "record"
    # command -> the states it is allowed in (used by `require`)
    TRANSITIONS: ClassVar[dict[str, Iterable]] = {}

    id: str
    dealer_group_id: str
    store_id: str
    version: int = 1

    _events: list[DomainEvent] = PrivateAttr(default_factory=list)

    # -- events ------------------------------------------------------------------------------
    @property
    def events(self) -> list[DomainEvent]:
        """Raised since the aggregate was loaded; the unit of work moves them to the outbox on save."""
        return self._events

    def raise_event(self, event: DomainEvent) -> None:
        self._events.append(event)

    # -- guards ------------------------------------------------------------------------------
    @property
    def current_state(self) -> str:
        state = getattr(self, "state", None) or getattr(self, "status", None)
        return getattr(state, "value", str(state))

    def require(self, command: str, allowed: Iterable | None = None) -> None:
        """Refuse `command` (409, naming the current state) unless the state machine allows it now."""
        allowed = self.TRANSITIONS[command] if allowed is None else allowed
        if self.current_state not in {getattr(s, "value", s) for s in allowed}:
            raise InvalidTransition(self.kind, self.current_state, command)

    def check_version(self, expected: int | None) -> None:
        """Optimistic concurrency: the version the caller read must still be the current one."""
        if expected is not None and expected != self.version:
            raise StaleVersion(f"{self.kind} {self.id}", expected, self.version)

    def changed(self) -> None:
        """A change the aggregate's readers should see as a new version."""
        self.version += 1
