"""The boards' login and guards on real PostgreSQL, the services behind the gateway down: cookies (HttpOnly,
SameSite=Strict, scoped to /boards), renewal from the refresh cookie, logout, a page without a session sent to
the login, another store refused, the dispatch form refused without the session's token or from another site,
the figures page refused to a technician, and a service that does not answer shown as such, not a failure."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid

import pytest
import shared.registry as registry
from gateway.users import upsert_users

PW = "a-good-password-1"
DOWN = {f"{s.name}_url": "http://127.0.0.1:9" for s in registry.backends()}  # nothing listens on port 9


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def boards(service_databases, start_service):
    dg, store = uid("dg"), uid("s")
    sup, tech = uid("sup"), uid("tech")
    await upsert_users(service_databases["gateway"], [
        dict(username=sup, password=PW, dealer_group_id=dg, roles=["workshop_supervisor"], store_ids=[store]),
        dict(username=tech, password=PW, dealer_group_id=dg, roles=["technician"], store_ids=[store])])
    async with start_service("gateway", **DOWN) as gw:
        yield dict(gw=gw, store=store, sup=sup, tech=tech)


async def log_in(client, user: str):
    r = await client.post("/boards/login", data={"username": user, "password": PW, "next": "/boards"})
    assert r.status_code == 303, r.text
    return r


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


async def test_login_keeps_the_tokens_in_strict_http_only_cookies_and_renews_and_ends_the_session(boards):
    c, store = boards["gw"].client, boards["store"]
    r = await c.get(f"/boards/{store}/workshop")
    assert r.status_code == 303 and r.headers["location"] == f"/boards/login?next=/boards/{store}/workshop"
    r = await c.post("/boards/login", data={"username": boards["sup"], "password": "wrong"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = await log_in(c, boards["sup"])
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("HttpOnly" in k and "SameSite=strict" in k and "Path=/boards" in k
                                     for k in cookies), cookies

    r = await c.get(f"/boards/{store}/workshop")
    assert r.status_code == 200 and "车间看板" in r.text
    assert 'data-unavailable="board"' in r.text  # workshop does not answer: said so on the page

    c.cookies.delete("boards_access")
    r = await c.get(f"/boards/{store}/workshop")  # renewed from the refresh cookie
    assert r.status_code == 200 and any(k.startswith("boards_access=") for k in r.headers.get_list("set-cookie"))

    r = await c.post("/boards/logout", data={"csrf": csrf_of(r.text)})
    assert r.status_code == 303
    r = await c.get(f"/boards/{store}/workshop")
    assert r.status_code == 303 and r.headers["location"].startswith("/boards/login")


async def test_the_dispatch_form_needs_the_sessions_token_and_our_own_origin(boards):
    c, store = boards["gw"].client, boards["store"]
    await log_in(c, boards["sup"])
    page = (await c.get(f"/boards/{store}/workshop")).text
    form = {"ro_id": "ro-1", "job_id": "j1", "idempotency_key": uuid.uuid4().hex}
    r = await c.post(f"/boards/{store}/workshop/dispatch", data={**form, "csrf": "0" * 64})
    assert r.status_code == 401 and r.json()["field"] == "csrf"
    r = await c.post(f"/boards/{store}/workshop/dispatch", data={**form, "csrf": csrf_of(page)},
                     headers={"origin": "https://evil.example"})
    assert r.status_code == 401 and r.json()["field"] == "origin"
    r = await c.post(f"/boards/{store}/workshop/dispatch", data={**form, "csrf": csrf_of(page)})
    assert r.status_code == 200 and "data-notice" in r.text  # accepted here; workshop (down) named in the notice


async def test_another_store_and_the_figures_are_refused_as_the_api_refuses_them(boards):
    c, store = boards["gw"].client, boards["store"]
    await log_in(c, boards["tech"])
    r = await c.get("/boards/s-elsewhere/workshop")
    assert r.status_code == 403 and r.json()["field"] == "store_id"
    r = await c.get("/boards/figures")
    assert r.status_code == 403 and "data-forbidden" in r.text
    r = await c.get(f"/boards/{store}/workshop")
    assert 'data-page="figures"' not in r.text and 'data-page="workshop"' in r.text
    assert "form class=\"dispatch\"" not in r.text
    r = await c.get(f"/boards/{store}/nonsense")
    assert r.status_code == 404


async def next_refresh(lines) -> str:
    """The topic of the stream's next `refresh` event (comments and keep-alives skipped)."""
    async for line in lines:
        if line.startswith("event: refresh"):
            return (await anext(lines)).removeprefix("data: ")
    raise AssertionError("the stream ended without a refresh")


async def test_every_gateway_instance_refreshes_its_own_boards_of_the_store(service_databases, start_service, infra):
    """Two gateway instances, a board of the same store open on each: one workshop event refreshes both (every
    instance hears every event; a consumer group would give the event's partition to one of them)."""
    from shared.contracts import workshop
    from shared.messaging.envelope import Envelope, Tenant

    from tests.support.kafka import kafka_producer, publish

    dg, store, sup = uid("dg"), uid("s"), uid("sup")
    await upsert_users(service_databases["gateway"], [
        dict(username=sup, password=PW, dealer_group_id=dg, roles=["workshop_supervisor"], store_ids=[store])])
    async with (start_service("gateway", listen=True, **DOWN) as one,
                start_service("gateway", listen=True, **DOWN) as two):
        streams = []
        async with contextlib.AsyncExitStack() as opened:
            for gw in (one, two):
                await log_in(gw.client, sup)
                r = await opened.enter_async_context(gw.client.stream("GET", f"/boards/{store}/events"))
                assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
                lines = r.aiter_lines()
                assert await asyncio.wait_for(anext(lines), 5) == "retry: 2000"  # listening from here on
                streams.append(lines)
            assert [gw.app.state.boards_hub.open_boards(store) for gw in (one, two)] == [1, 1]

            async with kafka_producer(infra) as producer:
                await publish(producer, Envelope.new(workshop.JobDispatched(
                    repair_order_id=uid("ro"), job_id="j1", team_id="t1"), source="workshop", tenant=Tenant(dg, store)))
            refreshed = await asyncio.wait_for(asyncio.gather(*(next_refresh(s) for s in streams)), 20)
            assert refreshed == [workshop.JOBS, workshop.JOBS]
