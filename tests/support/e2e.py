"""The end-to-end platform's users and the steps its tests share (tests/e2e/conftest.py starts it):
logging in through the gateway, setting up the workshop floor, a walk-in, and working a job through the
real workshop service (dispatch, clocking, the three checks, the wash)."""

from __future__ import annotations

import json

import httpx
from shared.auth import KeySet, generate_signing_key

from tests.support.factories import eventually, new_phone, new_vin

PASSWORD = "e2e-secret-pw"
# The platform's key: the gateway signs with it, every process verifies with its public half.
SIGNING_KEY = generate_signing_key("e2e-1")
JWT_KEYS = KeySet.of(SIGNING_KEY).to_json()
JWT_SIGNING_KEYS = json.dumps({"keys": [SIGNING_KEY.private_jwk()]})
GROUP, STORE = "dg-e2e", "s-e2e"

# The gateway's users (username, group, roles, stores): the front desk, an outsider, the workshop floor and
# the store's service manager (who reads everything of the store, warranty claims too).
USERS = [
    ("advisor", GROUP, ["advisor"], [STORE]),
    ("outsider", "dg-other", ["advisor"], ["s-x"]),
    ("care", GROUP, ["customer_care"], [STORE]),
    ("parts.mgr", GROUP, ["parts_manager"], [STORE]),
    ("parts.keeper", GROUP, ["parts_clerk"], [STORE]),
    ("ws.sup", GROUP, ["workshop_supervisor"], [STORE]),
    ("ws.tech", GROUP, ["technician"], [STORE]),
    ("ws.leader", GROUP, ["team_leader"], [STORE]),
    ("ws.qc", GROUP, ["qc_inspector"], [STORE]),
    ("svc.mgr", GROUP, ["service_manager"], [STORE]),
    ("admin", GROUP, ["group_admin"], []),
    ("other.admin", "dg-other", ["group_admin"], []),
]
# A group of two stores of its own for the figures (tests/e2e/test_figures.py): no other test's work counts in
# its group's rows. One advisor and one workshop floor serve both stores; the analyst sees the group, the
# service manager store A only.
KPI_GROUP, KPI_A, KPI_B = "dg-kpi", "s-kpi-a", "s-kpi-b"
USERS += [(f"kpi.{name}", KPI_GROUP, [role], [KPI_A, KPI_B]) for name, role in (
    ("advisor", "advisor"), ("sup", "workshop_supervisor"), ("tech", "technician"), ("leader", "team_leader"),
    ("qc", "qc_inspector"))]
USERS += [("kpi.analyst", KPI_GROUP, ["group_analyst"], []), ("kpi.mgr.a", KPI_GROUP, ["service_manager"], [KPI_A]),
          ("kpi.admin", KPI_GROUP, ["group_admin"], [])]
# The stores each group administrator opens at the gateway before any test runs (every service must know them).
STORES = {"admin": {STORE: {"name": "苏州园区店", "brand": "Volkswagen", "city": "苏州"}},
          "other.admin": {"s-x": {"name": "外集团店", "brand": "Audi", "city": "南京"}},
          "kpi.admin": {KPI_A: {"name": "指标A店", "brand": "Volkswagen", "city": "上海"},
                        KPI_B: {"name": "指标B店", "brand": "Volkswagen", "city": "上海"}}}


def gateway_users() -> list[dict]:
    return [dict(username=u, password=PASSWORD, dealer_group_id=g, roles=r, store_ids=s) for u, g, r, s in USERS]


async def open_stores(gateway_url: str) -> None:
    """Each group's stores opened through the gateway's store API; back when every service knows them."""
    from deploy.stores import open_stores as open_at_gateway

    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as gw:
        for admin, stores in STORES.items():
            await open_at_gateway(gw, await login(gw, admin), stores)


async def login(gw: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await gw.post("/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def set_up_shop(gw: httpx.AsyncClient, sup: dict[str, str]) -> None:
    """One mechanical team (ws.leader leads, ws.tech works), a lift, a daily shift (9 technician hours) and an
    operation code. The same PUTs twice change nothing, so every test may call it."""
    for path, body in [
        ("teams/e2e-mech", {"name": "机修一组", "leader_id": "ws.leader"}),
        ("technicians/ws.tech", {"name": "钱技师", "team_id": "e2e-mech", "grade": "mid", "skills": ["mechanical"]}),
        ("bays/lift-1", {"kind": "lift"}),
        ("shifts/e2e-day", {"team_id": "e2e-mech", "weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "08:00:00",
                            "end": "18:00:00", "break_minutes": 60}),
        ("operations/E2E-BRK", {"description": "更换前刹车片", "flat_rate_hours": "1.2", "skill": "mechanical"}),
    ]:
        r = await gw.put(f"/api/workshop/stores/{STORE}/{path}", headers=sup, json=body)
        assert r.status_code == 200, r.text


async def walk_in(gw: httpx.AsyncClient, advisor: dict[str, str]) -> tuple[dict, str]:
    """A first-visit check-in at reception: the draft repair order and the vehicle's VIN."""
    vin = new_vin()
    r = await gw.post("/api/reception/check-ins", headers=advisor, json={
        "store_id": STORE, "vin": vin, "plate": "苏E54321", "odometer_km": 20100, "covers_fitted": True,
        "customer_complaint": "刹车异响", "first_visit": {
            "customer": {"name": "蔡明", "phones": [new_phone()]}, "vehicle": {"model": "Magotan"}}})
    assert r.status_code == 201, r.text
    return r.json(), vin


async def queued_in_workshop(gw: httpx.AsyncClient, sup: dict[str, str], ro_id: str) -> dict:
    """The order's row on the workshop board once workshop has queued its jobs (from RepairOrderOpened)."""

    async def queued():
        b = (await gw.get("/api/workshop/board", params={"store_id": STORE}, headers=sup)).json()
        return next((o for o in b["orders"] if o["repair_order_id"] == ro_id), None)

    row = await eventually(queued)
    assert row and all(j["state"] == "queued" for j in row["jobs"]), f"workshop never queued {ro_id}: {row}"
    return row


def job_path(ro_id: str, job_id: str) -> str:
    return f"/api/workshop/work-orders/{ro_id}/jobs/{job_id}"


async def dispatch_and_start(gw: httpx.AsyncClient, ro_id: str, job_id: str, sup, tech) -> None:
    """The supervisor dispatches to the technician workshop recommends (ws.tech, the one mechanic), who clocks on."""
    path = job_path(ro_id, job_id)
    rec = (await gw.get(f"{path}/recommendation", headers=sup)).json()
    assert rec["technician_id"] == "ws.tech" and rec["explanation"], rec
    r = await gw.post(f"{path}/dispatch", headers=sup, json={})
    assert r.status_code == 200, r.text
    r = await gw.post(f"{path}/start", headers=tech, json={})
    assert r.status_code == 200, r.text


async def complete_and_check(gw: httpx.AsyncClient, ro_id: str, job_id: str, tech, leader, qc) -> None:
    """The technician completes the job; the three checks (三检) follow in order, each by a different person."""
    path = job_path(ro_id, job_id)
    r = await gw.post(f"{path}/complete", headers=tech, json={})
    assert r.status_code == 200, r.text
    for who, stage in ((tech, "self"), (leader, "team_leader"), (qc, "final")):
        r = await gw.post(f"{path}/inspections", headers=who, json={"stage": stage, "passed": True})
        assert r.status_code == 200, r.text


async def work_the_job(gw: httpx.AsyncClient, ro_id: str, job_id: str, sup, tech, leader, qc) -> None:
    await dispatch_and_start(gw, ro_id, job_id, sup, tech)
    await complete_and_check(gw, ro_id, job_id, tech, leader, qc)


async def wash(gw: httpx.AsyncClient, ro_id: str, sup: dict[str, str]) -> dict:
    r = await gw.post(f"/api/workshop/work-orders/{ro_id}/wash", headers=sup)
    assert r.status_code == 200, r.text
    return r.json()


async def ready_to_invoice(gw: httpx.AsyncClient, advisor: dict[str, str], ro_id: str) -> dict:
    """reception's repair order once nothing blocks delivery any more (the workshop's facts have arrived)."""

    async def ready():
        got = (await gw.get(f"/api/reception/repair-orders/{ro_id}", headers=advisor)).json()
        return got if got["delivery_blockers"] == [] else None

    got = await eventually(ready)
    assert got, "reception never saw the workshop's facts"
    return got
