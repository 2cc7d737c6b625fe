"""A repair order's warranty line through the manufacturer simulator to approval and payment, on real
PostgreSQL and Kafka; duplicated and unknown decisions."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.auth import Role
from shared.contracts import claims as oem
from shared.contracts import crm, reception
from shared.contracts.common import PartLine, PayType, RepairJob
from shared.messaging.envelope import Envelope, Tenant

from tests.support.factories import eventually, new_store, new_vin
from tests.support.kafka import header, publish, read_topic

GROUP = "dg-test"
SH = ZoneInfo("Asia/Shanghai")



async def repair_order_with_a_warranty_line(upstream, store: str, *, copies: int = 1) -> str:
    vehicle_id, ro_id, vin = str(uuid.uuid4()), str(uuid.uuid4()), new_vin()
    await upstream.publish(crm.VehicleRegistered(
        vehicle_id=vehicle_id, vin=vin, plate="沪A12345", model="Passat", owner_customer_id=str(uuid.uuid4()),
        sale_date=date(2025, 6, 1), warranty_years=3, warranty_km=100_000, odometer_km=21_000),
        store=store, source="crm")
    await upstream.publish(reception.VehicleCheckedIn(repair_order_id=ro_id, vehicle_id=vehicle_id,
                                                      customer_id=str(uuid.uuid4()), odometer_km=21_500),
                           store=store, source="reception")
    jobs = [RepairJob(job_id="j-1", operation_code="WP-01", description="water pump leaking",
                      pay_type=PayType.WARRANTY, flat_rate_hours=Decimal("1.2"), labour_amount=Decimal("360.00"),
                      parts=[PartLine(part_no="WP-100", quantity=Decimal(1), unit_price=Decimal("512.50"))]),
            RepairJob(job_id="j-2", description="wash", pay_type=PayType.CUSTOMER, flat_rate_hours=Decimal("0.2"))]
    opened = reception.RepairOrderOpened(repair_order_id=ro_id, number="RO-0001", vehicle_id=vehicle_id,
                                         customer_id=str(uuid.uuid4()), advisor_id="adv-1",
                                         promised_at=datetime(2026, 12, 1, 17, tzinfo=SH), jobs=jobs)
    await upstream.publish(opened, store=store, source="reception", copies=copies)
    await upstream.publish(opened, store=store, source="reception")  # the same fact again, under a new event id
    return ro_id


async def the_claim(claims, headers, ro_id, check=lambda c: True) -> dict:
    async def get():
        r = await claims.client.get("/warranty-claims", params={"repair_order_id": ro_id}, headers=headers)
        found = r.json() if r.status_code == 200 else []
        return found[0] if found and check(found[0]) else None
    claim = await eventually(get, timeout=45)
    assert claim is not None, f"no claim for repair order {ro_id} (as expected)"
    return claim


async def test_a_warranty_line_runs_through_the_manufacturer_to_approval_and_payment(
        start_service, token, upstream, clock, infra, oem_simulator):
    store = new_store()
    desk = token(Role.WARRANTY_SPECIALIST, stores=[store])
    async with start_service("claims", clock=clock) as claims, oem_simulator(infra.kafka_bootstrap):
        ro_id = await repair_order_with_a_warranty_line(upstream, store, copies=2)
        claim = await the_claim(claims, desk, ro_id)
        assert Decimal(claim["amount"]) == Decimal("872.50") and len(claim["lines"]) == 1
        assert claim["lines"][0]["eligibility"]["rule"] == "vehicle_terms"
        r = await claims.client.post(f"/warranty-claims/{claim['id']}/submit", headers=desk, json={"version": 1})
        assert r.status_code == 422 and "signed off" in r.json()["detail"]
        r = await claims.client.post(f"/warranty-claims/{claim['id']}/parts-issue-sign-off", headers=desk,
                                     json={"version": 1})
        assert r.status_code == 200, r.text
        r = await claims.client.post(f"/warranty-claims/{claim['id']}/submit", headers=desk, json={"version": 2})
        assert r.status_code == 200, r.text
        approved = await the_claim(claims, desk, ro_id, lambda c: c["state"] == "approved")
        assert Decimal(approved["approved_amount"]) == Decimal("872.50")
        pay = f"/warranty-claims/{claim['id']}/payments"
        r = await claims.client.post(pay, headers=desk, json={"amount": "900.00", "payment_ref": "OEM-PAY-1"})
        assert r.status_code == 422 and r.json()["field"] == "amount" and "872.50" in r.json()["detail"]
        r = await claims.client.post(pay, headers=desk, json={"amount": "872.50", "payment_ref": "OEM-PAY-1"})
        assert r.status_code == 200 and r.json()["state"] == "paid", r.text

        records = await read_topic(infra.kafka_bootstrap, oem.WARRANTY, timeout=30, until=lambda rs: any(
            r.key == claim["id"].encode() and header(r, "ce_type") == "WarrantyPaymentReceived.v1" for r in rs))
        types = [header(r, "ce_type") for r in records if r.key == claim["id"].encode()]
        assert types == ["WarrantyClaimOpened.v1", "WarrantyClaimSubmitted.v1", "WarrantyClaimApproved.v1",
                         "WarrantyPaymentReceived.v1"]
        public = await read_topic(infra.kafka_bootstrap, oem.OEM_CLAIMS, timeout=30, until=lambda rs: any(
            r.key == claim["claim_number"].encode() for r in rs))
        sent = [json.loads(r.value) for r in public if r.key == claim["claim_number"].encode()]
        assert len(sent) == 1 and "plate" not in sent[0] and "沪A" not in json.dumps(sent[0], ensure_ascii=False)


async def test_a_duplicated_decision_changes_nothing_and_an_unknown_claim_is_dead_lettered(
        start_service, token, upstream, clock, infra):
    store = new_store()
    desk = token(Role.WARRANTY_SPECIALIST, stores=[store])
    async with start_service("claims", clock=clock) as claims:
        ro_id = await repair_order_with_a_warranty_line(upstream, store)
        claim = await the_claim(claims, desk, ro_id)
        await claims.client.post(f"/warranty-claims/{claim['id']}/parts-issue-sign-off", headers=desk,
                                 json={"version": 1})
        r = await claims.client.post(f"/warranty-claims/{claim['id']}/submit", headers=desk, json={"version": 2})
        assert r.status_code == 200, r.text
        decision = oem.OemWarrantyClaimDecidedV2(
            claim_number=claim["claim_number"], decision=oem.OemDecision.PARTLY_APPROVED,
            lines=[oem.OemLineDecision(line_no=1, approved_amount=Decimal("700.00"),
                                       reason_code=oem.WarrantyReason.EXCESSIVE_LABOUR)])
        for _ in range(2):  # the manufacturer sends it twice, each under its own event id
            await publish(upstream.producer, Envelope.new(decision, source="oem", tenant=Tenant(GROUP, store)))
        decided = await the_claim(claims, desk, ro_id, lambda c: c["state"] == "partly_approved")
        unknown = Envelope.new(oem.OemWarrantyClaimDecidedV2(claim_number=f"WC-UNKNOWN-{uuid.uuid4().hex[:6]}",
                                                             decision=oem.OemDecision.APPROVED),
                               source="oem", tenant=Tenant(GROUP, store))
        await publish(upstream.producer, unknown)
        bad_reason = Envelope.new(decision, source="oem", tenant=Tenant(GROUP, store))
        bad_reason = Envelope(**{**bad_reason.__dict__, "data": {**bad_reason.data, "reason_codes": ["too_dear"]}})
        await publish(upstream.producer, bad_reason, topic=oem.OEM_DECISIONS)
        dead = await read_topic(infra.kafka_bootstrap, oem.OEM_DECISIONS + ".dlq", timeout=45, until=lambda rs: {
            unknown.id, bad_reason.id} <= {header(r, "ce_id") for r in rs})
        reasons = {header(r, "ce_id"): " ".join(v.decode(errors="replace") for k, v in r.headers if "error" in k)
                   for r in dead}
        assert unknown.id in reasons and "WC-UNKNOWN" in reasons[unknown.id]
        assert bad_reason.id in reasons and "too_dear" in reasons[bad_reason.id]
        again = (await claims.client.get(f"/warranty-claims/{claim['id']}", headers=desk)).json()
        assert again["version"] == decided["version"] and len(again["decisions"]) == 1
        assert Decimal(again["approved_amount"]) == Decimal("700.00")
