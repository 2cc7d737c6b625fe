"""Concurrency through the gateway: one command sent 50 times at once with one Idempotency-Key takes effect once
and every answer is the first one's or a 409 saying it is still in progress; two advisors changing one repair
order at once: one wins, the other is told it changed (409); 50 slips issued at once against 5 parts on the shelf:
exactly 5 leave it, the other 45 are refused naming the quantity, the stock never goes below zero."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal

import httpx

from tests.support.factories import eventually, new_phone, new_vin

from .workload import PASSWORD, STORE

_TOKENS: dict[tuple[str, str], tuple[float, dict[str, str]]] = {}


async def token(gw: httpx.AsyncClient, user: str) -> dict[str, str]:
    """A user's bearer header, logged in once per ten minutes: the gateway limits logins per username (a 429
    with Retry-After, waited out here as a client would)."""
    key = (str(gw.base_url), user)
    if (got := _TOKENS.get(key)) is not None and time.monotonic() - got[0] < 600:
        return got[1]
    while (r := await gw.post("/auth/token", data={"username": user, "password": PASSWORD})).status_code == 429:
        await asyncio.sleep(float(r.headers.get("retry-after", "1")))
    assert r.status_code == 200, r.text
    _TOKENS[key] = (time.monotonic(), {"Authorization": f"Bearer {r.json()['access_token']}"})
    return _TOKENS[key][1]


def check_in(vin: str) -> dict:
    return {"store_id": STORE, "vin": vin, "plate": "苏E77777", "odometer_km": 1000, "covers_fitted": True,
            "customer_complaint": "异响", "first_visit": {"customer": {"name": "并发", "phones": [new_phone()]},
                                                        "vehicle": {"model": "Passat"}}}


async def test_fifty_concurrent_check_ins_with_one_key_check_in_once(rig):
    async with httpx.AsyncClient(base_url=rig.url("gateway"), timeout=30) as gw:
        adv = await token(gw, "rel.advisor")
        body = check_in(new_vin())
        key = {"Idempotency-Key": f"ci-{body['vin']}"}
        answers = await asyncio.gather(*(gw.post("/api/reception/check-ins", headers=adv | key, json=body)
                                         for _ in range(50)))
        created = [r for r in answers if r.status_code == 201]
        in_progress = [r for r in answers if r.status_code == 409]
        assert len(created) + len(in_progress) == 50, [(r.status_code, r.text[:200]) for r in answers]
        assert {r.json()["id"] for r in created} == {created[0].json()["id"]}  # the first answer, replayed
        assert all(r.json()["error"] == "IdempotencyInProgress" and r.headers.get("retry-after")
                   for r in in_progress), [r.text for r in in_progress]
        again = await gw.post("/api/reception/check-ins", headers=adv | key, json=body)
        assert again.status_code == 201 and again.json()["id"] == created[0].json()["id"]
        # One repair order for the car: a second one would be refused as "already checked in" anyway, so the
        # vehicle's record shows it: one open order, the one answered.
        r = await gw.get("/api/reception/vehicles", params={"vin": body["vin"]}, headers=adv)
        assert r.status_code in (200, 404)


async def test_two_advisors_changing_one_order_at_once_one_wins_the_other_gets_409(rig):
    async with httpx.AsyncClient(base_url=rig.url("gateway"), timeout=30) as gw:
        a1, a2 = await token(gw, "rel.advisor"), await token(gw, "rel.advisor2")
        r = await gw.post("/api/reception/check-ins", headers=a1, json=check_in(new_vin()))
        assert r.status_code == 201, r.text
        ro = r.json()
        open_ = {"version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps",
                 "signature": {"name": "并发", "image_ref": "blob://s.png"},
                 "jobs": [{"description": "保养", "flat_rate_hours": "1.0", "pay_type": "customer"}]}
        answers = await asyncio.gather(
            gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=a1, json=open_),
            gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=a2, json={**open_, "wash": True}))
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        loser = next(r for r in answers if r.status_code == 409)
        assert "version" in loser.text or "state" in loser.text, loser.text


async def open_order(gw: httpx.AsyncClient, adv: dict[str, str]) -> dict:
    r = await gw.post("/api/reception/check-ins", headers=adv, json=check_in(new_vin()))
    assert r.status_code == 201, r.text
    r = await gw.post(f"/api/reception/repair-orders/{r.json()['id']}/open", headers=adv, json={
        "version": r.json()["version"], "payment_method": "card", "old_parts": "customer_keeps",
        "signature": {"name": "并发", "image_ref": "blob://s.png"},
        "jobs": [{"description": "更换刹车片", "flat_rate_hours": "1.0", "pay_type": "customer"}]})
    assert r.status_code == 200, r.text
    return r.json()


async def test_fifty_parallel_issues_of_scarce_stock_issue_exactly_what_is_on_the_shelf(rig):
    on_shelf, slips = 5, 50
    part_no = f"REL-LAST-{uuid.uuid4().hex[:6].upper()}"
    async with httpx.AsyncClient(base_url=rig.url("gateway"), timeout=60) as gw:
        adv, pm, keeper = [await token(gw, u) for u in ("rel.advisor", "rel.pm", "rel.keeper")]
        r = await gw.post("/api/parts/bins", headers=pm, json={"store_id": STORE, "store_room": "REL", "rack": "09",
                                                                "shelf": part_no[-6:], "position": "01"})
        assert r.status_code == 201, r.text
        r = await gw.post("/api/parts/parts", headers=pm, json={
            "store_id": STORE, "part_no": part_no, "name": "最后几片", "brand": "VW", "retail_price": "320.00",
            "bin_code": r.json()["code"], "opening_quantity": str(on_shelf), "opening_cost": "180.00"})
        assert r.status_code == 201, r.text
        ro = await open_order(gw, adv)
        slip = {"store_id": STORE, "repair_order_id": ro["id"], "job_id": ro["jobs"][0]["job_id"],
                "technician_id": "rel.tech0", "lines": [{"part_no": part_no, "quantity": "1"}]}

        async def first_slip():  # parts learns of the order from RepairOrderOpened
            r = await gw.post("/api/parts/issue-slips", headers=keeper, json=slip)
            return r if r.status_code == 201 else None

        ids = [(await eventually(first_slip, timeout=60)).json()["id"]]
        for _ in range(slips - 1):
            r = await gw.post("/api/parts/issue-slips", headers=keeper, json=slip)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        for sid in ids:
            r = await gw.post(f"/api/parts/issue-slips/{sid}/sign", headers=adv, json={})
            assert r.status_code == 200, r.text

        answers = await asyncio.gather(*(
            gw.post(f"/api/parts/issue-slips/{sid}/issue", headers=keeper | {"Idempotency-Key": f"issue-{sid}"},
                    json={"old_parts": [{"part_no": part_no, "disposition": "customer"}]}) for sid in ids))

        issued = [r for r in answers if r.status_code == 200]
        refused = [r for r in answers if r.status_code in (409, 422)]
        assert len(issued) == on_shelf and len(refused) == slips - on_shelf, \
            sorted((r.status_code, r.text[:120]) for r in answers)
        assert all(r.json()["field"] == "quantity" and r.json()["available"] == "0" for r in refused), \
            {r.text for r in refused}
        part = (await gw.get(f"/api/parts/parts/{STORE}:{part_no}", headers=pm)).json()
        assert Decimal(part["on_hand"]) == 0 and Decimal(part["available"]) == 0, part
        states = [(await gw.get(f"/api/parts/issue-slips/{sid}", headers=keeper)).json()["state"] for sid in ids]
        assert states.count("issued") == on_shelf and states.count("requested") == slips - on_shelf, states
