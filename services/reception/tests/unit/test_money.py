"""Money adds up to the cent: each line rounded half-up once, every total the sum of the rounded lines it shows."""

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st
from reception.domain.money import money, total
from reception.domain.pricing import Job, LineKind, Material, PartItem, estimate, settle
from shared.contracts.common import PayType


def test_half_up_once_per_line():
    assert money(D("12.345")) == D("12.35") and money(D("7.125")) == D("7.13") and money(D("-0.005")) == D("-0.01")
    assert total([D("35.50"), D("12.345"), D("7.125")]) == D("54.98")  # not round(54.97) of the raw sum


def test_the_reported_estimate_adds_up_to_the_cent():
    """Materials 35.50 + 12.345 + 7.125 showed 54.97 while the sheet's lines summed to 54.98."""
    jobs = [Job(job_id="a", description="brakes", flat_rate_hours=D("2.333"), labour_rate=D("285"),
                parts=[PartItem(part_no="PAD", quantity=D("1.5"), unit_price=D("133.333"))]),
            Job(job_id="b", description="rattle", pay_type=PayType.WARRANTY, flat_rate_hours=D("1.111"),
                labour_rate=D("285"))]
    mats = [Material(description=d, amount=D(a), pay_type=p) for d, a, p in (
        ("oil", "35.50", PayType.CUSTOMER), ("cleaner", "12.345", PayType.CUSTOMER),
        ("grease", "7.125", PayType.WARRANTY))]
    est = estimate(jobs, mats)
    sheet = settle(jobs, mats, tax_rate=D("0.13"), first_service_free=False)
    assert est.materials == D("54.98")
    assert est.materials == total(ln.amount for ln in sheet.lines if ln.kind is LineKind.MATERIAL)
    assert est.total == sum(est.by_pay_type.values()) == est.labour + est.parts + est.materials
    assert est.by_pay_type == sheet.totals_by_pay_type


amounts = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=D("0.001"), max_value=1000, places=3, allow_nan=False, allow_infinity=False)
pay_types = st.sampled_from(list(PayType))
parts = st.builds(lambda n, q, p: PartItem(part_no=f"P{n}", quantity=q, unit_price=p),
                  st.integers(0, 9), quantities, amounts)
jobs = st.builds(lambda i, pay, h, rate, ps, first: Job(
    job_id=f"j{i}", description="job", pay_type=pay, flat_rate_hours=h, labour_rate=rate, parts=ps,
    first_service=first), st.integers(0, 99), pay_types,
    st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False), amounts,
    st.lists(parts, max_size=4), st.booleans())
materials = st.builds(lambda a, pay: Material(description="m", amount=a, pay_type=pay), amounts, pay_types)


@settings(max_examples=300, deadline=None)
@given(st.lists(jobs, max_size=6), st.lists(materials, max_size=5),
       st.decimals(min_value=0, max_value=D("0.2"), places=3, allow_nan=False, allow_infinity=False),
       st.booleans())
def test_every_total_is_the_sum_of_its_rounded_lines(js, ms, tax_rate, first_free):
    est = estimate(js, ms)
    sheet = settle(js, ms, tax_rate=tax_rate, first_service_free=first_free)
    for ln in sheet.lines:
        assert ln.amount == money(ln.amount)  # every line at the fen
    # the settlement sheet: each payer's share is the sum of its lines; the invoice adds the rounded tax
    for pay in {ln.pay_type.value for ln in sheet.lines}:
        assert sheet.totals_by_pay_type[pay] == sum(ln.amount for ln in sheet.lines if ln.pay_type.value == pay)
    assert sum(sheet.totals_by_pay_type.values(), D(0)) == sum((ln.amount for ln in sheet.lines), D(0))
    assert sheet.customer_net == sheet.totals_by_pay_type.get("customer", D(0))
    assert sheet.tax == money(sheet.customer_net * tax_rate)
    assert sheet.customer_total == sheet.customer_net + sheet.tax
    free = [ln.amount for ln in sheet.lines if ln.kind is LineKind.FIRST_SERVICE_FREE]
    assert sheet.first_service_discount == -sum(free, D(0))
    # the estimate: the same rounded lines, before any first service is made free
    assert est.total == est.labour + est.parts + est.materials == sum(est.by_pay_type.values(), D(0))
    for kind, shown in ((LineKind.LABOUR, est.labour), (LineKind.PART, est.parts),
                        (LineKind.MATERIAL, est.materials)):
        assert shown == sum((ln.amount for ln in sheet.lines if ln.kind is kind), D(0))
    for pay, share in est.by_pay_type.items():
        assert share == sum(ln.amount for ln in sheet.lines
                            if ln.pay_type.value == pay and ln.kind is not LineKind.FIRST_SERVICE_FREE)
