"""reception's day of bookings by cursor on real PostgreSQL: every booking once, by slot then id, while
bookings are made between pages; a filter only the domain decides (warranty path) still gives full pages."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from reception.adapters.repository import Appointments
from reception.domain.appointment import Appointment, BookedJob
from shared.auth import Role

from tests.support.factories import new_store
from tests.support.pages import insert as insert_directly
from tests.support.pages import refusal, walk

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 3)


def booking(store: str, hour: int, *, warranty: bool = False, n: str = "") -> Appointment:
    start = datetime(DAY.year, DAY.month, DAY.day, hour, tzinfo=SH)
    return Appointment(id=f"apt-{hour:02}-{n or uuid.uuid4().hex[:6]}", dealer_group_id="dg-test", store_id=store,
                       vehicle_id="v-1", customer_id="c-1", slot_start=start, slot_end=start + timedelta(hours=1),
                       jobs=[BookedJob(description="保养", flat_rate_hours=Decimal(1))], labour_hours=Decimal(1),
                       estimated_total=Decimal(300), warranty_path=warranty, booked_by="adv-1",
                       booked_at=start - timedelta(days=2))


async def test_a_days_bookings_page_by_slot_and_inserts_do_not_shift_pages(start_service, token, clock):
    store = new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        # Three at 10:00 (the id breaks the tie), the rest later; every other one on the warranty path.
        made = [booking(store, h, warranty=i % 2 == 0, n=str(i)) for i, h in enumerate((10, 10, 10, 11, 13, 14))]
        await insert_directly(reception, Appointments, *made)
        expected = [a.id for a in sorted(made, key=lambda a: (a.slot_start, a.id))]
        early, late = [], []

        async def meanwhile(page: int) -> None:
            early.append(booking(store, 8))                          # before the cursor: not to come
            late.append(booking(store, 15 + page, n=str(page)))       # after it: still to come
            await insert_directly(reception, Appointments, early[-1], late[-1])

        params = {"store_id": store, "day": DAY.isoformat()}
        pages = await walk(reception.client, "/appointments", headers=advisor, params=params, between=meanwhile)
        seen = [a["id"] for p in pages for a in p]
        assert seen == expected + [a.id for a in late], seen
        assert len(set(seen)) == len(seen)

        warranty = await walk(reception.client, "/appointments", headers=advisor,
                              params={**params, "warranty_path": True}, limit=2)
        assert [a["id"] for p in warranty for a in p] == [a for a in expected if a.endswith(("-0", "-2", "-4"))]
        assert [len(p) for p in warranty] == [2, 1]

        first = await reception.client.get("/appointments", headers=advisor, params={**params, "limit": 2})
        next_day = await reception.client.get("/appointments", headers=advisor, params={
            **params, "day": (DAY + timedelta(days=1)).isoformat(), "cursor": first.headers["X-Next-Cursor"]})
        assert refusal(next_day, "cursor"), next_day.text
