"""A dealer group with stores and users made through the gateway's organisation API, and one store's
records from a small lifecycle driven through the gateway (customer, vehicles, a booking, a delivered
repair order and its follow-up call, an open warranty order with a finding, parts, claims, a complaint):
what the tenancy tests (tests/e2e/test_tenancy.py) then try to reach from elsewhere."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from shared.auth import GROUP_WIDE_ROLES, Role

from tests.support.e2e import PASSWORD, complete_and_check, job_path, ready_to_invoice
from tests.support.factories import eventually, new_phone, new_vin

SH = ZoneInfo("Asia/Shanghai")
STORE_ROLES = sorted(r.value for r in Role if r not in GROUP_WIDE_ROLES)
HOURS = [{"day": d, "opens": "08:30", "closes": "18:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]


class RetryAfter(httpx.AsyncBaseTransport):
    """A client as the gateway's rate limits expect one (per user, per group, logins per address): a 429
    is refused before any effect, so wait its Retry-After and send the same request again."""

    def __init__(self, attempts: int = 30) -> None:
        self.inner, self.attempts = httpx.AsyncHTTPTransport(), attempts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.attempts):
            response = await self.inner.handle_async_request(request)
            if response.status_code != 429:
                return response
            await response.aread()
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def gateway_client(platform) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=platform.url("gateway"), timeout=60, transport=RetryAfter())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token(gw: httpx.AsyncClient, username: str) -> str:
    r = await gw.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, f"{username}: {r.text}"
    return r.json()["access_token"]


async def ok(r: httpx.Response | asyncio.Future, *codes: int) -> dict:
    r = await r if not isinstance(r, httpx.Response) else r
    assert r.status_code in (codes or (200, 201)), f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text}"
    return r.json()


async def open_group(gw: httpx.AsyncClient, admin: str, name: str, stores: list[str]) -> dict[str, str]:
    """The group's record and its stores, opened by its administrator (a store already open stays)."""
    h = bearer(await token(gw, admin))
    await ok(gw.put("/org/group", headers=h, json={"name": name}))
    for s in stores:
        await ok(gw.post("/org/stores", headers=h, json={
            "store_id": s, "name": f"{name} {s}", "brand": "VW", "city": "上海", "time_zone": "Asia/Shanghai",
            "opening_hours": HOURS}), 201, 409)
    return h


async def add_users(gw: httpx.AsyncClient, admin: dict[str, str], users: dict[str, tuple[list[str], list[str]]]):
    """username -> (roles, stores), through POST /org/users, all at once."""
    await asyncio.gather(*(ok(gw.post("/org/users", headers=admin, json={
        "username": u, "password": PASSWORD, "roles": roles, "store_ids": stores}), 201)
        for u, (roles, stores) in users.items()))


def store_staff(tag: str, store: str) -> dict[str, tuple[list[str], list[str]]]:
    """A store's floor: its manager, two technicians, a team leader, a QC inspector, a parts manager."""
    return {f"t.{tag}.{who}": ([role], [store]) for who, role in STAFF.items()}


STAFF = {"mgr": "service_manager", "tech": "technician", "tech2": "technician", "lead": "team_leader",
         "qc": "qc_inspector", "pm": "parts_manager"}


@dataclass
class Seeded:
    """One store's records: ids by the name routes give them, and the strings only its data holds."""

    store: str
    tag: str
    ids: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    group_secrets: set[str] = field(default_factory=set)
    """Of the secrets, the group records' (customer, vehicles): every store of the group reads them."""

    def keep(self, name: str, value: str, *, group: bool = False) -> str:
        self.ids[name] = value
        self.secrets.add(value)
        if group:
            self.group_secrets.add(value)
        return value


async def seed_store(gw: httpx.AsyncClient, tag: str, store: str) -> Seeded:
    """Drive a small lifecycle at `store` as its staff (store_staff(tag, store)) through the gateway."""
    s = Seeded(store, tag)
    h = dict(zip(STAFF, [bearer(t) for t in await asyncio.gather(*(token(gw, f"t.{tag}.{who}") for who in STAFF))],
                 strict=True))
    await asyncio.gather(set_up_floor(gw, s, tag, h["mgr"]), customer_and_vehicles(gw, s, tag, h["mgr"]))
    ro_delivered, (ro_open, job), _, _ = await asyncio.gather(
        delivered_order(gw, s, h), warranty_order(gw, s, h), booking(gw, s, h["mgr"]), complaint(gw, s, h["mgr"]))
    await asyncio.gather(parts_room(gw, s, h, ro_open, job), insurance_claim(gw, s, h["mgr"]),
                         follow_up(gw, s, h["mgr"], ro_delivered))
    return s


async def set_up_floor(gw, s: Seeded, tag: str, mgr) -> None:
    team, shift, op = f"ten-{tag}-mech", f"ten-{tag}-day", f"TEN-{tag.upper()}-BRK"
    for path, body in [
        (f"teams/{team}", {"name": "机修一组", "leader_id": f"t.{tag}.lead"}),
        (f"technicians/t.{tag}.tech", {"name": "钱技师", "team_id": team, "grade": "mid", "skills": ["mechanical"]}),
        (f"technicians/t.{tag}.tech2", {"name": "孙技师", "team_id": team, "grade": "mid", "skills": ["mechanical"]}),
        (f"bays/ten-lift-{tag}", {"kind": "lift"}),
        (f"shifts/{shift}", {"team_id": team, "weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "08:00:00",
                             "end": "18:00:00", "break_minutes": 60}),
        (f"operations/{op}", {"description": "更换前刹车片", "flat_rate_hours": "1.2", "skill": "mechanical"}),
    ]:
        await ok(gw.put(f"/api/workshop/stores/{s.store}/{path}", headers=mgr, json=body))
    for name, value in [("team_id", team), ("shift_id", shift), ("operation_code", op), ("bay_id", f"ten-lift-{tag}"),
                        ("technician_id", f"t.{tag}.tech"), ("user_id", f"t.{tag}.tech")]:
        s.ids[name] = value  # the codes are the store's own choice, not secrets: another store may use them too


async def customer_and_vehicles(gw, s: Seeded, tag: str, mgr) -> None:
    name = s.keep("customer_name", group=True, value=f"租户{tag}{uuid.uuid4().hex[:6]}")
    phone = s.keep("phone", new_phone(), group=True)
    c = await ok(gw.post("/api/crm/customers", headers=mgr, json={"store_id": s.store, "name": name,
                                                                   "phones": [phone]}), 201)
    s.keep("customer_id", c["id"], group=True)
    for n in ("1", "2"):
        vin = s.keep(f"vin{n}", new_vin(), group=True)
        v = await ok(gw.post("/api/crm/vehicles", headers=mgr, json={
            "store_id": s.store, "vin": vin, "owner_customer_id": c["id"], "plate": f"沪T{tag.upper()}00{n}"}), 201)
        s.keep(f"vehicle{n}", v["id"], group=True)

    async def replicated():  # reception checks cars in by crm's record
        got = await asyncio.gather(*(gw.get("/api/reception/vehicles", params={"vin": s.ids[f"vin{n}"]},
                                            headers=mgr) for n in ("1", "2")))
        return all(r.status_code == 200 for r in got)

    assert await eventually(replicated), "reception never got crm's vehicles"
    s.ids["vehicle_id"], s.ids["vin"] = s.ids["vehicle1"], s.ids["vin1"]


async def check_in(gw, s: Seeded, mgr, n: str, jobs: list[dict]) -> dict:
    ro = await ok(gw.post("/api/reception/check-ins", headers=mgr, json={
        "store_id": s.store, "vehicle_id": s.ids[f"vehicle{n}"], "vin": s.ids[f"vin{n}"], "odometer_km": 20100,
        "covers_fitted": True, "customer_complaint": "刹车异响"}), 201)
    return await ok(gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=mgr, json={
        "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps", "wash": n == "1",
        "signature": {"name": s.ids["customer_name"], "image_ref": "blob://signatures/tenancy.png"}, "jobs": jobs}))


async def delivered_order(gw, s: Seeded, h) -> str:
    """Worked through the three checks and the wash, invoiced and delivered: crm schedules its follow-up."""
    ro = await check_in(gw, s, h["mgr"], "1", [{"description": "front brake pads", "flat_rate_hours": "1.2",
                                                 "pay_type": "customer"}])
    await queued_in_workshop_at(gw, s.store, h["mgr"], ro["id"])
    job = ro["jobs"][0]["job_id"]
    await dispatch_and_start(gw, ro["id"], job, h["mgr"], f"t.{s.tag}.tech", h["tech"])
    await complete_and_check(gw, ro["id"], job, h["tech"], h["lead"], h["qc"])
    await ok(gw.post(f"/api/workshop/work-orders/{ro['id']}/wash", headers=h["mgr"]))
    got = await ready_to_invoice(gw, h["mgr"], ro["id"])
    got = await ok(gw.post(f"/api/reception/repair-orders/{ro['id']}/invoice", headers=h["mgr"],
                           json={"version": got["version"]}))
    await ok(gw.post(f"/api/reception/repair-orders/{ro['id']}/deliver", headers=h["mgr"],
                     json={"version": got["version"], "odometer_out_km": 20110}))
    return s.keep("delivered_ro", ro["id"])


async def warranty_order(gw, s: Seeded, h) -> tuple[str, str]:
    """An open order with a warranty job, started, with a finding (added work): claims opens its claim."""
    ro = await check_in(gw, s, h["mgr"], "2", [{"description": "车窗电机异响", "flat_rate_hours": "1.0",
                                                 "pay_type": "warranty"}])
    ro_id, job = s.keep("ro_id", ro["id"]), s.keep("job_id", ro["jobs"][0]["job_id"])
    await queued_in_workshop_at(gw, s.store, h["mgr"], ro_id)
    await dispatch_and_start(gw, ro_id, job, h["mgr"], f"t.{s.tag}.tech2", h["tech2"])
    f = await ok(gw.post(f"/api/workshop/work-orders/{ro_id}/jobs/{job}/findings", headers=h["tech2"],
                         json={"description": "左前刹车盘磨损"}))
    finding = f.get("finding_id") or f["findings"][-1]["finding_id"]
    s.keep("finding_id", finding)

    async def claim():
        r = await gw.get("/api/claims/warranty-claims", params={"repair_order_id": ro_id}, headers=h["mgr"])
        return r.json() if r.status_code == 200 and r.json() else None

    claims = await eventually(claim)
    assert claims, f"claims never opened the warranty claim of {ro_id}"
    s.keep("warranty_claim_id", claims[0]["id"])
    s.ids["line_no"] = "1"
    return ro_id, job


async def dispatch_and_start(gw, ro_id: str, job_id: str, sup, technician: str, tech) -> None:
    """Dispatched to the technician named (each order of the store has its own), who clocks on."""
    await ok(gw.post(f"{job_path(ro_id, job_id)}/dispatch", headers=sup, json={"technician_id": technician}))
    await ok(gw.post(f"{job_path(ro_id, job_id)}/start", headers=tech, json={}))


async def queued_in_workshop_at(gw, store: str, who, ro_id: str) -> None:
    async def queued():
        b = (await gw.get("/api/workshop/board", params={"store_id": store}, headers=who)).json()
        return next((o for o in b["orders"] if o["repair_order_id"] == ro_id), None)

    assert await eventually(queued), f"workshop never queued {ro_id}"


async def booking(gw, s: Seeded, mgr) -> None:
    slot = (datetime.now(SH) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)

    async def booked():  # once workshop's capacity for the store has reached reception
        r = await gw.post("/api/reception/appointments", headers=mgr, json={
            "store_id": s.store, "vehicle_id": s.ids["vehicle1"], "slot_start": slot.isoformat(),
            "jobs": [{"operation_code": s.ids["operation_code"]}]})
        return r.json() if r.status_code == 201 else None

    a = await eventually(booked)
    assert a, "reception never took the booking"
    s.keep("appointment_id", a["id"])


async def complaint(gw, s: Seeded, mgr) -> None:
    c = await ok(gw.post("/api/crm/complaints", headers=mgr, json={
        "store_id": s.store, "customer_id": s.ids["customer_id"], "channel": "phone", "severity": "general",
        "summary": f"等待时间太长 {s.ids['customer_name']}"}), 201)
    s.keep("complaint_id", c["id"])


async def follow_up(gw, s: Seeded, mgr, ro_id: str) -> None:
    async def scheduled():
        fus = (await gw.get("/api/crm/follow-ups", params={"store_id": s.store}, headers=mgr)).json()
        return next((f for f in fus if f["repair_order_id"] == ro_id), None)

    fu = await eventually(scheduled)
    assert fu, "crm never scheduled the follow-up call of the delivery"
    s.keep("follow_up_id", fu["id"])


async def insurance_claim(gw, s: Seeded, mgr) -> None:
    async def opened():  # once claims knows crm's vehicle
        r = await gw.post("/api/claims/insurance-claims", headers=mgr, json={
            "store_id": s.store, "vehicle_id": s.ids["vehicle2"], "insurer": "平安保险", "policy_number": "PA-001",
            "accident_date": (datetime.now(SH) - timedelta(days=3)).date().isoformat(), "liability": "full",
            "payment_route": "insurer_pays_store"})
        return r.json() if r.status_code == 201 else None

    c = await eventually(opened)
    assert c, "claims never took the insurance claim"
    s.keep("insurance_claim_id", c["id"])


async def parts_room(gw, s: Seeded, h, ro_id: str, job_id: str) -> None:
    """A part in a bin, a signed issue slip for the open order's job, a count, a write-off, a supplier's plan
    ordered, and a receipt."""
    mgr, pm = h["mgr"], h["pm"]
    tag = uuid.uuid4().hex[:8].upper()
    b = await ok(gw.post("/api/parts/bins", headers=pm, json={"store_id": s.store, "store_room": "TEN", "rack": "01",
                                                            "shelf": "01", "position": tag}), 201)
    part_no = s.keep("part_no", f"TEN-{tag}")
    p = await ok(gw.post("/api/parts/parts", headers=pm, json={
        "store_id": s.store, "part_no": part_no, "name": "前刹车片", "brand": "VW", "retail_price": "320.00",
        "bin_code": b["code"], "opening_quantity": "9", "opening_cost": "180.00"}), 201)
    s.keep("part_id", p["id"])
    supplier = await ok(gw.post("/api/parts/suppliers", headers=pm, json={
        "name": f"供应商{tag}", "locality": "local", "payment": "credit"}), 201)
    s.ids["supplier_id"] = supplier["id"]  # a group record: every store of the group buys from it

    async def slip():  # once parts knows the order
        r = await gw.post("/api/parts/issue-slips", headers=mgr, json={
            "store_id": s.store, "repair_order_id": ro_id, "job_id": job_id, "technician_id": s.ids["technician_id"],
            "lines": [{"part_no": part_no, "quantity": "1"}]})
        return r.json() if r.status_code == 201 else None

    sl = await eventually(slip)
    assert sl, "parts never took the issue slip"
    s.keep("slip_id", sl["id"])
    s.ids["repair_order_id"] = ro_id
    count = await ok(gw.post("/api/parts/counts", headers=pm, json={"store_id": s.store, "scope": "daily"}), 201)
    s.keep("count_id", count["id"])
    wo = await ok(gw.post("/api/parts/write-offs", headers=pm, json={
        "store_id": s.store, "reason": "damaged", "cause": "natural", "description": "掉落损坏",
        "cannot_claim_return_or_repair": True, "lines": [{"part_no": part_no, "quantity": "1"}]}), 201)
    s.keep("write_off_id", wo["id"])
    plan = await ok(gw.post("/api/parts/purchase-plans", headers=pm, json={
        "store_id": s.store, "lines": [{"part_no": part_no, "quantity": "4", "supplier_id": supplier["id"]}]}), 201)
    s.keep("plan_id", plan["id"])
    await ok(gw.post(f"/api/parts/purchase-plans/{plan['id']}/review", headers=pm, json={}))
    await ok(gw.post(f"/api/parts/purchase-plans/{plan['id']}/approve", headers=mgr, json={}))
    ordered = await ok(gw.post(f"/api/parts/purchase-plans/{plan['id']}/orders", headers=pm, json={}))
    s.keep("order_id", ordered["order_ids"][0])
    rc = await ok(gw.post("/api/parts/receipts", headers=pm, json={
        "store_id": s.store, "supplier_id": supplier["id"], "purchase_order_id": s.ids["order_id"],
        "buyer_id": "t.buyer",
        "lines": [{"part_no": part_no, "shipped": "4", "received": "4", "unit_cost": "180.00"}]}), 201)
    s.keep("receipt_id", rc["id"])
