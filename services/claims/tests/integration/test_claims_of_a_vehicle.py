"""The lists a vehicle's history reads from claims: insurance claims by vehicle, warranty claims by orders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from claims.adapters.repository import InsuranceClaims, WarrantyClaims
from claims.domain.insurance_claim import InsuranceClaim
from claims.domain.warranty_claim import WarrantyClaim
from shared.auth import Role
from shared.contracts.common import PayType, RepairJob

from tests.support.factories import add_records, new_store, new_vin

NOW = datetime.now(UTC).replace(microsecond=0)


def insurance(store: str, vehicle: str, opened: datetime, ro: str | None = None) -> InsuranceClaim:
    return InsuranceClaim.open(id=str(uuid.uuid4()), dealer_group_id="dg-test", store_id=store, vehicle_id=vehicle,
                               repair_order_id=ro,
                               now=opened, today=opened.date(), accident_date=opened.date(),
                               insurer="PICC", policy_number="P-1",
                               liability="full", payment_route="insurer_pays_store")


def warranty(store: str, ro: str) -> WarrantyClaim:
    job = RepairJob(job_id="j1", description="window regulator", pay_type=PayType.WARRANTY, flat_rate_hours=1)
    return WarrantyClaim.open(id=str(uuid.uuid4()), dealer_group_id="dg-test", store_id=store,
                              claim_number=f"WC-{uuid.uuid4().hex[:10]}", repair_order_id=ro,
                              repair_order_number="RO-1",
                              vehicle_id="v", vin=new_vin(), odometer_km=1000, jobs=[job], now=NOW,
                              today=NOW.date())


async def test_a_vehicles_insurance_claims_at_the_callers_stores_only(start_service, token):
    mine, other, vehicle = new_store(), new_store(), f"v-{uuid.uuid4().hex[:8]}"
    later, earlier = insurance(mine, vehicle, NOW, ro="ro-1"), insurance(mine, vehicle, NOW - timedelta(days=30))
    async with start_service("claims") as claims:
        await add_records(claims, "dg-test", *[(InsuranceClaims, x) for x in (
            later, earlier, insurance(other, vehicle, NOW), insurance(mine, "another-vehicle", NOW))])
        r = await claims.client.get("/insurance-claims", params={"vehicle_id": vehicle},
                                    headers=token(Role.INSURANCE_CLERK, stores=[mine]))
        assert r.status_code == 200, r.text
        got = {c["id"]: c for c in r.json()}
        assert set(got) == {earlier.id, later.id}
        assert got[earlier.id]["opened_at"].startswith(earlier.opened_at.date().isoformat())
        # Unfiltered: every claim at the caller's stores (the insurance desk's list), none of another store.
        r = await claims.client.get("/insurance-claims", headers=token(Role.INSURANCE_CLERK, stores=[mine]))
        assert r.status_code == 200 and {c["store_id"] for c in r.json()} == {mine} and len(r.json()) == 3
        # A repair order's: the accident car's claim, as the order's status reads it.
        r = await claims.client.get("/insurance-claims", params={"repair_order_id": "ro-1"},
                                    headers=token(Role.INSURANCE_CLERK, stores=[mine]))
        assert r.status_code == 200 and [c["id"] for c in r.json()] == [later.id]


async def test_warranty_claims_of_several_orders_at_once(start_service, token):
    store = new_store()
    a, b, c = warranty(store, "ro-a-" + store), warranty(store, "ro-b-" + store), warranty(store, "ro-c-" + store)
    async with start_service("claims") as claims:
        await add_records(claims, "dg-test", *[(WarrantyClaims, x) for x in (a, b, c)])
        specialist = token(Role.WARRANTY_SPECIALIST, stores=[store])
        both = [("repair_order_id", a.repair_order_id), ("repair_order_id", c.repair_order_id)]
        r = await claims.client.get("/warranty-claims", headers=specialist, params=both)
        assert r.status_code == 200, r.text
        assert sorted(x["id"] for x in r.json()) == sorted([a.id, c.id])
        one = await claims.client.get("/warranty-claims", params={"repair_order_id": b.repair_order_id},
                                      headers=specialist)
        assert [x["id"] for x in one.json()] == [b.id]
