"""A vehicle's repair orders and bookings (a vehicle's history reads them): at the caller's stores only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from reception.adapters.repository import Appointments, RepairOrders
from reception.domain.appointment import Appointment, BookedJob
from reception.domain.repair_order import CheckInSheet, RepairOrder
from shared.auth import Role

from tests.support.factories import add_records, new_store, new_vin

NOW = datetime.now(UTC).replace(microsecond=0)


def order(store: str, vehicle: str, days_ago: int) -> RepairOrder:
    sheet = CheckInSheet(vin=new_vin(), odometer_km=1000, covers_fitted=True, customer_complaint="异响",
                         checked_in_at=NOW - timedelta(days=days_ago))
    return RepairOrder(id=str(uuid.uuid4()), dealer_group_id="dg-test", store_id=store, vehicle_id=vehicle,
                       customer_id="c1", advisor_id="adv", check_in=sheet, state="open",
                       opened_at=sheet.checked_in_at + timedelta(minutes=20))


def booking(store: str, vehicle: str, in_days: int) -> Appointment:
    start = NOW + timedelta(days=in_days)
    return Appointment(id=str(uuid.uuid4()), dealer_group_id="dg-test", store_id=store, vehicle_id=vehicle,
                       customer_id="c1", slot_start=start, slot_end=start + timedelta(hours=1),
                       jobs=[BookedJob(description="oil change", flat_rate_hours=Decimal(1))],
                       labour_hours=Decimal(1), estimated_total=Decimal(300), booked_by="adv", booked_at=NOW)


async def test_a_vehicles_orders_and_bookings_in_time_order_at_the_callers_stores(start_service, token):
    mine, other, vehicle = new_store(), new_store(), f"v-{uuid.uuid4().hex[:8]}"
    old, recent = order(mine, vehicle, 400), order(mine, vehicle, 3)
    later, sooner = booking(mine, vehicle, 9), booking(mine, vehicle, 2)
    async with start_service("reception") as reception:
        await add_records(reception, "dg-test", *[(RepairOrders, x) for x in (
            recent, old, order(other, vehicle, 1), order(mine, "v-other", 1))])
        await add_records(reception, "dg-test", *[(Appointments, x) for x in (
            later, sooner, booking(other, vehicle, 1))])
        advisor = token(Role.ADVISOR, stores=[mine])
        r = await reception.client.get(f"/vehicles/{vehicle}/repair-orders", headers=advisor)
        assert r.status_code == 200, r.text
        assert [o["id"] for o in r.json()] == [old.id, recent.id]
        assert r.json()[0]["estimate"]["total"] is not None and r.json()[0]["state"] == "open"
        r = await reception.client.get(f"/vehicles/{vehicle}/appointments", headers=advisor)
        assert r.status_code == 200, r.text
        assert [a["id"] for a in r.json()] == [sooner.id, later.id]
        # A group role sees every store's visits of the vehicle.
        group = token(Role.GROUP_ANALYST)
        assert len((await reception.client.get(f"/vehicles/{vehicle}/repair-orders", headers=group)).json()) == 3
        assert len((await reception.client.get(f"/vehicles/{vehicle}/appointments", headers=group)).json()) == 3
