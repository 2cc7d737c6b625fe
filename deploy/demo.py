"""The demo dealer group, loaded through the gateway's public API (as its stores would work), with weeks of history.

    uv run python -m deploy.demo [--size small|large] [--stores N] [--days D] [--visits-per-day V]

One dealer group (华东汽车集团) with its stores; people for every role; per store the workshop floor (teams,
technicians, bays, shifts), the operation codes, a parts room (bins, suppliers, parts with stock) and customers
with their cars (in warranty, insurance running out, lapsed); then, day by day, real lifecycles through the
gateway: booking, check-in, repair order, dispatch, clock-on, parts issued, added work approved or declined,
the three checks (a few failing), wash, invoice, delivery, the follow-up call the next day (a few complaints),
warranty claims to the manufacturer (the simulator decides; paid days later). Last, a few cars in the workshop
today, so the boards show a working day.

Business time: the services read it from CLOCK_FILE (shared.clock.FileClock; `./run start --demo` sets it), so
the loader sets each history day's hours in turn and the figures (`/api/figures`) have days, not only today;
at the end the file goes and the platform runs on real time. Without it the history is left out (a warning).

Safe to run twice: every command carries an Idempotency-Key derived from store, day and visit, and records that
exist answer with what they are; the second run adds nothing. The sizes: deploy/demo_data.py's SIZES (`small`,
what `./run start` loads; `large`, the benchmarks' data set); the options override them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from deploy import demo_data as data
from deploy.demo_data import ADMIN, GROUP, PASSWORD, SIZES, Size
from deploy.demo_lifecycles import LifecycleError, Visit, eventually

SH = ZoneInfo("Asia/Shanghai")
SIGNATURE = {"name": "客户", "image_ref": "blob://signatures/demo.png"}
# The hours of a demo day (the stores' local time): what happens when.
BOOK, RECEIVE, WORK, CALL, CHECK, SETTLE = (dtime(8, 30), dtime(9, 0), dtime(10, 0), dtime(10, 30), dtime(11, 30),
                                            dtime(15, 0))


class HonoursRetryAfter(httpx.AsyncBaseTransport):
    """The gateway's rate limits answer a burst with 429 and Retry-After; a well-behaved client (this loader
    sends far faster than a person) waits as told and sends the request again. Bodies here are bytes, so
    sending again is safe; commands carry an Idempotency-Key besides. An Idempotency-Key still in progress
    (409 IdempotencyInProgress, with Retry-After) is waited for the same way."""

    def __init__(self, attempts: int = 20) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=40))
        self._attempts = attempts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self._attempts):
            response = await self._inner.handle_async_request(request)
            if response.status_code not in (429, 409) or "Retry-After" not in response.headers:
                return response
            await response.aclose()
            try:
                wait = float(response.headers.get("Retry-After", "1"))
            except ValueError:  # the HTTP-date form, which our gateway does not send
                wait = 1.0
            await asyncio.sleep(min(wait, 60))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def gateway_client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=30, transport=HonoursRetryAfter())


class BusinessClock:
    """The services' business time, moved through their CLOCK_FILE; `None` when the platform has none."""

    def __init__(self, path: Path | None, service_urls: list[str]) -> None:
        self.path, self.service_urls = path, service_urls

    @property
    def movable(self) -> bool:
        return self.path is not None

    async def set(self, http: httpx.AsyncClient, at: datetime) -> None:
        """Every service's time is `at` (and runs on from it): checked on each service's /health."""
        from shared.clock import FileClock

        FileClock.write(self.path, at)
        for url in self.service_urls:
            now = datetime.fromisoformat((await http.get(f"{url}/health")).json()["now"])
            if abs(now - at) > timedelta(minutes=5):
                raise RuntimeError(f"{url} is not on the demo's business clock ({now.isoformat()}, not "
                                   f"{at.isoformat()}): start the platform with --demo (CLOCK_FILE={self.path})")

    async def works(self, http: httpx.AsyncClient) -> bool:
        if not self.movable:
            return False
        try:
            await self.set(http, datetime.now(UTC) - timedelta(days=1))
            return True
        except (RuntimeError, httpx.HTTPError, KeyError):
            self.release()
            return False

    def release(self) -> None:
        """Back to real time."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


@dataclass
class Tally:
    """What the load did, for its last lines (and the tests)."""

    visits: int = 0
    failed: list[str] = field(default_factory=list)
    follow_ups: int = 0
    complaints: int = 0
    claims_paid: int = 0
    claims_waiting: int = 0
    seconds: float = 0.0


@dataclass
class Ongoing:
    """A visit between phases: its client, its order and jobs."""

    pv: data.PlannedVisit
    v: Visit
    car: dict | None = None
    booking: str | None = None
    ro: dict | None = None
    jobs: list[str] = field(default_factory=list)
    added: str | None = None
    failed: bool = False


class Loader:
    def __init__(self, gw: httpx.AsyncClient, plan: data.Plan, clock: BusinessClock, progress) -> None:
        self.gw, self.plan, self.clock, self.progress = gw, plan, clock, progress
        self.tokens: dict[str, dict[str, str]] = {}  # one login per person for the whole load
        self.cars: dict[str, dict] = {}  # VIN stem -> crm's customer_id, vehicle_id, vin
        self.bookings: dict[str, str] = {}  # visit key -> appointment id
        self.to_call: list[Ongoing] = []  # delivered: the follow-up call is the next working day
        self.claims: list[tuple[str, str]] = []  # (store, warranty claim id) submitted, not yet paid
        self.suppliers: dict[str, list[str]] = {}  # per store, data.SUPPLIERS' ids
        self.tally = Tally()

    def store(self, store_id: str) -> data.Store:
        return next(s for s in self.plan.stores if s.id == store_id)

    def visit(self, store_id: str, keys: str, technician: str | None = None) -> Visit:
        """A client casting the store's people: advisor, sup, tech, leader, qc, keeper, pm, care, warranty, gm..."""
        c = self.store(store_id).code
        cast = {"advisor": f"advisor.{c}", "sup": f"workshop.{c}", "leader": f"leader.{c}", "qc": f"qc.{c}",
                "keeper": f"keeper.{c}", "pm": f"parts.{c}", "care": f"care.{c}", "warranty": f"warranty.{c}",
                "gm": f"gm.{c}", "mgr": f"manager.{c}", "tech": technician or f"tech.{c}", "admin": ADMIN}
        return Visit(self.gw, username=cast.__getitem__, password=PASSWORD, tokens=self.tokens, keys=keys)

    async def at(self, day: date, hour: dtime) -> None:
        if self.clock.movable:
            await self.clock.set(self.gw, datetime.combine(day, hour, SH))

    # -- the group, its stores and their set-up ------------------------------------------------------------
    async def set_up(self) -> None:
        from deploy.stores import open_stores

        admin = await self.visit(self.plan.stores[0].id, "setup").as_("admin")
        await open_stores(self.gw, {k: admin[k] for k in ("Authorization",)}, {
            s.id: {"name": s.name, "brand": "Volkswagen", "city": s.city} for s in self.plan.stores})
        await asyncio.gather(*(self._store(s) for s in self.plan.stores))

    async def _store(self, store: data.Store) -> None:
        await self._shop(store)
        await self._parts(store)
        await self._cars(store)
        self.progress.say(f"{store.name} ({store.id}): {len(self.plan.technicians[store.id])} technicians, "
                          f"{len(data.PARTS)} parts in stock, {len(self.plan.cars[store.id])} customers")

    async def _shop(self, store: data.Store) -> None:
        v, techs = self.visit(store.id, f"setup/{store.id}"), self.plan.technicians[store.id]
        team = [("mech-1", {"name": "机修一组", "leader_id": f"leader.{store.code}"})]
        bays = [(f"lift-{i + 1}", {"kind": "lift"}) for i in range(len(techs))]
        bays += [("gen-1", {"kind": "general"}), ("align-1", {"kind": "alignment"})]
        ops = [(code, {"description": d, "flat_rate_hours": h, "skill": sk, "default_pay_type": pay, "oem_code": oem,
                       "parts_kit": [{"part_no": p, "quantity": q} for p, q in kit]})
               for code, d, h, sk, pay, oem, kit in data.OPERATIONS]
        from deploy.demo_lifecycles import set_up_shop

        await set_up_shop(v, store.id, teams=team, bays=bays, operations=ops,
                          technicians=[(t, {"name": n, "team_id": "mech-1", "grade": g, "skills": sk})
                                       for t, n, g, sk in techs],
                          shifts=[("mech-1-day", {"team_id": "mech-1", **data.SHIFT})])

    async def _parts(self, store: data.Store) -> None:
        v = self.visit(store.id, f"setup/{store.id}/parts")
        for room, rack, shelf, pos in data.BINS:
            await v.post("pm", "/api/parts/bins", {"store_id": store.id, "store_room": room, "rack": rack,
                                                   "shelf": shelf, "position": pos}, expect=(201, 409))
        suppliers = self.suppliers[store.id] = []
        for name, locality, payment, days in data.SUPPLIERS:
            s = await v.post("pm", "/api/parts/suppliers", {"name": f"{store.city}{name}", "locality": locality,
                                                            "payment": payment, "lead_time_days": days}, expect=201)
            suppliers.append(s["id"])
        use = self.plan.part_use()
        for no, name, brand, unit, retail, cost, safety, bin_code, _, sup, exchange in data.PARTS:
            await v.post("pm", "/api/parts/parts", {
                "store_id": store.id, "part_no": no, "name": name, "brand": brand, "unit": unit,
                "retail_price": retail, "safety_stock": safety, "bin_code": bin_code,
                "opening_quantity": str(int(safety) + use.get(no, 10)), "opening_cost": cost,
                "supplier_id": suppliers[sup], "exchange_required": exchange}, expect=(201, 409))

    async def _cars(self, store: data.Store) -> None:
        from shared.vin import with_check_digit

        v = self.visit(store.id, f"setup/{store.id}/crm")
        for car in self.plan.cars[store.id]:
            r = await v.request("care", "POST", "/api/crm/customers", json={
                "store_id": store.id, "kind": "company" if car.company else "person", "name": car.customer,
                "phones": [car.phone]})
            if r.status_code not in (201, 409):
                raise LifecycleError(f"customer {car.customer}: {r.status_code} {r.text}")
            cid = r.json()["id"] if r.status_code == 201 else r.json()["existing_customer_id"]
            vin = with_check_digit(car.vin_stem)
            body = {"store_id": store.id, "vin": vin, "owner_customer_id": cid, "plate": car.plate, "model": car.model,
                    "sale_date": car.sale_date.isoformat(), "warranty_start": car.sale_date.isoformat(),
                    "warranty_years": 3, "warranty_km": 100000, "odometer_km": car.odometer_km,
                    "insurer": car.insurer, "insurance_expiry": car.insurance_expiry.isoformat()}
            r = await v.request("care", "POST", "/api/crm/vehicles", json=body)
            if r.status_code == 409:
                r = await v.request("care", "GET", "/api/crm/vehicles", params={"vin": vin})
            if r.status_code not in (200, 201):
                raise LifecycleError(f"vehicle {vin}: {r.status_code} {r.text}")
            self.cars[car.vin_stem] = {"customer_id": cid, "vehicle_id": r.json()["id"], "vin": vin}
        for car in self.plan.cars[store.id]:  # reception learns of them over Kafka
            await v.until("advisor", f"/api/reception/vehicles/{self.cars[car.vin_stem]['vehicle_id']}",
                          lambda _: True)

    # -- the days --------------------------------------------------------------------------------------------
    async def history(self) -> None:
        days = self.plan.days
        for i, day in enumerate(days):
            visits = [Ongoing(pv, self.visit(pv.store, pv.key, pv.technician)) for pv in self.plan.visits(day)]
            booked_next = self.plan.visits(days[i + 1]) if i + 1 < len(days) else []
            await self.at(day, BOOK)
            await self._phase(self._roll_capacity, [(s, day) for s in self.plan.stores])
            await self._phase(self._delivery, [(s, day) for s in self.plan.stores])
            if i == 0:  # the first day's bookings are made that morning; later ones the day before
                await self._phase(self._book, [o.pv for o in visits])
            await self._phase(self._book, booked_next)
            await self.at(day, RECEIVE)
            await self._phase(self._receive, visits)
            await self.at(day, WORK)
            await self._phase(self._work, visits)
            await self.at(day, CALL)
            await self._calls(day)
            await self.at(day, CHECK)
            await self._phase(self._checks, visits)
            await self.at(day, SETTLE)
            await self._phase(self._settle, visits)
            done = [o for o in visits if not o.failed]
            self.to_call = done
            self.tally.visits += len(done)
            self.progress.day(day, len(done), len(visits))

    async def _phase(self, step, items) -> None:
        async def one(item):
            o = item if isinstance(item, Ongoing) else None
            if o is not None and o.failed:
                return
            try:
                await step(item)
            except (LifecycleError, httpx.HTTPError, KeyError) as e:
                if o is not None:
                    o.failed = True
                what = o.pv.key if o is not None else getattr(item, "key", item)
                self.tally.failed.append(f"{step.__name__} {what}: {e}"[:600])
                self.progress.say(f"[red]failed[/red] {self.tally.failed[-1]}")

        await asyncio.gather(*(one(i) for i in items))

    async def _roll_capacity(self, item: tuple[data.Store, date]) -> None:
        """The same shift again: workshop publishes the capacity of the window's new days (reception books on it).
        A key of the day's own: the same one every day would replay the first day's answer and publish nothing."""
        store, day = item
        v = self.visit(store.id, f"roll/{day}")
        await v.put("sup", f"/api/workshop/stores/{store.id}/shifts/mech-1-day", {"team_id": "mech-1", **data.SHIFT})

    async def _delivery(self, item: tuple[data.Store, date]) -> None:
        """The local supplier's morning delivery: the buyer counts it in, the storekeeper shelves it. The same
        every day (what a day's visits may use), so the stock never runs dry however often the demo is loaded."""
        store, day = item
        v = self.visit(store.id, f"delivery/{day}")
        cost = {p[0]: p[5] for p in data.PARTS}
        lines = [{"part_no": no, "shipped": str(q), "received": str(q), "unit_cost": cost[no]}
                 for no, q in self.plan.daily_delivery().items()]
        receipt = await v.post("keeper", "/api/parts/receipts", {
            "store_id": store.id, "supplier_id": self.suppliers[store.id][0], "buyer_id": f"parts.{store.code}",
            "lines": lines}, expect=201)
        if receipt.get("state") != "shelved":
            await v.post("keeper", f"/api/parts/receipts/{receipt['id']}/shelve",
                         {"lines": [{"part_no": ln["part_no"], "shelved": ln["received"]} for ln in lines]})

    async def _book(self, pv: data.PlannedVisit) -> None:
        """A service booking for the visit's day at nine (parts reserved from its kit)."""
        if pv.kind != "service" or pv.car is None or pv.key in self.bookings:
            return
        v, car = self.visit(pv.store, f"{pv.key}/booking"), self.cars[pv.car.vin_stem]
        body = {"store_id": pv.store, "vehicle_id": car["vehicle_id"],
                "slot_start": datetime.combine(pv.day, RECEIVE, SH).isoformat(),
                "jobs": [{"operation_code": data.FIRST_JOB[pv.kind]}]}
        key = v.key("POST", "/api/reception/appointments", body)

        last: list[httpx.Response] = []

        async def booked():  # once reception knows the day's capacity and the kit's parts
            last[:] = [await v.request("advisor", "POST", "/api/reception/appointments", key=key, json=body)]
            return last[0].json() if last[0].status_code == 201 else None

        got = await eventually(booked)
        if not got:
            raise LifecycleError(f"reception would not book: {last[0].status_code} {last[0].text}")
        self.bookings[pv.key] = got["id"]

    @staticmethod
    def _odometer(pv: data.PlannedVisit) -> int:
        """The car's odometer at this visit: more each day (reception refuses one going backwards), and the same
        for the same day whenever the demo is loaded."""
        return (pv.car.odometer_km if pv.car else 20000) + data.KM_PER_DAY * (pv.day - data.EPOCH).days

    async def _receive(self, o: Ongoing) -> None:
        """Check-in (a known car, booked or not; or a first visit) and the repair order the customer signs."""
        from deploy.demo_lifecycles import check_in, open_order, walk_in

        pv, v = o.pv, o.v
        complaint = COMPLAINTS[pv.kind]
        if pv.car is None:
            from shared.vin import with_check_digit

            new = data.walk_in(pv, self.store(pv.store))
            vin = with_check_digit(new.vin_stem)
            ro = await walk_in(v, pv.store, vin=vin, phone=new.phone, name=new.customer, plate=new.plate,
                               model=new.model, odometer_km=self._odometer(pv), complaint=complaint)
            o.car = {"customer_id": ro["customer_id"], "vehicle_id": ro["vehicle_id"], "vin": vin}
        else:
            o.car = self.cars[pv.car.vin_stem]
            ro = await check_in(v, pv.store, o.car, appointment_id=self.bookings.get(pv.key),
                                odometer_km=self._odometer(pv), complaint=complaint)
        jobs = [{"operation_code": data.FIRST_JOB[pv.kind]}]
        if pv.kind == "warranty":
            jobs.append({"description": "变速箱异响检修 (保修)", "flat_rate_hours": "1.5", "pay_type": "warranty"})
        order = await open_order(v, ro, jobs, signature=SIGNATURE)
        o.ro, o.jobs = order, [j["job_id"] for j in order["jobs"]]

    async def _work(self, o: Ongoing) -> None:
        """Dispatch and clock-on of the first job, its parts issued (old parts handed in), a finding reported."""
        from deploy.demo_lifecycles import dispatch_and_start, issue_parts, job

        pv, v, ro_id, first = o.pv, o.v, o.ro["id"], o.jobs[0]
        await dispatch_and_start(v, ro_id, first, technician=pv.technician)
        kit = data.KITS[data.FIRST_JOB[pv.kind]]
        if kit:
            exchange = {p[0] for p in data.PARTS if p[10]}
            await issue_parts(v, pv.store, ro_id, first, pv.technician,
                              [{"part_no": p, "quantity": q} for p, q in kit],
                              [{"part_no": p, "disposition": "customer"} for p, _ in kit if p in exchange])
        if pv.kind in FINDINGS:
            await v.post("tech", f"{job(ro_id, first)}/findings", FINDINGS[pv.kind])

    async def _checks(self, o: Ongoing) -> None:
        """The customer decides on the finding; each job completed and checked (a rework where planned)."""
        from deploy.demo_lifecycles import complete_and_check, dispatch_and_start, job

        pv, v, ro_id = o.pv, o.v, o.ro["id"]
        jobs = list(o.jobs)
        if pv.kind in FINDINGS:
            added = await self._decide(o)
            if added:
                jobs.append(added)
        # Every step again on a second run: each replays its recorded answer (same key, same body), in order.
        for n, job_id in enumerate(jobs):
            if n > 0:
                await dispatch_and_start(v, ro_id, job_id, technician=pv.technician)
            if pv.kind == "rework" and n == 0:
                await complete_and_check(v, ro_id, job_id, final_passes=False)
                await v.post("tech", f"{job(ro_id, job_id)}/start")
            await complete_and_check(v, ro_id, job_id)

    async def _decide(self, o: Ongoing) -> str | None:
        """The advisor puts the finding to the customer: approved (a new job) or declined (signed for)."""
        v, ro_id = o.v, o.ro["id"]
        got = await v.until("advisor", f"/api/reception/repair-orders/{ro_id}", lambda r: r["findings"])
        finding = got["findings"][0]
        if finding["status"] == "pending":
            body = {"version": got["version"], "decision": "approve" if o.pv.kind == "added" else "decline"}
            if o.pv.kind == "declined":
                body["signature"] = SIGNATURE
            got = await v.post("advisor", f"/api/reception/repair-orders/{ro_id}/added-work/"
                               f"{finding['finding_id']}/decision", body)
        if o.pv.kind != "added":
            return None
        return next((j["job_id"] for j in got["jobs"] if j["job_id"] not in o.jobs), None)

    async def _settle(self, o: Ongoing) -> None:
        """Wash; the warranty claim to the manufacturer; invoice and delivery."""
        from deploy.demo_lifecycles import wash

        v, ro_id = o.v, o.ro["id"]
        got = await v.get("advisor", f"/api/reception/repair-orders/{ro_id}")
        if got["state"] == "open":
            await wash(v, ro_id)
        if o.pv.kind == "warranty":
            await self._claim(o)
        got = await v.get("advisor", f"/api/reception/repair-orders/{ro_id}")
        out = self._odometer(o.pv) + 3
        if got["state"] == "open":
            got = await v.until("advisor", f"/api/reception/repair-orders/{ro_id}",
                                lambda r: r["delivery_blockers"] == [])
            got = await v.post("advisor", f"/api/reception/repair-orders/{ro_id}/invoice", {"version": got["version"]})
        if got["state"] == "invoiced":
            await v.post("advisor", f"/api/reception/repair-orders/{ro_id}/deliver",
                         {"version": got["version"], "odometer_out_km": out})

    async def _claim(self, o: Ongoing) -> None:
        """claims opened the warranty claim from the completed warranty job: the specialist submits it."""
        v, ro_id = o.v, o.ro["id"]
        found = await v.until("warranty", "/api/claims/warranty-claims", lambda cs: len(cs) >= 1,
                              repair_order_id=ro_id)
        claim = await v.get("warranty", f"/api/claims/warranty-claims/{found[0]['id']}")
        if claim["state"] == "open":
            await v.post("warranty", f"/api/claims/warranty-claims/{claim['id']}/submit",
                         {"version": claim["version"]})
        self.claims.append((o.pv.store, claim["id"]))

    # -- after the visits: the follow-up calls, complaints, the manufacturer's payments -----------------
    async def _calls(self, day: date) -> None:
        calls, self.to_call = self.to_call, []
        await self._phase(self._follow_up, calls)
        await self._payments()
        await self._phase(self._reminders, [(s, day) for s in self.plan.stores])

    async def _follow_up(self, o: Ongoing) -> None:
        """The call the day after pickup: satisfied, or (a complaint visit) a complaint taken to its close."""
        from deploy.demo_lifecycles import follow_up_of

        v, ro_id = o.v, o.ro["id"]
        complaint = o.pv.kind == "complaint"
        fu = await follow_up_of(v, ro_id, o.car["customer_id"])
        if fu["status"] == "scheduled":
            await v.post("care", f"/api/crm/follow-ups/{fu['id']}/complete", {
                "version": fu["version"], "satisfaction": 2 if complaint else 5 - o.pv.n % 2,
                "answers": {"service": 2 if complaint else 5, "price": 4},
                "next_service_date": (o.pv.day + timedelta(days=180)).isoformat(),
                "comments": "保养后空调有异味" if complaint else "满意"})
        self.tally.follow_ups += 1
        if complaint:
            await self._complaint(o)

    async def _complaint(self, o: Ongoing) -> None:
        v, pv = o.v, o.pv
        c = await v.post("care", "/api/crm/complaints", {
            "store_id": pv.store, "customer_id": o.car["customer_id"], "vehicle_id": o.car["vehicle_id"],
            "repair_order_id": o.ro["id"], "channel": "follow_up_call", "severity": "medium",
            "summary": "更换空调滤芯后空调仍有异味"}, expect=201)
        if c["status"] != "closed":
            c = await v.post("gm", f"/api/crm/complaints/{c['id']}/assign", {
                "version": c["version"], "department": "workshop",
                "deadline": datetime.combine(pv.day + timedelta(days=3), dtime(17, 0), SH).isoformat()})
            c = await v.post("care", f"/api/crm/complaints/{c['id']}/resolve",
                             {"version": c["version"], "remedy": "免费清洗空调蒸发箱"})
            await v.post("care", f"/api/crm/complaints/{c['id']}/close",
                         {"version": c["version"], "customer_confirmed": True})
        self.tally.complaints += 1

    async def _payments(self) -> None:
        """The manufacturer pays approved claims (the simulator decides them, over Kafka)."""
        waiting = []
        for store, claim_id in self.claims:
            v = self.visit(store, f"payment/{claim_id}")
            claim = await v.get("warranty", f"/api/claims/warranty-claims/{claim_id}")
            if claim["state"] in ("approved", "partly_approved"):
                await v.post("warranty", f"/api/claims/warranty-claims/{claim_id}/payments", {
                    "amount": claim["approved_amount"], "payment_ref": f"OEM-{claim_id[-8:].upper()}"})
                self.tally.claims_paid += 1
            elif claim["state"] == "paid":
                self.tally.claims_paid += 1
            elif claim["state"] == "submitted":  # rejected or returned for correction: the specialist's desk
                waiting.append((store, claim_id))
        self.claims = waiting
        self.tally.claims_waiting = len(waiting)

    async def _reminders(self, item: tuple[data.Store, date]) -> None:
        """crm's daily reminders (due services, warranty and insurance running out, lapsed customers)."""
        store, day = item
        v = self.visit(store.id, f"reminders/{day}")
        await v.post("care", "/api/crm/reminders/run", {"date": day.isoformat(), "store_id": store.id})

    # -- today, on real time ---------------------------------------------------------------------------------
    async def today(self) -> None:
        """A car or two per store in the workshop now: checked in, opened, dispatched, clocked on."""
        visits = [Ongoing(pv, self.visit(pv.store, f"{pv.key}/today", pv.technician))
                  for pv in self.plan.today_visits()]
        failed = len(self.tally.failed)
        await self._phase(self._receive, visits)
        await self._phase(self._work, visits)
        # A car still in the workshop from an earlier day's load may hold its technician: today's cars are a
        # picture for the boards, not history, so their refusals are reported and not counted as failures.
        del self.tally.failed[failed:]
        self.progress.say(f"today: {sum(not o.failed for o in visits)} of {len(visits)} cars in the workshops")


COMPLAINTS = {"service": "定期保养", "added": "保养, 刹车有异响", "warranty": "仪表故障灯亮 (保修期内)",
              "declined": "保养", "rework": "刹车异响", "complaint": "空调有异味", "walk_in": "方向跑偏"}
FINDINGS = {"added": {"description": "前刹车片磨损超限", "safety_related": True, "estimated_hours": "1.2"},
            "declined": {"description": "后刹车片剩余2毫米", "safety_related": True, "estimated_hours": "0.8"}}


class Progress:
    """A progress bar over the history's visits (rich), and lines for what was set up."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=False, quiet=quiet)
        self.bar = Progress(TextColumn("demo: {task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=self.console, transient=False)
        self.task = self.bar.add_task("setting up", total=max(total, 1))

    def __enter__(self) -> Progress:
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def say(self, line: str) -> None:
        self.console.print(f"demo: {line}", highlight=False)

    def day(self, day: date, done: int, planned: int) -> None:
        self.bar.update(self.task, advance=planned, description=f"history {day:%a %Y-%m-%d}: {done}/{planned} visits")


async def bootstrap_users(database_url: str, plan: data.Plan) -> None:
    """The group's people straight into the gateway's user table (the bootstrap path: the demo password is
    shorter than the API allows a person to choose)."""
    from gateway.users import upsert_users

    await upsert_users(database_url, [dict(username=u.username, display_name=u.name, password=PASSWORD,
                                           dealer_group_id=GROUP, roles=list(u.roles), store_ids=list(u.stores))
                                      for u in plan.users])


async def load_demo(platform, size: Size = SIZES["small"], *, today: date | None = None,
                    quiet: bool = False) -> Tally:
    """Load the demo into a running platform (deploy/launcher.py's Platform): see the module's docstring."""
    t0 = time.monotonic()
    plan = data.plan(size, today or datetime.now(SH).date())
    await bootstrap_users(platform.database_url("gateway"), plan)
    clock = BusinessClock(getattr(platform, "clock_file", None),
                          [platform.url(s) for s in platform.ports])
    async with gateway_client(platform.url("gateway")) as gw:
        with Progress(len(plan.days) * size.stores * size.visits_per_day, quiet) as progress:
            progress.say(f"{len(plan.users)} people of {GROUP} (password {PASSWORD!r}), {size.stores} stores")
            if plan.days and not await clock.works(gw):
                progress.say("[yellow]the platform is not on a business clock (CLOCK_FILE, ./run start --demo): "
                             "no history, only today[/yellow]")
                plan = replace(plan, days=[])
            loader = Loader(gw, plan, clock, progress)
            try:
                if plan.days:
                    await loader.at(plan.days[0], dtime(8, 0))  # the capacity window opens on the first day
                await loader.set_up()
                await loader.history()
            finally:
                clock.release()
            # Today on real time: the payments come in, the reminders run; yesterday's follow-up calls are left on
            # customer care's list (due today), and a few cars are in the workshops.
            await loader._payments()
            await loader._phase(loader._reminders, [(s, plan.today) for s in plan.stores])
            await loader.today()
    loader.tally.seconds = time.monotonic() - t0
    t = loader.tally
    progress.say(f"{t.visits} visits over {len(plan.days)} days, {t.follow_ups} follow-up calls, {t.complaints} "
                 f"complaints, {t.claims_paid} warranty claims paid ({t.claims_waiting} waiting for the "
                 f"manufacturer), {len(t.failed)} failures, in {t.seconds:.0f} s")
    return t


def size_from(args: argparse.Namespace) -> Size:
    base = SIZES[args.size]
    return Size(stores=args.stores or base.stores, days=base.days if args.days is None else args.days,
                visits_per_day=args.visits_per_day or base.visits_per_day)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m deploy.demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="small",
                    help=", ".join(f"{k}: {v.stores} stores, {v.days} days, {v.visits_per_day} visits a day"
                                   for k, v in SIZES.items()))
    ap.add_argument("--stores", type=int, help="stores (overrides the size)")
    ap.add_argument("--days", type=int, help="working days of history before today (overrides the size)")
    ap.add_argument("--visits-per-day", type=int, help="visits per store and day (overrides the size)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """The platform of `./run start` (its ports, databases and clock file: deploy/launcher.py's environment)."""
    from deploy.launcher import Platform

    args = arguments(argv)
    platform = Platform.from_env()
    platform.business_clock = True  # written to CLOCK_FILE only if the services read it (checked)
    tally = asyncio.run(load_demo(platform, size_from(args)))
    sys.exit(1 if tally.failed else 0)


if __name__ == "__main__":
    main()
