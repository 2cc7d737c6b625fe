"""reception's figures against values worked out by hand: one week of a store, with the local-day boundary,
a cancelled order, a first service free to the customer and every pay type."""

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from reception.domain.figures import KPIS, figures
from reception.domain.pricing import Job, Material, PartItem, settle
from reception.domain.repair_order import CheckInSheet, RepairOrder, RoState
from shared.contracts.common import PayType
from shared.kit.figures import Granularity

SH = ZoneInfo("Asia/Shanghai")
WEEK = date(2026, 11, 23)  # a Monday


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH).astimezone(UTC)


def job(hours, pay=PayType.CUSTOMER, parts=(), **kw):
    return Job(job_id=f"j{hours}{pay}", description="job", pay_type=pay, flat_rate_hours=D(hours),
               labour_rate=D(300), parts=[PartItem(part_no=n, quantity=D(q), unit_price=D(p)) for n, q, p in parts],
               **kw)


def order(oid, *, opened, invoiced=None, jobs=(), materials=(), store="s1", state=RoState.OPEN,
          first_service_free=False, **kw):
    sheet = CheckInSheet(vin="LSVAU2180N2183294", odometer_km=1, covers_fitted=True, customer_complaint="x",
                         checked_in_at=opened)
    ro = RepairOrder(id=oid, dealer_group_id="dg", store_id=store, vehicle_id=f"v-{oid}", customer_id="c",
                     advisor_id="a", check_in=sheet, state=state, opened_at=opened, jobs=list(jobs),
                     materials=list(materials), **kw)
    if invoiced:
        ro.invoiced_at, ro.state = invoiced, RoState.INVOICED
        ro.settlement = settle(ro.jobs, ro.materials, tax_rate=D("0.13"), first_service_free=first_service_free)
    return ro


ORDERS = [
    # booked, customer: labour 1.5 h × 300 = 450.00, parts 2 × 88.50 = 177.00, materials 35.00 → 662.00
    order("ro1", opened=local(24, 10), invoiced=local(24, 17), appointment_id="ap1",
          jobs=[job("1.5", parts=[("BRK", "2", "88.50")])], materials=[Material(description="oil", amount=D(35))]),
    # a comeback under warranty: labour 2 h × 300 = 600.00, parts 1 × 1200.00 → 1800.00 warranty
    order("ro2", opened=local(25, 9), invoiced=local(26, 11), comeback_of="ro-old",
          jobs=[job("2", PayType.WARRANTY, parts=[("ECU", "1", "1200")])]),
    # Sunday 23:30 in Shanghai (15:30 UTC): still this week; not invoiced yet
    order("ro3", opened=local(29, 23, 30), jobs=[job("1")]),
    # Monday 00:30 in Shanghai (Sunday 16:30 UTC): next week's
    order("ro4", opened=local(30, 0, 30), jobs=[job("1")]),
    # cancelled: no vehicle in
    order("ro5", opened=local(24, 11), state=RoState.CANCELLED, jobs=[job("1")]),
    # opened last week, invoiced this Monday: first service free (labour 300.00 + parts 4 × 50 = 200.00, less
    # the same 500.00) and an insurance job (3 h × 300 = 900.00) → revenue 900.00, customer 0.00
    order("ro6", opened=local(20, 9), invoiced=local(23, 9), first_service_free=True,
          jobs=[job("1", parts=[("OIL", "4", "50")], first_service=True), job("3", PayType.INSURANCE)]),
    # another store's order
    order("ro7", opened=local(24, 9), store="s3", jobs=[job("1")]),
]


def week(stores=("s1", "s2")):
    got = figures(ORDERS, stores=stores, periods=[WEEK], granularity=Granularity.WEEK, tz=SH)
    return {(f.store_id, f.kpi): f for f in got}


def test_a_week_of_a_store_matches_the_figures_worked_out_by_hand():
    got = week()
    s1 = {kpi: got["s1", kpi].value for kpi in KPIS}
    assert s1 == {
        "vehicles_in": 3,  # ro1, ro2, ro3 (ro4 next week, ro5 cancelled, ro6 opened last week)
        "booking_rate": D("0.3333"),  # ro1 of 3
        "comeback_rate": D("0.3333"),  # ro2 of 3
        "revenue_labour": D("2250.00"),  # 450 + 600 + 300 + 900
        "revenue_parts": D("1577.00"),  # 177 + 1200 + 200
        "revenue_materials": D("35.00"),
        "first_service_discount": D("500.00"),  # ro6's first service, free to the customer
        "revenue": D("3362.00"),  # 2250 + 1577 + 35 − 500
        "revenue_customer": D("662.00"),  # ro1 662 + ro6 0
        "revenue_warranty": D("1800.00"),
        "revenue_insurance": D("900.00"),
        "revenue_internal": D("0.00"),
        "revenue_per_vehicle": D("1120.67"),  # 3362 ÷ 3 orders invoiced (ro1, ro2, ro6)
    }
    rpv = got["s1", "revenue_per_vehicle"]
    assert (rpv.numerator, rpv.denominator, rpv.unit, rpv.combine) == (D("3362.00"), 3, "CNY", "ratio")
    br = got["s1", "booking_rate"]
    assert (br.numerator, br.denominator) == (1, 3)


def test_a_store_without_work_answers_zeros_and_ratios_over_nothing_are_null():
    got = week()
    assert got["s2", "vehicles_in"].value == 0 and got["s2", "revenue"].value == 0
    assert got["s2", "booking_rate"].value is None and got["s2", "revenue_per_vehicle"].value is None


def test_stores_of_the_orders_are_answered_too_and_periods_are_local_days():
    assert week()["s3", "vehicles_in"].value == 1
    days = figures(ORDERS, stores=["s1"], periods=[date(2026, 11, 29), date(2026, 11, 30)],
                   granularity=Granularity.DAY, tz=SH)
    vin = {f.period: f.value for f in days if f.kpi == "vehicles_in"}
    assert vin == {date(2026, 11, 29): 1, date(2026, 11, 30): 1}  # ro3 on Sunday, ro4 on Monday, local time


def test_revenue_adds_up_both_ways():
    got = week()
    parts = ("revenue_labour", "revenue_parts", "revenue_materials")
    assert sum(got["s1", k].value for k in parts) - got["s1", "first_service_discount"].value \
        == got["s1", "revenue"].value
    assert sum(got["s1", f"revenue_{p.value}"].value for p in PayType) == got["s1", "revenue"].value
