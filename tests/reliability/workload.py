"""The workload: whole repair-order lifecycles through the gateway, many at once, each command recorded with
its answer. A client that gets no answer (connection refused or reset, a timeout, a 5xx from the gateway
while a service restarts) does not know whether the command took effect: the driver records it as unknown
and sends it again with the same Idempotency-Key until it gets an answer, as a real client would.

One lifecycle (the store's day, DOMAIN.md): crm registers the customer and car; reception books it (parts
reserves the booked part), checks it in on the booking and opens the signed repair order; workshop queues the
job, the supervisor dispatches it, the technician clocks on; the storekeeper writes the issue slip, the advisor
countersigns, the part is issued; the job is completed and passes the three checks (三检); reception invoices
and delivers; crm schedules the follow-up call (回访). Every `warranty_every`th lifecycle is a warranty repair: the
job is paid by the manufacturer, the warranty specialist signs off the part's issue too, and after delivery the
claim claims opened runs through the manufacturer (deploy/manufacturer_simulator.py, on Kafka's SASL listener):
parts-issue sign-off, submission, the manufacturer's decision, its payment."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.support.factories import new_phone, new_vin

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "reliability-pw"
GROUP, STORE = "dg-rel", "s-rel"
PART_NO, OPENING_STOCK = "REL-PAD", 100000
TEAM = "rel-mech"
_SLOTS = itertools.count()  # bookings handed out, over every driver of the process
# Bookings share an hour up to the shop's bays; a day takes BAYS x 8 of them (9:00 to 17:00), within the technician
# hours of the smallest rig (3 technicians x 9 h). The workshop publishes capacity two weeks ahead: 13 days of 24
# are room for ~310 bookings in one rig, well over the full form's lifecycles and the extras after them.
BAYS, HOURS_A_DAY = 3, 8


def users(technicians: int) -> list[dict]:
    rows = [("rel.advisor", ["advisor"]), ("rel.care", ["customer_care"]), ("rel.pm", ["parts_manager"]),
            ("rel.keeper", ["parts_clerk"]), ("rel.sup", ["workshop_supervisor"]), ("rel.leader", ["team_leader"]),
            ("rel.qc", ["qc_inspector"]), ("rel.advisor2", ["advisor"]), ("rel.warranty", ["warranty_specialist"])]
    rows += [(f"rel.tech{k}", ["technician"]) for k in range(technicians)]
    return [dict(username=u, password=PASSWORD, dealer_group_id=GROUP, roles=r, store_ids=[STORE]) for u, r in rows]


@dataclass
class Command:
    """One command as the client saw it: its final answer after any retries."""

    lifecycle: int
    step: str
    path: str
    key: str
    outcome: str = "unknown"  # acknowledged | refused | unknown
    status: int | None = None
    attempts: int = 0
    unknown_answers: int = 0  # attempts without an answer (or with one saying "try again")
    answer: dict | None = None
    sent_at: float = 0.0
    answered_at: float = 0.0


@dataclass
class Lifecycle:
    n: int
    vin: str = field(default_factory=new_vin)
    phone: str = field(default_factory=new_phone)
    ids: dict[str, str] = field(default_factory=dict)
    warranty: bool = False  # the job is paid by the manufacturer: a warranty claim follows
    reached: str = ""  # the last step acknowledged
    stalled: str | None = None  # why it could not go on (a wait that timed out, a refusal)


@dataclass
class History:
    commands: list[Command] = field(default_factory=list)
    lifecycles: list[Lifecycle] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    finished: float = 0.0
    reads_throttled: int = 0  # reads refused 429 and sent again after Retry-After
    reads_relogged: int = 0  # reads refused 401 (the token expired) and sent again after a new login

    def acknowledged(self, step: str | None = None) -> list[Command]:
        return [c for c in self.commands if c.outcome == "acknowledged" and (step is None or c.step == step)]

    def counts(self) -> Counter:
        return Counter(c.outcome for c in self.commands)


class Gone(Exception):
    """A lifecycle that cannot go on (its wait timed out or a command was refused)."""


class Driver:
    """Drives lifecycles through the gateway; `concurrency` at a time, one technician each."""

    def __init__(self, gateway_url: str, *, concurrency: int, wait_timeout: float = 120.0,
                 run_id: str | None = None, warranty_every: int = 0) -> None:
        self.url = gateway_url
        self.concurrency = concurrency
        self.wait_timeout = wait_timeout
        self.run = run_id or uuid.uuid4().hex[:6]
        # A part of this driver's own: several drivers in one rig each check their own stock card.
        self.part_no = f"{PART_NO}-{self.run.upper()}"
        self.warranty_every = warranty_every
        self.history = History()
        self.tokens: dict[str, dict[str, str]] = {}
        self.gw = httpx.AsyncClient(base_url=gateway_url, timeout=10)

    async def close(self) -> None:
        await self.gw.aclose()

    # -- talking to the gateway like a client -------------------------------------------------------------
    async def who(self, user: str, *, fresh: bool = False) -> dict[str, str]:
        if fresh or user not in self.tokens:
            while True:
                try:
                    r = await self.gw.post("/auth/token", data={"username": user, "password": PASSWORD})
                    if r.status_code == 200:
                        break
                    if r.status_code == 429:  # logins are limited per username: wait as told
                        await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                        continue
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)  # the gateway restarts
            self.tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[user]

    async def command(self, lc: Lifecycle, step: str, path: str, user: str, body: dict, *,
                      method: str = "POST", max_seconds: float = 180.0) -> dict:
        """Send until answered; the same Idempotency-Key every time. Raises Gone on a refusal."""
        cmd = Command(lc.n, step, path, key=f"rel-{self.run}-{lc.n}-{step}", sent_at=time.monotonic())
        self.history.commands.append(cmd)
        deadline = time.monotonic() + max_seconds
        delay = 0.2
        while time.monotonic() < deadline:
            cmd.attempts += 1
            try:
                r = await self.gw.request(method, path, json=body,
                                          headers=await self.who(user) | {"Idempotency-Key": cmd.key})
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code == 401:
                await self.who(user, fresh=True)  # the token outlived a long run
                continue
            if r is not None and r.status_code == 429:  # the gateway's rate limit: refused before any effect
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            if r is None or r.status_code >= 500 or _in_progress(r):
                cmd.unknown_answers += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            cmd.status, cmd.answered_at = r.status_code, time.monotonic()
            cmd.answer = r.json()
            if r.status_code < 300:
                cmd.outcome = "acknowledged"
                lc.reached = step
                return cmd.answer
            cmd.outcome = "refused"
            raise Gone(f"{step} refused {r.status_code}: {r.text[:300]}")
        raise Gone(f"{step}: no answer in {max_seconds:.0f}s")

    async def get(self, path: str, user: str, **params) -> httpx.Response | None:
        """A read, as a client would make it: one refused by the gateway's rate limit (429) is sent again after
        Retry-After (the checker reads every lifecycle's state in a tight loop), and one refused 401 because the
        user's token expired (access tokens live 15 minutes, a full run 30) again after a new login. Neither is
        a missing effect; both are counted in the history."""
        for _ in range(20):
            try:
                r = await self.gw.get(path, params=params, headers=await self.who(user))
            except httpx.HTTPError:
                return None
            if r.status_code == 401:
                self.history.reads_relogged += 1
                await self.who(user, fresh=True)
            elif r.status_code == 429:
                self.history.reads_throttled += 1
                await asyncio.sleep(float(r.headers.get("retry-after", "1")))
            else:
                return r
        return r

    async def wait_for(self, what: str, fn) -> object:
        """Poll a read until `fn` answers something (reads fail while services restart: keep polling)."""
        deadline = time.monotonic() + self.wait_timeout
        while time.monotonic() < deadline:
            try:
                if got := await fn():
                    return got
            except (httpx.HTTPError, KeyError, ValueError, TypeError):
                pass
            await asyncio.sleep(0.3)
        raise Gone(f"waited {self.wait_timeout:.0f}s for {what}")

    async def attempt(self, lc: Lifecycle, step: str, path: str, user: str, body: dict) -> dict:
        """A command that waits on another service's facts (a price, a capacity, the order reaching parts):
        refused until they arrive, then taken. Each try is a new command (a new key): the earlier ones were
        refused, so nothing of them exists."""
        deadline = time.monotonic() + self.wait_timeout
        tries = 0
        while True:
            tries += 1
            try:
                return await self.command(lc, step if tries == 1 else f"{step}#{tries}", path, user, body)
            except Gone:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    # -- the shop, once ------------------------------------------------------------------------------------
    async def set_up_shop(self) -> None:
        sup, pm = "rel.sup", "rel.pm"
        shop = [("teams/" + TEAM, {"name": "机修组", "leader_id": "rel.leader"}),
                *((f"bays/lift-{b + 1}", {"kind": "lift"}) for b in range(BAYS)),
                ("shifts/rel-day", {"team_id": TEAM, "weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "08:00:00",
                                    "end": "18:00:00", "break_minutes": 60})]
        shop += [(f"technicians/rel.tech{k}", {"name": f"技师{k}", "team_id": TEAM, "grade": "mid",
                                               "skills": ["mechanical"]}) for k in range(self.concurrency)]
        for path, body in shop:
            r = await self.gw.put(f"/api/workshop/stores/{STORE}/{path}", headers=await self.who(sup), json=body)
            assert r.status_code == 200, r.text
        r = await self.gw.post("/api/parts/bins", headers=await self.who(pm), json={
            "store_id": STORE, "store_room": "REL", "rack": "01", "shelf": self.run, "position": "01"})
        assert r.status_code == 201, r.text
        r = await self.gw.post("/api/parts/parts", headers=await self.who(pm), json={
            "store_id": STORE, "part_no": self.part_no, "name": "前刹车片", "brand": "VW", "retail_price": "320.00",
            "bin_code": r.json()["code"], "opening_quantity": str(OPENING_STOCK), "opening_cost": "180.00"})
        assert r.status_code == 201, r.text

    # -- lifecycles ----------------------------------------------------------------------------------------
    async def run_lifecycles(self, total: int, until: asyncio.Event | None = None) -> History:
        """At least `total` lifecycles, and more while `until` is not set (the faults are not all done)."""
        started = 0

        async def worker(k: int) -> None:
            nonlocal started
            while started < total or (until is not None and not until.is_set()):
                lc = Lifecycle(started, warranty=bool(self.warranty_every) and started % self.warranty_every == 1)
                started += 1
                self.history.lifecycles.append(lc)
                try:
                    await self.lifecycle(lc, f"rel.tech{k}")
                except Gone as e:
                    lc.stalled = str(e)

        await asyncio.gather(*(worker(k) for k in range(self.concurrency)))
        self.history.finished = time.monotonic()
        return self.history

    async def lifecycle(self, lc: Lifecycle, tech: str) -> None:
        adv = "rel.advisor"
        c = await self.command(lc, "crm.customer", "/api/crm/customers", adv, {
            "store_id": STORE, "name": f"客户{lc.n}", "phones": [lc.phone]})
        lc.ids["customer"] = c["id"]
        v = await self.command(lc, "crm.vehicle", "/api/crm/vehicles", adv, {
            "store_id": STORE, "vin": lc.vin, "owner_customer_id": c["id"], "plate": f"苏E{lc.n % 100000:05d}",
            # Sold a year ago with three years' warranty: a warranty repair is covered.
            "sale_date": (datetime.now(SH).date() - timedelta(days=365)).isoformat(), "warranty_years": 3,
            "warranty_km": 100000})
        lc.ids["crm_vehicle"] = v["id"]

        async def known_at_reception():
            r = await self.get("/api/reception/vehicles", adv, vin=lc.vin)
            return r.json()["vehicle_id"] if r is not None and r.status_code == 200 else None

        lc.ids["vehicle"] = await self.wait_for("reception to learn the vehicle", known_at_reception)
        # Each hour of a day takes one booking per bay before the next day starts (see BAYS).
        k = next(_SLOTS)
        day = datetime.now(SH).date() + timedelta(days=1 + k // (BAYS * HOURS_A_DAY))
        slot = datetime(day.year, day.month, day.day, 9 + k % HOURS_A_DAY, 0, tzinfo=SH)
        job = {"description": "更换前刹车片", "flat_rate_hours": "1.0",
               "parts": [{"part_no": self.part_no, "quantity": "1"}]}
        a = await self.attempt(lc, "reception.book", "/api/reception/appointments", adv, {
            "store_id": STORE, "vehicle_id": lc.ids["vehicle"], "slot_start": slot.isoformat(), "jobs": [job]})
        lc.ids["appointment"] = a["id"]
        ro = await self.command(lc, "reception.check_in", "/api/reception/check-ins", adv, {
            "store_id": STORE, "vehicle_id": lc.ids["vehicle"], "appointment_id": a["id"], "vin": lc.vin,
            "plate": f"苏E{lc.n % 100000:05d}", "odometer_km": 20000 + lc.n, "covers_fitted": True,
            "customer_complaint": "刹车异响"})
        lc.ids["ro"] = ro_id = ro["id"]
        ro = await self.attempt(lc, "reception.open", f"/api/reception/repair-orders/{ro_id}/open", adv, {
            "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps",
            "signature": {"name": f"客户{lc.n}", "image_ref": "blob://signatures/rel.png"},
            "jobs": [{**job, "pay_type": "warranty" if lc.warranty else "customer"}]})
        job_id = lc.ids["job"] = ro["jobs"][0]["job_id"]
        await self.work(lc, ro_id, job_id, tech)
        await self.settle(lc, ro_id)
        if lc.warranty:
            await self.claim(lc, ro_id)

    async def work(self, lc: Lifecycle, ro_id: str, job_id: str, tech: str) -> None:
        path = f"/api/workshop/work-orders/{ro_id}/jobs/{job_id}"
        await self.attempt(lc, "workshop.dispatch", f"{path}/dispatch", "rel.sup", {"technician_id": tech})
        await self.command(lc, "workshop.start", f"{path}/start", tech, {})
        s = await self.attempt(lc, "parts.slip", "/api/parts/issue-slips", "rel.keeper", {
            "store_id": STORE, "repair_order_id": ro_id, "job_id": job_id, "technician_id": tech,
            "lines": [{"part_no": self.part_no, "quantity": "1"}]})
        await self.command(lc, "parts.sign", f"/api/parts/issue-slips/{s['id']}/sign", "rel.advisor", {})
        if lc.warranty:  # the slip knows the job is warranty once parts has the order (it has: the slip exists)
            await self.command(lc, "parts.warranty_sign", f"/api/parts/issue-slips/{s['id']}/sign", "rel.warranty",
                               {})
        await self.command(lc, "parts.issue", f"/api/parts/issue-slips/{s['id']}/issue", "rel.keeper",
                           {"old_parts": [{"part_no": self.part_no, "disposition": "customer"}]})
        await self.attempt(lc, "workshop.complete", f"{path}/complete", tech, {})
        for who, stage in ((tech, "self"), ("rel.leader", "team_leader"), ("rel.qc", "final")):
            await self.command(lc, f"workshop.check.{stage}", f"{path}/inspections", who,
                               {"stage": stage, "passed": True})

    async def settle(self, lc: Lifecycle, ro_id: str) -> None:
        async def ready():
            r = await self.get(f"/api/reception/repair-orders/{ro_id}", "rel.advisor")
            return r.json() if r is not None and r.status_code == 200 and r.json()["delivery_blockers"] == [] else None

        got = await self.wait_for("reception's delivery check to pass", ready)
        inv = await self.command(lc, "reception.invoice", f"/api/reception/repair-orders/{ro_id}/invoice",
                                 "rel.advisor", {"version": got["version"]})
        await self.command(lc, "reception.deliver", f"/api/reception/repair-orders/{ro_id}/deliver", "rel.advisor",
                           {"version": inv["version"], "odometer_out_km": 20010 + lc.n})


    async def claim(self, lc: Lifecycle, ro_id: str) -> None:
        """The warranty claim claims opened from RepairOrderOpened, through the manufacturer to its payment."""
        who = "rel.warranty"

        async def claim_in(states: tuple[str, ...]):
            r = await self.get("/api/claims/warranty-claims", who, repair_order_id=ro_id)
            found = r.json() if r is not None and r.status_code == 200 else []
            return found[0] if found and found[0]["state"] in states else None

        c = await self.wait_for("claims to open the warranty claim", lambda: claim_in(("open",)))
        lc.ids["claim"] = c["id"]
        path = f"/api/claims/warranty-claims/{c['id']}"
        c = await self.command(lc, "claims.sign_off", f"{path}/parts-issue-sign-off", who, {"version": c["version"]})
        await self.command(lc, "claims.submit", f"{path}/submit", who, {"version": c["version"]})
        c = await self.wait_for("the manufacturer's decision", lambda: claim_in(DECIDED))
        if c["state"] != "rejected":
            await self.command(lc, "claims.payment", f"{path}/payments", who,
                               {"amount": c["approved_amount"], "payment_ref": f"OEM-{self.run}-{lc.n}"})


DECIDED = ("approved", "partly_approved", "rejected")


def _in_progress(r: httpx.Response) -> bool:
    """The 409 that says the first request with this key is still running: an answer to wait for, not a no."""
    if r.status_code != 409:
        return False
    try:
        return r.json().get("error") == "IdempotencyInProgress"
    except ValueError:
        return False
