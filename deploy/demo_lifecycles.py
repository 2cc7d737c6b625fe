"""A service visit's steps through the gateway, shared by the demo loader (deploy/demo.py), the end-to-end tests
(tests/support/e2e.py, tests/e2e/test_lifecycles.py) and the platform benchmark (bench/platform_load.py): one copy.

A `Visit` is one lifecycle's client: every call goes through the gateway as a named person (`who` is a part the
visit casts, e.g. "advisor", "sup", "tech"; `username` maps it to a login), all in one W3C trace. With `keys`
set, every command carries an Idempotency-Key derived from the visit's key and the step, so the same visit run
again changes nothing (the demo loader); a step refused with an unexpected status raises `LifecycleError`.

Only httpx here (no `shared`, no test support): the loader runs it against any gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any


class LifecycleError(AssertionError):
    """A step the gateway refused, or a fact that never arrived (an AssertionError: tests report it as one)."""


async def eventually(probe: Callable[[], Awaitable[Any]], *, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """The first truthy answer of `probe` within `timeout` seconds, else None (the services learn from each
    other's events, a moment later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await probe()
        if got or loop.time() > deadline:
            return got
        await asyncio.sleep(interval)


class Visit:
    """One lifecycle's client through the gateway (see the module's docstring)."""

    def __init__(self, gw, *, username: Callable[[str], str] = str, password: str = "",
                 tokens: dict[str, dict[str, str]] | None = None, keys: str | None = None,
                 trace_id: str | None = None) -> None:
        self.gw = gw
        self.username, self.password = username, password
        self.tokens = tokens if tokens is not None else {}  # per username; share one dict to log in once each
        self.keys = keys
        self._steps: dict[str, int] = {}
        self.trace_id = trace_id or secrets.token_hex(16)
        self.traceparent = f"00-{self.trace_id}-{secrets.token_hex(8)}-01"

    @classmethod
    def signed_in(cls, gw, headers: Mapping[str, dict[str, str]], **kw) -> Visit:
        """A visit whose people already hold tokens: `headers` per part (tests/support/e2e.py's style)."""
        return cls(gw, tokens={who: dict(h) for who, h in headers.items()}, **kw)

    async def as_(self, who: str, *, fresh: bool = False) -> dict[str, str]:
        user = self.username(who)
        if fresh or user not in self.tokens:
            r = await self.gw.post("/auth/token", data={"username": user, "password": self.password})
            if r.status_code != 200:
                raise LifecycleError(f"{user} could not log in: {r.status_code} {r.text}")
            self.tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[user] | {"traceparent": self.traceparent}

    def key(self, method: str, path: str, body: Any = None) -> str | None:
        """This step's Idempotency-Key: the visit's key, the path, how often the visit sent it (the three checks
        post to one path three times) and the body. The same step with the same body again replays its first
        answer; a step whose body changed (a later load's dates) is a new command. ASCII, whatever it holds."""
        if self.keys is None:
            return None
        n = self._steps[f"{method} {path}"] = self._steps.get(f"{method} {path}", 0) + 1
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
        return "demo-" + hashlib.sha256(f"{self.keys}|{method} {path}|{n}|{digest}".encode()).hexdigest()[:32]

    async def request(self, who: str, method: str, path: str, *, key: str | None = None, **kw):
        """`key`: the Idempotency-Key a retried step keeps (`self.key(...)` once, before the retries); by default
        each command gets its own."""
        headers = await self.as_(who)
        if method != "GET" and (key := key or self.key(method, path, kw.get("json"))):
            headers["Idempotency-Key"] = key
        r = await self.gw.request(method, path, headers=headers, **kw)
        if r.status_code == 401 and self.password:  # the access token ran out (15 minutes): log in again
            headers |= await self.as_(who, fresh=True)
            r = await self.gw.request(method, path, headers=headers, **kw)
        return r

    async def call(self, who: str, method: str, path: str, expect: int | tuple[int, ...] = 200, **kw) -> Any:
        r = await self.request(who, method, path, **kw)
        if r.status_code not in ((expect,) if isinstance(expect, int) else expect):
            raise LifecycleError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json()

    async def post(self, who: str, path: str, body: dict | None = None, expect: int | tuple[int, ...] = 200) -> Any:
        return await self.call(who, "POST", path, expect, json=body or {})

    async def put(self, who: str, path: str, body: dict) -> Any:
        return await self.call(who, "PUT", path, json=body)

    async def get(self, who: str, path: str, **params) -> Any:
        return await self.call(who, "GET", path, params=params)

    async def until(self, who: str, path: str, check: Callable[[Any], Any], *, timeout: float = 30.0, **params):
        """The answer once `check(answer)` holds (the services learn from each other's events)."""
        async def probe():
            r = await self.gw.get(path, params=params, headers=await self.as_(who))
            return r.json() if r.status_code == 200 and check(r.json()) else None

        got = await eventually(probe, timeout=timeout)
        if not got:
            raise LifecycleError(f"{path} never showed what the lifecycle expected ({params})")
        return got


# -- the workshop floor ------------------------------------------------------------------------------------
async def set_up_shop(v: Visit, store: str, *, teams=(), technicians=(), bays=(), shifts=(), operations=()) -> None:
    """The supervisor ("sup") puts the floor: each argument a list of (id, body) for /api/workshop/stores/
    {store}/<kind>/{id}. The same values twice change nothing (every PUT republishes the capacity window)."""
    for kind, items in (("teams", teams), ("technicians", technicians), ("bays", bays), ("shifts", shifts),
                        ("operations", operations)):
        for item_id, body in items:
            await v.put("sup", f"/api/workshop/stores/{store}/{kind}/{item_id}", body)


# -- reception ---------------------------------------------------------------------------------------------
async def check_in(v: Visit, store: str, car: dict, *, appointment_id: str | None = None, odometer_km: int = 15200,
                   complaint: str = "刹车异响") -> dict:
    """A known car at reception: `car` holds its vehicle_id and vin."""
    return await v.post("advisor", "/api/reception/check-ins", {
        "store_id": store, "vehicle_id": car["vehicle_id"], "vin": car["vin"], "appointment_id": appointment_id,
        "odometer_km": odometer_km, "covers_fitted": True, "customer_complaint": complaint}, expect=201)


async def walk_in(v: Visit, store: str, *, vin: str, phone: str, name: str = "蔡明", plate: str = "苏E54321",
                  model: str = "Magotan", odometer_km: int = 20100, complaint: str = "刹车异响") -> dict:
    """A first visit: reception records the customer and car itself (crm learns of them); the draft order."""
    return await v.post("advisor", "/api/reception/check-ins", {
        "store_id": store, "vin": vin, "plate": plate, "odometer_km": odometer_km, "covers_fitted": True,
        "customer_complaint": complaint, "first_visit": {
            "customer": {"name": name, "phones": [phone]}, "vehicle": {"model": model}}}, expect=201)


async def open_order(v: Visit, ro: dict, jobs: list[dict], *, signature: dict, **more) -> dict:
    return await v.post("advisor", f"/api/reception/repair-orders/{ro['id']}/open", {
        "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps", "signature": signature,
        "wash": True, "jobs": jobs, **more})


# -- the workshop ------------------------------------------------------------------------------------------
def job(ro_id: str, job_id: str) -> str:
    return f"/api/workshop/work-orders/{ro_id}/jobs/{job_id}"


async def queued(v: Visit, ro_id: str, job_id: str) -> dict:
    """The job once workshop has it (from RepairOrderOpened): queued, or further on a visit run again."""
    wo = await v.until("sup", f"/api/workshop/work-orders/{ro_id}",
                       lambda wo: any(j["job_id"] == job_id for j in wo["jobs"]))
    return next(j for j in wo["jobs"] if j["job_id"] == job_id)


async def dispatch_and_start(v: Visit, ro_id: str, job_id: str, *, technician: str | None = None) -> None:
    """The supervisor dispatches (to `technician`, else to whom workshop recommends); "tech" clocks on."""
    await queued(v, ro_id, job_id)
    await v.post("sup", f"{job(ro_id, job_id)}/dispatch", {"technician_id": technician} if technician else {})
    await v.post("tech", f"{job(ro_id, job_id)}/start")


async def complete_and_check(v: Visit, ro_id: str, job_id: str, *, final_passes: bool = True) -> dict:
    """The technician completes; the three checks (三检) follow in order, each by a different person. A failed
    final check names its reason (the job goes back for rework)."""
    await v.post("tech", f"{job(ro_id, job_id)}/complete")
    for who, stage in (("tech", "self"), ("leader", "team_leader")):
        await v.post(who, f"{job(ro_id, job_id)}/inspections", {"stage": stage, "passed": True})
    body: dict = {"stage": "final", "passed": final_passes}
    if not final_passes:
        body |= {"reason": "刹车盘螺栓扭矩不足", "checklist": {"torque": False}}
    return await v.post("qc", f"{job(ro_id, job_id)}/inspections", body)


async def issue_parts(v: Visit, store: str, ro_id: str, job_id: str, technician: str, lines: list[dict],
                      old_parts: list[dict] = ()) -> dict:
    """The storekeeper ("keeper") writes the issue slip once parts knows the order, the advisor signs, the
    keeper issues (old parts handed in as `old_parts` say)."""
    body = {"store_id": store, "repair_order_id": ro_id, "job_id": job_id, "technician_id": technician,
            "lines": lines}
    key = v.key("POST", "/api/parts/issue-slips", body)  # one key for the retries below: the slip is written once

    async def slip():
        r = await v.request("keeper", "POST", "/api/parts/issue-slips", key=key, json=body)
        return r.json() if r.status_code == 201 else None

    s = await eventually(slip)
    if not s:
        raise LifecycleError(f"parts never knew repair order {ro_id}")
    await v.post("advisor", f"/api/parts/issue-slips/{s['id']}/sign")
    return await v.post("keeper", f"/api/parts/issue-slips/{s['id']}/issue", {"old_parts": list(old_parts)})


async def wash(v: Visit, ro_id: str) -> dict:
    return await v.post("sup", f"/api/workshop/work-orders/{ro_id}/wash")


async def ready_to_invoice(v: Visit, ro_id: str, *, timeout: float = 30.0) -> dict:
    """reception's repair order once nothing blocks delivery any more (the workshop's facts have arrived)."""
    return await v.until("advisor", f"/api/reception/repair-orders/{ro_id}", lambda o: o["delivery_blockers"] == [],
                         timeout=timeout)


async def invoice_and_deliver(v: Visit, ro_id: str, *, odometer_out_km: int = 15210) -> tuple[dict, dict]:
    """Invoice (the settlement sheet) once nothing blocks it, and deliver: (sheet, delivered order)."""
    got = await ready_to_invoice(v, ro_id)
    invoiced = await v.post("advisor", f"/api/reception/repair-orders/{ro_id}/invoice", {"version": got["version"]})
    sheet = await v.get("advisor", f"/api/reception/repair-orders/{ro_id}/settlement")
    delivered = await v.post("advisor", f"/api/reception/repair-orders/{ro_id}/deliver",
                             {"version": invoiced["version"], "odometer_out_km": odometer_out_km})
    return sheet, delivered


async def settle_and_deliver(v: Visit, ro_id: str, *, odometer_out_km: int = 15210) -> tuple[dict, dict]:
    """Wash, then invoice and deliver."""
    await wash(v, ro_id)
    return await invoice_and_deliver(v, ro_id, odometer_out_km=odometer_out_km)


# -- after the visit ---------------------------------------------------------------------------------------
async def follow_up_of(v: Visit, ro_id: str, customer_id: str) -> dict:
    """crm's follow-up of the order (scheduled on delivery), as customer care ("care") lists it."""
    found = await v.until("care", "/api/crm/follow-ups", lambda fs: any(f["repair_order_id"] == ro_id for f in fs),
                          customer_id=customer_id)
    return next(f for f in found if f["repair_order_id"] == ro_id)
