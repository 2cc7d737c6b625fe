"""The demo data `./run start` loads (deploy/demo.py), loaded into the running platform through the gateway:
it loads, loads twice, and leaves a store reception can book in for the coming two weeks, on the capacity
workshop computed from the demo shifts (nobody typed capacity in)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from shared.vin import with_check_digit

from deploy import demo, demo_workshop
from tests.support.factories import eventually

SH = ZoneInfo("Asia/Shanghai")


async def demo_login(gw: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await gw.post("/auth/token", data={"username": user, "password": demo.PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_the_demo_loads_twice_and_reception_books_on_the_shifts_capacity(platform):
    await demo.load_demo(platform)
    await demo.load_demo(platform)  # safe to run twice
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        for store, sup in demo_workshop.SUPERVISORS.items():
            shop = (await gw.get(f"/api/workshop/stores/{store}/shop", headers=await demo_login(gw, sup))).json()
            days = shop["coming_days"]
            assert len(days) == 14, store
            for d in days:  # Monday to Saturday: 8 hours per technician; Sunday closed
                working = datetime.fromisoformat(d["day"]).weekday() < 6
                assert (float(d["technician_hours"]) > 0) == working, (store, d)

        store, advisor = "s-sh-pd", await demo_login(gw, "advisor.pd")
        vin = next(v for _, _, s, v, *_ in demo.CUSTOMERS if s == store)
        r = await gw.get("/api/reception/vehicles", params={"vin": with_check_digit(vin)}, headers=advisor)
        assert r.status_code == 200, r.text
        vehicle_id = r.json()["vehicle_id"]
        today = datetime.now(SH).replace(hour=10, minute=0, second=0, microsecond=0)
        working = [today + timedelta(days=n) for n in range(1, 14) if (today + timedelta(days=n)).weekday() < 6]
        for slot in (working[0], working[-1]):  # the first and the last working day of the window

            async def booked(slot=slot):
                r = await gw.post("/api/reception/appointments", headers=advisor, json={
                    "store_id": store, "vehicle_id": vehicle_id, "slot_start": slot.isoformat(),
                    "jobs": [{"operation_code": "OIL-CHG"}]})
                return r.json() if r.status_code == 201 else None

            booking = await eventually(booked)
            assert booking, f"reception would not book {slot:%a %Y-%m-%d} at {store}"
            assert [p["part_no"] for p in booking["parts"]] == ["G052195M4", "06L115562B"], booking["parts"]
