from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from shared.auth import KeySet, Principal, Role, generate_signing_key, issue_token, parse_key_set, verify_token
from shared.errors import Forbidden, Unauthorized

KEY = generate_signing_key("k-1")
KEYS = KeySet.of(KEY)


def principal(**kw) -> Principal:
    base = dict(user_id="u1", name="张顾问", dealer_group_id="dg-1", roles=frozenset({Role.ADVISOR}),
                store_ids=frozenset({"s-1"}))
    return Principal(**{**base, **kw})


def b64(d: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


def hs256(body: dict, secret: bytes) -> str:
    """Signed by hand: PyJWT itself refuses to use a JWK as an HMAC secret."""
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'k-1', 'typ': 'JWT'})}.{b64(body)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def claims(**kw) -> dict:
    return {"sub": "u1", "dg": "dg-1", "roles": ["advisor"], "stores": ["s-1"], "iss": "gw",
            "exp": int(time.time()) + 60, **kw}


def test_token_round_trip_keeps_group_stores_roles_and_session():
    token = issue_token(principal(session_id="sess-1"), key=KEY, issuer="gw")
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "k-1", "typ": "JWT"}
    p = verify_token(token, keys=KEYS, issuer="gw")
    assert p == principal(session_id="sess-1")
    assert p.can_access_store("s-1") and not p.can_access_store("s-2")


def test_a_token_from_a_gateway_whose_clock_runs_ahead_is_accepted_until_it_expires():
    # Signed by a gateway ten minutes fast: "issued" in this host's future, still valid here.
    ahead = issue_token(principal(), key=KEY, issuer="gw", now=time.time() + 600)
    assert verify_token(ahead, keys=KEYS, issuer="gw") == principal()
    late = issue_token(principal(), key=KEY, issuer="gw", now=time.time() - 901)
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(late, keys=KEYS, issuer="gw")


def test_group_roles_span_every_store_of_the_group():
    analyst = principal(roles=frozenset({Role.GROUP_ANALYST}))
    assert analyst.can_access_store("s-99")


def test_the_key_set_travels_as_jwks_json_without_private_parts():
    text = KEYS.to_json()
    assert '"d"' not in text
    again = parse_key_set(text)
    assert verify_token(issue_token(principal(), key=KEY, issuer="gw"), keys=again, issuer="gw").user_id == "u1"
    # a set written with private parts is read as its public halves
    assert parse_key_set(json.dumps({"keys": [KEY.private_jwk()]})).keys.keys() == {"k-1"}


FORGER = generate_signing_key("k-1")  # same kid, another private key


@pytest.mark.parametrize("make, words", [
    (lambda: issue_token(principal(), key=FORGER, issuer="gw"), "invalid token"),
    (lambda: issue_token(principal(), key=generate_signing_key("k-unknown"), issuer="gw"), "unknown key"),
    (lambda: issue_token(principal(), key=KEY, issuer="someone-else"), "invalid token"),
    (lambda: issue_token(principal(), key=KEY, issuer="gw", now=time.time() - 3600), "expired"),
    # alg none: an unsigned token naming a known kid
    (lambda: f"{b64({'alg': 'none', 'kid': 'k-1', 'typ': 'JWT'})}.{b64(claims())}.", "not accepted"),
    # algorithm confusion: HS256 keyed with the public key's text
    (lambda: hs256(claims(), KEYS.to_json().encode()), "not accepted"),
    (lambda: "not-a-token", "invalid token"),
])
def test_bad_tokens_are_refused_with_401(make, words):
    with pytest.raises(Unauthorized) as e:
        verify_token(make(), keys=KEYS, issuer="gw")
    assert e.value.status_code == 401 and words in e.value.message


def test_a_rotated_key_set_accepts_both_keys_and_new_tokens_carry_the_new_kid():
    new = generate_signing_key("k-2")
    both = KeySet.of(KEY, new)
    old_token = issue_token(principal(), key=KEY, issuer="gw")
    new_token = issue_token(principal(), key=new, issuer="gw")
    assert jwt.get_unverified_header(new_token)["kid"] == "k-2"
    assert verify_token(old_token, keys=both, issuer="gw").user_id == "u1"
    assert verify_token(new_token, keys=both, issuer="gw").user_id == "u1"
    with pytest.raises(Unauthorized):  # once the old key is dropped from the set
        verify_token(old_token, keys=KeySet.of(new), issuer="gw")


def test_unknown_roles_in_a_token_grant_nothing():
    token = jwt.encode(claims(roles=["emperor"]), KEY.private_key, algorithm="ES256", headers={"kid": "k-1"})
    assert verify_token(token, keys=KEYS, issuer="gw").roles == frozenset()


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
