"""The gateway: forwards commands, composes queries across services (tokens: identity.py)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import shared.registry as registry
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field, computed_field
from shared.auth import CurrentPrincipal
from shared.kit.http import CORRELATION_HEADER, IDEMPOTENCY_HEADER
from shared.kit.pages import MAX_LIMIT, NEXT_CURSOR_HEADER
from shared.observability import current_trace_headers
from shared.openapi import answers

from ..adapters.repository import Stores
from .compose import Call, Composed, compose
from .composed_views import (
    ClaimStatus,
    InsuranceClaimStatus,
    OrderStatus,
    PartsStatus,
    RepairOrderStatus,
    VehicleOverview,
    WorkshopStatus,
)
from .identity import Member

router = APIRouter()

SERVICES = tuple(s.name for s in registry.backends())
# The caller's identity, its retry key and its correlation id (services log it and put it on their audit
# rows and events: shared.kit.http.CORRELATION_HEADER) go to the service; the trace context is added.
_FORWARDED = ("authorization", IDEMPOTENCY_HEADER.lower(), CORRELATION_HEADER.lower(), "content-type", "accept")
# What comes back besides the status and the body, which come back as the service sent them
# (retry-after: a key still in progress, or the service's own limit).
_PASSED_BACK = ("content-type", "idempotent-replayed", "retry-after")


def _client(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


def _headers(request: Request) -> dict[str, str]:
    h = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
    if "authorization" not in h and getattr(request.state, "authorization", None):
        h["authorization"] = request.state.authorization  # a boards page: the token came in its cookie
    h.update(current_trace_headers())
    return h


async def forward(service: str, path: str, request: Request, principal: CurrentPrincipal) -> Response:
    """Forward a call to a service. The token is checked here and again by the service."""
    if service not in SERVICES:
        raise HTTPException(404, detail=f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    url = f"{request.app.state.settings.service_urls()[service]}/{path}"
    try:
        upstream = await _client(request).request(
            request.method, url, params=request.query_params, content=await request.body(),
            headers=_headers(request))
    except httpx.HTTPError as e:
        raise HTTPException(503, detail=f"{service} is unavailable: {type(e).__name__}") from e
    keep = {k: v for k, v in upstream.headers.items() if k.lower() in _PASSED_BACK}
    if next_cursor := upstream.headers.get(NEXT_CURSOR_HEADER):
        # The service's Link names its own address, which callers cannot reach: the next page through us is
        # this very request with the next cursor (the filters the cursor is bound to are already here).
        keep[NEXT_CURSOR_HEADER] = next_cursor
        keep["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    return Response(upstream.content, status_code=upstream.status_code, headers=keep)


def _url(request: Request, service: str, path: str) -> str:
    return f"{request.app.state.settings.service_urls()[service]}{path}"


async def _compose(request: Request, calls: list[Call]) -> Composed:
    settings = request.app.state.settings
    return await compose(_client(request), calls, _headers(request), settings.compose_timeout_seconds)


@router.get("/api/repair-orders/{ro_id}/status", tags=["composed"], response_model=RepairOrderStatus)
async def repair_order_status(request: Request, principal: CurrentPrincipal, ro_id: str) -> RepairOrderStatus:
    """A repair order's full status: reception's order (estimate, delivery blockers), workshop's jobs (who,
    state, the three checks), the parts room's planned/issued/returned and the order's warranty and insurance
    claims.
    The services are asked at once, each within COMPOSE_TIMEOUT_SECONDS; one that does not answer leaves
    its part null, the answer `partial` and the service named in `unavailable`. 404 when reception has no
    such order; 403 when a service refuses the caller (another store)."""
    ro = quote(ro_id, safe="")  # the id goes into the services' paths: any character the caller sent, escaped
    got = await _compose(request, [
        Call("reception", _url(request, "reception", f"/repair-orders/{ro}"), required=True),
        Call("workshop", _url(request, "workshop", f"/work-orders/{ro}")),
        Call("parts", _url(request, "parts", f"/repair-orders/{ro}/reconciliation")),
        # One page, as large as a list gives (a repair order has a handful of claims).
        Call("claims", _url(request, "claims", "/warranty-claims"), {"repair_order_id": ro_id, "limit": MAX_LIMIT}),
        Call("insurance", _url(request, "claims", "/insurance-claims"),
             {"repair_order_id": ro_id, "limit": MAX_LIMIT}, service="claims"),
    ])
    claims, insurance = got.get("claims"), got.get("insurance")
    return RepairOrderStatus(
        repair_order_id=ro_id, partial=got.partial, unavailable=got.unavailable, withheld=got.withheld,
        order=OrderStatus.model_validate(got.get("reception")) if got.get("reception") else None,
        workshop=WorkshopStatus.model_validate(got.get("workshop")) if got.get("workshop") else None,
        parts=PartsStatus.model_validate(got.get("parts")) if got.get("parts") else None,
        claims=None if claims is None else [ClaimStatus.model_validate(c) for c in claims or []],
        insurance_claims=None if insurance is None else [InsuranceClaimStatus.model_validate(c)
                                                         for c in insurance or []])


@router.get("/api/vehicle-overview", tags=["composed"], response_model=VehicleOverview)
async def vehicle_overview(request: Request, principal: CurrentPrincipal, vin: str) -> VehicleOverview:
    """A vehicle across services: crm's record and reception's view, then the follow-up calls of the
    vehicle's owner about this vehicle (crm). Partial when a service is down."""
    got = await _compose(request, [
        Call("crm", _url(request, "crm", "/vehicles"), {"vin": vin}),
        Call("reception", _url(request, "reception", "/vehicles"), {"vin": vin}),
    ])
    crm, follow_ups = got.get("crm"), None
    if crm and crm.get("owner_customer_id"):
        more = await _compose(request, [Call("crm", _url(request, "crm", "/follow-ups"),
                                             {"customer_id": crm["owner_customer_id"], "limit": MAX_LIMIT})])
        if more.partial:
            got.unavailable.append("crm")
        elif more.withheld:
            got.withheld.append("crm")
        else:
            follow_ups = [f for f in more.get("crm") or [] if f.get("vehicle_id") in (None, crm.get("id"))]
    return VehicleOverview(vin=vin.strip().upper(), partial=got.partial, unavailable=got.unavailable,
                           withheld=got.withheld, crm=crm, reception=got.get("reception"), follow_ups=follow_ups)


class StoreReach(BaseModel):
    store_id: str
    known_by: list[str] = Field(description="The services that know the store (accept records for it)")
    not_yet: list[str] = Field(description="Those that do not know it yet, or did not answer")

    @computed_field
    @property
    def everywhere(self) -> bool:
        return not self.not_yet


@router.get("/api/stores/{store_id}/reach", tags=["composed"], response_model=StoreReach, responses=answers(404))
async def store_reach(request: Request, uow: Member, store_id: str) -> StoreReach:
    """Which services know a store of the caller's group yet (each learns it from the gateway's StoreOpened):
    a client that opened a store waits for `everywhere` before recording anything at it. Another group's
    store is no store of the caller's: 404."""
    await uow.repo(Stores).get(store_id, lock=False)
    sid = quote(store_id, safe="")
    got = await _compose(request, [Call(s, _url(request, s, f"/stores/{sid}")) for s in SERVICES])
    known = [s for s in SERVICES if got.get(s)]
    return StoreReach(store_id=store_id, known_by=known, not_yet=[s for s in SERVICES if s not in known])


# Last: the composed routes above share the /api/ prefix and must match before the pass-through.
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    router.add_api_route("/api/{service}/{path:path}", forward, methods=[_method], tags=["forwarded"],
                         operation_id=f"forward_{_method.lower()}", summary=f"Forward a {_method} to a service")
