from __future__ import annotations

import time

import pytest
from shared.auth import Principal, Role, issue_token, verify_token
from shared.errors import Forbidden, Unauthorized

SECRET = "unit-secret-0123456789abcdef0123456789"


def principal(**kw) -> Principal:
    base = dict(user_id="u1", name="张顾问", dealer_group_id="dg-1", roles=frozenset({Role.ADVISOR}),
                store_ids=frozenset({"s-1"}))
    return Principal(**{**base, **kw})


def test_token_round_trip_keeps_group_stores_and_roles():
    p = verify_token(issue_token(principal(), secret=SECRET, issuer="gw"), secret=SECRET, issuer="gw")
    assert p == principal()
    assert p.can_access_store("s-1") and not p.can_access_store("s-2")


def test_group_roles_span_every_store_of_the_group():
    analyst = principal(roles=frozenset({Role.GROUP_ANALYST}))
    assert analyst.can_access_store("s-99")


@pytest.mark.parametrize("token_kw, verify_kw, words", [
    ({"secret": "another-secret-0123456789abcdef0123"}, {}, "invalid token"),
    ({"issuer": "someone-else"}, {}, "invalid token"),
    ({"now": time.time() - 10 * 3600}, {}, "expired"),
])
def test_bad_tokens_are_refused_with_401(token_kw, verify_kw, words):
    kw = {"secret": SECRET, "issuer": "gw"} | token_kw
    token = issue_token(principal(), **kw)
    with pytest.raises(Unauthorized) as e:
        verify_token(token, secret=SECRET, issuer="gw")
    assert e.value.status_code == 401 and words in e.value.message


def test_unknown_roles_in_a_token_grant_nothing():
    import jwt

    token = jwt.encode({"sub": "u", "dg": "dg-1", "roles": ["emperor"], "iss": "gw", "exp": time.time() + 60},
                       SECRET, algorithm="HS256")
    assert verify_token(token, secret=SECRET, issuer="gw").roles == frozenset()


def test_a_store_outside_the_callers_scope_is_a_domain_refusal_mapped_to_403():
    with pytest.raises(Forbidden) as e:
        principal().check_store("s-2")
    assert e.value.status_code == 403 and e.value.field == "store_id"


def test_a_consumer_acts_for_the_whole_group_of_its_event():
    actor = Principal.service("dg-1", "crm.care")
    assert actor.system and actor.can_access_store("any-store") and actor.roles == frozenset()


def test_a_store_level_user_with_no_stores_sees_no_store_and_is_refused():
    nobody = principal(store_ids=frozenset())
    assert not nobody.spans_group and not nobody.can_access_store("s-1")
    with pytest.raises(Forbidden) as e:
        nobody.check_scope()
    assert e.value.field == "stores"


def test_only_group_roles_span_the_group():
    assert principal(roles=frozenset({Role.GROUP_ADMIN}), store_ids=frozenset()).spans_group
    assert not principal(roles=frozenset({Role.SERVICE_MANAGER}), store_ids=frozenset()).spans_group
