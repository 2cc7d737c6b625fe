"""The gateway's composed queries on the real platform: a repair order's status across reception, workshop,
parts and claims, whole while every service answers and partial, within its timeout, when one is down."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.e2e import (
    login,
    queued_in_workshop,
    ready_to_invoice,
    set_up_shop,
    walk_in,
    wash,
    work_the_job,
)
from tests.support.factories import eventually

COMPOSE_TIMEOUT = 2.0  # the gateway's default COMPOSE_TIMEOUT_SECONDS


async def test_a_repair_orders_status_follows_it_through_the_workshop_and_is_partial_with_workshop_down(
        platform):
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        advisor, mgr = await login(gw, "advisor"), await login(gw, "svc.mgr")
        sup, tech = await login(gw, "ws.sup"), await login(gw, "ws.tech")
        leader, qc = await login(gw, "ws.leader"), await login(gw, "ws.qc")
        await set_up_shop(gw, sup)
        ro, _ = await walk_in(gw, advisor)
        status = f"/api/repair-orders/{ro['id']}/status"

        draft = await gw.get(status, headers=mgr)
        assert draft.status_code == 200, draft.text
        body = draft.json()
        assert body["partial"] is False and body["unavailable"] == [] and body["withheld"] == []
        assert body["order"]["id"] == ro["id"] and body["order"]["state"] == ro["state"]
        assert body["workshop"] is None and body["claims"] == []  # nothing on the floor yet, no claim

        r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=advisor, json={
            "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps", "wash": True,
            "signature": {"name": "蔡明", "image_ref": "blob://signatures/e2e-status.png"},
            "jobs": [{"description": "front brake pads", "flat_rate_hours": "1.2", "pay_type": "customer"}]})
        assert r.status_code == 200, r.text
        job_id = r.json()["jobs"][0]["job_id"]
        await queued_in_workshop(gw, sup, ro["id"])
        queued = (await gw.get(status, headers=mgr)).json()
        assert [(j["job_id"], j["state"]) for j in queued["workshop"]["jobs"]] == [(job_id, "queued")]

        await work_the_job(gw, ro["id"], job_id, sup, tech, leader, qc)
        await wash(gw, ro["id"], sup)
        await ready_to_invoice(gw, advisor, ro["id"])

        done = (await gw.get(status, headers=mgr)).json()
        assert done["partial"] is False, done
        assert done["order"]["delivery_blockers"] == [] and float(done["order"]["estimate"]["labour"]) > 0
        job = done["workshop"]["jobs"][0]
        assert job["technician_id"] == "ws.tech" and job["next_check"] is None
        assert [(c["stage"], c["passed"]) for c in job["checks"]] == [
            ("self", True), ("team_leader", True), ("final", True)]
        assert done["workshop"]["washed"] is True
        assert done["parts"] is None or done["parts"]["agrees"] is True  # no parts planned for this job
        assert done["claims"] == []

        # An advisor may not read warranty claims: that part is withheld, the answer is not partial.
        as_advisor = (await gw.get(status, headers=advisor)).json()
        assert as_advisor["partial"] is False and as_advisor["withheld"] == ["claims"]
        assert as_advisor["claims"] is None and as_advisor["workshop"]["jobs"][0]["job_id"] == job_id

        # Not this group's order: 404 for the whole query; nobody's order: 404 too.
        assert (await gw.get(status, headers=await login(gw, "outsider"))).status_code in (403, 404)
        assert (await gw.get("/api/repair-orders/no-such-ro/status", headers=mgr)).status_code == 404

        await asyncio.to_thread(platform.stop, ("workshop",))
        try:
            started = time.monotonic()
            down = await gw.get(status, headers=mgr)
            assert time.monotonic() - started < COMPOSE_TIMEOUT + 1
            assert down.status_code == 200, down.text
            body = down.json()
            assert body["partial"] is True and body["unavailable"] == ["workshop"] and body["workshop"] is None
            assert body["order"]["id"] == ro["id"] and body["claims"] == []
        finally:
            platform.start(migrate=False)  # back up for the tests that follow (main thread: see conftest)

        async def workshop_back():
            r = await gw.get(status, headers=mgr)
            return r.json()["workshop"] if r.status_code == 200 else None

        assert await eventually(workshop_back), "workshop did not come back"
