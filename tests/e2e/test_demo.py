"""The demo data `./run start --demo` loads (deploy/demo.py), at a small size, into the running platform through
the gateway: weeks of history need business time to move, which the platform's CLOCK_FILE gives. It loads
without a failure, loads a second time without doubling anything, leaves the platform on real time, and the
figures of a demo store have vehicles in on more than one day (not only today); the workshops have today's cars
and reception books on the capacity workshop computed from the demo shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from shared.db import asyncpg_dsn

from deploy import demo, demo_data
from tests.support.factories import eventually

SH = ZoneInfo("Asia/Shanghai")
# Three stores, three working days, two visits each: every kind of visit once at least (deploy/demo_data.KINDS).
SIZE = demo.Size(stores=3, days=3, visits_per_day=2)
COUNTS = {  # (service, table): rows of the demo group
    ("crm", "customers"), ("crm", "vehicles"), ("crm", "follow_ups"), ("crm", "complaints"), ("crm", "call_tasks"),
    ("reception", "repair_orders"), ("reception", "appointments"), ("parts", "parts"), ("parts", "issue_slips"),
    ("claims", "warranty_claims")}


async def counts(platform) -> dict[tuple[str, str], int]:
    out = {}
    for svc, table in sorted(COUNTS):
        conn = await asyncpg.connect(asyncpg_dsn(platform.database_url(svc)))
        try:
            out[svc, table] = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE dealer_group_id = $1",
                                                  demo.GROUP)
        finally:
            await conn.close()
    return out


async def login(gw: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await gw.post("/auth/token", data={"username": user, "password": demo.PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_the_demo_loads_weeks_of_history_twice_without_doubling_and_the_figures_have_days(platform):
    plan = demo_data.plan(SIZE, datetime.now(SH).date())
    visits = [pv for day in plan.days for pv in plan.visits(day)]
    called = [pv for day in plan.days[:-1] for pv in plan.visits(day)]  # the last day's calls are due today
    first = await demo.load_demo(platform, SIZE)
    assert first.failed == [], first.failed
    assert first.visits == len(visits) == SIZE.stores * SIZE.days * SIZE.visits_per_day
    assert first.follow_ups == len(called) > 0
    assert first.complaints == len([pv for pv in called if pv.kind == "complaint"])
    assert not platform.clock_file.exists()  # back on real time
    before = await counts(platform)
    assert before["crm", "customers"] >= 12 * SIZE.stores and before["reception", "repair_orders"] >= first.visits
    assert before["crm", "complaints"] == first.complaints
    assert before["claims", "warranty_claims"] == len([pv for pv in visits if pv.kind == "warranty"])

    again = await demo.load_demo(platform, SIZE)  # the same history, the same keys: nothing new
    assert again.failed == [], again.failed
    assert await counts(platform) == before

    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=30) as gw:
        health = (await gw.get("/health")).json()
        assert abs(datetime.fromisoformat(health["now"]) - datetime.now(UTC)) < timedelta(minutes=1)

        store, days = "s-sh-pd", plan.days
        manager = await login(gw, "manager.pd")
        r = await gw.get("/api/figures", headers=manager, params={
            "date_from": days[0].isoformat(), "date_to": datetime.now(SH).date().isoformat(), "granularity": "day",
            "store_id": store})
        assert r.status_code == 200, r.text
        vehicles_in = {f["period"]: f["value"] for f in r.json()["figures"]
                       if f["kpi"] == "vehicles_in" and f["store_id"] == store and f["value"]}
        assert len(vehicles_in) >= 2, vehicles_in  # history over days, not only today
        revenue_days = [f["period"] for f in r.json()["figures"] if f["kpi"] == "revenue" and f["value"]]
        assert len(revenue_days) >= 2, revenue_days

        sup = await login(gw, "workshop.pd")  # today's cars on the workshop board
        board = (await gw.get("/api/workshop/board", params={"store_id": store}, headers=sup)).json()
        assert any(j["state"] == "in_progress" for o in board["orders"] for j in o["jobs"]), board

        shop = (await gw.get(f"/api/workshop/stores/{store}/shop", headers=sup)).json()
        assert len(shop["coming_days"]) == 14
        for d in shop["coming_days"]:  # Monday to Saturday: 8 hours per technician; Sunday closed
            assert (float(d["technician_hours"]) > 0) == (datetime.fromisoformat(d["day"]).weekday() < 6), d

        advisor = await login(gw, "advisor.pd")  # reception books on that capacity, the operation's kit reserved
        car = next(c for c in plan.cars[store] if c.kind == "lapsed")
        from shared.vin import with_check_digit

        vehicle = (await gw.get("/api/reception/vehicles", params={"vin": with_check_digit(car.vin_stem)},
                                headers=advisor)).json()
        slot = (datetime.now(SH) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
        if slot.weekday() == 6:
            slot += timedelta(days=1)

        async def booked():
            r = await gw.post("/api/reception/appointments", headers=advisor, json={
                "store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": slot.isoformat(),
                "jobs": [{"operation_code": "OIL-CHG"}]})
            return r.json() if r.status_code == 201 else None

        booking = await eventually(booked)
        assert booking, f"reception would not book {slot:%a %Y-%m-%d}"
        assert [p["part_no"] for p in booking["parts"]] == ["G052195M4", "06L115562B"], booking["parts"]
