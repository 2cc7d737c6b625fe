"""gateway.organisation, gateway.sessions: the gateway owns the dealer group's stores and its users' sessions.

Every backend service keeps a replica of both (shared.kit.organisation): the stores, to refuse a record for a
store its dealer group does not have; the revocations, to refuse a token the gateway no longer honours
(logged out, its user deactivated, or issued with roles or stores the user no longer holds).
"""

from __future__ import annotations

from pydantic import Field

from .base import DomainEvent, event
from .common import Line, LocalTime

ORGANISATION = "gateway.organisation"
SESSIONS = "gateway.sessions"


class OpeningHoursLine(Line):
    """One day's opening of a store: `day` mon..sun (a day not listed is closed)."""

    day: str = Field(pattern="^(mon|tue|wed|thu|fri|sat|sun)$")
    opens: LocalTime
    closes: LocalTime


class _StoreSnapshot(DomainEvent):
    """A store's whole record as the gateway keeps it: the payload of StoreOpened and StoreChanged.
    Its dealer group travels in the envelope (`ce_dealergroup`), as every event's tenant does."""

    store_id: str
    name: str
    brand: str
    city: str
    time_zone: str = Field(description="IANA time zone (Asia/Shanghai): the store's local days")
    opening_hours: list[OpeningHoursLine] = Field(default_factory=list)


@event(ORGANISATION, "StoreOpened", 1, aggregate="store", key="store_id")
class StoreOpened(_StoreSnapshot):
    """A group administrator opened a store (a 4S shop) of the dealer group.

    Every service keeps a copy and from then on accepts records for it.
    """


@event(ORGANISATION, "StoreChanged", 1, aggregate="store", key="store_id")
class StoreChanged(_StoreSnapshot):
    """A store's name, brand, city, time zone or opening hours changed; the payload is the whole new record.

    Readers replace their copy.
    """


@event(SESSIONS, "SessionRevoked", 1, aggregate="user", key="user_id")
class SessionRevoked(DomainEvent):
    """A login session ended before its time: logout, a refresh token used twice, or its user deactivated.

    Every access token of the session is refused from now on, by the gateway and by every service.
    """

    session_id: str
    user_id: str
    reason: str


class _UserAccess(DomainEvent):
    """What a user may do now (roles, stores, active): the payload of every user event. A token carrying
    other roles or stores was issued before the change and is refused; the client refreshes it."""

    user_id: str
    roles: list[str]
    store_ids: list[str]
    active: bool


@event(SESSIONS, "UserAccessChanged", 1, aggregate="user", key="user_id")
class UserAccessChanged(_UserAccess):
    """A user's roles or stores changed: tokens issued with the old ones stop."""


@event(SESSIONS, "UserDeactivated", 1, aggregate="user", key="user_id")
class UserDeactivated(_UserAccess):
    """A user was deactivated: none of their tokens is accepted until they are reactivated (their sessions
    are revoked too, each with its own SessionRevoked)."""


@event(SESSIONS, "UserReactivated", 1, aggregate="user", key="user_id")
class UserReactivated(_UserAccess):
    """A deactivated user may log in again (sessions revoked meanwhile stay revoked)."""
