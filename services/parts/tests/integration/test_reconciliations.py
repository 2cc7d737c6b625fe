"""Planned vs issued vs returned for several repair orders at once (a vehicle's history reads them)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from parts.adapters.repository import RepairOrderCopies
from parts.domain.issuing import JobCopy, RepairOrderCopy
from shared.auth import Role
from shared.contracts.common import PartLine, PayType

from tests.support.factories import add_records, new_store


def copy(store: str, issued: str = "0") -> RepairOrderCopy:
    job = JobCopy(job_id="j1", description="brake pads", pay_type=PayType.CUSTOMER,
                  parts=[PartLine(part_no="PAD-F", quantity=Decimal(1))])
    return RepairOrderCopy(id=str(uuid.uuid4()), dealer_group_id="dg-test", store_id=store, number="RO-1", open=True,
                           jobs=[job], issued={"PAD-F": Decimal(issued)} if issued != "0" else {})


async def test_each_named_order_of_the_callers_stores_with_its_lines(start_service, token):
    mine, other = new_store(), new_store()
    done, pending, elsewhere = copy(mine, issued="1"), copy(mine), copy(other, issued="1")
    async with start_service("parts") as parts:
        await add_records(parts, "dg-test", *[(RepairOrderCopies, x) for x in (done, pending, elsewhere)])
        r = await parts.client.get("/reconciliations", headers=token(Role.ADVISOR, stores=[mine]), params=[
            ("repair_order_id", done.id), ("repair_order_id", pending.id), ("repair_order_id", elsewhere.id)])
        assert r.status_code == 200, r.text
        got = {x["repair_order_id"]: x for x in r.json()}
        assert set(got) == {done.id, pending.id}
        assert got[done.id]["agrees"] is True and Decimal(got[done.id]["lines"][0]["issued"]) == 1
        assert got[pending.id]["agrees"] is False and Decimal(got[pending.id]["lines"][0]["issued"]) == 0
        assert (await parts.client.get("/reconciliations", headers=token(Role.ADVISOR, stores=[mine]))).status_code \
            == 422
