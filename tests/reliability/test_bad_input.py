"""Hostile bodies through the gateway: deeply nested JSON, huge strings, broken encodings, SQL-ish and unicode
strings, a body over the gateway's size limit (413, MAX_REQUEST_BODY_BYTES). Each is refused with a clear 4xx
naming what is wrong (never a 5xx) and leaves nothing behind, or, for text a person could really type, is stored
exactly as sent and read back the same (never interpreted).

"Nothing behind" is shown the way a user would see it: crm refuses a second customer with a phone number the
dealer group already has, so after a refused request the same phone is registered cleanly (201)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.factories import new_phone

from .test_concurrency import token
from .workload import STORE

pytestmark = pytest.mark.timeout(300)

CUSTOMERS = "/api/crm/customers"


def customer(phone: str, **change) -> dict:
    return {"store_id": STORE, "name": "测试客户", "phones": [phone], **change}


async def refused_and_nothing_stored(gw: httpx.AsyncClient, who: dict, phone: str, content: bytes,
                                     *, field: str | None = None) -> httpx.Response:
    r = await gw.post(CUSTOMERS, headers=who | {"content-type": "application/json"}, content=content)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    if field is not None:
        assert field in json.dumps(r.json()), r.text[:300]
    again = await gw.post(CUSTOMERS, headers=who, json=customer(phone))
    assert again.status_code == 201, f"the refused request left something behind: {again.text[:300]}"
    return r


@pytest.mark.parametrize("kind", ["deep JSON", "huge name", "huge array", "NUL in a name", "lone surrogate",
                                  "not UTF-8", "not JSON", "a number where text goes"])
async def test_hostile_body_is_refused_with_a_clear_4xx_and_leaves_nothing(rig, kind):
    phone = new_phone()
    deep = json.dumps(customer(phone, name="NEST")).replace('"NEST"', "[" * 100_000 + "]" * 100_000)
    bodies = {
        "deep JSON": (deep.encode(), None),
        # Under the gateway's 1 MiB body limit: the service's own bounds answer.
        "huge name": (json.dumps(customer(phone, name="名" * 100_000)).encode(), "name"),
        "huge array": (json.dumps(customer(phone) | {"phones": [phone] * 50_000}).encode(), "phones"),
        "NUL in a name": (json.dumps(customer(phone, name="a\u0000b")).encode(), None),
        "lone surrogate": (json.dumps(customer(phone, name="\ud800")).encode(), None),
        "not UTF-8": (json.dumps(customer(phone), ensure_ascii=False).encode().replace("测".encode(), b"\xff\xfe"),
                      None),
        "not JSON": (b'{"store_id": "' + STORE.encode() + b'", "name": ', None),
        "a number where text goes": (json.dumps(customer(phone, name=12345)).encode(),
                                     "name"),
    }
    content, field = bodies[kind]
    async with httpx.AsyncClient(base_url=rig.url("gateway"), timeout=60) as gw:
        who = await token(gw, "rel.advisor")
        await refused_and_nothing_stored(gw, who, phone, content, field=field)


@pytest.mark.parametrize("name", [
    "Robert'); DROP TABLE customers;--", "' OR '1'='1", "1; SELECT pg_sleep(10)", "%' AND name LIKE '%",
    "王小明 👨‍🔧 ＡＢＣ", "Zalgo Z̷̢̛a̸l̵g̶o", "\u202eRTL override", "tab\tand\nnewline", "<script>alert(1)</script>",
])
async def test_sql_ish_and_unicode_text_is_stored_verbatim_never_interpreted(rig, name):
    async with httpx.AsyncClient(base_url=rig.url("gateway"), timeout=30) as gw:
        who = await token(gw, "rel.advisor")
        r = await gw.post(CUSTOMERS, headers=who, json=customer(new_phone(), name=name))
        assert r.status_code in (201, 422), (r.status_code, r.text[:300])
        if r.status_code == 422:  # refused: it must say which field
            assert r.json().get("field") and "name" in json.dumps(r.json()), r.text
            return
        back = await gw.get(f"{CUSTOMERS}/{r.json()['id']}", headers=await token(gw, "rel.care"))
        assert back.status_code == 200 and back.json()["name"] == name, back.text[:300]


async def test_an_oversized_body_is_refused_at_the_gateway_with_413_stating_the_limit(rig):
    async with httpx.AsyncClient(base_url=rig.url("gateway"), timeout=60) as gw:
        who = await token(gw, "rel.advisor")
        phone = new_phone()
        r = await refused_and_nothing_stored(
            gw, who, phone, json.dumps(customer(phone, name="x" * 20_000_000)).encode())
        assert r.status_code == 413 and "bytes" in r.json()["detail"], r.text[:300]
