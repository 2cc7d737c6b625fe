"""The work orders of several repair orders at once (a vehicle's history reads them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.auth import Role
from workshop.adapters.repository import WorkOrders
from workshop.domain.work_order import WorkOrder

from tests.support.factories import add_records, new_store

NOW = datetime.now(UTC)


def order(store: str, promised_in_hours: int) -> WorkOrder:
    ro = str(uuid.uuid4())
    return WorkOrder(id=ro, dealer_group_id="dg-test", store_id=store, number=f"RO-{ro[:6]}", vehicle_id="v1",
                     promised_at=NOW + timedelta(hours=promised_in_hours), opened_at=NOW)


async def test_the_orders_named_earliest_promise_first_and_none_of_another_store(start_service, token):
    mine, other = new_store(), new_store()
    late, soon, not_asked, elsewhere = order(mine, 8), order(mine, 2), order(mine, 1), order(other, 1)
    async with start_service("workshop") as ws:
        await add_records(ws, "dg-test", *[(WorkOrders, x) for x in (late, soon, not_asked, elsewhere)])
        r = await ws.client.get("/work-orders", headers=token(Role.ADVISOR, stores=[mine]), params=[
            ("repair_order_id", late.id), ("repair_order_id", soon.id), ("repair_order_id", elsewhere.id),
            ("repair_order_id", "no-such-order")])
        assert r.status_code == 200, r.text
        assert [o["id"] for o in r.json()] == [soon.id, late.id]
        assert r.json()[0]["number"] == soon.number and r.json()[0]["jobs"] == []
        # At least one order is named, and at most 200.
        assert (await ws.client.get("/work-orders", headers=token(Role.ADVISOR, stores=[mine]))).status_code == 422
        too_many = [("repair_order_id", str(n)) for n in range(201)]
        r = await ws.client.get("/work-orders", params=too_many, headers=token(Role.ADVISOR, stores=[mine]))
        assert r.status_code == 422
