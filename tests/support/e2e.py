"""The end-to-end platform's users and the steps its tests share (tests/e2e/conftest.py starts it):
logging in through the gateway, setting up the workshop floor, a walk-in, and working a job through the
real workshop service (dispatch, clocking, the three checks, the wash). The steps themselves are
deploy/demo_lifecycles.py's (the demo loader and the benchmark run the same ones): here they take the
headers of people already logged in."""

from __future__ import annotations

import json

import httpx
from shared.auth import KeySet, generate_signing_key

from deploy import demo_lifecycles as lc
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
# FUZZ_STORE is the fuzzer's (tests/e2e/test_fuzz_no_server_errors.py): what its stateful phase books and opens
# there takes no capacity or stock another test counts on in STORE.
FUZZ_STORE = "s-e2e-fuzz"
STORES = {"admin": {STORE: {"name": "苏州园区店", "brand": "Volkswagen", "city": "苏州"},
                    FUZZ_STORE: {"name": "模糊测试店", "brand": "Volkswagen", "city": "苏州"}},
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


def _visit(gw: httpx.AsyncClient, **headers: dict[str, str]) -> lc.Visit:
    """The shared steps (deploy/demo_lifecycles.py) for people who already hold their tokens."""
    return lc.Visit.signed_in(gw, headers)


async def set_up_shop(gw: httpx.AsyncClient, sup: dict[str, str]) -> None:
    """One mechanical team (ws.leader leads, ws.tech works), a lift, a daily shift (9 technician hours) and an
    operation code. The same PUTs twice change nothing, so every test may call it."""
    await lc.set_up_shop(
        _visit(gw, sup=sup), STORE, teams=[("e2e-mech", {"name": "机修一组", "leader_id": "ws.leader"})],
        technicians=[("ws.tech", {"name": "钱技师", "team_id": "e2e-mech", "grade": "mid", "skills": ["mechanical"]})],
        bays=[("lift-1", {"kind": "lift"})],
        shifts=[("e2e-day", {"team_id": "e2e-mech", "weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "08:00:00",
                             "end": "18:00:00", "break_minutes": 60})],
        operations=[("E2E-BRK", {"description": "更换前刹车片", "flat_rate_hours": "1.2", "skill": "mechanical"})])


async def walk_in(gw: httpx.AsyncClient, advisor: dict[str, str]) -> tuple[dict, str]:
    """A first-visit check-in at reception: the draft repair order and the vehicle's VIN."""
    vin = new_vin()
    ro = await lc.walk_in(_visit(gw, advisor=advisor), STORE, vin=vin, phone=new_phone(), model="Magotan")
    return ro, vin


async def queued_in_workshop(gw: httpx.AsyncClient, sup: dict[str, str], ro_id: str) -> dict:
    """The order's row on the workshop board once workshop has queued its jobs (from RepairOrderOpened)."""

    async def queued():
        b = (await gw.get("/api/workshop/board", params={"store_id": STORE}, headers=sup)).json()
        return next((o for o in b["orders"] if o["repair_order_id"] == ro_id), None)

    row = await eventually(queued)
    assert row and all(j["state"] == "queued" for j in row["jobs"]), f"workshop never queued {ro_id}: {row}"
    return row


async def open_brake_job(gw: httpx.AsyncClient, advisor: dict[str, str], ro: dict, *, signed_by: str = "蔡明",
                         image_ref: str = "blob://signatures/e2e.png") -> dict:
    """The advisor opens the draft order with one customer-paid job (front brake pads, 1.2 h), signed, to be
    washed: the opened order."""
    return await lc.open_order(_visit(gw, advisor=advisor), ro, [
        {"description": "front brake pads", "flat_rate_hours": "1.2", "pay_type": "customer"}],
        signature={"name": signed_by, "image_ref": image_ref})


async def invoice_and_deliver(gw: httpx.AsyncClient, advisor: dict[str, str], ro_id: str, *,
                              odometer_out_km: int = 15210) -> dict:
    """Invoice once nothing blocks it, and deliver: the delivered order."""
    _, delivered = await lc.invoice_and_deliver(_visit(gw, advisor=advisor), ro_id, odometer_out_km=odometer_out_km)
    return delivered


job_path = lc.job


async def dispatch_and_start(gw: httpx.AsyncClient, ro_id: str, job_id: str, sup, tech) -> None:
    """The supervisor dispatches to the technician workshop recommends (ws.tech, the one mechanic), who clocks on."""
    rec = (await gw.get(f"{job_path(ro_id, job_id)}/recommendation", headers=sup)).json()
    assert rec["technician_id"] == "ws.tech" and rec["explanation"], rec
    await lc.dispatch_and_start(_visit(gw, sup=sup, tech=tech), ro_id, job_id)


async def complete_and_check(gw: httpx.AsyncClient, ro_id: str, job_id: str, tech, leader, qc) -> None:
    """The technician completes the job; the three checks (三检) follow in order, each by a different person."""
    await lc.complete_and_check(_visit(gw, tech=tech, leader=leader, qc=qc), ro_id, job_id)


async def work_the_job(gw: httpx.AsyncClient, ro_id: str, job_id: str, sup, tech, leader, qc) -> None:
    await dispatch_and_start(gw, ro_id, job_id, sup, tech)
    await complete_and_check(gw, ro_id, job_id, tech, leader, qc)


async def wash(gw: httpx.AsyncClient, ro_id: str, sup: dict[str, str]) -> dict:
    return await lc.wash(_visit(gw, sup=sup), ro_id)


async def ready_to_invoice(gw: httpx.AsyncClient, advisor: dict[str, str], ro_id: str) -> dict:
    """reception's repair order once nothing blocks delivery any more (the workshop's facts have arrived)."""
    return await lc.ready_to_invoice(_visit(gw, advisor=advisor), ro_id)
