"""The organisation replica every backend service keeps of the gateway: its dealer groups' stores, and the
revocations that end tokens early. One piece of kit, added to a service by one line of its `create_app`::

    from shared.kit.organisation import organisation
    create_service_app(settings, ..., events=[care, organisation])

and one migration (`create_organisation_tables`). It brings

- the consumer group `<service>.organisation` (gateway.organisation, gateway.sessions) writing the tables
  `known_stores`, `revoked_sessions` and `user_access` (shared.plumbing_tables);
- `GET /stores` and `GET /stores/{store_id}`: the stores this service knows, the readiness check a client
  uses after opening a store at the gateway;
- the token guard `shared.auth.authenticate` runs: a token of a revoked session, of a deactivated user, or
  with roles or stores the user no longer holds is 401 here too, not only at the gateway. Verdicts are
  cached per process for `REVOCATION_CACHE_SECONDS`, so a revocation takes effect within the event's
  trip through outbox and consumer plus that.

The store rule itself (a person's new record for a store the service does not know is 422 naming
`store_id`) is `UnitOfWork.check_store_known`, run by `Repository.add`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, select

from shared.auth import Principal, Role
from shared.contracts import organisation as org
from shared.errors import NotFound, Unauthorized
from shared.openapi import answers
from shared.plumbing_tables import organisation_table

from .events import EventHandlers
from .http import Query
from .uow import UnitOfWork
from .upsert import Upsert

KNOWN_STORES = organisation_table("known_stores")
REVOKED_SESSIONS = organisation_table("revoked_sessions")
USER_ACCESS = organisation_table("user_access")

_stores = Upsert(KNOWN_STORES, keys=("dealer_group_id", "store_id"))
_revoked = Upsert(REVOKED_SESSIONS, keys=("session_id",), update=False)  # the first revocation's reason stays
_access = Upsert(USER_ACCESS, keys=("user_id",))


# -- the rule ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Access:
    """A user's access as the gateway last published it."""

    dealer_group_id: str
    roles: frozenset[str]
    store_ids: frozenset[str]
    active: bool


def refusal(p: Principal, *, session_revoked: bool, access: Access | None) -> str | None:
    """Why a verified token is no longer honoured, or None. The same verdicts as the gateway's own guard
    (gateway.service_layer.sessions.check_token); a user the gateway never changed is not in the replica,
    and their token stands on its signature and expiry."""
    if session_revoked:
        return "session revoked: log in again"
    if access is None:
        return None
    if not access.active:
        return "user deactivated"
    roles = frozenset(r for r in access.roles if r in Role._value2member_map_)
    if (access.dealer_group_id, roles, access.store_ids) != (p.dealer_group_id, {r.value for r in p.roles},
                                                             p.store_ids):
        return "the user's roles or stores changed: refresh the token"
    return None


# -- the token guard ------------------------------------------------------------------------------------------
_REVOKED = select(REVOKED_SESSIONS.c.session_id).where(REVOKED_SESSIONS.c.session_id == bindparam("sid"))
_ACCESS = select(USER_ACCESS).where(USER_ACCESS.c.user_id == bindparam("uid"))


class VerdictCache:
    """Per process: (session, user) -> (until, session revoked, access). Short-lived, so a revocation
    arriving from Kafka takes effect at most `ttl` seconds later; small, since it is cleared when full."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self.entries: dict[tuple[str | None, str], tuple[float, bool, Access | None]] = {}

    def get(self, key: tuple[str | None, str]) -> tuple[bool, Access | None] | None:
        hit = self.entries.get(key)
        return hit[1:] if hit and hit[0] > time.monotonic() else None

    def put(self, key: tuple[str | None, str], value: tuple[bool, Access | None]) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (time.monotonic() + self.ttl, *value)


async def _lookup(request: Request, p: Principal) -> tuple[bool, Access | None]:
    async with request.app.state.runtime.sessions() as session:
        revoked = p.session_id is not None and (await session.execute(_REVOKED, {"sid": p.session_id})).first()
        row = (await session.execute(_ACCESS, {"uid": p.user_id})).first()
    access = None if row is None else Access(row.dealer_group_id, frozenset(row.roles), frozenset(row.store_ids),
                                             row.active)
    return bool(revoked), access


async def token_guard(request: Request, p: Principal) -> None:
    """Run by `shared.auth.authenticate` after the signature: the revocations the gateway published."""
    state = request.app.state
    cache: VerdictCache | None = getattr(state, "revocation_cache", None)
    if cache is None:
        cache = state.revocation_cache = VerdictCache(state.settings.revocation_cache_seconds)
    key = (p.session_id, p.user_id)
    verdict = cache.get(key)
    if verdict is None:
        verdict = await _lookup(request, p)
        cache.put(key, verdict)
    reason = refusal(p, session_revoked=verdict[0], access=verdict[1])
    if reason:
        raise Unauthorized(reason)


# -- the consumer ---------------------------------------------------------------------------------------------
class OrganisationReplica(EventHandlers):
    """The consumer group, with the routes and the token guard that read what it writes."""

    def __init__(self) -> None:
        super().__init__("organisation")
        self.router = APIRouter(tags=["organisation"])
        self.token_guard = token_guard


organisation = OrganisationReplica()


@organisation.on(org.StoreOpened, org.StoreChanged)
async def store_known(uow: UnitOfWork, e: org.StoreOpened | org.StoreChanged) -> None:
    await _stores(uow.session, dict(
        dealer_group_id=uow.envelope.tenant.dealer_group_id, store_id=e.store_id, name=e.name, brand=e.brand,
        city=e.city, time_zone=e.time_zone, opening_hours=[h.model_dump(mode="json") for h in e.opening_hours],
        updated_at=uow.envelope.time))


@organisation.on(org.SessionRevoked)
async def session_revoked(uow: UnitOfWork, e: org.SessionRevoked) -> None:
    await _revoked(uow.session, dict(session_id=e.session_id, user_id=e.user_id, reason=e.reason[:100],
                                     dealer_group_id=uow.envelope.tenant.dealer_group_id,
                                     revoked_at=uow.envelope.time))


@organisation.on(org.UserAccessChanged, org.UserDeactivated, org.UserReactivated)
async def user_access(uow: UnitOfWork, e: org.UserAccessChanged) -> None:
    await _access(uow.session, dict(user_id=e.user_id, dealer_group_id=uow.envelope.tenant.dealer_group_id,
                                    roles=sorted(e.roles), store_ids=sorted(e.store_ids), active=e.active,
                                    updated_at=uow.envelope.time))


# -- the readiness check ---------------------------------------------------------------------------------------
class KnownStore(BaseModel):
    dealer_group_id: str
    store_id: str
    name: str
    brand: str
    city: str
    time_zone: str = Field(description="IANA time zone: the store's local days")
    opening_hours: list[org.OpeningHoursLine]


Member = Query(*Role)


@organisation.router.get("/stores", response_model=list[KnownStore])
async def known_stores(uow: Member) -> list[KnownStore]:
    """The stores of the caller's dealer group this service knows (from the gateway's events)."""
    q = select(KNOWN_STORES).where(KNOWN_STORES.c.dealer_group_id == uow.actor.dealer_group_id)
    rows = await uow.session.execute(q.order_by(KNOWN_STORES.c.store_id))
    return [KnownStore.model_validate(dict(r)) for r in rows.mappings()]


@organisation.router.get("/stores/{store_id}", response_model=KnownStore, responses=answers(404))
async def known_store(store_id: str, uow: Member) -> KnownStore:
    """A store of the caller's dealer group, once this service knows it: 404 until the gateway's StoreOpened
    has arrived (a client opening a store polls this on every service before using it)."""
    q = select(KNOWN_STORES).where(KNOWN_STORES.c.dealer_group_id == uow.actor.dealer_group_id,
                                   KNOWN_STORES.c.store_id == store_id)
    row = (await uow.session.execute(q)).mappings().first()
    if row is None:
        raise NotFound(f"store {store_id} is not known here (yet)", field="store_id")
    return KnownStore.model_validate(dict(row))
