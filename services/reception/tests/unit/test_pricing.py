"""Estimate maths, the pay-type split of the settlement sheet, first service free, tax."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from reception.domain.pricing import (
    DeclinedWork,
    Job,
    LineKind,
    Material,
    PartItem,
    Signature,
    estimate,
    labour_amount,
    rough_estimate,
    settle,
)
from shared.contracts.common import PayType
from shared.errors import DomainError


def job(jid, hours, rate="300", pay=PayType.CUSTOMER, parts=(), **kw):
    return Job(job_id=jid, description=f"job {jid}", pay_type=pay, flat_rate_hours=D(hours), labour_rate=D(rate),
               parts=[PartItem(part_no=n, quantity=D(q), unit_price=D(p)) for n, q, p in parts], **kw)


def test_labour_is_flat_rate_hours_times_rate_rounded_to_the_fen():
    assert labour_amount(D("1.5"), D("280")) == D("420.00")
    assert labour_amount(D("0.333"), D("100")) == D("33.30")
    assert labour_amount(D("0.335"), D("100")) == D("33.50")  # half-up, not banker's


def test_negative_hours_are_refused_naming_the_field():
    with pytest.raises(DomainError) as e:
        labour_amount(D("-1"), D("300"))
    assert e.value.field == "flat_rate_hours"


def test_estimate_adds_labour_parts_and_materials_exactly():
    jobs = [job("a", "1.2", parts=[("OIL-5W30", "4.5", "68.80"), ("FLT-01", "1", "45.00")]),
            job("b", "0.7", rate="300", pay=PayType.WARRANTY, parts=[("PAD-F", "1", "399.99")])]
    t = estimate(jobs, [Material(description="cleaner", amount=D("12.5"))])
    assert t.labour == D("570.00")          # 360 + 210
    assert t.parts == D("754.59")           # 309.60 + 45.00 + 399.99
    assert t.materials == D("12.50")
    assert t.total == D("1337.09")
    assert t.by_pay_type == {"customer": D("727.10"), "warranty": D("609.99")}
    assert sum(t.by_pay_type.values()) == t.total


def test_estimate_lists_parts_without_a_price():
    j = Job(job_id="a", description="x", flat_rate_hours=D(1), labour_rate=D(100),
            parts=[PartItem(part_no="NEW-1", quantity=D(1))])
    assert estimate([j], []).unpriced_parts == ["NEW-1"]


def test_rough_estimate_for_a_booking():
    parts = [PartItem(part_no="X", quantity=D(2), unit_price=D("10.005"))]
    assert rough_estimate([D("1.0"), D("0.5")], D("300"), parts) == D("450.00") + D("20.01")


def test_settlement_customer_pays_only_customer_lines_others_go_to_their_payers():
    jobs = [job("c", "1", parts=[("P1", "1", "100")]),
            job("w", "2", pay=PayType.WARRANTY, parts=[("P2", "1", "500")]),
            job("i", "1", pay=PayType.INSURANCE),
            job("n", "0.5", pay=PayType.INTERNAL)]
    sheet = settle(jobs, [Material(description="rags", amount=D("10"))], tax_rate=D("0.13"), first_service_free=True)
    assert sheet.totals_by_pay_type == {"customer": D("410.00"), "insurance": D("300.00"),
                                        "internal": D("150.00"), "warranty": D("1100.00")}
    assert sheet.customer_net == D("410.00")
    assert sheet.tax == D("53.30")
    assert sheet.customer_total == D("463.30")
    assert {ln.pay_type for ln in sheet.lines if ln.job_id == "w"} == {PayType.WARRANTY}
    assert sum(ln.amount for ln in sheet.lines) == sum(sheet.totals_by_pay_type.values())


def test_first_scheduled_service_is_free_to_the_customer():
    jobs = [job("fs", "1", parts=[("OIL", "4", "50")], first_service=True), job("x", "1")]
    sheet = settle(jobs, [], tax_rate=D("0.13"), first_service_free=True)
    free = [ln for ln in sheet.lines if ln.kind is LineKind.FIRST_SERVICE_FREE]
    assert len(free) == 1 and free[0].amount == D("-500.00")
    assert sheet.first_service_discount == D("500.00")
    assert sheet.customer_net == D("300.00") and sheet.customer_total == D("339.00")


def test_first_service_is_free_only_once():
    jobs = [job("fs", "1", parts=[("OIL", "4", "50")], first_service=True)]
    sheet = settle(jobs, [], tax_rate=D("0.13"), first_service_free=False)
    assert sheet.first_service_discount == D("0.00") and sheet.customer_net == D("500.00")


def test_settlement_prints_declined_work_with_the_signature():
    sig = Signature(name="王伟", image_ref="sig/1.png", signed_at=datetime(2026, 12, 1, tzinfo=UTC))
    declined = [DeclinedWork(finding_id="f1", description="front brake pads 2 mm", safety_related=True,
                             estimated_amount=D("650"), signature=sig)]
    sheet = settle([job("a", "1")], [], tax_rate=D("0"), first_service_free=False, declined=declined)
    assert sheet.declined_work[0].signature.name == "王伟"


def test_a_part_without_a_price_cannot_be_settled():
    j = Job(job_id="a", description="x", flat_rate_hours=D(1), labour_rate=D(100),
            parts=[PartItem(part_no="NEW-1", quantity=D(1))])
    with pytest.raises(DomainError) as e:
        settle([j], [], tax_rate=D("0.13"), first_service_free=False)
    assert "NEW-1" in e.value.message
