"""A service visit's lifecycles end to end, through the gateway only, on the whole platform as processes (real
Kafka and PostgreSQL, the manufacturer simulator as the manufacturer). Each test works in a store of its own
group, opened through the gateway's store API by the group administrator, sends one W3C trace context on every
call, and checks at the end: the state every service shows (the gateway's composed queries), the events on
Kafka (each exactly once, in order per aggregate: tests/support/event_log.py), all of them in that one trace.

The platform runs on the real clock (its processes have no clock to move), so the steps that wait for time are
checked as far as today allows: a follow-up opens the day after pickup (completing it now is refused, naming
when it opens; the unanswered attempts in different windows are crm's integration tests), a booking's call one
hour before its slot needs the store open within the hour, declined work is offered again a month on (the call
task is checked for its date)."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest_asyncio
from gateway.users import upsert_users

from deploy import demo_lifecycles as lc
from deploy.demo_lifecycles import complete_and_check, dispatch_and_start, follow_up_of, job, settle_and_deliver
from tests.support.e2e import PASSWORD
from tests.support.event_log import check_lifecycle, wait_for_events
from tests.support.factories import eventually, new_phone, new_vin

SH = ZoneInfo("Asia/Shanghai")
GROUP, STORE = "dg-life", "s-life"
SIGNATURE = {"name": "孙丽", "image_ref": "blob://signatures/life.png"}
ROOT = Path(__file__).resolve().parents[2]
# The store's people, created by the group administrator through the gateway once the store is open.
PEOPLE = {"advisor": "advisor", "care": "customer_care", "pm": "parts_manager", "keeper": "parts_clerk",
          "sup": "workshop_supervisor", "tech": "technician", "leader": "team_leader", "qc": "qc_inspector",
          "mgr": "service_manager", "warranty": "warranty_specialist", "insurance": "insurance_clerk",
          "gm": "general_manager"}


TOKENS: dict[str, dict[str, str]] = {}  # one login per person for the module: the gateway limits logins per address


def Visit(gw: httpx.AsyncClient) -> lc.Visit:
    """One lifecycle's client (deploy/demo_lifecycles.py): every call through the gateway as the store's people
    (life.<who>), all in one trace (the test is its root span)."""
    return lc.Visit(gw, username=lambda who: f"life.{who}", password=PASSWORD, tokens=TOKENS)


@pytest_asyncio.fixture(scope="module")
async def store(platform):
    """The group's administrator (the one bootstrap user) opens the store through the gateway and creates its
    people; the workshop supervisor sets up the floor."""
    await upsert_users(platform.database_url("gateway"), [dict(
        username="life.admin", password=PASSWORD, dealer_group_id=GROUP, roles=["group_admin"], store_ids=[])])
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        r = await gw.post("/auth/token", data={"username": "life.admin", "password": PASSWORD})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = await gw.post("/org/stores", headers=admin, json={
            "store_id": STORE, "name": "苏州工业园区店", "brand": "VW", "city": "苏州"})
        assert r.status_code in (201, 409), r.text
        for name, role in PEOPLE.items():
            r = await gw.post("/org/users", headers=admin, json={
                "username": f"life.{name}", "password": PASSWORD, "roles": [role], "store_ids": [STORE]})
            assert r.status_code in (201, 409), r.text
        v = Visit(gw)
        for path, body in [
            ("teams/life-mech", {"name": "机修二组", "leader_id": "life.leader"}),
            ("technicians/life.tech", {"name": "周技师", "team_id": "life-mech", "grade": "mid",
                                       "skills": ["mechanical"]}),
            ("bays/lift-1", {"kind": "lift"}),
            ("shifts/life-day", {"team_id": "life-mech", "weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "08:00:00",
                                 "end": "18:00:00", "break_minutes": 60}),
        ]:
            await v.call("sup", "PUT", f"/api/workshop/stores/{STORE}/{path}", json=body)
    return platform


@pytest_asyncio.fixture(scope="module")
async def manufacturer(store):
    """The manufacturer simulator on the platform's Kafka (plain listener: the e2e broker has no SASL one),
    answering only claims sent from now on."""
    log = store.state_dir / "lifecycle-simulator.log"
    out = log.open("wb")  # the simulator's output, read below for its ready line
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "deploy/manufacturer_simulator.py"), "--bootstrap", store.kafka_bootstrap,
        "--group", "e2e.lifecycle.manufacturer", "--from-latest",
        stdout=out, stderr=asyncio.subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while b"manufacturer-simulator: ready" not in log.read_bytes():
            assert proc.returncode is None and time.monotonic() < deadline, log.read_text(errors="replace")
            await asyncio.sleep(0.3)
        yield store
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
        out.close()


# -- steps the lifecycles share -------------------------------------------------------------------------
async def known_car(v: lc.Visit, *, warranty: bool = False, insurance: bool = False) -> dict:
    """A customer and vehicle crm registers (customer care's records) and reception knows (its replicas)."""
    c = await v.post("care", "/api/crm/customers", {"store_id": STORE, "name": "孙丽", "phones": [new_phone()]},
                     expect=201)
    today = datetime.now(SH).date()
    body = {"store_id": STORE, "vin": new_vin(), "owner_customer_id": c["id"], "plate": "苏E12345",
            "model": "Tiguan L", "odometer_km": 15000}
    if warranty:
        body |= {"sale_date": (today - timedelta(days=400)).isoformat(),
                 "warranty_start": (today - timedelta(days=400)).isoformat(), "warranty_years": 3,
                 "warranty_km": 100000}
    if insurance:
        body |= {"insurer": "中国人保", "insurance_policy_no": "PICC-2026-0001",
                 "insurance_expiry": (today + timedelta(days=200)).isoformat()}
    veh = await v.post("care", "/api/crm/vehicles", body, expect=201)
    await v.until("advisor", f"/api/reception/vehicles/{veh['id']}", lambda _: True)
    return {"customer_id": c["id"], "vehicle_id": veh["id"], "vin": veh["vin"]}


async def check_in(v: lc.Visit, car: dict, appointment_id: str | None = None) -> dict:
    return await lc.check_in(v, STORE, car, appointment_id=appointment_id)


async def open_order(v: lc.Visit, ro: dict, jobs: list[dict], **more) -> dict:
    return await lc.open_order(v, ro, jobs, signature=SIGNATURE, **more)


async def stocked_part(v: lc.Visit, quantity: str) -> str:
    tag = secrets.token_hex(4).upper()
    b = await v.post("pm", "/api/parts/bins", {"store_id": STORE, "store_room": "LIFE", "rack": "01", "shelf": "01",
                                               "position": tag}, expect=201)
    part_no = f"LIFE-{tag}"
    await v.post("pm", "/api/parts/parts", {
        "store_id": STORE, "part_no": part_no, "name": "前刹车片", "brand": "VW", "retail_price": "320.00",
        "bin_code": b["code"], "opening_quantity": quantity, "opening_cost": "180.00"}, expect=201)
    return part_no


async def kafka(v: lc.Visit, platform, expected: dict[str, list[str]]) -> dict[str, list[str]]:
    seen = await wait_for_events(platform.kafka_bootstrap, expected)
    return check_lifecycle(seen, expected, trace_id=v.trace_id)


def tomorrow_at(hour: int) -> datetime:
    return (datetime.now(SH) + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


# -- 2. the full path ------------------------------------------------------------------------------------
async def test_the_full_path_from_booking_to_follow_up(store):
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        part_no = await stocked_part(v, "4")
        car = await known_car(v)

        async def booked():
            r = await gw.post("/api/reception/appointments", headers=await v.as_("advisor"), json={
                "store_id": STORE, "vehicle_id": car["vehicle_id"], "slot_start": tomorrow_at(10).isoformat(),
                "jobs": [{"description": "更换前刹车片", "flat_rate_hours": "1.0",
                          "parts": [{"part_no": part_no, "quantity": "2"}]}]})
            return r.json() if r.status_code == 201 else None

        booking = await eventually(booked)
        assert booking, "reception never took the booking (capacity, the part's stock or price not arrived)"
        await v.until("advisor", f"/api/reception/appointments/{booking['id']}", lambda a: a["parts_ready"])

        ro = await check_in(v, car, booking["id"])
        order = await open_order(v, ro, [{"description": "更换前刹车片", "flat_rate_hours": "1.2",
                                          "pay_type": "customer", "parts": [{"part_no": part_no, "quantity": "2"}]}])
        ro_id, job_id = ro["id"], order["jobs"][0]["job_id"]
        await dispatch_and_start(v, ro_id, job_id)

        async def slip():
            r = await gw.post("/api/parts/issue-slips", headers=await v.as_("keeper"), json={
                "store_id": STORE, "repair_order_id": ro_id, "job_id": job_id, "technician_id": "life.tech",
                "lines": [{"part_no": part_no, "quantity": "2"}]})
            return r.json() if r.status_code == 201 else None

        s = await eventually(slip)
        assert s, "parts never knew the order"
        await v.post("advisor", f"/api/parts/issue-slips/{s['id']}/sign")
        await v.post("keeper", f"/api/parts/issue-slips/{s['id']}/issue",
                     {"old_parts": [{"part_no": part_no, "disposition": "customer"}]})

        await v.post("tech", f"{job(ro_id, job_id)}/findings", {
            "description": "前刹车盘磨损超限", "safety_related": True, "estimated_hours": "0.8"})
        got = await v.until("advisor", f"/api/reception/repair-orders/{ro_id}",
                            lambda o: any(f["status"] == "pending" for f in o["findings"]))
        finding = next(f for f in got["findings"] if f["status"] == "pending")
        approved = await v.post("advisor", f"/api/reception/repair-orders/{ro_id}/added-work/"
                                f"{finding['finding_id']}/decision", {"version": got["version"], "decision": "approve"})
        added = next(j["job_id"] for j in approved["jobs"] if j["job_id"] != job_id)

        await complete_and_check(v, ro_id, job_id)
        await dispatch_and_start(v, ro_id, added)
        await complete_and_check(v, ro_id, added)
        sheet, delivered = await settle_and_deliver(v, ro_id)
        assert delivered["state"] == "delivered"
        assert Decimal(sheet["customer_total"]) > 0

        fu = await follow_up_of(v, ro_id, car["customer_id"])
        # The follow-up opens the day after pickup (1-3 days): a call now is refused, naming when it opens.
        r = await gw.post(f"/api/crm/follow-ups/{fu['id']}/complete", headers=await v.as_("care"), json={
            "version": fu["version"], "called_at": datetime.now(SH).isoformat(), "satisfaction": 5,
            "next_service_date": (date.today() + timedelta(days=180)).isoformat()})
        assert r.status_code == 409 and "due_from" in r.text, r.text

        status = await v.get("mgr", f"/api/repair-orders/{ro_id}/status")
        assert status["partial"] is False and status["order"]["state"] == "delivered"
        assert all(j["state"] == "done" or j["checks"] for j in status["workshop"]["jobs"])
        assert status["workshop"]["washed"] is True and status["parts"]["agrees"] is True
        assert status["claims"] == []

        await kafka(v, store, {
            booking["id"]: ["AppointmentBooked", "PartsReserved"],
            ro_id: ["VehicleCheckedIn", "RepairOrderOpened", "JobDispatched", "PartsIssued", "AdditionalWorkFound",
                    "AdditionalWorkApproved", "JobCompleted", *["InspectionPassed"] * 3, "JobDispatched",
                    "JobCompleted", *["InspectionPassed"] * 3, "VehicleWashed", "VehicleReadyForPickup",
                    "RepairOrderInvoiced", "VehicleDelivered"],
            fu["id"]: ["FollowUpScheduled"],
        })


# -- 3. the same with a warranty line ---------------------------------------------------------------------
async def test_a_warranty_line_is_claimed_decided_by_the_manufacturer_and_paid(manufacturer):
    store = manufacturer
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        car = await known_car(v, warranty=True)
        ro = await check_in(v, car)
        order = await open_order(v, ro, [
            {"description": "更换前刹车片", "flat_rate_hours": "1.0", "pay_type": "customer"},
            {"description": "变速箱异响检修", "flat_rate_hours": "1.5", "pay_type": "warranty"}])
        ro_id = ro["id"]
        for j in order["jobs"]:
            await dispatch_and_start(v, ro_id, j["job_id"])
            await complete_and_check(v, ro_id, j["job_id"])

        claims = await v.until("warranty", "/api/claims/warranty-claims", lambda cs: len(cs) == 1,
                               repair_order_id=ro_id)
        claim = await v.get("warranty", f"/api/claims/warranty-claims/{claims[0]['id']}")
        claim = await v.post("warranty", f"/api/claims/warranty-claims/{claim['id']}/submit",
                             {"version": claim["version"]})
        decided = await v.until("warranty", f"/api/claims/warranty-claims/{claim['id']}",
                                lambda c: c["state"] == "approved")
        paid = await v.post("warranty", f"/api/claims/warranty-claims/{claim['id']}/payments",
                            {"amount": decided["approved_amount"], "payment_ref": f"OEM-{secrets.token_hex(4)}"})
        assert paid["state"] == "paid" and Decimal(paid["outstanding"]) == 0, paid

        sheet, _ = await settle_and_deliver(v, ro_id)
        warranty_lines = [ln for ln in sheet["lines"] if ln["pay_type"] == "warranty"]
        assert warranty_lines and Decimal(sheet["totals_by_pay_type"]["warranty"]) == Decimal("450.00")
        # The customer pays their own job (1.0 h at 300.00, with VAT) and nothing for the warranty line.
        assert Decimal(sheet["customer_net"]) == Decimal("300.00"), sheet

        status = await v.get("mgr", f"/api/repair-orders/{ro_id}/status")
        assert status["partial"] is False and [c["state"] for c in status["claims"]] == ["paid"], status

        await kafka(v, store, {
            claim["id"]: ["WarrantyClaimOpened", "WarrantyClaimSubmitted", "WarrantyClaimApproved",
                          "WarrantyPaymentReceived"],
            claim["claim_number"]: ["oem.WarrantyClaimSubmitted", "oem.WarrantyClaimDecided"],
            ro_id: ["VehicleCheckedIn", "RepairOrderOpened", "RepairOrderInvoiced", "VehicleDelivered"],
        })


# -- 5. a failed final inspection ---------------------------------------------------------------------------
async def test_a_failed_final_inspection_is_reworked_and_the_first_time_fix_rate_drops(store):
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        today = datetime.now(SH).date().isoformat()
        params = {"date_from": today, "date_to": today, "granularity": "day", "store_id": STORE}

        def rate(figures: dict) -> Decimal | None:
            values = [f["value"] for f in figures["figures"] if f["store_id"] == STORE and f["period"] == today
                      and f["kpi"] == "first_time_fix_rate"]
            return Decimal(str(values[0])) if values and values[0] is not None else None

        car = await known_car(v)
        ro = await check_in(v, car)
        order = await open_order(v, ro, [{"description": "更换前刹车片", "flat_rate_hours": "1.2",
                                          "pay_type": "customer"}])
        ro_id, job_id = ro["id"], order["jobs"][0]["job_id"]
        await dispatch_and_start(v, ro_id, job_id)
        before = rate(await v.get("mgr", "/api/figures", **params))
        wo = await complete_and_check(v, ro_id, job_id, final_passes=False)
        assert next(j for j in wo["jobs"] if j["job_id"] == job_id)["state"] == "rework"
        await v.post("tech", f"{job(ro_id, job_id)}/start")
        await complete_and_check(v, ro_id, job_id)
        after = rate(await v.get("mgr", "/api/figures", **params))
        assert after is not None and (before is None or after < before), (before, after)

        status = await v.get("mgr", f"/api/repair-orders/{ro_id}/status")
        checks = [(c["stage"], c["passed"]) for c in status["workshop"]["jobs"][0]["checks"]]
        assert ("final", False) in checks and checks[-1] == ("final", True), checks

        await kafka(v, store, {ro_id: ["VehicleCheckedIn", "RepairOrderOpened", "JobDispatched", "JobCompleted",
                                       "InspectionPassed", "InspectionPassed", "InspectionFailed", "ReworkStarted",
                                       "JobCompleted", *["InspectionPassed"] * 3]})


# -- 1. a booking with a part missing ---------------------------------------------------------------------
async def test_a_booking_short_of_a_part_is_ready_once_it_arrives_and_is_confirmed_the_day_before(store):
    """The part is missing: the customer waits for it (booked, parts short); the parts room receives and
    shelves it, the booking takes it (PartsReserved) and is ready; the day before, the advisor's list has the
    booking to confirm with the workshop, parts and the customer."""
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        part_no = await stocked_part(v, "0")
        car = await known_car(v)
        slot = tomorrow_at(15)
        body = {"store_id": STORE, "vehicle_id": car["vehicle_id"], "slot_start": slot.isoformat(),
                "jobs": [{"description": "更换前刹车片", "flat_rate_hours": "1.0",
                          "parts": [{"part_no": part_no, "quantity": "2"}]}]}

        async def asked():  # reception knows the part (and its empty stock) and the workshop's capacity
            r = await gw.post("/api/reception/appointments", headers=await v.as_("advisor"), json=body)
            return r if r.status_code == 409 and part_no in r.text else None

        short = await eventually(asked)
        assert short, "reception never knew the part was missing"
        booking = await v.post("advisor", "/api/reception/appointments", body | {
            "parts_decision": "wait", "parts_expected_on": slot.date().isoformat()}, expect=201)
        await v.until("advisor", f"/api/reception/appointments/{booking['id']}",
                      lambda a: a["parts_status"] == "short")

        sup = await v.post("pm", "/api/parts/suppliers", {"name": "上汽配件", "locality": "local",
                                                          "payment": "credit"}, expect=201)
        receipt = await v.post("keeper", "/api/parts/receipts", {
            "store_id": STORE, "supplier_id": sup["id"], "buyer_id": "life.pm",
            "lines": [{"part_no": part_no, "shipped": "2", "received": "2", "unit_cost": "180.00"}]}, expect=201)
        await v.post("keeper", f"/api/parts/receipts/{receipt['id']}/shelve",
                     {"lines": [{"part_no": part_no, "shelved": "2"}]})
        ready = await v.until("advisor", f"/api/reception/appointments/{booking['id']}", lambda a: a["parts_ready"])
        assert ready["parts_status"] == "reserved"

        to_confirm = await v.get("advisor", "/api/reception/appointments/to-confirm", store_id=STORE)
        mine = next(a for a in to_confirm if a["id"] == booking["id"])
        assert set(mine["parties_to_confirm"]) == {"workshop", "parts"}, mine
        version = mine["version"]
        for party in ("workshop", "parts", "customer"):
            version = (await v.post("advisor", f"/api/reception/appointments/{booking['id']}/confirm",
                                    {"version": version, "party": party}))["version"]
        to_confirm = await v.get("advisor", "/api/reception/appointments/to-confirm", store_id=STORE)
        assert booking["id"] not in [a["id"] for a in to_confirm]

        await kafka(v, store, {booking["id"]: [
            "AppointmentBooked", "PartsShortage", "PartsReserved", *["AppointmentConfirmed"] * 3]})


# -- 4. a declined safety item -----------------------------------------------------------------------------
async def test_a_declined_safety_item_is_printed_with_the_signature_and_offered_again_by_crm(store):
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        car = await known_car(v)
        ro = await check_in(v, car)
        order = await open_order(v, ro, [{"description": "保养", "flat_rate_hours": "1.0", "pay_type": "customer"}])
        ro_id, job_id = ro["id"], order["jobs"][0]["job_id"]
        await dispatch_and_start(v, ro_id, job_id)
        await v.post("tech", f"{job(ro_id, job_id)}/findings", {
            "description": "后刹车片剩余2毫米", "safety_related": True, "estimated_hours": "0.8"})
        got = await v.until("advisor", f"/api/reception/repair-orders/{ro_id}",
                            lambda o: any(f["status"] == "pending" for f in o["findings"]))
        finding = next(f for f in got["findings"] if f["status"] == "pending")
        path = f"/api/reception/repair-orders/{ro_id}/added-work/{finding['finding_id']}/decision"
        refused = await gw.post(path, headers=await v.as_("advisor"),
                                json={"version": got["version"], "decision": "decline"})
        assert refused.status_code == 422 and "signature" in refused.text  # a safety item: the customer signs
        signed = {"name": "孙丽", "image_ref": "blob://signatures/declined-brakes.png"}
        await v.post("advisor", path, {"version": got["version"], "decision": "decline", "signature": signed})
        await complete_and_check(v, ro_id, job_id)
        sheet, _ = await settle_and_deliver(v, ro_id)
        (declined,) = sheet["declined_work"]
        assert declined["description"] == "后刹车片剩余2毫米" and declined["safety_related"] is True
        assert {k: declined["signature"][k] for k in signed} == signed and declined["signature"]["signed_at"]

        today = datetime.now(SH).date()
        tasks = await v.until("care", "/api/crm/call-tasks", lambda ts: len(ts) == 1, customer_id=car["customer_id"],
                              kind="declined_work")
        assert tasks[0]["due_on"] == (today + timedelta(days=30)).isoformat() and "后刹车片" in tasks[0]["detail"]
        due_now = await v.get("care", "/api/crm/call-tasks", customer_id=car["customer_id"], kind="declined_work",
                              due_on_or_before=today.isoformat())
        assert due_now == []  # offered again a month later, not today

        await kafka(v, store, {ro_id: ["VehicleCheckedIn", "RepairOrderOpened", "AdditionalWorkFound",
                                       "AdditionalWorkDeclined", "RepairOrderInvoiced", "VehicleDelivered"]})


# -- 6. (the complaint half) ---------------------------------------------------------------------------------
async def test_a_complaint_raised_on_a_follow_up_call_is_assigned_resolved_and_closed_on_confirmation(store):
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        car = await known_car(v)
        ro = await check_in(v, car)
        order = await open_order(v, ro, [{"description": "保养", "flat_rate_hours": "1.0", "pay_type": "customer"}])
        await dispatch_and_start(v, ro["id"], order["jobs"][0]["job_id"])
        await complete_and_check(v, ro["id"], order["jobs"][0]["job_id"])
        await settle_and_deliver(v, ro["id"])
        fu = await follow_up_of(v, ro["id"], car["customer_id"])

        c = await v.post("care", "/api/crm/complaints", {
            "store_id": STORE, "customer_id": car["customer_id"], "vehicle_id": car["vehicle_id"],
            "repair_order_id": ro["id"], "channel": "follow_up_call", "severity": "medium",
            "summary": "保养后发动机舱有异响"}, expect=201)
        c = await v.post("gm", f"/api/crm/complaints/{c['id']}/assign", {
            "version": c["version"], "department": "workshop",
            "deadline": (datetime.now(SH) + timedelta(days=2)).isoformat()})
        c = await v.post("care", f"/api/crm/complaints/{c['id']}/resolve", {
            "version": c["version"], "remedy": "免费复检并紧固护板"})
        r = await gw.post(f"/api/crm/complaints/{c['id']}/close", headers=await v.as_("care"),
                          json={"version": c["version"], "customer_confirmed": False})
        assert r.status_code == 409, r.text  # closed only on the customer's confirmation
        c = await v.post("care", f"/api/crm/complaints/{c['id']}/close",
                         {"version": c["version"], "customer_confirmed": True})
        assert c["status"] == "closed"

        await kafka(v, store, {
            c["id"]: ["ComplaintOpened", "ComplaintAssigned", "ComplaintResolved", "ComplaintClosed"],
            fu["id"]: ["FollowUpScheduled"],
            ro["id"]: ["VehicleCheckedIn", "RepairOrderOpened", "RepairOrderInvoiced", "VehicleDelivered"]})


# -- 7. an insurance accident car ----------------------------------------------------------------------------
async def test_an_insurance_accident_car_from_intake_to_the_insurers_payment(store):
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        car = await known_car(v, insurance=True)
        ro = await check_in(v, car)
        claim = await v.post("insurance", "/api/claims/insurance-claims", {
            "store_id": STORE, "vehicle_id": car["vehicle_id"], "repair_order_id": ro["id"],
            "accident_date": datetime.now(SH).date().isoformat(), "insurer": "中国人保",
            "policy_number": "PICC-2026-0001", "liability": "full", "towing": True, "surveyor": "王定损",
            "payment_route": "insurer_pays_store"}, expect=201)
        claim = await v.post("insurance", f"/api/claims/insurance-claims/{claim['id']}/estimate",
                             {"version": claim["version"], "amount": "900.00"})
        claim = await v.post("insurance", f"/api/claims/insurance-claims/{claim['id']}/estimate-approval",
                             {"version": claim["version"], "approved_amount": "900.00"})
        order = await open_order(v, ro, [{"description": "前保险杠钣喷", "flat_rate_hours": "3.0",
                                          "pay_type": "insurance"}])
        ro_id, job_id = ro["id"], order["jobs"][0]["job_id"]
        await dispatch_and_start(v, ro_id, job_id)
        await complete_and_check(v, ro_id, job_id)
        sheet, _ = await settle_and_deliver(v, ro_id)
        assert Decimal(sheet["totals_by_pay_type"]["insurance"]) == Decimal("900.00")
        assert Decimal(sheet["customer_total"]) == 0  # the insurer pays the store: nothing for the customer
        paid = await v.post("insurance", f"/api/claims/insurance-claims/{claim['id']}/payments",
                            {"amount": "900.00", "payment_ref": f"PICC-{secrets.token_hex(4)}"})
        assert paid["state"] == "paid" and Decimal(paid["outstanding"]) == 0

        status = await v.get("mgr", f"/api/repair-orders/{ro_id}/status")
        assert status["partial"] is False and status["order"]["state"] == "delivered"
        assert [(c["id"], c["insurer"], c["state"], Decimal(c["outstanding"])) for c in status["insurance_claims"]] \
            == [(claim["id"], "中国人保", "paid", 0)]

        await kafka(v, store, {
            claim["id"]: ["InsuranceClaimOpened", "InsuranceEstimateApproved", "InsurancePaymentReceived"],
            ro_id: ["VehicleCheckedIn", "RepairOrderOpened", "JobDispatched", "JobCompleted",
                    *["InspectionPassed"] * 3, "RepairOrderInvoiced", "VehicleDelivered"]})


# -- 8. a walk-in crm already knew ---------------------------------------------------------------------------
async def test_a_walk_in_crm_already_knew_gets_crms_customer_at_reception(store):
    """The advisor takes a returning customer's new car as a first visit: crm keeps the customer it had (the
    phone), and reception's order and vehicle learn crm's customer id instead of the one reception made up."""
    async with httpx.AsyncClient(base_url=store.url("gateway"), timeout=10) as gw:
        v = Visit(gw)
        phone = new_phone()
        known = await v.post("care", "/api/crm/customers", {"store_id": STORE, "name": "孙丽", "phones": [phone]},
                             expect=201)
        vin = new_vin()
        ro = await v.post("advisor", "/api/reception/check-ins", {
            "store_id": STORE, "vin": vin, "plate": "苏E67890", "odometer_km": 30, "covers_fitted": True,
            "customer_complaint": "首保", "first_visit": {"customer": {"name": "孙丽", "phones": [phone]},
                                                         "vehicle": {"model": "ID.4"}}}, expect=201)
        assert ro["customer_id"] != known["id"]  # reception's provisional id, until crm answers
        got = await v.until("advisor", f"/api/reception/repair-orders/{ro['id']}",
                            lambda o: o["customer_id"] == known["id"])
        assert got["vehicle_id"] == ro["vehicle_id"]  # a new car: crm registered it under reception's id

        overview = await v.until("advisor", "/api/vehicle-overview",
                                 lambda o: (o.get("reception") or {}).get("owner", {}).get("customer_id")
                                 == known["id"], vin=vin)
        assert overview["partial"] is False and overview["crm"]["owner_customer_id"] == known["id"]
        r = await gw.get(f"/api/crm/customers/{ro['customer_id']}", headers=await v.as_("advisor"))
        assert r.status_code == 200 and r.json()["id"] == known["id"]  # the provisional id is an alias in crm

        await kafka(v, store, {
            ro["id"]: ["WalkInCustomerRecorded", "VehicleCheckedIn"],
            known["id"]: ["WalkInMatched"],
            ro["vehicle_id"]: ["VehicleRegistered"]})
