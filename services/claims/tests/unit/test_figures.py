"""The claims desk's KPIs on the figures contract, against values worked out by hand: a week of two stores."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from claims.domain.figures import claims_figures
from claims.domain.insurance_claim import InsuranceClaim
from claims.domain.warranty_claim import WarrantyClaim
from shared.contracts.claims import OemDecision, OemLineDecision, OemWarrantyClaimDecidedV2, WarrantyReason
from shared.contracts.common import PartLine, PayType, RepairJob
from shared.kit.figures import GROUP, Granularity, combine

SH = ZoneInfo("Asia/Shanghai")
MON = date(2026, 11, 2)
VIN = "LSVAU2180N2183294"


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """Store time in the week of Monday 2 November 2026 (day 0 = Monday, -3 = the Friday before)."""
    return datetime(2026, 11, 2, hour, minute, tzinfo=SH) + timedelta(days=day)


def job(job_id: str = "j-1", labour: str = "450.00", parts: tuple = (("ENG-MOUNT-1", "1", "380.00"),)) -> RepairJob:
    return RepairJob(job_id=job_id, description="engine mount cracked", pay_type=PayType.WARRANTY,
                     flat_rate_hours=D(1), labour_amount=D(labour), operation_code="EM-01",
                     parts=[PartLine(part_no=p, quantity=D(q), unit_price=D(u)) for p, q, u in parts])


def submitted(no: int, store: str, on: datetime, *jobs: RepairJob) -> WarrantyClaim:
    c = WarrantyClaim.open(id=f"c-{no}", dealer_group_id="dg", store_id=store, claim_number=f"WC-{no}",
                           repair_order_id=f"ro-{no}", repair_order_number=f"RO-{no}", vehicle_id="v", vin=VIN,
                           odometer_km=1, jobs=list(jobs) or [job()], now=on, today=on.date())
    c.sign_off_parts_issue(by="ws")
    c.submit(answers={}, now=on)
    return c


def decide(c: WarrantyClaim, decision: OemDecision, on: datetime, lines=(), reasons=(), **kw) -> WarrantyClaim:
    c.decide(OemWarrantyClaimDecidedV2(claim_number=c.claim_number, submission=c.submission, decision=decision,
                                       lines=list(lines), reason_codes=list(reasons), **kw), now=on)
    return c


def warranty_week() -> list[WarrantyClaim]:
    c1 = decide(submitted(1, "s1", at(0)), OemDecision.APPROVED, at(2))  # 450 + 380 = 830.00, all approved
    c1.record_payment(amount=D("500.00"), payment_ref="pay-1", now=at(4))
    c2 = submitted(2, "s1", at(1), job(), job("j-2", labour="600.00", parts=()))  # 830 + 600 = 1430.00
    decide(c2, OemDecision.RETURNED_FOR_CORRECTION, at(2), correction_note="photo missing")
    c2.submit(answers={}, now=at(3))  # the same claim again: counted once, on Tuesday
    decide(c2, OemDecision.PARTLY_APPROVED, at(4), [OemLineDecision(
        line_no=2, approved_amount=D("300.00"), reason_code=WarrantyReason.EXCESSIVE_LABOUR)])  # 830 + 300 = 1130
    c3 = decide(submitted(3, "s1", at(-3), job(labour="200.00", parts=())), OemDecision.REJECTED, at(0),
                reasons=[WarrantyReason.NOT_A_WARRANTY_FAILURE])  # last week's 200.00, rejected this Monday
    c4 = submitted(4, "s1", at(6, 23, 30))  # Sunday 23:30 store time: still this week
    c5 = submitted(5, "s2", at(0))
    return [c1, c2, c3, c4, c5]


def insurance(no: int, store: str, opened: datetime) -> InsuranceClaim:
    return InsuranceClaim.open(id=f"i-{no}", dealer_group_id="dg", store_id=store, vehicle_id="v", now=opened,
                               today=opened.date(), accident_date=opened.date(), insurer="PICC",
                               policy_number=f"P-{no}", liability="full", payment_route="insurer_pays_store")


def insurance_week() -> list[InsuranceClaim]:
    i1 = insurance(1, "s1", at(1))
    i1.estimate(D("5000.00"))
    i1.approve_estimate(approved_amount=D("4500.00"), now=at(2))
    i1.record_payment(amount=D("4000.00"), payment_ref="ins-1", now=at(5))
    i2 = insurance(2, "s1", at(-4))  # opened last Thursday, approved this Monday
    i2.estimate(D("3000.00"))
    i2.approve_estimate(approved_amount=D("3000.00"), now=at(0))
    i3 = insurance(3, "s2", at(2))
    i3.estimate(D("800.00"))
    return [i1, i2, i3]


def week() -> dict:
    out = claims_figures(stores=["s1", "s2"], starts=[MON], granularity=Granularity.WEEK, tz=SH,
                         warranty=warranty_week(), insurance=insurance_week())
    return {(f.store_id, f.kpi): f for f in out}


def test_warranty_claims_count_once_in_the_week_of_their_first_submission():
    f = week()
    # s1: claims 1 (Mon), 2 (Tue, resubmitted Thu), 4 (Sun 23:30); claim 3 was last week's
    assert f["s1", "warranty_claims_submitted"].value == 3
    assert f["s1", "warranty_claim_value"].value == D("3090.00")  # 830 + 1430 + 830
    assert (f["s2", "warranty_claims_submitted"].value, f["s2", "warranty_claim_value"].value) == (1, D("830.00"))
    assert f["s1", "warranty_claim_value"].unit == "CNY" and f["s1", "warranty_claims_submitted"].unit == "count"


def test_approved_and_paid_value_count_in_the_week_the_manufacturer_decided_and_paid():
    f = week()
    assert f["s1", "warranty_approved_value"].value == D("1960.00")  # 830 (Wed) + 1130 (Fri)
    assert f["s1", "warranty_paid_value"].value == D("500.00")
    assert (f["s2", "warranty_approved_value"].value, f["s2", "warranty_paid_value"].value) == (0, 0)


def test_approval_rate_is_approved_over_claimed_on_claims_decided_for_good():
    r = week()["s1", "warranty_approval_rate"]
    # decided this week: claim 1 830 of 830, claim 2 1130 of 1430, claim 3 rejected 0 of 200 (the return for
    # correction on Wednesday decided nothing): 1960 ÷ 2460 = 0.7967
    assert (r.numerator, r.denominator, r.value) == (D("1960.00"), D("2460.00"), D("0.7967"))
    assert week()["s2", "warranty_approval_rate"].value is None  # nothing decided


def test_insurance_value_is_what_insurers_approved_in_the_week():
    f = week()
    assert f["s1", "insurance_claims_opened"].value == 1  # claim 2 was opened last week
    assert f["s1", "insurance_claim_value"].value == D("7500.00")  # 4500 (Wed) + 3000 (Mon)
    assert f["s1", "insurance_paid_value"].value == D("4000.00")
    assert (f["s2", "insurance_claims_opened"].value, f["s2", "insurance_claim_value"].value) == (1, 0)


def test_days_add_up_to_the_week_and_stores_to_the_group():
    days = claims_figures(stores=["s1", "s2"], starts=[date(2026, 11, 2 + i) for i in range(7)],
                          granularity=Granularity.DAY, tz=SH, warranty=warranty_week(), insurance=insurance_week())
    got = {g.kpi: g for g in combine(days, store_id=GROUP, period=MON)}
    # the group's week: 3090 + 830 claimed; 1960 ÷ 2460 approved
    assert got["warranty_claim_value"].value == D("3920.00") and got["warranty_approval_rate"].value == D("0.7967")
    assert got["insurance_claim_value"].value == D("7500.00")
