"""crm's lists by cursor on real PostgreSQL: every complaint once, in order, while complaints are opened
between pages; a cursor reused with other filters, altered, or a limit over the maximum is a 422."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.auth import Role
from shared.clock import FixedClock

from tests.support.factories import new_phone
from tests.support.pages import refusal, walk

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 1, 10, 0, tzinfo=SH)


async def test_complaints_page_by_opening_time_then_id_and_inserts_do_not_shift_pages(start_service, token):
    clock = FixedClock(T0)
    group = f"dg-{uuid.uuid4().hex[:8]}"
    agent = token(Role.CUSTOMER_CARE, stores=["s-001"], group=group)
    async with start_service("crm", clock=clock) as crm:
        c = await crm.client.post("/customers", headers=agent | token(Role.ADVISOR, stores=["s-001"], group=group),
                                  json={"store_id": "s-001", "name": "王伟", "phones": [new_phone()]})
        assert c.status_code == 201, c.text

        async def complain(at: datetime, summary: str) -> str:
            clock.set(at)
            r = await crm.client.post("/complaints", headers=agent, json={
                "store_id": "s-001", "customer_id": c.json()["id"], "channel": "phone", "severity": "general",
                "summary": summary})
            assert r.status_code == 201, r.text
            return r.json()["id"]

        # Two opened in the same minute: the id breaks the tie.
        opened = [(T0 + timedelta(minutes=m), await complain(T0 + timedelta(minutes=m), f"c{i}"))
                  for i, m in enumerate((0, 5, 5, 9, 12))]
        expected = [cid for _, cid in sorted(opened)]
        early, late = [], []

        async def meanwhile(page: int) -> None:
            early.append(await complain(T0 - timedelta(days=1), "before the cursor"))   # not to come: skipped
            late.append(await complain(T0 + timedelta(hours=page), "after everything"))  # still to come: seen

        pages = await walk(crm.client, "/complaints", headers=agent, params={"status": "open"}, between=meanwhile)
        seen = [x["id"] for p in pages for x in p]
        assert seen == expected + late, (seen, expected, late)
        assert not set(seen) & set(early)
        assert [len(p) for p in pages] == [2, 2, 2, 2]  # the last page is full and says so (no Link)

        # One page of everything, for comparison: the same order (the database sorts ids bytewise, C.UTF-8).
        everything = (await crm.client.get("/complaints", headers=agent, params={"status": "open"})).json()
        assert [x["id"] for x in everything] == sorted(early) + expected + late

        first = await crm.client.get("/complaints", headers=agent, params={"status": "open", "limit": 2})
        cursor = first.headers["X-Next-Cursor"]
        other = await crm.client.get("/complaints", headers=agent, params={"status": "closed", "cursor": cursor})
        assert refusal(other, "cursor"), other.text
        altered = await crm.client.get("/complaints", headers=agent,
                                       params={"status": "open", "cursor": cursor[:-2] + "xx"})
        assert refusal(altered, "cursor"), altered.text
        elsewhere = await crm.client.get("/follow-ups", headers=agent, params={"status": "open", "cursor": cursor})
        assert refusal(elsewhere, "cursor"), elsewhere.text
        too_many = await crm.client.get("/complaints", headers=agent, params={"limit": 501})
        assert refusal(too_many, "limit"), too_many.text
        assert (await crm.client.get("/complaints", headers=agent, params={"limit": 500})).status_code == 200
