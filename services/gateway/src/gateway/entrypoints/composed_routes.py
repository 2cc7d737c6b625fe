"""Composed queries a service advisor and a store manager use all day: a vehicle's history across the group's
stores, and a store's board for today. Every service is asked through `compose` (concurrently, each call
within COMPOSE_TIMEOUT_SECONDS; a service that does not answer is named in `unavailable`, one the caller's
roles may not read in `withheld`).

Included before api.py's router: its pass-through `/api/{service}/{path}` would match these paths too.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from shared.auth import CurrentPrincipal
from shared.kit import UnitOfWork
from shared.kit.pages import MAX_LIMIT

from ..adapters.repository import Stores
from ..domain.organisation import DEFAULT_TIME_ZONE, Store, local_day
from .api import _compose, _url
from .compose import Call, Composed
from .composed_views import StoreBoardToday, VehicleHistory, VehicleRecord, history_entries, store_board

router = APIRouter(tags=["composed"])

# The most ids one call names: the services' lists of several orders take at most this many. Every list is
# asked for its largest page (MAX_LIMIT); a vehicle's or a store's day fits in one.
IDS_PER_CALL = 200


async def group_stores(request: Request, principal: CurrentPrincipal) -> dict[str, Store]:
    """The caller's group's store records (names, time zones), read in a short transaction of their own so no
    database connection is held while the services are asked."""
    rt = request.app.state.runtime
    async with rt.sessions() as session:
        uow = UnitOfWork(session, outbox=None, clock=rt.clock, settings=request.app.state.settings, actor=principal)
        return {s.id: s for s in await uow.repo(Stores).list()}


GroupStores = Annotated[dict[str, Store], Depends(group_stores)]


async def _round(request: Request, got: Composed, calls: list[Call]) -> Composed:
    """A later round of a query: a service already named unavailable is not asked again (its part is missing
    anyway), so one service down costs the query one timeout, not one per round."""
    asked = [c for c in calls if c.named not in got.unavailable]
    for c in calls:
        if c not in asked:
            got.parts[c.name] = None
    return got.merge(await _compose(request, asked)) if asked else got


def _batched(name: str, service: str, url: str, ids: list[str]) -> list[Call]:
    return [Call(f"{name}:{n}", url, {"repair_order_id": ids[i:i + IDS_PER_CALL], "limit": MAX_LIMIT}, service=service)
            for n, i in enumerate(range(0, len(ids), IDS_PER_CALL))]


def _joined(got: Composed, name: str) -> None:
    """The batches of `name` as one list (null when one did not answer or was withheld)."""
    batches = [got.parts.pop(k) for k in [k for k in got.parts if k.startswith(f"{name}:")]]
    got.parts[name] = None if any(b is None for b in batches) else [row for b in batches for row in b]


async def _vehicle(request: Request, vin: str) -> tuple[Composed, dict | None, str | None]:
    """Round one: crm's record by VIN (the system of record), reception's copy in case crm does not answer."""
    got = await _compose(request, [
        Call("crm_vehicle", _url(request, "crm", "/vehicles"), {"vin": vin}, service="crm"),
        Call("reception_vehicle", _url(request, "reception", "/vehicles"), {"vin": vin}, service="reception")])
    crm, copy = got.get("crm_vehicle"), got.get("reception_vehicle")
    crm_answered = "crm" not in got.unavailable and "crm" not in got.withheld
    if crm is None and (crm_answered or not (got.unavailable or got.withheld)):
        raise HTTPException(404, detail=f"no vehicle with VIN {vin} in the dealer group")
    record = crm or copy
    return got, record, (crm or {}).get("id") or (copy or {}).get("vehicle_id")


@router.get("/api/vehicles/{vin}/history", response_model=VehicleHistory)
async def vehicle_history(request: Request, principal: CurrentPrincipal, stores: GroupStores,
                          vin: Annotated[str, Path(min_length=1, max_length=64)]) -> VehicleHistory:
    """Every visit of a vehicle, oldest first, each naming its store: bookings, repair orders with their jobs
    and three checks (workshop), parts issued and returned (parts) and warranty claims (claims), insurance
    claims, follow-up calls and complaints (crm).

    Who sees which stores: the vehicle (crm's record) is a group record any store of the group reads; its
    visits are the stores' records (DESIGN.md, tenancy: a caller sees only its own stores unless its role spans
    the group), so a store-level user sees the visits at the stores they may see, named in `stores`, and a
    group role every store's (`stores` null). Each service applies that scope itself.

    Asked in up to three rounds (the VIN gives the vehicle's id, which gives its orders, which give their
    work, parts and warranty claims), each service within COMPOSE_TIMEOUT_SECONDS; a service that does not
    answer is not asked again and is named in `unavailable` (the answer is `partial`). 404 when crm knows no
    such VIN."""
    vin = vin.strip().upper()
    got, record, vehicle_id = await _vehicle(request, vin)
    if vehicle_id is not None:
        await _visits(request, got, vehicle_id)
    return VehicleHistory(
        vin=vin, vehicle_id=vehicle_id, partial=got.partial, unavailable=got.unavailable, withheld=got.withheld,
        vehicle=VehicleRecord.model_validate(record) if record else None,
        stores=None if principal.spans_group else sorted(principal.store_ids),
        entries=history_entries(got, {s.id: s.name for s in stores.values()}))


async def _visits(request: Request, got: Composed, vehicle_id: str) -> None:
    v, of_vehicle = quote(vehicle_id, safe=""), {"vehicle_id": vehicle_id, "limit": MAX_LIMIT}
    await _round(request, got, [
        Call("repair_orders", _url(request, "reception", f"/vehicles/{v}/repair-orders"), {"limit": MAX_LIMIT},
             service="reception"),
        Call("bookings", _url(request, "reception", f"/vehicles/{v}/appointments"), {"limit": MAX_LIMIT},
             service="reception"),
        Call("insurance_claims", _url(request, "claims", "/insurance-claims"), of_vehicle, service="claims"),
        Call("follow_ups", _url(request, "crm", "/follow-ups"), of_vehicle, service="crm"),
        Call("complaints", _url(request, "crm", "/complaints"), of_vehicle, service="crm")])
    ids = [ro["id"] for ro in got.get("repair_orders") or []]
    if not ids:
        return
    await _round(request, got, [
        *_batched("workshop", "workshop", _url(request, "workshop", "/work-orders"), ids),
        *_batched("parts", "parts", _url(request, "parts", "/reconciliations"), ids),
        *_batched("warranty_claims", "claims", _url(request, "claims", "/warranty-claims"), ids)])
    for name in ("workshop", "parts", "warranty_claims"):
        _joined(got, name)


@router.get("/api/stores/{store_id}/board/today", response_model=StoreBoardToday)
async def store_board_today(request: Request, principal: CurrentPrincipal, stores: GroupStores,
                            store_id: Annotated[str, Path(min_length=1, max_length=64)]) -> StoreBoardToday:
    """The store's day: today's bookings (parts ready? confirmed, and with whom? customer called?), the cars
    on the workshop floor, what waits for parts, the cars ready for pickup, the follow-up calls due by tonight
    and those that failed, and the complaint tickets not yet closed with their deadlines.

    "Today" is the store's local date (its time zone from the gateway's store record; Asia/Shanghai for a store
    without one). The services are asked at once, each within COMPOSE_TIMEOUT_SECONDS; a list is null when its
    service did not answer (`unavailable`, the answer `partial`) or the caller's roles may not read it
    (`withheld`). 403 naming `store_id` for a store outside the caller's."""
    principal.check_store(store_id)
    store = stores.get(store_id)
    today = local_day(request.app.state.runtime.clock.now(), store.time_zone if store else DEFAULT_TIME_ZONE)
    of_store = {"store_id": store_id, "limit": MAX_LIMIT}
    got = await _compose(request, [
        Call("bookings", _url(request, "reception", "/appointments"), of_store | {"day": today.day.isoformat()},
             service="reception"),
        Call("workshop", _url(request, "workshop", "/board"), {"store_id": store_id}),
        Call("follow_ups_due", _url(request, "crm", "/follow-ups"),
             of_store | {"status": "scheduled", "due_before": today.end.isoformat()}, service="crm"),
        Call("follow_ups_failed", _url(request, "crm", "/follow-ups"), of_store | {"status": "failed"},
             service="crm"),
        Call("complaints", _url(request, "crm", "/complaints"), of_store | {"closed": "false"}, service="crm")])
    return store_board(got, store_id=store_id, store_name=store.name if store else None,
                       time_zone=today.time_zone, day=today.day)
