"""Lists by cursor through the gateway: its own users (a service manager's view, filtered by store, in full
pages while users are added), and a service's list passed through with its Link rewritten to the gateway."""

from __future__ import annotations

import uuid

import httpx
from gateway.users import upsert_users
from shared.auth import Role

from tests.support.pages import refusal, walk

PW = "a-good-password-1"
HOURS = [{"day": d, "opens": "08:30", "closes": "18:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat")]


async def bearer_of(client, username: str) -> dict[str, str]:
    r = await client.post("/auth/token", data={"username": username, "password": PW})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_service_manager_walks_the_users_of_its_store_while_users_are_added(service_databases,
                                                                                      start_service):
    dg, tag = f"dg-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:6]
    admin = f"admin-{tag}"
    await upsert_users(service_databases["gateway"], [dict(username=admin, password=PW, dealer_group_id=dg,
                                                           roles=["group_admin"])])
    async with start_service("gateway") as gw:
        c, h = gw.client, await bearer_of(gw.client, admin)
        s1, s2 = f"s1-{tag}", f"s2-{tag}"
        for sid in (s1, s2):
            r = await c.post("/org/stores", headers=h, json={"store_id": sid, "name": sid, "brand": "Audi",
                                                             "city": "上海", "time_zone": "Asia/Shanghai",
                                                             "opening_hours": HOURS})
            assert r.status_code == 201, r.text

        async def user(name: str, store: str, roles=("advisor",)) -> str:
            r = await c.post("/org/users", headers=h, json={"username": name, "password": PW, "roles": list(roles),
                                                            "store_ids": [store]})
            assert r.status_code == 201, r.text
            return name

        manager = await user(f"m-{tag}-manager", s1, roles=("service_manager",))
        mine = [await user(f"m-{tag}-{i}", s1 if i % 2 else s2) for i in range(10)]  # odd ones in s1
        expected = sorted([manager] + [u for i, u in enumerate(mine) if i % 2])
        sm = await bearer_of(c, manager)
        late = []

        async def meanwhile(page: int) -> None:
            await user(f"a-{tag}-{page}", s1)                  # before the cursor: not to come
            late.append(await user(f"z-{tag}-{page}", s1))      # after it: still to come
            await user(f"z-{tag}-{page}-other", s2)            # another store's: never shown

        pages = await walk(c, "/org/users", headers=sm, between=meanwhile)
        seen = [u["user_id"] for p in pages for u in p]
        # the manager sees its store's users only: full pages all the same
        assert seen == expected + late, seen
        assert [len(p) for p in pages] == [2, 2, 2, 2, 2]

        stores = await walk(c, "/org/stores", headers=h, limit=1)
        assert [s["store_id"] for p in stores for s in p] == [s1, s2]


async def test_a_forwarded_list_pages_through_the_gateways_own_urls(start_service, token):
    store = f"s-{uuid.uuid4().hex[:8]}"
    supervisor = token(Role.WORKSHOP_SUPERVISOR, stores=[store])
    async with start_service("workshop") as workshop, \
            start_service("gateway", workshop_url="http://workshop") as gw:
        # The gateway reaches workshop in-process (no port): its upstream client goes through workshop's app.
        await gw.app.state.http.aclose()
        gw.app.state.http = httpx.AsyncClient(transport=httpx.ASGITransport(workshop.app))
        try:
            codes = [f"OP-{i}" for i in range(5)]
            for code in codes:
                r = await gw.client.put(f"/api/workshop/stores/{store}/operations/{code}", headers=supervisor,
                                        json={"description": code, "flat_rate_hours": "1.0", "skill": "mechanical"})
                assert r.status_code == 200, r.text
            pages = await walk(gw.client, f"/api/workshop/stores/{store}/operations", headers=supervisor)
            assert [op["operation_code"] for p in pages for op in p] == codes
            assert [len(p) for p in pages] == [2, 2, 1]

            first = await gw.client.get(f"/api/workshop/stores/{store}/operations", headers=supervisor,
                                        params={"limit": 2})
            cursor = first.headers["X-Next-Cursor"]
            assert first.headers["Link"] == (f"<http://gateway/api/workshop/stores/{store}/operations?limit=2&"
                                             f"cursor={cursor}>; rel=\"next\"")
            altered = await gw.client.get(f"/api/workshop/stores/{store}/operations", headers=supervisor,
                                          params={"cursor": "x" + cursor[1:]})
            assert refusal(altered, "cursor"), altered.text
            too_many = await gw.client.get(f"/api/workshop/stores/{store}/operations", headers=supervisor,
                                           params={"limit": 501})
            assert refusal(too_many, "limit"), too_many.text
        finally:
            await gw.app.state.http.aclose()
