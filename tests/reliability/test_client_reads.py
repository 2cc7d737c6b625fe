"""The rig's client reads as a client would, so the checker never counts a refused read as a missing effect:
a 429 from the gateway's rate limit is read again after its Retry-After, a 401 of an expired token after a new
login. Against a scripted gateway (no rig): the refusals happen on every run, not only when a run is long or
busy enough to meet them."""

from __future__ import annotations

import time

import httpx

from .workload import Driver


def scripted(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(200, json={"access_token": f"t{len(seen)}"})
        seen.append(request)
        return answers.pop(0)

    return httpx.MockTransport(handle)


async def driver(answers, seen) -> Driver:
    d = Driver("http://gateway.test", concurrency=1)
    await d.gw.aclose()
    d.gw = httpx.AsyncClient(base_url="http://gateway.test", transport=scripted(answers, seen))
    return d


async def test_a_read_refused_429_is_sent_again_after_retry_after():
    seen: list[httpx.Request] = []
    d = await driver([httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "RateLimited"}),
                      httpx.Response(200, json={"id": "c1"})], seen)
    t0 = time.monotonic()
    r = await d.get("/api/crm/customers/c1", "rel.care")
    await d.close()
    assert r.status_code == 200 and r.json() == {"id": "c1"}
    assert len(seen) == 2 and time.monotonic() - t0 >= 1.0  # waited as told
    assert d.history.reads_throttled == 1


async def test_a_read_refused_401_logs_in_again_and_is_sent_again():
    seen: list[httpx.Request] = []
    d = await driver([httpx.Response(401, json={"error": "Unauthorized"}), httpx.Response(200, json={})], seen)
    r = await d.get("/api/workshop/work-orders/ro1", "rel.sup")
    await d.close()
    assert r.status_code == 200
    assert seen[0].headers["Authorization"] != seen[1].headers["Authorization"]  # a new token
    assert d.history.reads_relogged == 1
