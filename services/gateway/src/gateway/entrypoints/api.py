"""The gateway: forwards commands, composes queries across services (tokens: identity.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import shared.registry as registry
from fastapi import APIRouter, HTTPException, Request, Response
from shared.auth import CurrentPrincipal
from shared.observability import current_trace_headers

router = APIRouter()

SERVICES = tuple(s.name for s in registry.backends())
_FORWARDED = ("authorization", "idempotency-key", "content-type", "accept")


def _client(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


def _headers(request: Request) -> dict[str, str]:
    h = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
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
    keep = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "idempotent-replayed")}
    return Response(upstream.content, status_code=upstream.status_code, headers=keep)


for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    router.add_api_route("/api/{service}/{path:path}", forward, methods=[_method], tags=["forwarded"],
                         operation_id=f"forward_{_method.lower()}", summary=f"Forward a {_method} to a service")


async def _get_json(request: Request, service: str, path: str, params: dict | None = None) -> tuple[int, Any]:
    url = f"{request.app.state.settings.service_urls()[service]}{path}"
    r = await _client(request).get(url, params=params, headers=_headers(request))
    return r.status_code, (r.json() if r.headers.get("content-type", "").startswith("application/json") else None)


@router.get("/api/vehicle-overview", tags=["composed"])
async def vehicle_overview(request: Request, principal: CurrentPrincipal, vin: str) -> dict:
    """A vehicle across services: crm's record and reception's view. Partial when a service is down."""
    calls = {
        "crm": _get_json(request, "crm", "/vehicles", {"vin": vin}),
        "reception": _get_json(request, "reception", "/vehicles", {"vin": vin}),
    }
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    out: dict[str, Any] = {"vin": vin.strip().upper(), "partial": False, "unavailable": []}
    for name, res in zip(calls, results, strict=True):
        if isinstance(res, Exception) or res[0] >= 500:
            out["partial"] = True
            out["unavailable"].append(name)
            out[name] = None
        else:
            out[name] = res[1] if res[0] == 200 else None
    return out
