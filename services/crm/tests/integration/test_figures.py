"""Customer care's /figures on real PostgreSQL: a known week of two stores, each store's KPIs as worked out by
hand (tests/unit/test_figures.py has the rules in full), and who sees which store."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm.adapters.orm import ServiceVisitRow
from crm.adapters.repository import Complaints, FollowUps, Vehicles
from crm.domain.complaint import Complaint
from crm.domain.follow_up import FollowUp, FollowUpStatus
from crm.domain.model import Vehicle
from shared.auth import Role
from shared.clock import FixedClock

from tests.support.factories import add_records, new_store, new_vin

SH = ZoneInfo("Asia/Shanghai")
WEEK = {"date_from": "2026-11-02", "date_to": "2026-11-08", "granularity": "week"}
NEXT_MAY = date(2027, 5, 1)


def at(day: int, hour: int = 10) -> datetime:
    """Store time in the week of Monday 2 November 2026 (day 0 = Monday)."""
    return datetime(2026, 11, 2, hour, tzinfo=SH) + timedelta(days=day)


class Week:
    """Records of one dealer group, written as they would stand after the week."""

    def __init__(self) -> None:
        self.group = f"dg-{uuid.uuid4().hex[:8]}"
        self.records: list = []
        self.visits: list[ServiceVisitRow] = []

    def vehicle(self, store: str, *, sale_date: date | None = None) -> str:
        v = Vehicle.register(dealer_group_id=self.group, store_id=store, vin=new_vin(), owner_customer_id="c",
                             sale_date=sale_date)
        self.records.append((Vehicles, v, {"created_by": "test"}))
        return v.id

    def visit(self, store: str, vehicle: str, on: datetime, next_service: date) -> str:
        ro = str(uuid.uuid4())
        self.visits.append(ServiceVisitRow(dealer_group_id=self.group, store_id=store, repair_order_id=ro,
                                           vehicle_id=vehicle, customer_id="c", delivered_at=on,
                                           next_service_date=next_service))
        return ro

    def delivered(self, store: str, on: datetime, *, reached: datetime | None = None, score: int | None = None,
                  failed: bool = False) -> None:
        """A vehicle of the store delivered (next service next May) and its follow-up call."""
        vehicle = self.vehicle(store)
        ro = self.visit(store, vehicle, on, NEXT_MAY)
        status = FollowUpStatus.COMPLETED if reached else FollowUpStatus.FAILED if failed else FollowUpStatus.SCHEDULED
        self.records.append((FollowUps, FollowUp(
            id=str(uuid.uuid4()), dealer_group_id=self.group, store_id=store, repair_order_id=ro, customer_id="c",
            vehicle_id=vehicle, advisor_id="adv", delivered_at=on, due_from=on + timedelta(days=1),
            due_to=on + timedelta(days=3), status=status, completed_at=reached, satisfaction=score)))

    def complaint(self, store: str, on: datetime, severity: str) -> None:
        self.records.append((Complaints, Complaint(
            id=str(uuid.uuid4()), dealer_group_id=self.group, store_id=store, customer_id="c", channel="phone",
            severity=severity, summary="waited too long", opened_at=on)))


def week_of_two_stores(a: str, b: str) -> Week:
    w = Week()
    w.delivered(a, at(0), reached=at(1), score=5)
    w.delivered(a, at(1), failed=True)
    w.complaint(a, at(2), "severe")
    w.vehicle(a, sale_date=date(2026, 6, 1))  # first service due 1 September: overdue, not yet lapsed
    w.visit(a, w.vehicle(a), datetime(2026, 5, 10, 10, tzinfo=SH), date(2026, 7, 10))  # overdue and lapsed
    w.delivered(b, at(0), reached=at(2), score=3)
    w.complaint(b, at(3), "general")
    w.vehicle(b, sale_date=date(2025, 1, 1))  # first service due April 2025: overdue and lapsed
    return w


async def test_a_week_of_two_stores_answers_each_store_s_figures(start_service, token):
    a, b = new_store(), new_store()
    w = week_of_two_stores(a, b)
    async with start_service("crm", clock=FixedClock(at(8)), run_reminder_loop=False) as svc:
        await add_records(svc, w.group, *w.records)
        async with svc.runtime.sessions() as s, s.begin():
            s.add_all(w.visits)
        r = await svc.client.get("/figures", headers=token(Role.GROUP_ANALYST, group=w.group), params=WEEK)
        assert r.status_code == 200, r.text
        got = {(f["store_id"], f["kpi"]): f["value"] for f in r.json()["figures"]}
        kpis = ("follow_up_success_rate", "csi", "severe_complaint_rate", "overdue_not_returned", "lapsed_vehicles")
        # A: 2 delivered, 1 reached (score 5), 1 severe complaint; 2 vehicles overdue, 1 of them lapsed
        assert [got[a, k] for k in kpis] == ["0.5000", "5.00", "0.5000", "2", "1"]
        # B: 1 delivered and reached (score 3), a general complaint; 1 vehicle overdue and lapsed
        assert [got[b, k] for k in kpis] == ["1.0000", "3.00", "0.0000", "1", "1"]

        agent = token(Role.CUSTOMER_CARE, group=w.group, stores=[b])
        mine = await svc.client.get("/figures", headers=agent, params=WEEK)
        assert {f["store_id"] for f in mine.json()["figures"]} == {b}
        assert (await svc.client.get("/figures", headers=agent, params={**WEEK, "store_id": a})).status_code == 403
        assert (await svc.client.get("/figures", headers=token(Role.ADVISOR, group=w.group, stores=[a]),
                                     params=WEEK)).status_code == 403
