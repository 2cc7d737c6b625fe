"""The composition helper of the gateway's composed queries, against fake services (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import HTTPException
from gateway.entrypoints.compose import Call, compose

HEADERS = {"authorization": "Bearer t"}


def client(answers: dict[str, object], delays: dict[str, float] | None = None, seen: list | None = None):
    """Fake services by host: an answer is (status, json body) or an exception to raise."""
    delays = delays or {}

    async def handle(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if seen is not None:
            seen.append((host, request.headers.get("authorization"), dict(request.url.params)))
        await asyncio.sleep(delays.get(host, 0))
        answer = answers[host]
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return httpx.Response(status, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


CALLS = [Call("reception", "http://reception/repair-orders/ro-1", required=True),
         Call("workshop", "http://workshop/work-orders/ro-1"),
         Call("claims", "http://claims/warranty-claims", {"repair_order_id": "ro-1"})]
ALL_OK = {"reception": (200, {"id": "ro-1"}), "workshop": (200, {"state": "in_progress"}), "claims": (200, [])}


async def test_every_part_answers_with_the_callers_headers_and_params():
    seen: list = []
    async with client(ALL_OK, seen=seen) as http:
        got = await compose(http, CALLS, HEADERS, timeout=1)
    assert got.parts == {"reception": {"id": "ro-1"}, "workshop": {"state": "in_progress"}, "claims": []}
    assert not got.partial and got.unavailable == [] and got.withheld == []
    assert sorted(seen) == [("claims", "Bearer t", {"repair_order_id": "ro-1"}),
                            ("reception", "Bearer t", {}), ("workshop", "Bearer t", {})]


async def test_the_services_are_asked_concurrently():
    delays = {"reception": 0.3, "workshop": 0.3, "claims": 0.3}
    async with client(ALL_OK, delays) as http:
        started = time.monotonic()
        got = await compose(http, CALLS, HEADERS, timeout=2)
    assert not got.partial and time.monotonic() - started < 0.6  # one wait, not three


async def test_a_slow_service_is_unavailable_after_its_timeout_and_the_answer_partial():
    async with client(ALL_OK, {"workshop": 5}) as http:
        started = time.monotonic()
        got = await compose(http, CALLS, HEADERS, timeout=0.2)
    assert time.monotonic() - started < 1
    assert got.partial and got.unavailable == ["workshop"] and got.get("workshop") is None
    assert got.get("reception") == {"id": "ro-1"} and got.get("claims") == []


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), (503, {"detail": "down", "error": "x"}),
                                     (500, {"detail": "boom", "error": "x"})])
async def test_a_service_down_or_failing_is_named_unavailable(failure):
    async with client(ALL_OK | {"claims": failure}) as http:
        got = await compose(http, CALLS, HEADERS, timeout=1)
    assert got.partial and got.unavailable == ["claims"] and got.get("reception") == {"id": "ro-1"}


async def test_the_required_records_404_is_the_querys_404():
    async with client(ALL_OK | {"reception": (404, {"detail": "no repair order 'ro-1'", "error": "NotFound"})}) as h:
        with pytest.raises(HTTPException) as refused:
            await compose(h, CALLS, HEADERS, timeout=1)
    assert refused.value.status_code == 404 and "no repair order" in refused.value.detail


async def test_an_optional_parts_404_is_an_empty_part_not_a_missing_one():
    async with client(ALL_OK | {"workshop": (404, {"detail": "no work order", "error": "NotFound"})}) as http:
        got = await compose(http, CALLS, HEADERS, timeout=1)
    assert not got.partial and got.get("workshop") is None and "workshop" in got.parts


async def test_another_stores_403_from_any_service_is_the_querys_403_even_beside_a_404():
    another_store = (403, {"detail": "no access to store 's-2'", "error": "Forbidden", "field": "store_id"})
    gone = (404, {"detail": "no repair order", "error": "NotFound"})
    async with client(ALL_OK | {"workshop": another_store, "reception": gone}) as http:
        with pytest.raises(HTTPException) as refused:
            await compose(http, CALLS, HEADERS, timeout=1)
    assert refused.value.status_code == 403 and refused.value.detail == "workshop: no access to store 's-2'"


async def test_a_role_refusal_of_an_optional_part_withholds_it_but_of_the_required_one_refuses():
    role = (403, {"detail": "needs one of the roles: warranty_specialist", "error": "Forbidden"})
    async with client(ALL_OK | {"claims": role}) as http:
        got = await compose(http, CALLS, HEADERS, timeout=1)
    assert not got.partial and got.withheld == ["claims"] and got.get("claims") is None
    async with client(ALL_OK | {"reception": role}) as http:
        with pytest.raises(HTTPException) as refused:
            await compose(http, CALLS, HEADERS, timeout=1)
    assert refused.value.status_code == 403


async def test_a_401_is_the_querys_401():
    async with client(ALL_OK | {"workshop": (401, {"detail": "token expired", "error": "Unauthorized"})}) as h:
        with pytest.raises(HTTPException) as refused:
            await compose(h, CALLS, HEADERS, timeout=1)
    assert refused.value.status_code == 401
