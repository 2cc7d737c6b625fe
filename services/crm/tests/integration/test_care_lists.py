"""The care lists a vehicle's history and a store's board read: follow-ups and complaints by vehicle, the
complaints not yet closed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crm.adapters.repository import Complaints, FollowUps
from crm.domain.complaint import Complaint, ComplaintStatus
from crm.domain.follow_up import FollowUp
from shared.auth import Role

from tests.support.factories import add_records, new_store

NOW = datetime.now(UTC).replace(microsecond=0)


def follow_up(store: str, vehicle: str) -> FollowUp:
    return FollowUp(id=str(uuid.uuid4()), dealer_group_id="dg-test", store_id=store, repair_order_id=str(uuid.uuid4()),
                    customer_id="c1", vehicle_id=vehicle, advisor_id="adv", delivered_at=NOW,
                    due_from=NOW + timedelta(days=1), due_to=NOW + timedelta(days=3))


def complaint(store: str, vehicle: str, status: ComplaintStatus = ComplaintStatus.OPEN) -> Complaint:
    return Complaint(id=str(uuid.uuid4()), dealer_group_id="dg-test", store_id=store, customer_id="c1",
                     vehicle_id=vehicle, channel="phone", severity="general", summary="waited too long",
                     opened_at=NOW, status=status)


async def test_follow_ups_and_complaints_of_a_vehicle_and_the_complaints_still_open(start_service, token):
    store, other, vehicle = new_store(), new_store(), f"v-{uuid.uuid4().hex[:8]}"
    mine = follow_up(store, vehicle)
    open_one, closed_one = complaint(store, vehicle), complaint(store, vehicle, ComplaintStatus.CLOSED)
    resolved = complaint(store, "v-other", ComplaintStatus.RESOLVED)
    async with start_service("crm") as crm:
        await add_records(crm, "dg-test", *[(FollowUps, x) for x in (
            mine, follow_up(store, "v-other"), follow_up(other, vehicle))])
        await add_records(crm, "dg-test", *[(Complaints, x) for x in (
            open_one, closed_one, resolved, complaint(other, vehicle))])
        care = token(Role.CUSTOMER_CARE, stores=[store])
        r = await crm.client.get("/follow-ups", params={"vehicle_id": vehicle}, headers=care)
        assert r.status_code == 200, r.text
        assert [f["id"] for f in r.json()] == [mine.id]
        r = await crm.client.get("/complaints", params={"vehicle_id": vehicle}, headers=care)
        assert sorted(c["id"] for c in r.json()) == sorted([open_one.id, closed_one.id])
        r = await crm.client.get("/complaints", params={"store_id": store, "closed": "false"}, headers=care)
        assert sorted(c["id"] for c in r.json()) == sorted([open_one.id, resolved.id])
        r = await crm.client.get("/complaints", params={"store_id": store, "closed": "true"}, headers=care)
        assert [c["id"] for c in r.json()] == [closed_one.id]


async def test_the_follow_up_list_says_whom_to_call_about_which_car_and_nothing_of_another_group(start_service, token):
    from crm.adapters.repository import Customers, Vehicles
    from crm.domain.model import Customer, Vehicle

    from tests.support.factories import new_vin

    store = new_store()
    wang = Customer.register(dealer_group_id="dg-test", store_id=store, kind="person", name="王伟",
                             phones=["13800138000"])
    car = Vehicle.register(dealer_group_id="dg-test", store_id=store, vin=new_vin(), owner_customer_id=wang.id,
                           plate="沪a12345")
    stranger = Customer.register(dealer_group_id="dg-other", store_id="s-x", kind="person", name="外人",
                                 phones=["13900139000"])
    known = follow_up(store, car.id).model_copy(update={"customer_id": wang.id})
    foreign = follow_up(store, "v-gone").model_copy(update={"customer_id": stranger.id})
    async with start_service("crm") as crm:
        by = {"created_by": "test"}
        await add_records(crm, "dg-test", (Customers, wang, by), (Vehicles, car, by), (FollowUps, known),
                          (FollowUps, foreign))
        await add_records(crm, "dg-other", (Customers, stranger, by))
        r = await crm.client.get("/follow-ups", params={"store_id": store},
                                 headers=token(Role.CUSTOMER_CARE, stores=[store]))
        assert r.status_code == 200, r.text
        by_id = {f["id"]: f for f in r.json()}
        assert {k: by_id[known.id][k] for k in ("customer_name", "phones", "plate")} == {
            "customer_name": "王伟", "phones": ["13800138000"], "plate": "沪A12345"}
        assert {k: by_id[foreign.id][k] for k in ("customer_name", "phones", "plate")} == {
            "customer_name": None, "phones": [], "plate": None}
