"""The real parts service, through the gateway (/api/parts/...), with reception and workshop as they run: a
booking at a store with the part in stock reserves it and reception shows the booking's parts ready; a repair
order's part issued by the storekeeper on a signed slip reaches reception's delivery check, whose
reconciliation of planned vs issued then agrees (and parts' own reconciliation too)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest_asyncio

from tests.support.e2e import STORE, login, set_up_shop, walk_in
from tests.support.factories import eventually

SH = ZoneInfo("Asia/Shanghai")


@pytest_asyncio.fixture(scope="module")
async def shop(platform):
    """The workshop's floor (its shifts make the capacity bookings need); its users come with the platform."""
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        await set_up_shop(gw, await login(gw, "ws.sup"))
    return platform


async def stocked_part(gw, pm, quantity: str) -> str:
    """A new part with opening stock in its own bin at the e2e store; answers its part number."""
    tag = uuid.uuid4().hex[:8].upper()
    r = await gw.post("/api/parts/bins", headers=pm, json={"store_id": STORE, "store_room": "E2E", "rack": "01",
                                                           "shelf": "01", "position": tag})
    assert r.status_code == 201, r.text
    part_no = f"E2E-{tag}"
    r = await gw.post("/api/parts/parts", headers=pm, json={
        "store_id": STORE, "part_no": part_no, "name": "前刹车片", "brand": "VW", "retail_price": "320.00",
        "bin_code": r.json()["code"], "opening_quantity": quantity, "opening_cost": "180.00"})
    assert r.status_code == 201, r.text
    return part_no


async def card(gw, who, part_no) -> dict:
    r = await gw.get(f"/api/parts/parts/{STORE}:{part_no}", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_booking_at_a_store_with_stock_reserves_its_parts_and_reception_shows_them_ready(shop):
    async with httpx.AsyncClient(base_url=shop.url("gateway"), timeout=10) as gw:
        advisor, pm = await login(gw, "advisor"), await login(gw, "parts.mgr")
        part_no = await stocked_part(gw, pm, "5")
        ro, _ = await walk_in(gw, advisor)
        tomorrow = (datetime.now(SH) + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)

        async def booked():  # once reception has parts' stock and price, and workshop's capacity
            r = await gw.post("/api/reception/appointments", headers=advisor, json={
                "store_id": STORE, "vehicle_id": ro["vehicle_id"], "slot_start": tomorrow.isoformat(),
                "jobs": [{"description": "更换前刹车片", "flat_rate_hours": "1.0",
                          "parts": [{"part_no": part_no, "quantity": "2"}]}]})
            return r.json() if r.status_code == 201 else None

        booking = await eventually(booked)
        assert booking and booking["parts_status"] == "in_stock", "reception never took the booking with the part"

        async def ready():
            a = (await gw.get(f"/api/reception/appointments/{booking['id']}", headers=advisor)).json()
            return a if a["parts_ready"] else None

        a = await eventually(ready)
        assert a and a["parts_status"] == "reserved", "parts never reserved the booking's part for reception"
        c = await card(gw, pm, part_no)
        assert (Decimal(c["on_hand"]), Decimal(c["reserved"]), Decimal(c["available"])) == (5, 2, 3)


async def test_a_repair_orders_issued_parts_reach_receptions_delivery_check(shop):
    async with httpx.AsyncClient(base_url=shop.url("gateway"), timeout=10) as gw:
        advisor, pm = await login(gw, "advisor"), await login(gw, "parts.mgr")
        keeper = await login(gw, "parts.keeper")
        part_no = await stocked_part(gw, pm, "3")
        ro, _ = await walk_in(gw, advisor)

        async def opened():  # reception prices the part from parts' PartPriceChanged
            r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=advisor, json={
                "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps",
                "signature": {"name": "蔡明", "image_ref": "blob://signatures/e2e-parts.png"},
                "jobs": [{"description": "更换前刹车片", "flat_rate_hours": "1.2", "pay_type": "customer",
                          "parts": [{"part_no": part_no, "quantity": "2"}]}]})
            return r.json() if r.status_code == 200 else None

        order = await eventually(opened)
        assert order, "reception never opened the order with the part"
        job_id = order["jobs"][0]["job_id"]

        async def held_for_the_order():
            got = (await gw.get(f"/api/reception/repair-orders/{ro['id']}", headers=advisor)).json()
            return got if got["parts_availability"].get(part_no, {}).get("status") == "reserved" else None

        got = await eventually(held_for_the_order)
        assert got, "parts never reserved the order's part for reception"
        assert any(f"part {part_no} not reconciled: 2 on the order, 0 issued" in b for b in got["delivery_blockers"])

        async def slip():  # the storekeeper writes the slip for the technician, once parts knows the order
            r = await gw.post("/api/parts/issue-slips", headers=keeper, json={
                "store_id": STORE, "repair_order_id": ro["id"], "job_id": job_id, "technician_id": "ws.tech",
                "lines": [{"part_no": part_no, "quantity": "2"}]})
            return r.json() if r.status_code == 201 else None

        s = await eventually(slip)
        assert s and s["lines"][0]["in_stock_at_request"], s
        r = await gw.post(f"/api/parts/issue-slips/{s['id']}/issue", headers=keeper,
                          json={"old_parts": [{"part_no": part_no, "disposition": "customer"}]})
        assert r.status_code == 409 and "advisor" in r.text, r.text  # no countersigned slip, no parts
        r = await gw.post(f"/api/parts/issue-slips/{s['id']}/sign", headers=advisor, json={})
        assert r.status_code == 200, r.text
        r = await gw.post(f"/api/parts/issue-slips/{s['id']}/issue", headers=keeper,
                          json={"old_parts": [{"part_no": part_no, "disposition": "customer"}]})
        assert r.status_code == 200 and r.json()["state"] == "issued", r.text
        c = await card(gw, keeper, part_no)
        assert (Decimal(c["on_hand"]), Decimal(c["reserved"])) == (1, 0)

        async def reconciled():
            got = (await gw.get(f"/api/reception/repair-orders/{ro['id']}", headers=advisor)).json()
            return got if not any(part_no in b for b in got["delivery_blockers"]) else None

        got = await eventually(reconciled)
        assert got, "reception's delivery check never saw the parts issued"
        assert Decimal(got["parts_issued"][part_no]) == 2
        rec = (await gw.get(f"/api/parts/repair-orders/{ro['id']}/reconciliation", headers=advisor)).json()
        assert rec["agrees"] and [(ln["part_no"], Decimal(ln["planned"]), Decimal(ln["net_issued"]))
                                  for ln in rec["lines"]] == [(part_no, 2, 2)], rec
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the store's local day
        answer = (await gw.get("/api/parts/figures", headers=pm, params={
            "date_from": today, "date_to": today, "granularity": "day", "store_id": STORE})).json()
        figures = {f["kpi"]: f for f in answer["figures"]}
        assert figures["parts_fill_rate"]["denominator"] is not None, answer
        assert Decimal(figures["parts_fill_rate"]["denominator"]) >= 1, answer
        assert Decimal(figures["parts_cost_issued"]["value"]) >= Decimal("360.00"), answer
