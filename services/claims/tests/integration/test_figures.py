"""The claims desk's /figures on real PostgreSQL: a known week of two stores, each store's KPIs as worked out by
hand (tests/unit/test_figures.py has the rules in full), and who sees which store."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from claims.adapters.repository import InsuranceClaims, WarrantyClaims
from claims.domain.insurance_claim import InsuranceClaim
from claims.domain.warranty_claim import WarrantyClaim
from shared.auth import Role
from shared.clock import FixedClock
from shared.contracts.claims import OemDecision, OemWarrantyClaimDecidedV2, WarrantyReason
from shared.contracts.common import PartLine, PayType, RepairJob

from tests.support.factories import add_records, new_store, new_vin

SH = ZoneInfo("Asia/Shanghai")
WEEK = {"date_from": "2026-11-02", "date_to": "2026-11-08", "granularity": "week"}


def at(day: int, hour: int = 10) -> datetime:
    """Store time in the week of Monday 2 November 2026 (day 0 = Monday, -3 = the Friday before)."""
    return datetime(2026, 11, 2, hour, tzinfo=SH) + timedelta(days=day)


def submitted(group: str, store: str, on: datetime, labour: str, parts: tuple = ()) -> WarrantyClaim:
    job = RepairJob(job_id="j-1", description="engine mount cracked", pay_type=PayType.WARRANTY,
                    flat_rate_hours=D(1), labour_amount=D(labour),
                    parts=[PartLine(part_no=p, quantity=D(q), unit_price=D(u)) for p, q, u in parts])
    no = uuid.uuid4().hex[:8]
    c = WarrantyClaim.open(id=no, dealer_group_id=group, store_id=store, claim_number=f"WC-{no}",
                           repair_order_id=f"ro-{no}", repair_order_number="RO-1", vehicle_id="v", vin=new_vin(),
                           odometer_km=1, jobs=[job], now=on, today=on.date())
    c.sign_off_parts_issue(by="ws")
    c.submit(answers={}, now=on)
    return c


def decided(c: WarrantyClaim, decision: OemDecision, on: datetime, reasons=()) -> WarrantyClaim:
    c.decide(OemWarrantyClaimDecidedV2(claim_number=c.claim_number, submission=c.submission, decision=decision,
                                       reason_codes=list(reasons)), now=on)
    return c


def week_of_two_stores(group: str, a: str, b: str) -> list:
    approved = decided(submitted(group, a, at(0), "450.00", (("ENG-MOUNT-1", "1", "380.00"),)),
                       OemDecision.APPROVED, at(2))
    approved.record_payment(amount=D("500.00"), payment_ref="pay-1", now=at(4))
    rejected = decided(submitted(group, a, at(-3), "200.00"), OemDecision.REJECTED, at(0),
                       [WarrantyReason.NOT_A_WARRANTY_FAILURE])
    accident = InsuranceClaim.open(id=str(uuid.uuid4()), dealer_group_id=group, store_id=a, vehicle_id="v",
                                   now=at(1), today=at(1).date(), accident_date=at(1).date(),
                                   insurer="PICC", policy_number="P-1",
                                   liability="full", payment_route="insurer_pays_store")
    accident.estimate(D("5000.00"))
    accident.approve_estimate(approved_amount=D("4500.00"), now=at(2))
    return [(WarrantyClaims, approved), (WarrantyClaims, rejected), (InsuranceClaims, accident),
            (WarrantyClaims, submitted(group, b, at(1), "830.00"))]


def figures_of(answer: dict) -> dict:
    return {(f["store_id"], f["kpi"]): f["value"] for f in answer["figures"]}


async def test_a_week_of_two_stores_answers_each_store_s_figures(start_service, token):
    group, a, b = f"dg-{uuid.uuid4().hex[:8]}", new_store(), new_store()
    async with start_service("claims", clock=FixedClock(at(6, 20)), run_renewal_loop=False) as svc:
        await add_records(svc, group, *week_of_two_stores(group, a, b))
        r = await svc.client.get("/figures", headers=token(Role.GROUP_ANALYST, group=group), params=WEEK)
        assert r.status_code == 200, r.text
        got = figures_of(r.json())
        # A: one claim submitted this week, 450 + 380 = 830.00, approved in full Wednesday, 500.00 paid Friday;
        # last week's 200.00 rejected Monday: approval rate 830 ÷ (830 + 200) = 0.8058; the insurer approved
        # 4500.00 of a 5000.00 estimate
        assert {k: got[a, k] for k in ("warranty_claims_submitted", "warranty_claim_value", "warranty_approved_value",
                                       "warranty_approval_rate", "warranty_paid_value", "insurance_claims_opened",
                                       "insurance_claim_value", "insurance_paid_value")} == {
            "warranty_claims_submitted": "1", "warranty_claim_value": "830.00", "warranty_approved_value": "830.00",
            "warranty_approval_rate": "0.8058", "warranty_paid_value": "500.00", "insurance_claims_opened": "1",
            "insurance_claim_value": "4500.00", "insurance_paid_value": "0.00"}
        # B: one claim of 830.00 waiting for the manufacturer
        assert (got[b, "warranty_claim_value"], got[b, "warranty_approval_rate"]) == ("830.00", None)

        specialist = token(Role.WARRANTY_SPECIALIST, group=group, stores=[b])
        mine = await svc.client.get("/figures", headers=specialist, params=WEEK)
        assert {s for s, _ in figures_of(mine.json())} == {b}
        assert (await svc.client.get("/figures", headers=specialist, params={**WEEK, "store_id": a})).status_code == 403
        assert (await svc.client.get("/figures", headers=token(Role.ADVISOR, group=group, stores=[a]),
                                     params=WEEK)).status_code == 403
