"""Tenancy, roles and tokens through the gateway, on every route the running platform publishes.

The routes come from each service's own OpenAPI (with the roles each allows); records are seeded in two
stores of one dealer group (A and B) by a small lifecycle through the gateway, and a second group has a
store of its own. Then, for every route, filled with store B's ids (and store B as the `store_id` of its
query or body):
- a store-A user holding every store role, and a user of the other group holding every role, get 403 or
  404 with none of store B's data in the answer; afterwards store B's records read the same as before;
- a store-B user holding none of the route's roles gets 403;
and a group analyst sees both stores on the list routes, a store-A user only its own. Expired, forged,
`alg: none`, unknown-kid and logged-out tokens get 401 on a route of every service.

A route the generator cannot fill (an id no seeded record has) must be listed in NOT_PROBED with the
reason, so a new route is either probed or named here: coverage cannot shrink without a diff.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import httpx
import pytest_asyncio
from gateway.users import upsert_users
from shared.auth import Principal, Role, generate_signing_key, issue_token

from deploy.launcher import SERVICES
from tests.support.e2e import PASSWORD, SIGNING_KEY
from tests.support.routes import Filled, Route, fill, route_table
from tests.support.tenancy import (
    STORE_ROLES,
    Seeded,
    add_users,
    bearer,
    gateway_client,
    open_group,
    seed_store,
    store_staff,
    token,
)

GROUP, OTHER_GROUP = "dg-tenancy", "dg-tenancy-2"
STORE_A, STORE_B, STORE_C = "s-ten-a", "s-ten-b", "s-ten-c"
ALL_ROLES = sorted(r.value for r in Role)
ISSUER = "aftersales-gateway"
CONCURRENCY = 8

# Answered without a token, by design: nothing of a tenant is behind them.
PUBLIC = {
    "GET /health": "liveness",
    "GET /ready": "readiness (database, Kafka)",
    "POST /auth/token": "login",
    "POST /auth/refresh": "a refresh token is the credential",
    "GET /.well-known/jwks.json": "the public keys tokens are verified with",
}
# Routes not probed, with the reason. A route with an id no seeded record has must be listed here.
NOT_PROBED = {
    **{f"{m} /api/{{service}}/{{path}}": "the pass-through itself: every service's routes are probed through it"
       for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    "POST /auth/logout": "ends the caller's own session (the revoked-token test logs out with it)",
    **{k: "no call task is seeded: crm makes them in its daily reminder job from service and insurance due "
          "dates, which a freshly seeded vehicle does not have"
       for k in ("GET /api/crm/call-tasks/{task_id}/history", "POST /api/crm/call-tasks/{task_id}/outcome")},
    "PUT /org/group": "names the caller's own group: there is no other group's or store's record to name",
    "POST /api/parts/suppliers": "a supplier is a record of the caller's own group (no store)",
    "POST /api/crm/reminders/run": "runs the caller's own group's reminder job (no store, no record named)",
    "POST /api/claims/insurance-renewal-reminders": "runs the caller's own group's renewal job (no record named)",
}
# Group records (DESIGN.md "Tenancy and security"): any store of the group reads and changes them, so a
# store-A user may; the other group may not. Commands on them are not sent by store A (they would change
# store B's customer, as they may).
GROUP_RECORDS = {
    "GET /api/crm/customers/{customer_id}", "PATCH /api/crm/customers/{customer_id}",
    "GET /api/crm/customers/{customer_id}/history",
    "GET /api/crm/vehicles", "GET /api/crm/vehicles/{vehicle_id}", "PATCH /api/crm/vehicles/{vehicle_id}",
    "GET /api/crm/vehicles/{vehicle_id}/history", "GET /api/crm/vehicles/{vehicle_id}/odometer-readings",
    "POST /api/crm/vehicles/{vehicle_id}/odometer-readings", "POST /api/crm/vehicles/{vehicle_id}/owner",
    "GET /api/crm/vehicles/{vehicle_id}/owners",
    "GET /api/reception/vehicles", "GET /api/reception/vehicles/{vehicle_id}",
    "GET /api/vehicle-overview",
    "GET /org/stores/{store_id}",  # the group's stores: every member of the group reads them
    *(f"GET /api/{s}/stores/{{store_id}}" for s in ("crm", "reception", "workshop", "parts", "claims")),
    "GET /api/stores/{store_id}/reach",  # which services know a store of the group yet
    "GET /api/vehicles/{vin}/history",  # the services answer it as the caller: its own stores' visits only
}
# Lists of what belongs to a record (a group record) as the caller's stores hold it: for an id outside the
# caller's scope they list nothing (200, empty) rather than 404. No data of store B either way.
LISTS_BY_ID = {"GET /api/reception/vehicles/{vehicle_id}/appointments",
               "GET /api/reception/vehicles/{vehicle_id}/repair-orders"}
# Which of several ids a parameter names, where the name alone does not tell.
BY_RESOURCE = {("warranty-claims", "claim_id"): "warranty_claim_id",
               ("insurance-claims", "claim_id"): "insurance_claim_id"}
ALIASES = {"vin": "vin", "repair_order_id": "ro_id", "owner_customer_id": "customer_id",
           "new_owner_customer_id": "customer_id", "vehicle_id": "vehicle1"}


def ids_of(seeded: Seeded):
    """The id each route parameter or body field gets: store B's records."""

    def ids(route: Route, name: str) -> Any:
        if name == "store_id":
            return seeded.store
        if name == "store_ids":
            return [seeded.store]
        resource = route.path.strip("/").split("/")[0]
        key = BY_RESOURCE.get((resource, name)) or ALIASES.get(name, name)
        return seeded.ids.get(key)

    return ids


def targeted(route: Route, filled: Filled) -> bool:
    """Names a record (a path id) or a store (a store filter or field): something store B's."""
    body = filled.body if isinstance(filled.body, dict) else {}
    return bool(route.path_params) or "store_id" in filled.query or bool({"store_id", "store_ids"} & set(body))


# -- the platform, its groups, users and records ----------------------------------------------------------
@pytest_asyncio.fixture(scope="module")
async def world(platform):
    await upsert_users(platform.database_url("gateway"), [
        dict(username="t.admin", password=PASSWORD, dealer_group_id=GROUP, roles=["group_admin"]),
        dict(username="t2.admin", password=PASSWORD, dealer_group_id=OTHER_GROUP, roles=["group_admin"])])
    async with gateway_client(platform) as gw:
        admin = await open_group(gw, "t.admin", "沪东汽车集团", [STORE_A, STORE_B])
        admin2 = await open_group(gw, "t2.admin", "苏南汽车集团", [STORE_C])
        await add_users(gw, admin, {**store_staff("a", STORE_A), **store_staff("b", STORE_B),
                                    "t.a.all": (STORE_ROLES, [STORE_A]), "t.analyst": (["group_analyst"], [])})
        await add_users(gw, admin2, {"t2.all": (ALL_ROLES, [STORE_C]), "t2.store": (STORE_ROLES, [STORE_C])})
        a, b = await asyncio.gather(seed_store(gw, "a", STORE_A), seed_store(gw, "b", STORE_B))
        # store B's people; not t.b.tech, whose name the probes send as a technician and user id (the other
        # group may well have a technician of that name in its own shop)
        b.secrets |= {f"t.b.{who}" for who in ("mgr", "tech2", "lead", "qc", "pm")}
        b.group_secrets.add("t.b.mgr")  # registered the group records: their audit trail names the manager
        routes = await route_table(gw, {svc: platform.url(svc) for svc in SERVICES})
        yield dict(platform=platform, admin=admin, a=a, b=b, routes=routes)


def probed(routes: list[Route]) -> list[Route]:
    return [r for r in routes if r.secured and r.key not in NOT_PROBED]


def leaked(seeded: Seeded, filled: Filled, text: str) -> list[str]:
    """Store B's data in an answer: its strings that the caller did not send itself."""
    return sorted(s for s in seeded.secrets if s in text and s not in filled.sent)


async def call(gw: httpx.AsyncClient, route: Route, filled: Filled, headers: dict, gate: asyncio.Semaphore):
    async with gate:
        return await gw.request(route.method, filled.url, params=filled.query, headers=headers,
                                json=filled.body if filled.body is not None else None)


async def snapshot(gw, routes: list[Route], b: Seeded, headers) -> dict[str, Any]:
    """Every store-B record as its own manager reads it (the GET routes naming one)."""
    ids, gate = ids_of(b), asyncio.Semaphore(CONCURRENCY)
    reads = [(r, fill(r, ids)) for r in probed(routes) if r.method == "GET" and r.path_params]
    reads = [(r, f) for r, f in reads if not f.missing]
    got = await asyncio.gather(*(call(gw, r, f, headers, gate) for r, f in reads))
    # A 503 here is the gateway losing a pooled connection to a service (RemoteProtocolError, seen under
    # load): read again, these reads only witness the records.
    again = [i for i, g in enumerate(got) if g.status_code == 503]
    for i, g in zip(again, await asyncio.gather(*(call(gw, *reads[i], headers, gate) for i in again)), strict=True):
        got[i] = g
    return {r.key: {"status": g.status_code, "body": body(g)} for (r, _), g in zip(reads, got, strict=True)}


def body(got: httpx.Response) -> Any:
    """JSON as data, anything else (a CSV export) as its text."""
    return got.json() if got.headers.get("content-type", "").startswith("application/json") else got.text


# -- the route table is complete ------------------------------------------------------------------------
async def test_every_route_is_behind_a_token_and_fillable_or_listed(world):
    routes = world["routes"]
    assert {r.service for r in routes} == set(SERVICES)
    open_routes = sorted(r.key for r in routes if not r.secured and f"{r.method} {r.path}" not in PUBLIC)
    assert not open_routes, f"routes without a token, not in PUBLIC: {open_routes}"
    ids = ids_of(world["b"])
    unfillable = sorted(f"{r.key} ({', '.join(fill(r, ids).missing)})" for r in probed(routes)
                        if fill(r, ids).missing)
    assert not unfillable, f"routes naming an id no seeded record has; seed one or list in NOT_PROBED: {unfillable}"
    stale = sorted(set(NOT_PROBED) - {r.key for r in routes})
    assert not stale, f"NOT_PROBED names routes that are gone: {stale}"
    stale = sorted((GROUP_RECORDS | LISTS_BY_ID) - {r.key for r in routes})
    assert not stale, f"GROUP_RECORDS names routes that are gone: {stale}"


# -- 1. nobody reaches another store's or group's records --------------------------------------------------
# Who probes store B: a user of store A holding every store role (the same group), a user of the other
# group's store holding every store role, and one of the other group holding every role, group-wide ones too.
PROBERS = {"t.a.all": "same group", "t2.store": "other group", "t2.all": "other group, group-wide"}
# Codes a store names its own floor with: another group may use the same ones in its own stores.
STORE_CODES = {"store_id", "team_id", "shift_id", "bay_id", "operation_code", "technician_id"}
# Known and left as they are, with the reason (the answer is allowed for this route only).
KNOWN = {
    ("POST /org/stores", 409): "store ids are unique across dealer groups in the gateway (pk_stores): another "
                               "group opening the same id is told it is taken",
}


async def test_another_store_or_group_cannot_read_or_change_store_b(world):
    """Every route, as each of PROBERS, with the roles it allows; then store B's records read as before."""
    b, routes = world["b"], world["routes"]
    ids, gate = ids_of(b), asyncio.Semaphore(CONCURRENCY)
    async with gateway_client(world["platform"]) as gw:
        reader = bearer(await token(gw, "t.b.mgr"))
        tokens = {who: bearer(await token(gw, who)) for who in PROBERS}
        before = await snapshot(gw, routes, b, reader)
        unread = sorted(k for k, v in before.items() if v["status"] != 200)
        assert not unread, f"store B's own manager cannot read: {unread}"
        cases = [(who, r, f) for who in PROBERS for r in probed(routes) for f in requests(r, ids)
                 if not (who == "t.a.all" and r.key in GROUP_RECORDS and r.command)]
        # (store A may change a group record: not sent, it would change store B's customer as it may)
        answers = await asyncio.gather(*(call(gw, r, f, tokens[who], gate) for who, r, f in cases))
        after = await snapshot(gw, routes, b, reader)
    failures = [f"{who}: {r.key} -> {got.status_code}: {problem} | {got.text[:200]}"
                for (who, r, f), got in zip(cases, answers, strict=True)
                if (problem := judge(r, f, got, b, PROBERS[who]))]
    changed = {k: d for k in before if (d := differences(before[k], after.get(k)))}
    assert not failures, "store B reached:\n" + "\n".join(failures)
    assert not changed, f"store B's records changed while they probed: {changed}"
    assert len(cases) > 300, len(cases)  # the table really was probed


def requests(route: Route, ids) -> list[Filled]:
    """The route filled with store B's ids; a read filtering by store B's records (a repair order, a
    customer) also without the store filter: the caller's own stores then, none of B's records."""
    f = fill(route, ids)
    if route.method != "GET" or "store_id" not in f.query or len(f.query) == 1 or any(
            p["name"] == "store_id" and p.get("required") for p in route.params("query")):
        return [f]
    return [f, Filled(url=f.url, query={k: v for k, v in f.query.items() if k != "store_id"}, body=None,
                      missing=f.missing)]


# Read at the time of reading, not stored: a job in progress clocks on, its finish estimate and its
# technician's remaining load move.
VOLATILE = {"clocked", "eta", "load_hours", "estimated_finish"}


def differences(before: Any, after: Any, at: str = "") -> list[str]:
    """Where two answers differ, the fields read off the clock aside."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [d for k in sorted(set(before) | set(after)) if k not in VOLATILE
                for d in differences(before.get(k), after.get(k), f"{at}.{k}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (x, y) in enumerate(zip(before, after, strict=True)) for d in differences(x, y, f"{at}[{i}]")]
    return [] if before == after else [f"{at}: {before!r} -> {after!r}"]


def groups_in(body: Any) -> set[str]:
    """Every dealer group an answer's records name."""
    if isinstance(body, dict):
        own = {body["dealer_group_id"]} if isinstance(body.get("dealer_group_id"), str) else set()
        return own | {g for v in body.values() for g in groups_in(v)}
    if isinstance(body, list):
        return {g for v in body for g in groups_in(v)}
    return set()


def judge(route: Route, filled: Filled, got: httpx.Response, b: Seeded, who: str) -> str | None:
    """What is wrong with an answer to a store-B request from store A or the other group (None: nothing)."""
    if got.status_code >= 500:
        return "server error"
    if (route.key, got.status_code) in KNOWN:
        return None
    group_record = who == "same group" and route.key in GROUP_RECORDS
    leak = leaked(b, filled, got.text)
    if leak := [x for x in leak if not (group_record and x in b.group_secrets)]:
        return f"store B's data in the answer: {leak}"
    if group_record:
        return None if got.status_code == 200 else "a group record every store of the group reads"
    if route.key in LISTS_BY_ID and got.status_code == 200:
        return None  # lists nothing of store B (checked above)
    if not targeted(route, filled) or got.status_code in (403, 404):
        return None  # a route naming nothing of store B: any answer without its data is right
    if who.startswith("other group") and got.status_code == 422 and body(got).get("field") == "store_id":
        return None  # another group's store is no store of the caller's (services that know the group's stores)
    if who == "other group, group-wide" and not set(route.path_params) - STORE_CODES:
        # Store ids are a group's own codes: a group role names "s-ten-b" in its own group, where that store
        # has nothing. Right, as long as nothing of the other group comes back.
        foreign = groups_in(body(got)) - {OTHER_GROUP}
        return f"records of {sorted(foreign)}" if foreign else None
    return "expected 403 or 404"


async def test_a_group_analyst_sees_both_stores_and_a_store_user_its_own(world):
    """Every list an analyst may read, unfiltered (or once per store where it needs one): both stores'
    records, where it shows either; store A's user, the same lists: none of store B's."""
    a, b = world["a"], world["b"]
    lists = [r for r in probed(world["routes"]) if r.method == "GET" and not r.path_params and r.roles
             and "group_analyst" in r.roles
             and not any(p.get("required") and p["name"] != "store_id" for p in r.params("query"))]
    record_ids = ("complaint_id", "follow_up_id", "appointment_id", "warranty_claim_id", "part_id", "ro_id")

    def shows(text: str, s: Seeded) -> bool:
        return any(s.ids[k] in text for k in record_ids)

    def requests(r: Route) -> list[Filled]:
        if any(p["name"] == "store_id" and p.get("required") for p in r.params("query")):
            return [Filled(url=r.url, query={"store_id": s}, body=None, missing=[]) for s in (STORE_A, STORE_B)]
        return [Filled(url=r.url, query={}, body=None, missing=[])]

    gate = asyncio.Semaphore(CONCURRENCY)
    async with gateway_client(world["platform"]) as gw:
        analyst, store_a = bearer(await token(gw, "t.analyst")), bearer(await token(gw, "t.a.all"))
        cases = [(r, f) for r in lists for f in requests(r)]
        by_analyst = await asyncio.gather(*(call(gw, r, f, analyst, gate) for r, f in cases))
        by_a = await asyncio.gather(*(call(gw, r, f, store_a, gate) for r, f in cases if not f.query))
    seen: dict[str, str] = {}
    for (r, _), got in zip(cases, by_analyst, strict=True):
        assert got.status_code == 200, f"{r.key} for the analyst: {got.text[:300]}"
        seen[r.key] = seen.get(r.key, "") + got.text
    unfiltered = [(r, f) for r, f in cases if not f.query]
    for (r, f), got in zip(unfiltered, by_a, strict=True):
        assert got.status_code >= 400 or not leaked(b, f, got.text), f"store A's user sees store B's on {r.key}"
    one_sided = sorted(k for k, text in seen.items() if shows(text, a) != shows(text, b))
    assert not one_sided, f"the analyst sees one store only on: {one_sided}"
    both = sorted(k for k, text in seen.items() if shows(text, a) and shows(text, b))
    for must in ("GET /api/crm/complaints", "GET /api/crm/follow-ups", "GET /api/claims/warranty-claims",
                 "GET /api/parts/parts", "GET /api/workshop/board"):
        assert must in both, f"the analyst does not see both stores' records on {must}; both on: {both}"


# -- 2. a wrong role gets 403 ---------------------------------------------------------------------------
async def test_a_user_of_the_right_store_without_the_routes_roles_gets_403(world):
    """Per route, a store-B user holding every role but the route's. Their tokens are signed with the
    platform's key as the gateway would sign them (a token without a login session is accepted for a user the
    gateway does not have): the check is the services' and tokens spare ~30 password hashes (~40 s)."""
    routes = [r for r in probed(world["routes"]) if r.roles and set(ALL_ROLES) - set(r.roles)]
    every_role = sorted(r.key for r in probed(world["routes"]) if r.roles and not set(ALL_ROLES) - set(r.roles))
    # The group and its stores, as the gateway keeps them and as each service knows them.
    known_stores = [f"GET /api/{s}/stores{tail}" for s in ("claims", "crm", "parts", "reception", "workshop")
                    for tail in ("", "/{store_id}")]
    assert every_role == sorted([*known_stores, "GET /api/stores/{store_id}/reach", "GET /org/group",
                                 "GET /org/stores", "GET /org/stores/{store_id}"]), every_role

    def wrong(route: Route) -> str:
        others = frozenset(Role(x) for x in ALL_ROLES if x not in route.roles)
        return issue_token(Principal(user_id=f"t.wrong.{route.key}", name="wrong role", dealer_group_id=GROUP,
                                     roles=others, store_ids=frozenset({STORE_B})),
                           key=SIGNING_KEY, issuer=ISSUER, ttl_seconds=600)

    ids, gate = ids_of(world["b"]), asyncio.Semaphore(CONCURRENCY)
    cases = [(r, fill(r, ids)) for r in routes]
    async with gateway_client(world["platform"]) as gw:
        answers = await asyncio.gather(*(call(gw, r, f, bearer(wrong(r)), gate) for r, f in cases))
    refused = [f"{r.key} -> {got.status_code}: {got.text[:150]}"
               for (r, _), got in zip(cases, answers, strict=True) if got.status_code != 403]
    assert not refused, "a role the route does not allow got past it:\n" + "\n".join(refused)
    assert len(cases) > 100, len(cases)


# -- 3. tokens ------------------------------------------------------------------------------------------
def _b64(d: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


def bad_tokens() -> dict[str, str]:
    p = Principal(user_id="t.b.mgr", name="t.b.mgr", dealer_group_id=GROUP,
                  roles=frozenset({Role.SERVICE_MANAGER}), store_ids=frozenset({STORE_B}))
    claims = {"sub": p.user_id, "dg": GROUP, "roles": ["service_manager"], "stores": [STORE_B], "iss": ISSUER,
              "exp": int(time.time()) + 600}
    return {
        "expired": issue_token(p, key=SIGNING_KEY, issuer=ISSUER, now=time.time() - 3600),
        "forged": issue_token(p, key=generate_signing_key(SIGNING_KEY.kid), issuer=ISSUER),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': SIGNING_KEY.kid})}.{_b64(claims)}.",
        "unknown kid": issue_token(p, key=generate_signing_key("not-the-gateways"), issuer=ISSUER),
    }


async def test_bad_tokens_get_401_on_every_service_through_the_gateway(world):
    ids = ids_of(world["b"])
    sample = {}
    for r in sorted(probed(world["routes"]), key=lambda r: (r.method != "GET", r.path)):
        sample.setdefault(r.service, r)
    assert set(sample) == set(SERVICES)
    async with gateway_client(world["platform"]) as gw:
        good = await token(gw, "t.b.mgr")
        revoked = await token(gw, "t.b.mgr")
        r = await gw.post("/auth/logout", headers=bearer(revoked))
        assert r.status_code == 200 and r.json()["revoked"], r.text
        tokens = {**bad_tokens(), "logged out": revoked}
        failures = []
        for svc, route in sample.items():
            f = fill(route, ids)
            ok = await gw.request(route.method, f.url, params=f.query, headers=bearer(good))
            assert ok.status_code == 200, f"{route.key} with a good token: {ok.status_code} {ok.text[:200]}"
            for kind, t in tokens.items():
                got = await gw.request(route.method, f.url, params=f.query, headers=bearer(t))
                if got.status_code != 401 or leaked(world["b"], f, got.text):
                    failures.append(f"{kind} token on {route.key} ({svc}) -> {got.status_code}: {got.text[:150]}")
    assert not failures, "\n".join(failures)
