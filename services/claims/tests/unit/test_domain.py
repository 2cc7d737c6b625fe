"""claims's rules without servers: eligibility, the claim's states, receivables, the public payload."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from claims.domain.eligibility import Exclusion, Rule, VehicleCover, Verdict, check_eligibility
from claims.domain.receivables import Receivable, ageing, chase_list
from claims.domain.warranty_claim import ClaimState, WarrantyClaim, claim_amount
from shared.contracts.claims import (
    OemClaimLine,
    OemDecision,
    OemLineDecision,
    OemWarrantyClaimDecidedV2,
    OemWarrantyClaimSubmitted,
    OemWarrantyClaimSubmittedV2,
    WarrantyReason,
)
from shared.contracts.common import PartLine, PayType, RepairJob
from shared.errors import Conflict, DomainError, InvalidTransition

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
VIN = "LSVAU2180N2183294"
COVER = VehicleCover(sale_date=date(2024, 6, 1), warranty_start=None, warranty_years=3, warranty_km=100_000)


def eligible(vehicle=COVER, *, on=date(2026, 12, 1), km=50_000, part="ENG-MOUNT-1", exclusion=None):
    return check_eligibility(vehicle, repair_date=on, odometer_km=km, causal_part_no=part, exclusion=exclusion)


# -- eligibility ---------------------------------------------------------------------------------
def test_within_the_vehicles_terms_is_covered_by_the_vehicle_terms():
    e = eligible()
    assert (e.verdict, e.rule) == (Verdict.COVERED, Rule.VEHICLE_TERMS)


def test_past_the_time_limit_is_not_covered_and_just_past_it_is_the_manufacturers_call():
    assert eligible(on=date(2027, 9, 1)).rule is Rule.TIME_LIMIT
    assert eligible(on=date(2027, 9, 1)).verdict is Verdict.NOT_COVERED
    grace = eligible(on=date(2027, 6, 15))
    assert (grace.verdict, grace.rule) == (Verdict.NEEDS_MANUFACTURER_DECISION, Rule.TIME_LIMIT_GRACE)


def test_past_the_mileage_limit_is_not_covered_and_unknown_odometer_is_the_manufacturers_call():
    e = eligible(km=120_000)
    assert (e.verdict, e.rule) == (Verdict.NOT_COVERED, Rule.MILEAGE_LIMIT)
    assert "120000 km" in e.detail
    assert eligible(km=100_500).rule is Rule.MILEAGE_LIMIT_GRACE
    assert eligible(km=None).verdict is Verdict.NEEDS_MANUFACTURER_DECISION


def test_a_parts_own_terms_replace_the_vehicles_shorter_or_longer():
    battery = eligible(on=date(2026, 12, 1), km=30_000, part="BAT-60AH")  # 2.5 years: the battery's 2 years end
    assert (battery.verdict, battery.rule) == (Verdict.NOT_COVERED, Rule.TIME_LIMIT)
    assert "battery" in battery.detail
    corrosion = eligible(on=date(2029, 12, 1), km=300_000, part="CORR-DOOR-L")  # 6 years, any mileage
    assert (corrosion.verdict, corrosion.rule) == (Verdict.COVERED, Rule.PART_TERMS)


def test_exclusions_decide_before_any_limit():
    assert eligible(exclusion=Exclusion.ACCIDENT).rule is Rule.EXCLUSION_ACCIDENT
    assert eligible(exclusion=Exclusion.MISUSE).rule is Rule.EXCLUSION_MISUSE
    wear = eligible(part="PAD-F")
    assert (wear.verdict, wear.rule) == (Verdict.NOT_COVERED, Rule.EXCLUSION_WEAR_ITEM)


def test_no_start_date_or_no_vehicle_record_is_the_manufacturers_call():
    unknown = VehicleCover(sale_date=None, warranty_start=None, warranty_years=None, warranty_km=None)
    assert eligible(unknown).rule is Rule.WARRANTY_START_UNKNOWN
    assert eligible(None).verdict is Verdict.NEEDS_MANUFACTURER_DECISION


# -- the claim -----------------------------------------------------------------------------------
def job(job_id="j-1", hours="1.5", labour="450.00", parts=(("ENG-MOUNT-1", "1", "380.00"),)):
    return RepairJob(job_id=job_id, description="engine mount cracked", pay_type=PayType.WARRANTY,
                     flat_rate_hours=Decimal(hours), labour_amount=Decimal(labour), operation_code="EM-01",
                     parts=[PartLine(part_no=p, quantity=Decimal(q), unit_price=Decimal(u)) for p, q, u in parts])


def opened(*jobs) -> WarrantyClaim:
    c = WarrantyClaim.open(id="c-1", dealer_group_id="dg", store_id="s-1", claim_number="WC-1", repair_order_id="ro-1",
                           repair_order_number="RO-1", vehicle_id="v-1", vin=VIN, odometer_km=50_000,
                           jobs=list(jobs) or [job()], now=NOW, today=NOW.date())
    c.sign_off_parts_issue(by="ws-1")
    return c


def covered(c):
    return {ln.line_no: eligible() for ln in c.lines}


def decided(c, decision, lines=(), reasons=(), submission=1, **kw):
    return OemWarrantyClaimDecidedV2(claim_number=c.claim_number, submission=submission, decision=decision,
                                     lines=list(lines), reason_codes=list(reasons), **kw)


def test_claimed_parts_are_tagged_and_the_amount_is_labour_plus_parts():
    c = opened()
    assert c.amount == Decimal("830.00")
    tag = c.lines[0].parts[0]
    assert (tag.claim_number, tag.vin, tag.part_no, tag.failure) == ("WC-1", VIN, "ENG-MOUNT-1", "engine mount cracked")


def test_a_line_not_covered_is_refused_at_submission_naming_the_rule():
    c = opened(job(parts=(("PAD-F", "1", "420.00"),)))
    answers = {1: eligible(part="PAD-F")}
    with pytest.raises(DomainError, match="exclusion_wear_item"):
        c.submit(answers=answers, now=NOW)
    assert c.state is ClaimState.OPEN


def test_partial_approval_is_per_line_with_reasons():
    c = opened(job(), job("j-2", hours="2", labour="600.00", parts=()))
    c.submit(answers=covered(c), now=NOW)
    changed = c.decide(decided(c, OemDecision.PARTLY_APPROVED,
                               [OemLineDecision(line_no=2, approved_amount=Decimal("300.00"),
                                                reason_code=WarrantyReason.EXCESSIVE_LABOUR)]), now=NOW)
    assert changed and c.state is ClaimState.PARTLY_APPROVED
    assert c.approved_amount == Decimal("1130.00") and c.lines[1].reason_code is WarrantyReason.EXCESSIVE_LABOUR
    approved = c.events[-1]
    assert approved.partial and approved.reason_codes == [WarrantyReason.EXCESSIVE_LABOUR]


def test_a_cut_without_a_reason_or_above_the_line_is_refused():
    c = opened()
    c.submit(answers=covered(c), now=NOW)
    with pytest.raises(DomainError, match="without a reason"):
        c.decide(decided(c, OemDecision.PARTLY_APPROVED, [OemLineDecision(line_no=1, approved_amount=Decimal(1))]),
                 now=NOW)
    with pytest.raises(DomainError, match="more than"):
        c.decide(decided(c, OemDecision.APPROVED, [OemLineDecision(line_no=1, approved_amount=Decimal(9999))]), now=NOW)


def test_returned_for_correction_then_corrected_and_submitted_again():
    c = opened()
    c.submit(answers=covered(c), now=NOW)
    c.decide(decided(c, OemDecision.RETURNED_FOR_CORRECTION, correction_note="name the causal part"), now=NOW)
    assert c.state is ClaimState.RETURNED and c.events[-1].returned_for_correction
    with pytest.raises(InvalidTransition):
        c.record_payment(amount=Decimal(1), payment_ref="p", now=NOW)
    c.correct_line(1, failure="engine mount rubber split", causal_part_no="ENG-MOUNT-1", exclusion=None)
    c.submit(answers=covered(c), now=NOW)
    assert c.submission == 2 and c.events[-1].submission == 2
    # the first submission's decision again changes nothing; the second's applies
    assert not c.decide(decided(c, OemDecision.RETURNED_FOR_CORRECTION, correction_note="name the causal part"),
                        now=NOW)
    assert c.decide(decided(c, OemDecision.APPROVED, submission=2), now=NOW)
    assert c.state is ClaimState.APPROVED and c.approved_amount == c.amount


def test_a_duplicated_decision_changes_nothing_and_a_contrary_one_is_refused():
    c = opened()
    c.submit(answers=covered(c), now=NOW)
    assert c.decide(decided(c, OemDecision.APPROVED), now=NOW)
    version, events = c.version, len(c.events)
    assert not c.decide(decided(c, OemDecision.APPROVED), now=NOW)
    assert (c.version, len(c.events)) == (version, events)
    with pytest.raises(Conflict):
        c.decide(decided(c, OemDecision.REJECTED, reasons=[WarrantyReason.EXPIRED]), now=NOW)
    with pytest.raises(DomainError, match="no submission 2"):
        c.decide(decided(c, OemDecision.APPROVED, submission=2), now=NOW)


def test_rejection_needs_a_reason_and_pays_nothing():
    c = opened()
    c.submit(answers=covered(c), now=NOW)
    c.decide(decided(c, OemDecision.REJECTED, reasons=[WarrantyReason.SUBMITTED_LATE]), now=NOW)
    assert c.state is ClaimState.REJECTED and c.outstanding == 0


def test_payments_reconcile_and_never_exceed_what_is_owed():
    c = opened()
    c.submit(answers=covered(c), now=NOW)
    c.decide(decided(c, OemDecision.APPROVED), now=NOW)
    with pytest.raises(DomainError, match="more than the 830.00 still owed"):
        c.record_payment(amount=Decimal("900"), payment_ref="p-1", now=NOW)
    c.record_payment(amount=Decimal("800"), payment_ref="p-1", now=NOW)
    with pytest.raises(Conflict):
        c.record_payment(amount=Decimal("30"), payment_ref="p-1", now=NOW)
    c.record_payment(amount=Decimal("30"), payment_ref="p-2", now=NOW)
    assert c.state is ClaimState.PAID and c.outstanding == 0


def test_parts_return_when_asked_and_overdue_when_not_shipped_in_time():
    c = opened()
    c.submit(answers=covered(c), now=NOW)
    with pytest.raises(DomainError, match="has not asked"):
        c.ship_parts(shipment_ref="SF-1", part_nos=["ENG-MOUNT-1"])
    c.decide(decided(c, OemDecision.APPROVED, return_parts_by=date(2026, 12, 15)), now=NOW)
    assert type(c.events[-1]).__name__ == "ClaimPartsReturnRequested"
    assert not c.return_overdue(date(2026, 12, 15)) and c.return_overdue(date(2026, 12, 16))
    with pytest.raises(DomainError, match="missing"):
        c.ship_parts(shipment_ref="SF-1", part_nos=[])
    c.ship_parts(shipment_ref="SF-1", part_nos=["ENG-MOUNT-1"])
    assert not c.return_overdue(date(2026, 12, 16))


def test_added_warranty_work_joins_an_unsubmitted_claim_once():
    c = opened()
    c.add_jobs([job("j-2", parts=())])
    c.add_jobs([job("j-2", parts=())])
    assert [ln.job_id for ln in c.lines] == ["j-1", "j-2"]
    assert [type(e).__name__ for e in c.events] == ["WarrantyClaimOpened", "WarrantyClaimLinesAdded"]


def test_claim_amount_rounds_each_part_like_reception():
    j = job(parts=(("ENG-MOUNT-1", "3", "10.005"), ("X", "1", "0.004")))
    assert claim_amount([j]) == Decimal("450.00") + Decimal("30.02") + Decimal("0.00")


# -- receivables ---------------------------------------------------------------------------------
def receivable(ref, debtor, amount, since):
    return Receivable(claim_id=ref, reference=ref, debtor=debtor, store_id="s-1", outstanding=Decimal(amount),
                      since=since)


def test_ageing_buckets_open_amounts_by_days_since_due():
    today = date(2026, 12, 1)
    a = ageing([receivable("a", "OEM", "100", date(2026, 11, 20)), receivable("b", "OEM", "200", date(2026, 9, 15)),
                receivable("c", "OEM", "50", date(2026, 7, 1)), receivable("d", "OEM", "0", date(2026, 1, 1))], today)
    assert a.total == Decimal("350.00")
    assert {b.bucket: b.amount for b in a.buckets} == {"0-30": Decimal("100.00"), "31-60": Decimal("0.00"),
                                                       "61-90": Decimal("200.00"), "over-90": Decimal("50.00")}
    assert [r.reference for r in a.items] == ["c", "b", "a"]


def test_the_weekly_chase_list_groups_week_old_debts_by_insurer():
    today = date(2026, 12, 1)
    groups = chase_list([receivable("a", "PICC", "100", date(2026, 11, 1)), receivable("b", "PICC", "50", today),
                         receivable("c", "Ping An", "500", date(2026, 11, 20))], today)
    assert [(g.debtor, g.total) for g in groups] == [("Ping An", Decimal("500.00")), ("PICC", Decimal("100.00"))]


# -- the public payload --------------------------------------------------------------------------
PUBLIC_FIELDS = {
    OemWarrantyClaimSubmittedV2: {"claim_number", "submission", "dealer_code", "vin", "repair_date", "odometer_km",
                                  "lines", "labour_amount", "parts_amount", "amount"},
    OemClaimLine: {"line_no", "operation_code", "failure", "causal_part_no", "labour_hours", "labour_amount",
                   "part_nos", "parts_amount", "amount", "needs_manufacturer_decision"},
    OemWarrantyClaimSubmitted: {"claim_number", "dealer_code", "vin", "repair_date", "odometer_km",
                                "operation_codes", "part_nos", "labour_amount", "parts_amount"},
}
PERSONAL = ("name", "phone", "plate", "address", "customer", "owner", "email", "mobile", "id_card", "wechat")


@pytest.mark.parametrize("model", list(PUBLIC_FIELDS), ids=lambda m: m.__name__)
def test_the_manufacturers_payload_carries_no_personal_data(model):
    """Adding any field to the public contract fails here until it is reviewed for personal data."""
    fields = set(model.model_fields)
    assert fields == PUBLIC_FIELDS[model], f"public contract changed: {sorted(fields ^ PUBLIC_FIELDS[model])}"
    assert not [f for f in fields if any(p in f for p in PERSONAL)]


def test_the_submitted_claim_serialises_without_personal_data():
    c = opened()
    c.submit(answers=covered(c), now=NOW)
    public = c.events[-1].model_dump(mode="json")
    text = str(public)
    assert "王" not in text and "138" not in text and set(public) == PUBLIC_FIELDS[OemWarrantyClaimSubmittedV2]


# -- insurance renewal reminders (续保提醒) ---------------------------------------------------------------
def _policy_claim(policy="P-1", expiry=date(2026, 12, 20), opened=NOW, insurer="PICC", **kw):
    from claims.domain.insurance_claim import InsuranceClaim

    return InsuranceClaim.open(id=kw.pop("id", f"ic-{policy}-{expiry}-{opened:%j}"), dealer_group_id="dg",
                               store_id="s-1", vehicle_id="v-1", now=opened, today=opened.date(),
                               accident_date=opened.date(),
                               insurer=insurer, policy_number=policy, policy_expiry=expiry, liability="full",
                               payment_route="insurer_pays_store", **kw)


def test_renewal_reminder_once_per_policy_and_window():
    from claims.domain.insurance_claim import renewals_due

    first = _policy_claim(opened=datetime(2026, 3, 1, tzinfo=SH))
    second = _policy_claim(opened=datetime(2026, 6, 1, tzinfo=SH))  # another accident, same policy
    other = _policy_claim(policy="P-2", expiry=date(2027, 6, 30))
    claims = [second, first, other]
    assert renewals_due(claims, date(2026, 11, 1)) == []  # 49 days ahead: not yet
    due = renewals_due(claims, date(2026, 11, 21))
    assert due == [first]  # one per policy, on its earliest claim, whichever order they come in
    assert first.remind_renewal(date(2026, 11, 21))
    assert first.renewal_reminded_for == date(2026, 12, 20)
    assert [e.expires_on for e in first.events if type(e).__name__ == "InsuranceRenewalDue"] == [
        date(2026, 12, 20)]
    for day in (date(2026, 11, 22), date(2026, 12, 20)):  # the next days of the window: nothing again
        assert renewals_due(claims, day) == [] and not first.remind_renewal(day)
    assert renewals_due(claims, date(2026, 12, 21)) == []  # expired: too late for a renewal reminder
    # the renewed policy, seen on next year's claim: a new window, reminded once more
    renewed = _policy_claim(expiry=date(2027, 12, 20), opened=datetime(2027, 2, 1, tzinfo=SH))
    claims.append(renewed)
    assert renewals_due(claims, date(2027, 11, 25)) == [renewed]


def test_no_renewal_reminder_for_a_policy_already_renewed_or_without_expiry():
    from claims.domain.insurance_claim import renewals_due

    old = _policy_claim(opened=datetime(2026, 3, 1, tzinfo=SH))
    renewed = _policy_claim(policy=" p-1 ", expiry=date(2027, 12, 20), opened=datetime(2026, 11, 10, tzinfo=SH))
    unknown = _policy_claim(policy="P-3", expiry=None)
    assert renewals_due([old, renewed, unknown], date(2026, 11, 21)) == []
    # a claim saved before the window was recorded (the flag only) counts as reminded for the expiry it holds
    legacy = _policy_claim(policy="P-4", renewal_reminded=True)
    assert legacy.reminded_this_window and renewals_due([legacy], date(2026, 11, 21)) == []
