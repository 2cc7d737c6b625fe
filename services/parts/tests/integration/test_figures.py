"""The parts room's /figures on real PostgreSQL: a known week of two stores, each store's KPIs as worked out by
hand (services/parts/tests/unit/test_figures.py shows the arithmetic of store A), and who sees which store."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from parts.adapters.repository import IssueSlips, Parts
from parts.domain.issuing import IssueSlip, SlipLine, SlipState
from parts.domain.stock import Part
from shared.auth import Role
from shared.clock import FixedClock

from tests.support.factories import add_records, new_store

SH = ZoneInfo("Asia/Shanghai")
OPENED = datetime(2026, 10, 28, 9, tzinfo=SH)


def at(day: int, hour: int = 10) -> datetime:
    """Store time in the week of Monday 2 November 2026 (day 0 = Monday)."""
    return datetime(2026, 11, 2 + day, hour, tzinfo=SH)


def part(group: str, store: str, quantity: str, cost: str) -> Part:
    p = Part(id=Part.id_for(store, "P1"), dealer_group_id=group, store_id=store, part_no="P1", name="pad",
             retail_price=D(30), bin_id="b", bin_code="A-1-1-1")
    p.open_stock(D(quantity), D(cost), at=OPENED, by="clerk")
    return p


def slip(group: str, store: str, requested: datetime, lines: list[SlipLine], issued: datetime | None) -> IssueSlip:
    return IssueSlip(id=str(uuid.uuid4()), dealer_group_id=group, store_id=store, repair_order_id="ro", job_id="j1",
                     warranty=False, lines=lines, technician_id="t", requested_at=requested,
                     state=SlipState.ISSUED if issued else SlipState.REQUESTED, issued_at=issued)


def line(quantity: str, covered: bool, *, price: str | None = None, returned: str = "0") -> SlipLine:
    return SlipLine(part_no="P1", quantity=D(quantity), in_stock_at_request=covered, returned=D(returned),
                    unit_price=None if price is None else D(price))


def week_of_two_stores(group: str, a: str, b: str) -> list:
    pa = part(group, a, "10", "10.00")   # A: 10 at 10.00
    pa.issue(D(4), at=at(1), reference="ro", by="clerk")
    pa.receive(D(10), D("13.00"), at=at(2), reference="r1", by="clerk")
    pa.issue(D(6), at=at(3), reference="ro", by="clerk")
    pa.take_back(D(1), quality=False, at=at(4), reference="ro", by="clerk")
    pb = part(group, b, "20", "5.00")    # B: 20 at 5.00, 2 issued on Wednesday
    pb.issue(D(2), at=at(2), reference="ro", by="clerk")
    return [(Parts, pa), (Parts, pb),
            (IssueSlips, slip(group, a, at(0), [line("1", True)], None)),
            (IssueSlips, slip(group, a, at(1, 9), [line("4", False, price="30.00")], at(1))),
            (IssueSlips, slip(group, a, at(2, 9), [line("6", True, price="30.00", returned="1")], at(3))),
            (IssueSlips, slip(group, a, at(7), [line("1", False)], None)),  # next week's
            (IssueSlips, slip(group, b, at(2, 9), [line("2", True, price="8.00")], at(2)))]


def by_store(answer: dict) -> dict:
    return {(f["store_id"], f["kpi"]): f for f in answer["figures"]}


async def test_a_week_of_two_stores_answers_each_store_s_figures(start_service, token):
    group, a, b = f"dg-{uuid.uuid4().hex[:8]}", new_store(), new_store()
    week = {"date_from": "2026-11-02", "date_to": "2026-11-08", "granularity": "week"}
    async with start_service("parts", clock=FixedClock(at(6, 20))) as svc:
        await add_records(svc, group, *week_of_two_stores(group, a, b))
        analyst = token(Role.GROUP_ANALYST, group=group)
        r = await svc.client.get("/figures", headers=analyst, params=week)
        assert r.status_code == 200, r.text
        got = by_store(r.json())
        assert {s for s, _ in got} == {a, b} and {f["period"] for f in got.values()} == {"2026-11-02"}
        # A: 2 of 3 lines covered; cost 40.00 + 71.25 − 11.88 = 99.37; 860.64 value-days ÷ 365 = 2.3579 → 42.14
        # turns a year; revenue 4 × 30 + (6 − 1) × 30 = 270.00
        assert [got[a, "parts_fill_rate"][k] for k in ("numerator", "denominator", "value")] == ["2", "3", "0.6667"]
        assert got[a, "parts_cost_issued"]["value"] == "99.37" and got[a, "parts_revenue"]["value"] == "270.00"
        assert [got[a, "stock_turnover"][k] for k in ("numerator", "denominator", "value")] == [
            "99.37", "2.3579", "42.14"]
        # B: 1 of 1; cost 2 × 5.00 = 10.00; value-days Mon 100 + Tue 100 + Wed…Sun 5 × 90 = 650 ÷ 365 = 1.7808;
        # 10.00 ÷ 1.7808 = 5.62; revenue 2 × 8.00 = 16.00
        assert got[b, "parts_fill_rate"]["value"] == "1.0000" and got[b, "parts_revenue"]["value"] == "16.00"
        assert [got[b, "stock_turnover"][k] for k in ("numerator", "denominator", "value")] == [
            "10.00", "1.7808", "5.62"]

        mine = await svc.client.get("/figures", headers=token(Role.PARTS_MANAGER, group=group, stores=[a]),
                                    params=week)
        assert {f["store_id"] for f in mine.json()["figures"]} == {a}
        other = await svc.client.get("/figures", headers=token(Role.PARTS_MANAGER, group=group, stores=[a]),
                                     params={**week, "store_id": b})
        assert other.status_code == 403
        days = await svc.client.get("/figures", headers=analyst, params={**week, "granularity": "day",
                                                                          "store_id": a})
        tue = by_store({"figures": [f for f in days.json()["figures"] if f["period"] == "2026-11-03"]})
        assert tue[a, "parts_cost_issued"]["value"] == "40.00" and tue[a, "parts_fill_rate"]["value"] == "0.0000"
        for bad, field in (({"granularity": "year"}, "granularity"), ({"date_to": "2026-11-01"}, "date_to")):
            r = await svc.client.get("/figures", headers=analyst, params={**week, **bad})
            assert r.status_code == 422 and r.json()["field"].endswith(field), r.text
        assert (await svc.client.get("/figures", headers=token(Role.TECHNICIAN, group=group, stores=[a]),
                                     params=week)).status_code == 403
