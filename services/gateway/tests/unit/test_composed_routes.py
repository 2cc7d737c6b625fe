"""A vehicle's history and a store's board for today, against fake services (httpx.MockTransport): what is
asked of whom, how the answers become one timeline or one board, and what a slow, down or refusing service
does to the answer."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from gateway.config import Settings
from gateway.domain.organisation import Store, StoreDetails, local_day
from gateway.entrypoints import composed_routes
from shared.auth import Principal, Role, authenticate
from shared.clock import FixedClock
from shared.errors import Forbidden

NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # already the 27th in Shanghai
VIN = "LSVAU2180N2183294"
TIMEOUT = 0.3
ROLE_REFUSAL = (403, {"detail": "needs one of the roles: warranty_specialist", "error": "Forbidden"})


def store(store_id: str, name: str, tz: str = "Asia/Shanghai") -> Store:
    return Store.open(dealer_group_id="dg", store_id=store_id,
                      details=StoreDetails(name=name, brand="VW", city="Shanghai", time_zone=tz))


STORES = {"s-1": store("s-1", "浦东店"), "s-2": store("s-2", "闵行店"),
          "s-la": store("s-la", "LA", "America/Los_Angeles")}


def person(*roles: Role, stores=("s-1", "s-2", "s-la")) -> Principal:
    return Principal(user_id="u", name="u", dealer_group_id="dg", roles=frozenset(roles), store_ids=frozenset(stores))


class Services:
    """Fake services: answers by (service, path), delays by service, every request seen."""

    def __init__(self, answers: dict, delays: dict[str, float] | None = None) -> None:
        self.answers, self.delays, self.seen = answers, delays or {}, []
        self.ports = {urlsplit(u).port: s for s, u in Settings().service_urls().items()}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        service = self.ports[request.url.port]
        self.seen.append((service, request.url.path, request.url.params))
        await asyncio.sleep(self.delays.get(service, 0))
        answer = self.answers.get((service, request.url.path), self.answers.get(service, (404, {"detail": "none"})))
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return httpx.Response(status, json=body)

    def asked(self, service: str) -> list[str]:
        return [p for s, p, _ in self.seen if s == service]

    def params(self, service: str, path: str) -> list[httpx.QueryParams]:
        return [q for s, p, q in self.seen if s == service and p == path]


def app_for(services: Services, principal: Principal) -> FastAPI:
    app = FastAPI()
    app.include_router(composed_routes.router)
    app.state.settings = Settings(compose_timeout_seconds=TIMEOUT)
    app.state.runtime = SimpleNamespace(clock=FixedClock(NOW))
    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(services))
    app.dependency_overrides[authenticate] = lambda: principal
    app.dependency_overrides[composed_routes.group_stores] = lambda: STORES
    return app


async def get(services: Services, url: str, principal: Principal | None = None) -> httpx.Response:
    app = app_for(services, principal or person(Role.SERVICE_MANAGER))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        return await client.get(url)


# -- what the services answer (the fields the gateway reads) ------------------------------------------
def repair_order(ro_id: str, store_id: str, checked_in: str, state: str = "delivered") -> dict:
    return {"id": ro_id, "store_id": store_id, "number": f"RO-{ro_id}", "state": state, "vehicle_id": "v-1",
            "check_in": {"checked_in_at": checked_in, "odometer_km": 20100, "customer_complaint": "刹车异响"},
            "estimate": {"labour": "240.00", "parts": "360.00", "materials": "0", "total": "600.00"},
            "jobs": [{"job_id": "j1", "description": "front brake pads", "pay_type": "warranty"}]}


def work_order(ro_id: str) -> dict:
    checks = [{"stage": s, "inspector_id": "qc", "passed": True, "at": "2026-06-01T10:00:00Z"}
              for s in ("self", "team_leader", "final")]
    return {"id": ro_id, "state": "closed", "eta": "2026-06-01T10:00:00Z", "washed": True,
            "jobs": [{"job_id": "j1", "description": "front brake pads", "state": "passed", "checks": checks}]}


def reconciliation(ro_id: str) -> dict:
    return {"repair_order_id": ro_id, "open": False, "agrees": True, "lines": [
        {"part_no": "PAD-F", "planned": "1", "issued": "2", "returned": "1", "net_issued": "1", "agrees": True}]}


def booking(a_id: str, store_id: str, slot: str, **kw) -> dict:
    return {"id": a_id, "store_id": store_id, "state": "booked", "slot_start": slot, "slot_end": slot,
            "parts_status": "reserved", "parts_ready": True, "parties_to_confirm": ["claims"],
            "confirmations": [{"party": "workshop"}, {"party": "parts"}, {"party": "customer"}],
            "jobs": [{"description": "oil change"}], "repair_order_id": None} | kw


def follow_up(f_id: str, store_id: str, due_from: str, status: str = "completed", **kw) -> dict:
    return {"id": f_id, "store_id": store_id, "repair_order_id": "ro-old", "customer_id": "c-1",
            "vehicle_id": "v-1", "status": status, "due_from": due_from, "due_to": due_from, "round": 1,
            "attempts": [], "satisfaction": 5, "completed_at": None} | kw


def complaint(c_id: str, store_id: str, opened: str, **kw) -> dict:
    return {"id": c_id, "store_id": store_id, "customer_id": "c-1", "vehicle_id": "v-1", "status": "assigned",
            "severity": "general", "channel": "phone", "summary": "waited too long", "opened_at": opened,
            "deadline": "2026-11-28T10:00:00+08:00", "overdue": False} | kw


CRM_VEHICLE = {"id": "v-1", "vin": VIN, "plate": "沪A12345", "model": "Magotan", "owner_customer_id": "c-1"}


def history_answers(override: dict | None = None) -> dict:
    return {
        ("crm", "/vehicles"): (200, CRM_VEHICLE),
        ("reception", "/vehicles"): (200, CRM_VEHICLE | {"vehicle_id": "v-1"}),
        ("reception", "/vehicles/v-1/repair-orders"): (200, [
            repair_order("ro-old", "s-2", "2025-03-01T09:00:00+08:00"),
            repair_order("ro-new", "s-1", "2026-06-01T09:00:00+08:00")]),
        ("reception", "/vehicles/v-1/appointments"): (200, [
            booking("a-1", "s-1", "2026-05-31T09:00:00+08:00", state="checked_in", repair_order_id="ro-new")]),
        ("claims", "/insurance-claims"): (200, [
            {"id": "ic-1", "store_id": "s-2", "repair_order_id": None, "insurer": "PICC",
             "accident_date": "2025-08-01", "opened_at": "2025-08-02T10:00:00+08:00", "state": "paid",
             "outstanding": "0"}]),
        ("claims", "/warranty-claims"): (200, [
            {"id": "wc-1", "repair_order_id": "ro-new", "claim_number": "WC-1", "state": "submitted",
             "amount": "600.00"}]),
        ("crm", "/follow-ups"): (200, [follow_up("f-1", "s-2", "2025-03-03T09:00:00+08:00",
                                                 completed_at="2025-03-03T10:00:00+08:00")]),
        ("crm", "/complaints"): (200, [complaint("cp-1", "s-2", "2025-03-04T09:00:00+08:00")]),
        ("workshop", "/work-orders"): (200, [work_order("ro-new"), work_order("ro-old")]),
        ("parts", "/reconciliations"): (200, [reconciliation("ro-new")]),
    } | (override or {})


# -- a vehicle's history -----------------------------------------------------------------------------------
async def test_a_vehicles_visits_across_stores_in_time_order_each_naming_its_store():
    services = Services(history_answers())
    r = await get(services, f"/api/vehicles/{VIN.lower()}/history", person(Role.SERVICE_MANAGER, stores=["s-1", "s-2"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["partial"] is False and body["unavailable"] == [] and body["withheld"] == []
    assert body["vin"] == VIN and body["vehicle_id"] == "v-1" and body["vehicle"]["plate"] == "沪A12345"
    assert body["stores"] == ["s-1", "s-2"]
    assert [(e["kind"], e["store_name"]) for e in body["entries"]] == [
        ("repair_order", "闵行店"), ("follow_up", "闵行店"), ("complaint", "闵行店"), ("insurance_claim", "闵行店"),
        ("booking", "浦东店"), ("repair_order", "浦东店")]
    new = body["entries"][-1]
    assert new["repair_order_id"] == "ro-new" and new["repair_order"]["customer_complaint"] == "刹车异响"
    checks = new["repair_order"]["workshop"]["jobs"][0]["checks"]
    assert [c["stage"] for c in checks] == ["self", "team_leader", "final"]
    assert new["repair_order"]["parts"]["lines"][0]["returned"] == "1"
    assert [c["claim_number"] for c in new["repair_order"]["warranty_claims"]] == ["WC-1"]
    old = body["entries"][0]["repair_order"]
    assert old["parts"] is None and old["warranty_claims"] == [] and old["workshop"]["washed"] is True
    booked = body["entries"][4]["booking"]
    assert booked["customer_called"] is True and booked["still_to_confirm"] == ["claims"]
    # Every order's work, parts and claims in one call per service, the ids repeated.
    (asked,) = services.params("workshop", "/work-orders")
    assert asked.get_list("repair_order_id") == ["ro-old", "ro-new"]
    assert services.params("claims", "/warranty-claims")[0].get_list("repair_order_id") == ["ro-old", "ro-new"]
    assert services.params("crm", "/follow-ups")[0]["vehicle_id"] == "v-1"
    lists = [q for _, path, q in services.seen if path != "/vehicles"]  # every list in one page, the largest
    assert len(lists) == 8 and {q["limit"] for q in lists} == {"500"}


async def test_a_group_role_sees_every_stores_visits():
    r = await get(Services(history_answers()), f"/api/vehicles/{VIN}/history", person(Role.GROUP_ANALYST, stores=[]))
    assert r.json()["stores"] is None


async def test_no_such_vin_is_404():
    services = Services(history_answers({("crm", "/vehicles"): (404, {"detail": "no vehicle"}),
                                           ("reception", "/vehicles"): (404, {"detail": "no vehicle"})}))
    r = await get(services, f"/api/vehicles/{VIN}/history")
    assert r.status_code == 404 and VIN in r.json()["detail"]
    assert services.asked("workshop") == []


async def test_crm_down_the_vehicle_comes_from_receptions_copy_and_crm_is_not_asked_again():
    services = Services(history_answers({"crm": httpx.ConnectError("refused"),
                                           ("crm", "/vehicles"): httpx.ConnectError("refused"),
                                           ("crm", "/follow-ups"): httpx.ConnectError("refused"),
                                           ("crm", "/complaints"): httpx.ConnectError("refused")}))
    r = await get(services, f"/api/vehicles/{VIN}/history")
    body = r.json()
    assert r.status_code == 200 and body["partial"] is True and body["unavailable"] == ["crm"]
    assert body["vehicle_id"] == "v-1" and body["vehicle"]["model"] == "Magotan"
    assert {e["kind"] for e in body["entries"]} == {"repair_order", "booking", "insurance_claim"}
    assert services.asked("crm") == ["/vehicles"]


async def test_a_slow_workshop_costs_one_timeout_and_leaves_the_orders_work_out():
    services = Services(history_answers(), delays={"workshop": 5})
    started = time.monotonic()
    r = await get(services, f"/api/vehicles/{VIN}/history")
    assert time.monotonic() - started < TIMEOUT + 0.5
    body = r.json()
    assert body["partial"] is True and body["unavailable"] == ["workshop"]
    visits = [e["repair_order"] for e in body["entries"] if e["kind"] == "repair_order"]
    assert [v["workshop"] for v in visits] == [None, None] and visits[1]["parts"]["agrees"] is True


async def test_claims_withheld_from_an_advisor_is_not_partial():
    services = Services(history_answers({("claims", "/insurance-claims"): ROLE_REFUSAL,
                                           ("claims", "/warranty-claims"): ROLE_REFUSAL}))
    body = (await get(services, f"/api/vehicles/{VIN}/history", person(Role.ADVISOR))).json()
    assert body["partial"] is False and body["withheld"] == ["claims"]
    assert "insurance_claim" not in {e["kind"] for e in body["entries"]}
    assert all(e["repair_order"]["warranty_claims"] is None for e in body["entries"] if e["kind"] == "repair_order")


async def test_a_vehicle_with_many_orders_is_asked_in_batches():
    orders = [repair_order(f"ro-{n:03d}", "s-1", f"2020-01-01T00:{n % 60:02d}:00Z") for n in range(250)]
    services = Services(history_answers({("reception", "/vehicles/v-1/repair-orders"): (200, orders),
                                           ("workshop", "/work-orders"): (200, [])}))
    body = (await get(services, f"/api/vehicles/{VIN}/history")).json()
    assert sum(e["kind"] == "repair_order" for e in body["entries"]) == 250 and body["partial"] is False
    assert [len(q.get_list("repair_order_id")) for q in services.params("workshop", "/work-orders")] == [200, 50]


# -- a store's board for today -------------------------------------------------------------------------------
def board_order(ro_id: str, state: str, jobs: list[dict]) -> dict:
    return {"repair_order_id": ro_id, "number": f"RO-{ro_id}", "state": state, "promised_at": "2026-11-27T17:00:00Z",
            "estimated_finish": "2026-11-27T16:00:00Z", "delayed": False, "wash_requested": True, "washed": False,
            "jobs": jobs}


def board_job(job_id: str, state: str, waiting_for: str | None = None) -> dict:
    return {"job_id": job_id, "description": f"job {job_id}", "state": state, "technician_id": "t",
            "waiting_for": waiting_for, "next_check": None}


def board_answers(override: dict | None = None) -> dict:
    return {
        ("reception", "/appointments"): (200, [
            booking("a-1", "s-1", "2026-11-27T09:00:00+08:00"),
            booking("a-2", "s-1", "2026-11-27T10:00:00+08:00", parts_status="short", parts_ready=False,
                    confirmations=[])]),
        ("workshop", "/board"): (200, {"store_id": "s-1", "at": NOW.isoformat(), "orders": [
            board_order("ro-1", "open", [board_job("j1", "paused", "waiting_parts: PAD-F on order"),
                                         board_job("j2", "in_progress")]),
            board_order("ro-2", "ready_for_pickup", [board_job("j3", "passed")])]}),
        ("crm", "/follow-ups"): (200, [follow_up("f-1", "s-1", "2026-11-26T09:00:00+08:00", status="scheduled")]),
        ("crm", "/complaints"): (200, [complaint("cp-1", "s-1", "2026-11-20T09:00:00+08:00", overdue=True)]),
    } | (override or {})


async def test_the_board_splits_the_stores_day_and_asks_for_the_stores_local_today():
    services = Services(board_answers())
    r = await get(services, "/api/stores/s-1/board/today")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["partial"] is False and body["store_name"] == "浦东店" and body["time_zone"] == "Asia/Shanghai"
    assert body["day"] == "2026-11-27"  # 17:00 UTC on the 26th is the 27th in Shanghai
    assert services.params("reception", "/appointments")[0]["day"] == "2026-11-27"
    due, failed = services.params("crm", "/follow-ups")
    assert (due["status"], datetime.fromisoformat(due["due_before"])) == ("scheduled", local_day(NOW).end)
    assert failed["status"] == "failed" and services.params("crm", "/complaints")[0]["closed"] == "false"
    assert [(b["id"], b["customer_called"], b["parts_ready"]) for b in body["bookings"]] == [
        ("a-1", True, True), ("a-2", False, False)]
    assert [c["repair_order_id"] for c in body["in_workshop"]] == ["ro-1"]
    assert [c["repair_order_id"] for c in body["ready_for_pickup"]] == ["ro-2"]
    assert [(w["repair_order_id"], w["appointment_id"]) for w in body["waiting_for_parts"]] == [
        ("ro-1", None), (None, "a-2")]
    assert "PAD-F" in body["waiting_for_parts"][0]["what"]
    assert [f["id"] for f in body["follow_ups_due"]] == ["f-1"] and body["complaints_open"][0]["overdue"] is True


async def test_today_is_the_stores_own_date():
    services = Services(board_answers())
    body = (await get(services, "/api/stores/s-la/board/today")).json()
    assert body["day"] == "2026-11-26" and body["time_zone"] == "America/Los_Angeles"


async def test_a_store_without_a_record_is_on_shanghai_time():
    body = (await get(Services(board_answers()), "/api/stores/s-new/board/today",
                      person(Role.SERVICE_MANAGER, stores=["s-new"]))).json()
    assert body["day"] == str(date(2026, 11, 27)) and body["store_name"] is None


async def test_crm_down_the_board_still_comes_within_the_timeout_marked_partial():
    services = Services(board_answers({"crm": httpx.ConnectError("refused"),
                                         ("crm", "/follow-ups"): httpx.ConnectError("refused"),
                                         ("crm", "/complaints"): httpx.ConnectError("refused")}),
                        delays={"workshop": 5})
    started = time.monotonic()
    body = (await get(services, "/api/stores/s-1/board/today")).json()
    assert time.monotonic() - started < TIMEOUT + 0.5
    assert body["partial"] is True and sorted(body["unavailable"]) == ["crm", "workshop"]
    assert body["follow_ups_due"] is None and body["complaints_open"] is None and body["in_workshop"] is None
    assert [w["appointment_id"] for w in body["waiting_for_parts"]] == ["a-2"] and len(body["bookings"]) == 2


async def test_a_technician_may_not_read_care_lists_they_are_withheld():
    refusal = (403, {"detail": "needs one of the roles: customer_care", "error": "Forbidden"})
    services = Services(board_answers({("crm", "/follow-ups"): refusal, ("crm", "/complaints"): refusal}))
    body = (await get(services, "/api/stores/s-1/board/today", person(Role.TECHNICIAN))).json()
    assert body["partial"] is False and body["withheld"] == ["crm"] and body["follow_ups_failed"] is None
    assert body["in_workshop"][0]["repair_order_id"] == "ro-1"


async def test_another_stores_board_is_refused_before_any_service_is_asked():
    services = Services(board_answers())
    with pytest.raises(Forbidden) as refused:
        await get(services, "/api/stores/s-2/board/today", person(Role.ADVISOR, stores=["s-1"]))
    assert refused.value.field == "store_id" and services.seen == []


async def test_a_service_refusing_the_store_is_the_boards_403():
    other = (403, {"detail": "no access to store 's-1'", "error": "Forbidden", "field": "store_id"})
    r = await get(Services(board_answers({("workshop", "/board"): other})), "/api/stores/s-1/board/today")
    assert r.status_code == 403 and r.json()["detail"] == "workshop: no access to store 's-1'"


def test_a_stores_day_starts_at_its_local_midnight_and_may_be_short():
    shanghai = local_day(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    assert shanghai.day == date(2026, 11, 27) and shanghai.start == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    spring = local_day(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), "America/Los_Angeles")  # clocks go forward
    assert spring.day == date(2026, 3, 8) and spring.end.isoformat() == "2026-03-09T00:00:00-07:00"
    assert (spring.end.astimezone(UTC) - spring.start.astimezone(UTC)).total_seconds() == 23 * 3600
