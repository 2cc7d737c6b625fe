"""The gateway's identity on real PostgreSQL: the organisation and users API and its scope, login,
refresh rotation and reuse, logout and deactivation, refused tokens, key rotation, password upgrade; stores
and revocations reaching a service reached directly."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid

import jwt
import pytest
from gateway.adapters.orm import RefreshTokenRow, UserRow
from gateway.users import upsert_users
from shared.auth import KeySet, Principal, Role, generate_signing_key, issue_token
from shared.db import make_engine
from sqlalchemy import select, update

from tests.support.factories import eventually, new_phone
from tests.support.fixtures import JWT_ISSUER, SIGNING_KEY, make_token

PW = "a-good-password-1"
HOURS = [{"day": d, "opens": "08:30", "closes": "18:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat")]


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client, username: str, password: str = PW) -> dict:
    r = await client.post("/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
async def group(service_databases, start_service):
    """A dealer group with its administrator (made by the command line), two stores, a running gateway."""
    dg, admin = uid("dg"), uid("admin")
    await upsert_users(service_databases["gateway"], [dict(username=admin, password=PW, dealer_group_id=dg,
                                                           roles=["group_admin"])])
    async with start_service("gateway") as gw:
        t = await login(gw.client, admin)
        h = bearer(t["access_token"])
        r = await gw.client.put("/org/group", json={"name": "沪东汽车集团"}, headers=h)
        assert r.status_code == 200 and r.json()["version"] == 1, r.text
        stores = []
        for brand in ("Audi", "Volvo"):
            sid = uid("s")
            r = await gw.client.post("/org/stores", headers=h, json={
                "store_id": sid, "name": f"{brand} 浦东店", "brand": brand, "city": "上海",
                "time_zone": "Asia/Shanghai", "opening_hours": HOURS})
            assert r.status_code == 201, r.text
            stores.append(sid)
        yield dict(gw=gw, dg=dg, admin=admin, h=h, stores=stores)


async def make_user(g, roles: list[str], stores: list[str], headers=None) -> str:
    name = uid("u")
    r = await g["gw"].client.post("/org/users", headers=headers or g["h"], json={
        "username": name, "password": PW, "roles": roles, "store_ids": stores})
    assert r.status_code == 201, r.text
    return name


# -- organisation --------------------------------------------------------------------------------
async def test_stores_are_records_of_the_group_with_hours_and_time_zone(group):
    c, h = group["gw"].client, group["h"]
    r = await c.get("/org/stores", headers=h)
    assert [s["store_id"] for s in r.json()] == sorted(group["stores"])
    assert r.json()[0]["opening_hours"][0] == {"day": "mon", "opens": "08:30:00", "closes": "18:00:00"}
    r = await c.post("/org/stores", headers=h, json={"store_id": uid("s"), "name": "x", "brand": "x", "city": "x",
                                                     "time_zone": "Mars/Olympus"})
    assert r.status_code == 422 and r.json()["field"] == "time_zone"
    r = await c.post("/org/stores", headers=h, json={"store_id": uid("s"), "name": "x", "brand": "x", "city": "x",
                                                     "opening_hours": [{"day": "mon", "opens": "18:00",
                                                                        "closes": "08:00"}]})
    assert r.status_code == 422
    store = group["stores"][0]
    r = await c.put(f"/org/stores/{store}", headers=h, json={"version": 1, "name": "Audi 浦东旗舰店", "brand": "Audi",
                                                             "city": "上海", "time_zone": "Asia/Shanghai"})
    assert r.status_code == 200 and r.json()["version"] == 2
    stale = await c.put(f"/org/stores/{store}", headers=h, json={"version": 1, "name": "n", "brand": "Audi",
                                                                 "city": "上海"})
    assert stale.status_code == 409
    # an advisor reads the stores but cannot change them
    adv = await login(c, await make_user(group, ["advisor"], [store]))
    assert (await c.get(f"/org/stores/{store}", headers=bearer(adv["access_token"]))).status_code == 200
    r = await c.put(f"/org/stores/{store}", headers=bearer(adv["access_token"]),
                    json={"version": 2, "name": "n", "brand": "b", "city": "c"})
    assert r.status_code == 403


async def test_store_roles_need_a_store_of_the_group(group):
    c, h = group["gw"].client, group["h"]
    base = {"password": PW, "roles": ["advisor"]}
    r = await c.post("/org/users", headers=h, json={**base, "username": uid("u"), "store_ids": []})
    assert r.status_code == 422 and r.json()["field"] == "store_ids"
    r = await c.post("/org/users", headers=h, json={**base, "username": uid("u"), "store_ids": ["s-nowhere"]})
    assert r.status_code == 422 and "s-nowhere" in r.json()["detail"]
    r = await c.post("/org/users", headers=h, json={**base, "username": uid("u"), "roles": ["emperor"],
                                                    "store_ids": group["stores"][:1]})
    assert r.status_code == 422
    analyst = await make_user(group, ["group_analyst"], [])  # a group role needs no store
    assert (await login(c, analyst))["access_token"]


async def test_nobody_manages_users_of_another_group_and_a_store_admin_only_its_stores(group):
    c, h = group["gw"].client, group["h"]
    s1, s2 = group["stores"]
    r = await c.post("/org/users", headers=h, json={"username": uid("u"), "password": PW, "roles": ["advisor"],
                                                    "store_ids": [s1], "dealer_group_id": "dg-elsewhere"})
    assert r.status_code == 403 and r.json()["field"] == "dealer_group_id"

    manager = await make_user(group, ["service_manager"], [s1])
    mh = bearer((await login(c, manager))["access_token"])
    own = await make_user(group, ["advisor"], [s1], headers=mh)  # its own store: allowed
    for body, field in [
        ({"roles": ["advisor"], "store_ids": [s2]}, "store_ids"),  # another store of the group
        ({"roles": ["group_analyst"], "store_ids": []}, "roles"),  # a group role
        ({"roles": ["advisor"], "store_ids": [s1], "dealer_group_id": "dg-elsewhere"}, "dealer_group_id"),
    ]:
        r = await c.post("/org/users", headers=mh, json={"username": uid("u"), "password": PW, **body})
        assert r.status_code == 403 and r.json()["field"] == field, (body, r.text)
    other = await make_user(group, ["advisor"], [s2])
    assert (await c.get(f"/org/users/{other}", headers=mh)).status_code == 403
    assert [u["user_id"] for u in (await c.get("/org/users", headers=mh)).json()] == sorted([manager, own])
    assert (await c.post(f"/org/users/{other}/deactivate", headers=mh)).status_code == 403
    # an advisor manages nobody
    ah = bearer((await login(c, own))["access_token"])
    assert (await c.post("/org/users", headers=ah, json={"username": uid("u"), "password": PW,
                                                         "roles": ["advisor"], "store_ids": [s1]})).status_code == 403

    # another group's administrator neither sees nor changes this group's users (404: not there for it)
    outsider = uid("admin")
    await upsert_users(group["gw"].runtime.settings.database_url, [dict(
        username=outsider, password=PW, dealer_group_id=uid("dg"), roles=["group_admin"])])
    oh = bearer((await login(c, outsider))["access_token"])
    assert (await c.get(f"/org/users/{own}", headers=oh)).status_code == 404
    assert (await c.patch(f"/org/users/{own}", headers=oh, json={"version": 1, "roles": ["technician"]})
            ).status_code == 404
    assert own not in [u["user_id"] for u in (await c.get("/org/users", headers=oh)).json()]


async def test_changing_a_users_roles_is_audited_and_old_tokens_must_refresh(group):
    c, h = group["gw"].client, group["h"]
    s1 = group["stores"][0]
    name = await make_user(group, ["advisor"], [s1])
    t = await login(c, name)
    r = await c.patch(f"/org/users/{name}", headers=h, json={"version": 1, "roles": ["advisor", "customer_care"]})
    assert r.status_code == 200 and r.json()["roles"] == ["advisor", "customer_care"], r.text
    assert (await c.get("/me", headers=bearer(t["access_token"]))).status_code == 401
    fresh = (await c.post("/auth/refresh", json={"refresh_token": t["refresh_token"]})).json()
    me = (await c.get("/me", headers=bearer(fresh["access_token"]))).json()
    assert me["roles"] == ["advisor", "customer_care"]
    async with group["gw"].runtime.sessions() as s:
        doc = (await s.execute(select(UserRow.doc).where(UserRow.id == name))).scalar_one()
    assert "password" not in json.dumps(doc)
    audit = (await c.get(f"/org/users/{name}/history", headers=h)).json()
    assert [a["command"] for a in audit] == ["create_user", "change_user"]
    assert {a["actor_id"] for a in audit} == {group["admin"]} and "argon2" not in json.dumps(audit)
    assert audit[1]["changes"]["roles[1]"] == [None, "customer_care"]


# -- tokens ------------------------------------------------------------------------------------
async def test_refresh_rotates_and_a_reused_refresh_token_revokes_its_family(group):
    c = group["gw"].client
    name = await make_user(group, ["advisor"], group["stores"][:1])
    first = await login(c, name)
    assert jwt.decode(first["access_token"], options={"verify_signature": False})["exp"] - time.time() <= 900
    second = (await c.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await c.get("/me", headers=bearer(second["access_token"]))).status_code == 200

    reused = await c.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and "already used" in reused.json()["detail"]
    # the whole family is gone: the current refresh token and the session's access tokens
    assert (await c.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})).status_code == 401
    assert (await c.get("/me", headers=bearer(second["access_token"]))).status_code == 401
    # another login of the same user is another family, untouched
    other = await login(c, name)
    assert (await c.get("/me", headers=bearer(other["access_token"]))).status_code == 200
    assert (await c.post("/auth/refresh", json={"refresh_token": "made-up"})).status_code == 401
    async with group["gw"].runtime.sessions() as s:  # stored hashed: the token itself is nowhere
        stored = (await s.execute(select(RefreshTokenRow.token_hash))).scalars()
        assert other["refresh_token"] not in set(stored)


async def test_logout_and_deactivation_revoke(group):
    c, h = group["gw"].client, group["h"]
    name = await make_user(group, ["advisor"], group["stores"][:1])
    t = await login(c, name)
    r = await c.post("/auth/logout", headers=bearer(t["access_token"]))
    assert r.status_code == 200 and r.json()["revoked"]
    assert (await c.get("/me", headers=bearer(t["access_token"]))).status_code == 401
    assert (await c.post("/auth/refresh", json={"refresh_token": t["refresh_token"]})).status_code == 401
    # The composed reads too: the revoked caller gets 401, not the (here partial: no service runs) answer.
    for path in ("/api/vehicle-overview?vin=X", "/api/repair-orders/ro-1/status"):
        assert (await c.get(path, headers=bearer(t["access_token"]))).status_code == 401, path

    t = await login(c, name)
    r = await c.post(f"/org/users/{name}/deactivate", headers=h)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await c.get("/me", headers=bearer(t["access_token"]))).status_code == 401
    assert (await c.get("/api/crm/vehicles?vin=X", headers=bearer(t["access_token"]))).status_code == 401
    assert (await c.get("/api/vehicle-overview?vin=X", headers=bearer(t["access_token"]))).status_code == 401
    assert (await c.post("/auth/refresh", json={"refresh_token": t["refresh_token"]})).status_code == 401
    r = await c.post("/auth/token", data={"username": name, "password": PW})
    assert r.status_code == 401
    assert (await c.post(f"/org/users/{name}/reactivate", headers=h)).status_code == 200
    assert (await login(c, name))["access_token"]


def b64(d: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


def bad_tokens() -> dict[str, str]:
    p = Principal(user_id="tester", name="t", dealer_group_id="dg-test", roles=frozenset({Role.ADVISOR}),
                  store_ids=frozenset({"s-1"}))
    claims = {"sub": "tester", "dg": "dg-test", "roles": ["advisor"], "stores": ["s-1"], "iss": JWT_ISSUER,
              "exp": int(time.time()) + 600}
    return {
        "expired": make_token(Role.ADVISOR, stores=["s-1"], now=time.time() - 3600),
        "forged": issue_token(p, key=generate_signing_key(SIGNING_KEY.kid), issuer=JWT_ISSUER),
        "alg none": f"{b64({'alg': 'none', 'kid': SIGNING_KEY.kid})}.{b64(claims)}.",
        "unknown kid": issue_token(p, key=generate_signing_key("stranger"), issuer=JWT_ISSUER),
    }


@pytest.mark.parametrize("kind", ["expired", "forged", "alg none", "unknown kid"])
async def test_bad_tokens_get_401_at_the_gateway_and_at_a_service_reached_directly(kind, start_service):
    token = bad_tokens()[kind]
    async with start_service("gateway") as gw, start_service("crm") as crm:
        assert (await gw.client.get("/me", headers=bearer(token))).status_code == 401
        assert (await gw.client.get("/org/stores", headers=bearer(token))).status_code == 401
        r = await crm.client.get("/vehicles", params={"vin": "LSVAA4182E2100001"}, headers=bearer(token))
        assert r.status_code == 401, r.text
        good = make_token(Role.ADVISOR, stores=["s-1"])
        r = await crm.client.get("/vehicles", params={"vin": "LSVAA4182E2100001"}, headers=bearer(good))
        assert r.status_code == 404  # past the token: no such vehicle


async def test_key_rotation_logs_nobody_out(service_databases, start_service):
    old, new = generate_signing_key(uid("k-old")), generate_signing_key(uid("k-new"))
    name = uid("u")
    await upsert_users(service_databases["gateway"], [dict(username=name, password=PW, dealer_group_id=uid("dg"),
                                                           roles=["group_analyst"])])
    signing = lambda *keys: json.dumps({"keys": [k.private_jwk() for k in keys]})  # noqa: E731
    before = dict(jwt_keys=KeySet.of(old).to_json(), jwt_signing_keys=signing(old))
    async with start_service("gateway", **before) as gw:
        t_old = await login(gw.client, name)
        assert jwt.get_unverified_header(t_old["access_token"])["kid"] == old.kid
    # step 1: every service learns the new public key; step 2: the gateway signs with it
    after = dict(jwt_keys=KeySet.of(old, new).to_json(), jwt_signing_keys=signing(old, new), jwt_signing_kid=new.kid)
    async with start_service("gateway", **after) as gw, start_service("crm", jwt_keys=after["jwt_keys"]) as crm:
        assert (await gw.client.get("/me", headers=bearer(t_old["access_token"]))).status_code == 200
        t_new = await login(gw.client, name)
        assert jwt.get_unverified_header(t_new["access_token"])["kid"] == new.kid
        keys = (await gw.client.get("/.well-known/jwks.json")).json()["keys"]
        assert {k["kid"] for k in keys} == {old.kid, new.kid} and all("d" not in k for k in keys)
        for t in (t_old, t_new):
            r = await crm.client.get("/vehicles", params={"vin": "LSVAA4182E2100001"},
                                     headers=bearer(t["access_token"]))
            assert r.status_code == 404, r.text
        # a refresh of a session begun under the old key gets a token of the new key
        r = await gw.client.post("/auth/refresh", json={"refresh_token": t_old["refresh_token"]})
        assert jwt.get_unverified_header(r.json()["access_token"])["kid"] == new.kid
        # a token of the old key that expired is refused as any expired token
        expired = issue_token(Principal(user_id=name, name=name, dealer_group_id="dg", roles=frozenset()),
                              key=old, issuer=JWT_ISSUER, now=time.time() - 3600)
        assert (await gw.client.get("/me", headers=bearer(expired))).status_code == 401
    # step 3, once the old key's tokens have expired: drop it; its tokens are refused
    final = dict(jwt_keys=KeySet.of(new).to_json(), jwt_signing_keys=signing(new))
    async with start_service("gateway", **final) as gw:
        assert (await gw.client.get("/me", headers=bearer(t_old["access_token"]))).status_code == 401
        assert (await gw.client.get("/me", headers=bearer(t_new["access_token"]))).status_code == 200


async def test_an_old_scrypt_hash_logs_in_and_is_replaced_by_argon2(service_databases, start_service):
    name = uid("u")
    await upsert_users(service_databases["gateway"], [dict(username=name, password="placeholder-pw",
                                                           dealer_group_id=uid("dg"), roles=["group_analyst"])])
    salt = os.urandom(16)
    digest = hashlib.scrypt(PW.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    engine = make_engine(service_databases["gateway"], pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(UserRow).where(UserRow.id == name).values(password_hash=legacy))
        async with start_service("gateway") as gw:
            assert (await gw.client.post("/auth/token", data={"username": name, "password": "wrong"})
                    ).status_code == 401
            await login(gw.client, name)
            await login(gw.client, name)  # and again, with the new hash
        async with engine.begin() as conn:
            stored = (await conn.execute(select(UserRow.password_hash).where(UserRow.id == name))).scalar_one()
        assert stored.startswith("$argon2id$")
    finally:
        await engine.dispose()


# -- the organisation reaches the other services over Kafka (gateway.organisation, gateway.sessions) ------
async def known_at(svc, store: str, headers: dict) -> bool:
    return (await svc.client.get(f"/stores/{store}", headers=headers)).status_code == 200


async def test_a_store_opened_at_the_gateway_reaches_a_service_and_an_unknown_store_is_refused(group, start_service):
    gw, h = group["gw"], group["h"]
    async with start_service("crm") as crm:
        store = f"s-{uuid.uuid4().hex[:8]}"  # not new_store(): the test clients would register it themselves
        r = await gw.client.post("/org/stores", headers=h, json={
            "store_id": store, "name": "奥迪闵行店", "brand": "Audi", "city": "上海", "time_zone": "Asia/Shanghai",
            "opening_hours": HOURS})
        assert r.status_code == 201, r.text
        advisor = bearer((await login(gw.client, await make_user(group, ["advisor"], [store])))["access_token"])
        assert await eventually(lambda: known_at(crm, store, advisor)), "crm never learnt of the store"
        got = (await crm.client.get(f"/stores/{store}", headers=advisor)).json()
        assert (got["dealer_group_id"], got["brand"], got["time_zone"]) == (group["dg"], "Audi", "Asia/Shanghai")
        assert got["opening_hours"][0] == {"day": "mon", "opens": "08:30:00", "closes": "18:00:00"}
        r = await crm.client.post("/customers", headers=advisor, json={
            "store_id": store, "name": "周杰", "phones": [new_phone()]})
        assert r.status_code == 201, r.text

        # a token naming a store the group never opened (signed, so only the store is wrong)
        ghost = f"s-ghost-{uuid.uuid4().hex[:6]}"
        p = Principal(user_id="adv-x", name="adv-x", dealer_group_id=group["dg"], roles=frozenset({Role.ADVISOR}),
                      store_ids=frozenset({ghost}))
        r = await crm.client.post("/customers", headers=bearer(issue_token(p, key=SIGNING_KEY, issuer=JWT_ISSUER)),
                                  json={"store_id": ghost, "name": "周杰", "phones": [new_phone()]})
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "store_id" and ghost in r.json()["detail"]
        # nor is a store of another group one of this group's
        assert (await crm.client.get(f"/stores/{store}", headers=bearer(issue_token(
            Principal(user_id="o", name="o", dealer_group_id="dg-other", roles=frozenset({Role.ADVISOR}),
                      store_ids=frozenset({store})), key=SIGNING_KEY, issuer=JWT_ISSUER)))).status_code == 404


async def test_a_logout_or_deactivation_at_the_gateway_makes_the_same_token_401_at_a_service(group, start_service):
    gw, h, store = group["gw"], group["h"], group["stores"][0]
    async with start_service("crm") as crm:
        name = await make_user(group, ["advisor"], [store])
        first, second = await login(gw.client, name), await login(gw.client, name)
        t1, t2 = bearer(first["access_token"]), bearer(second["access_token"])
        assert await eventually(lambda: known_at(crm, store, t1))

        assert (await gw.client.post("/auth/logout", headers=t1)).json()["revoked"] is True
        started = time.monotonic()

        async def refused(headers):
            return (await crm.client.get(f"/stores/{store}", headers=headers)).status_code == 401

        assert await eventually(lambda: refused(t1)), "crm kept accepting a logged-out token"
        print(f"logout → 401 at crm after {time.monotonic() - started:.2f} s")
        assert (await crm.client.get(f"/stores/{store}", headers=t2)).status_code == 200  # the other login stands

        version = (await gw.client.get(f"/org/users/{name}", headers=h)).json()["version"]
        r = await gw.client.patch(f"/org/users/{name}", headers=h, json={"store_ids": group["stores"],
                                                                        "version": version})
        assert r.status_code == 200, r.text
        assert await eventually(lambda: refused(t2)), "a token with the old stores kept working at crm"
        fresh = await gw.client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
        t3 = bearer(fresh.json()["access_token"])
        assert (await crm.client.get(f"/stores/{store}", headers=t3)).status_code == 200

        assert (await gw.client.post(f"/org/users/{name}/deactivate", headers=h)).status_code == 200
        assert await eventually(lambda: refused(t3)), "a deactivated user's token kept working at crm"
        r = await crm.client.get(f"/stores/{store}", headers=t3)
        assert r.json()["detail"] in ("user deactivated", "session revoked: log in again")


async def test_a_user_replaced_from_the_command_line_loses_the_old_access_at_a_service_too(
        group, service_databases, start_service):
    """The command line is the bootstrap path, but a user it replaces is changed like through the API: the
    change goes out as an event, and a token carrying the old stores stops at a service as at the gateway."""
    gw, store, other = group["gw"], *group["stores"]
    async with start_service("crm") as crm:
        name = await make_user(group, ["advisor"], [store])
        old = bearer((await login(gw.client, name))["access_token"])
        assert await eventually(lambda: known_at(crm, store, old))
        await upsert_users(service_databases["gateway"], [dict(username=name, password=PW, dealer_group_id=group["dg"],
                                                               roles=["advisor"], store_ids=[store, other])])
        assert await eventually(lambda: _refused(crm, store, old)), "crm kept accepting the token with old stores"
        assert (await gw.client.get("/me", headers=old)).status_code == 401
        new = bearer((await login(gw.client, name))["access_token"])
        assert await eventually(lambda: known_at(crm, other, new))
        r = await gw.client.get(f"/org/users/{name}", headers=group["h"])
        assert r.json()["store_ids"] == sorted([store, other]) and r.json()["version"] == 2, r.text
    # Usernames are global: the command line does not hand a group's user to another group.
    with pytest.raises(SystemExit, match=f"username {name} is taken by dealer group {group['dg']}"):
        await upsert_users(service_databases["gateway"], [dict(username=name, password=PW, dealer_group_id="dg-x",
                                                               roles=["group_admin"])])


async def _refused(svc, store: str, headers: dict) -> bool:
    return (await svc.client.get(f"/stores/{store}", headers=headers)).status_code == 401
