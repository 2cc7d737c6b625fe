"""parts's rules, driven directly: given these facts, this command gives these events or this refusal."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from parts.domain.counts import CountLine, CountScope, StockCount
from parts.domain.issuing import IssueSlip, JobCopy, RepairOrderCopy, SlipLine
from parts.domain.money import moving_average_cost
from parts.domain.purchasing import ClaimAgainst, Receipt, ReceiptLine, suggested_quantity
from parts.domain.stock import Part
from parts.domain.write_offs import Approver, Cause, Reason, WriteOff, WriteOffLine, split_loss
from shared.contracts import parts as ev
from shared.contracts.base import event_class
from shared.contracts.common import PayType
from shared.errors import Conflict, DomainError

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def part(on_hand: str = "0", cost: str = "10", safety: str = "0") -> Part:
    p = Part(id="s1:P1", dealer_group_id="dg", store_id="s1", part_no="P1", name="brake pad",
             retail_price=D("100.00"), safety_stock=D(safety), bin_id="s1:A-01-02-03", bin_code="A-01-02-03")
    if D(on_hand):
        p.open_stock(D(on_hand), D(cost), at=NOW, by="clerk")
    p.events.clear()
    return p


def test_available_is_on_hand_less_reserved_and_all_derive_from_the_ledger():
    p = part("10")
    assert p.reserve("a1", D(3)) == 0
    assert (p.on_hand, p.reserved, p.available) == (D(10), D(3), D(7))
    p.issue(D(2), at=NOW, reference="ro1", by="clerk")
    assert p.on_hand == sum(e.quantity for e in p.ledger) == D(8)
    assert [e.movement for e in p.ledger] == ["opening", "issue"]
    assert p.ledger[-1].balance == D(8)


def test_reserve_holds_what_is_there_and_answers_the_shortfall():
    p = part("2")
    assert p.reserve("a1", D(5)) == D(3)
    assert p.available == 0 and p.release("a1") == D(2) and p.available == D(2)


def test_issue_uses_its_own_reservation_and_never_takes_anothers():
    p = part("3")
    p.reserve("ro-other", D(2))
    with pytest.raises(Conflict):
        p.issue(D(2), at=NOW, reference="ro1", by="clerk")
    p.reserve("ro1", D(1))
    p.issue(D(1), at=NOW, reference="ro1", by="clerk")
    assert p.reserved_for("ro1") == 0 and p.reserved_for("ro-other") == D(2) and p.on_hand == D(2)


def test_stock_never_goes_negative():
    p = part("1")
    p.issue(D(1), at=NOW, reference="ro1", by="clerk")
    with pytest.raises(Conflict):
        p.issue(D(1), at=NOW, reference="ro2", by="clerk")
    with pytest.raises(DomainError):
        p.issue(D(-1), at=NOW, reference="ro2", by="clerk")
    assert p.on_hand == 0


def test_moving_average_cost():
    p = part("10", cost="10")
    p.receive(D(30), D("14"), at=NOW, reference="r1", by="clerk")
    assert p.cost == D("13.0000")  # (10×10 + 30×14) / 40
    assert moving_average_cost(D(3), D("1.00"), D(0 + 1), D("2.00")) == D("1.2500")
    assert moving_average_cost(D(0), D("5"), D(2), D("7.123456")) == D("7.1235")


def test_stock_below_safety_level_is_raised_when_crossing():
    p = part("5", safety="4")
    p.issue(D(1), at=NOW, reference="ro1", by="c")
    assert "StockBelowSafetyLevel" not in [type(e).__name__ for e in p.events]
    p.issue(D(1), at=NOW, reference="ro1", by="c")
    assert [type(e).__name__ for e in p.events][-2:] == ["StockLevelChanged", "StockBelowSafetyLevel"]


def test_quality_returns_go_to_their_own_ledger():
    p = part("5")
    p.take_back(D(1), quality=True, at=NOW, reference="slip", by="c")
    assert p.on_hand == D(5) and p.quality_held == D(1)


def order(open_: bool = True, pay_type: PayType = PayType.CUSTOMER) -> RepairOrderCopy:
    return RepairOrderCopy(id="ro1", dealer_group_id="dg", store_id="s1", number="RO-1", open=open_,
                           jobs=[JobCopy(job_id="j1", description="brakes", pay_type=pay_type)])


def test_no_issue_without_an_open_repair_order_job():
    with pytest.raises(DomainError):
        order().job("j-unknown")
    closed = order()
    closed.close("invoiced")
    with pytest.raises(Conflict, match="invoiced"):
        closed.job("j1")
    assert order().job("j1").job_id == "j1"


def slip(warranty: bool = False, handed_in: bool = False) -> IssueSlip:
    return IssueSlip(id="sl1", dealer_group_id="dg", store_id="s1", repair_order_id="ro1", job_id="j1",
                     warranty=warranty, technician_id="tech", advisor_id="adv",
                     lines=[SlipLine(part_no="P1", quantity=D(1), old_part_handed_in=handed_in)])


def test_old_part_in_before_new_part_out():
    with pytest.raises(Conflict, match="交旧领新"):
        slip().check_ready({"P1": True})
    slip().check_ready({"P1": False})  # the job has no old part (oil, a consumable)
    slip(handed_in=True).check_ready({"P1": True})


def test_warranty_job_needs_the_warranty_specialists_sign_off():
    s = slip(warranty=True, handed_in=True)
    with pytest.raises(Conflict, match="warranty"):
        s.check_ready({})
    s.sign_off_warranty("ws")
    s.check_ready({})
    with pytest.raises(DomainError):
        slip().sign_off_warranty("ws")


def test_slip_needs_the_advisors_signature():
    s = slip(handed_in=True)
    s.advisor_id = None
    with pytest.raises(Conflict, match="advisor"):
        s.check_ready({})


def count(*lines: CountLine, scope=CountScope.MONTHLY) -> StockCount:
    return StockCount(id="c1", dealer_group_id="dg", store_id="s1", scope=scope, lines=list(lines), started_by="c")


def test_a_count_variance_must_be_explained_before_it_closes():
    c = count(CountLine(part_no="P1", book=D(5)), CountLine(part_no="P2", book=D(2)))
    c.record("P1", D(4), None)
    c.record("P2", D(2), None)
    with pytest.raises(Conflict, match="explanation"):
        c.close(at=NOW, finance_witness=None)
    c.record("P1", D(4), "dropped and broken, reported")
    variances = c.close(at=NOW, finance_witness=None, costs={"P1": D("12.5050")})
    assert [(v.part_no, v.variance) for v in variances] == [("P1", D(-1))]
    e = c.events[-1]
    assert e.event_type == "StockCountCompleted.v2"
    assert [(v.part_no, v.variance, v.value, v.explanation) for v in e.variances] == [
        ("P1", D(-1), D("-12.51"), "dropped and broken, reported")]
    assert e.net_value == D("-12.51") and e.lines_counted == 2


def test_count_event_keeps_the_sign_of_gains_and_losses():
    c = count(CountLine(part_no="P1", book=D(5)), CountLine(part_no="P2", book=D(2)))
    c.record("P1", D(7), "two found in the returns crate")
    c.record("P2", D(1), "one missing, reported to the parts manager")
    c.close(at=NOW, finance_witness=None, costs={"P1": D(10), "P2": D(4)})
    e = c.events[-1]
    assert {v.part_no: v.variance for v in e.variances} == {"P1": D(2), "P2": D(-1)}
    assert e.net_value == D(16)
    with pytest.raises(ValueError, match="counted − book"):
        ev.CountVariance(part_no="P1", book=D(5), counted=D(7), variance=D(-2), explanation="x", unit_cost=D(1),
                         value=D(-2))


def test_quarterly_count_needs_finance():
    c = count(CountLine(part_no="P1", book=D(5), counted=D(5)), scope=CountScope.QUARTERLY)
    with pytest.raises(DomainError, match="finance"):
        c.close(at=NOW, finance_witness=None)
    c.close(at=NOW, finance_witness="会计 张")


def proposal(cause: Cause = Cause.NATURAL) -> WriteOff:
    return WriteOff.propose(id="w1", dealer_group_id="dg", store_id="s1", reason=Reason.DAMAGED, cause=cause,
                            description="rusted", lines=[WriteOffLine(part_no="P1", quantity=D(3))],
                            cannot_claim_return_or_repair=True, today=date(2026, 12, 1))


def test_write_off_needs_all_three_approvals():
    w = proposal()
    assert w.quarter == "2026-Q4"
    assert not w.approve(Approver.SERVICE_MANAGER, "sm")
    assert not w.approve(Approver.PARTS_MANAGER, "pm")
    with pytest.raises(Conflict, match="warranty_supervisor"):
        w.written_off({"P1": D("33.3333")}, NOW)
    with pytest.raises(Conflict):
        w.approve(Approver.PARTS_MANAGER, "pm")
    assert w.approve(Approver.WARRANTY_SUPERVISOR, "ws")
    w.written_off({"P1": D("33.3333")}, NOW)
    assert w.value == D("100.00") and sum(w.shares.values()) == w.value
    e = w.events[-1]
    assert e.event_type == "PartsWrittenOff.v2" and e.quarter == "2026-Q4" and e.cause == "natural"
    assert (e.split.company, e.split.service_manager, e.split.parts_manager, e.split.storekeeper) == (
        D("70.00"), D("10.00"), D("10.00"), D("10.00"))
    assert e.approvals == {"service_manager": "sm", "parts_manager": "pm", "warranty_supervisor": "ws"}


def test_written_off_v2_refuses_a_split_that_does_not_add_up_and_v1_stays_readable():
    split = ev.LossSplit(company=D("70.00"), service_manager=D("10.00"), parts_manager=D("10.00"),
                         storekeeper=D("10.01"))
    with pytest.raises(ValueError, match="adds up"):
        ev.PartsWrittenOffV2(write_off_id="w1", quarter="2026-Q4", reason="damaged", cause="natural", lines=[],
                             value=D("100.00"), split=split)
    assert event_class("PartsWrittenOff.v1") is ev.PartsWrittenOff
    assert event_class("StockCountCompleted.v1") is ev.StockCountCompleted
    old = ev.PartsWrittenOff.model_validate({"write_off_id": "w0", "value": "5.00",
                                             "lines": [{"part_no": "P1", "quantity": "1"}]})
    assert old.value == D("5.00")


def test_person_caused_damage_is_not_written_off():
    with pytest.raises(DomainError, match="charge that person"):
        proposal(Cause.PERSON)


@pytest.mark.parametrize("value", ["100.00", "0.01", "0.05", "33.33", "1234.57", "99999.99"])
def test_write_off_split_adds_up_to_the_cent(value):
    s = split_loss(D(value))
    assert sum(s.values()) == D(value)
    assert s["service_manager"] == s["parts_manager"] == s["storekeeper"]
    assert all(v == v.quantize(D("0.01")) for v in s.values())


def test_split_rounding_rule_personal_shares_half_up_company_takes_the_rest():
    assert split_loss(D("0.05")) == {"company": D("0.02"), "service_manager": D("0.01"),
                                     "parts_manager": D("0.01"), "storekeeper": D("0.01")}
    assert split_loss(D("1234.57"))["company"] == D("864.19")  # 1234.57 − 3 × 123.46


def test_receiving_with_a_shortfall_records_a_discrepancy_note():
    r = Receipt(id="r1", dealer_group_id="dg", store_id="s1", purchase_order_id="po1", supplier_id="sup",
                buyer_checked_by="buyer", plan_checked_by="keeper",
                lines=[ReceiptLine(part_no="P1", shipped=D(10), received=D(8), damaged=D(1), planned=D(10),
                                   unit_cost=D(5))])
    booked = r.shelve({"P1": D(7)}, by="keeper", at=NOW, claim_against=ClaimAgainst.CARRIER, report=None)
    assert [(b.part_no, b.shelved) for b in booked] == [("P1", D(7))]
    assert sorted((n.kind.value, n.quantity) for n in r.notes) == [("damaged", D(1)), ("short", D(2))]
    assert [type(e).__name__ for e in r.events] == ["DiscrepancyRecorded", "DiscrepancyRecorded", "GoodsReceived"]


def test_no_claim_possible_needs_a_written_report():
    r = Receipt(id="r1", dealer_group_id="dg", store_id="s1", purchase_order_id=None, supplier_id="sup",
                buyer_checked_by="b", plan_checked_by="k",
                lines=[ReceiptLine(part_no="P1", shipped=D(2), received=D(1), unit_cost=D(5))])
    with pytest.raises(Conflict, match="report"):
        r.shelve({"P1": D(1)}, by="k", at=NOW, claim_against=ClaimAgainst.NONE, report=None)


def test_planner_orders_shortages_and_tops_up_to_twice_the_safety_stock():
    assert suggested_quantity(available=D(1), on_order=D(0), safety_stock=D(4), short=D(2)) == D(9)
    assert suggested_quantity(available=D(5), on_order=D(0), safety_stock=D(4), short=D(0)) == D(0)


def test_the_order_reserves_per_job_the_larger_of_plan_and_request():
    from shared.contracts.common import PartLine

    ro = RepairOrderCopy(id="ro1", dealer_group_id="dg", store_id="s1")
    # the technician's request overtook the order (another topic): reserved when it came
    assert ro.parts_requested("rq1", "j1", [PartLine(part_no="P1", quantity=D(1))]) == [
        PartLine(part_no="P1", quantity=D(1))]
    assert ro.parts_requested("rq1", "j1", [PartLine(part_no="P1", quantity=D(1))]) is None  # redelivered
    opened = ro.opened("RO-1", [JobCopy(job_id="j1", description="brakes", pay_type=PayType.CUSTOMER,
                                        parts=[PartLine(part_no="P1", quantity=D(2))])])
    assert opened == [PartLine(part_no="P1", quantity=D(1))]  # the plan's 2, less the 1 held for the request
    assert ro.opened("RO-1", []) is None
    added = JobCopy(job_id="j2", description="wipers", pay_type=PayType.CUSTOMER,
                    parts=[PartLine(part_no="P2", quantity=D(1))])
    assert ro.job_added(added) == [PartLine(part_no="P2", quantity=D(1))]
    assert ro.job_added(added) is None
    assert ro.parts_requested("rq2", "j1", [PartLine(part_no="P1", quantity=D(1))]) == []  # within j1's plan of 2
    assert ro.parts_requested("rq3", "j2", [PartLine(part_no="P2", quantity=D(3))]) == [
        PartLine(part_no="P2", quantity=D(2))]
    assert ro.wanted() == {"P1": D(2), "P2": D(3)}
