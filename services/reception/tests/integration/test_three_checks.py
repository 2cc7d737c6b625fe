"""The three checks (三检) per job gate invoicing: self → team leader → final, after any rework or added job."""

from __future__ import annotations

import uuid
from decimal import Decimal

from shared.auth import Role
from shared.contracts import parts, workshop
from shared.contracts.common import PartLine

from .test_added_work_and_delivery import open_order, three_checks, wait_for


async def test_invoice_needs_all_three_checks_per_job_and_again_for_added_work(start_service, token, upstream,
                                                                                clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        _, ro, _ = await open_order(upstream, reception, advisor, store, wash=True)
        ro_id, job_ids = ro["id"], [j["job_id"] for j in ro["jobs"]]
        for job_id in job_ids:
            await upstream.publish(workshop.JobCompleted(repair_order_id=ro_id, job_id=job_id,
                                                         clocked_hours=Decimal(1)), store=store, source="workshop")
        await upstream.publish(parts.PartsIssued(reference_id=ro_id, issue_id="i", lines=[
            PartLine(part_no="OIL-5W30", quantity=Decimal(4))]), store=store, source="parts")
        # only the final inspection (out of order: it does not count), then the wash as a marker
        await three_checks(upstream, store, ro_id, job_ids, stages=("final",))
        await upstream.publish(workshop.VehicleWashed(repair_order_id=ro_id), store=store, source="workshop")
        got = await wait_for(upstream, reception, advisor, ro_id, lambda g: g["washed"] and g["parts_issued"])
        assert not got["final_inspection_passed"]
        missing = [f"job {j} ({d}) has not passed the self, team_leader, final checks (三检)"
                   for j, d in ((j["job_id"], j["description"]) for j in ro["jobs"])]
        assert got["delivery_blockers"] == missing
        r = await reception.client.post(f"/repair-orders/{ro_id}/invoice", headers=advisor,
                                        json={"version": got["version"]})
        assert r.status_code == 409 and r.json()["missing"] == missing, r.text

        await three_checks(upstream, store, ro_id, job_ids)
        got = await wait_for(upstream, reception, advisor, ro_id, lambda g: g["delivery_blockers"] == [])
        assert all(j["checks_passed"] == ["self", "team_leader", "final"] for j in got["jobs"])

        # added work approved: the earlier final inspection no longer covers the order
        finding = str(uuid.uuid4())
        await upstream.publish(workshop.AdditionalWorkFound(
            repair_order_id=ro_id, finding_id=finding, description="wiper blades", estimated_hours=Decimal("0.2")),
            store=store, source="workshop")
        await wait_for(upstream, reception, advisor, ro_id, lambda g: g["findings"])
        r = await reception.client.post(f"/repair-orders/{ro_id}/added-work/{finding}/decision", headers=advisor,
                                        json={"version": got["version"], "decision": "approve"})
        assert r.status_code == 200, r.text
        approved = r.json()
        new_job = approved["jobs"][-1]
        assert not approved["final_inspection_passed"]
        assert (f"job {new_job['job_id']} (wiper blades) has not passed the self, team_leader, final checks (三检)"
                in approved["delivery_blockers"])
        r = await reception.client.post(f"/repair-orders/{ro_id}/invoice", headers=advisor,
                                        json={"version": approved["version"]})
        assert r.status_code == 409 and any(new_job["job_id"] in m for m in r.json()["missing"])

        await upstream.publish(workshop.JobCompleted(repair_order_id=ro_id, job_id=new_job["job_id"],
                                                     clocked_hours=Decimal("0.2")), store=store, source="workshop")
        await three_checks(upstream, store, ro_id, [new_job["job_id"]])
        await wait_for(upstream, reception, advisor, ro_id, lambda g: g["delivery_blockers"] == [])
        r = await reception.client.post(f"/repair-orders/{ro_id}/invoice", headers=advisor,
                                        json={"version": approved["version"]})
        assert r.status_code == 200 and r.json()["state"] == "invoiced", r.text
