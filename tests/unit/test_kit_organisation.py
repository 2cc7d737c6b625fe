"""The organisation replica's rules without servers: which records need a known store, and which tokens a
service refuses after the gateway revoked them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import pytest
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.errors import DomainError
from shared.kit import Aggregate, InMemoryUnitOfWork, Repository
from shared.kit.organisation import Access, VerdictCache, refusal

CLOCK = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


class Booking(Aggregate):
    kind: ClassVar[str] = "booking"


class Bookings(Repository[Booking]):
    aggregate = Booking


class Label(Aggregate):
    kind: ClassVar[str] = "label"


class Labels(Repository[Label]):
    aggregate = Label
    real_store = False


ADVISOR = Principal(user_id="adv", name="adv", dealer_group_id="dg-1", roles=frozenset({Role.ADVISOR}),
                    store_ids=frozenset({"s-pd", "s-x"}), session_id="sid-1")


def uow(actor: Principal = ADVISOR) -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(clock=CLOCK, actor=actor, known_stores={("dg-1", "s-pd"), ("dg-2", "s-x")})


async def test_a_person_cannot_create_a_record_for_a_store_the_service_does_not_know():
    u = uow()
    await u.repo(Bookings).add(Booking(id="b1", dealer_group_id="dg-1", store_id="s-pd"))
    with pytest.raises(DomainError) as e:
        # s-x is known, but as a store of another group
        await u.repo(Bookings).add(Booking(id="b2", dealer_group_id="dg-1", store_id="s-x"))
    assert e.value.status_code == 422 and e.value.field == "store_id"
    assert str(e.value) == "store s-x is not a store of your dealer group"
    assert set(u.tables[Bookings]) == {"b1"}


async def test_a_consumer_is_never_refused_an_unknown_store_nor_a_group_record_or_a_label_store():
    system = uow(Principal.service("dg-1", "parts.reception"))
    await system.repo(Bookings).add(Booking(id="b3", dealer_group_id="dg-1", store_id="s-new"))  # event first
    person = system.as_actor(ADVISOR)
    await person.repo(Bookings).add(Booking(id="g1", dealer_group_id="dg-1", store_id=""))
    await person.repo(Labels).add(Label(id="l1", dealer_group_id="dg-1", store_id="group"))
    assert set(person.tables[Bookings]) == {"b3", "g1"}


async def test_saving_a_new_record_is_adding_it_and_checks_the_store_too():
    with pytest.raises(DomainError):
        await uow().repo(Bookings).save(Booking(id="b4", dealer_group_id="dg-1", store_id="s-gone"))


def access(**kw) -> Access:
    return Access(**{"dealer_group_id": "dg-1", "roles": frozenset({"advisor"}),
                     "store_ids": frozenset({"s-pd", "s-x"}), "active": True, **kw})


def test_a_token_of_a_revoked_session_or_a_deactivated_user_is_refused():
    assert refusal(ADVISOR, session_revoked=True, access=None) == "session revoked: log in again"
    assert refusal(ADVISOR, session_revoked=False, access=access(active=False)) == "user deactivated"


def test_a_token_with_roles_or_stores_the_user_no_longer_holds_is_refused():
    assert refusal(ADVISOR, session_revoked=False, access=access()) is None
    assert "refresh the token" in refusal(ADVISOR, session_revoked=False, access=access(store_ids=frozenset({"s-pd"})))
    assert "refresh" in refusal(ADVISOR, session_revoked=False, access=access(roles=frozenset({"technician"})))
    assert "refresh" in refusal(ADVISOR, session_revoked=False, access=access(dealer_group_id="dg-2"))
    # a role this service does not know grants nothing, in the token as in the replica
    assert refusal(ADVISOR, session_revoked=False, access=access(roles=frozenset({"advisor", "astronaut"}))) is None


def test_a_user_the_gateway_never_changed_keeps_their_token():
    assert refusal(ADVISOR, session_revoked=False, access=None) is None


def test_verdicts_are_cached_for_their_ttl_only(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("shared.kit.organisation.time.monotonic", lambda: now[0])
    cache = VerdictCache(ttl=2.0, size=2)
    cache.put(("sid", "u"), (False, None))
    assert cache.get(("sid", "u")) == (False, None)
    now[0] = 102.5
    assert cache.get(("sid", "u")) is None
    cache.put(("a", "u"), (True, None))
    cache.put(("b", "u"), (True, None))
    cache.put(("c", "u"), (True, None))  # full: cleared first, never unbounded
    assert cache.get(("a", "u")) is None and cache.get(("c", "u")) == (True, None)
