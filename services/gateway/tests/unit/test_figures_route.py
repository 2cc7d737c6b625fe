"""/api/figures against fake services: a service answering outside the figures contract (a newer unit during
a rolling deploy) makes the answer partial, naming it, instead of failing the whole query."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from gateway.config import Settings
from gateway.entrypoints import figures
from shared.auth import Role, authenticate

from .test_composed_routes import Services, person


def figure(kpi: str, unit: str, value: str) -> dict:
    return {"kpi": kpi, "store_id": "s-1", "period": "2026-11-23", "value": value, "numerator": None,
            "denominator": None, "unit": unit, "combine": "sum"}


def answer(service: str, *figs: dict) -> tuple[int, dict]:
    return 200, {"service": service, "granularity": "week", "date_from": "2026-11-23", "date_to": "2026-11-29",
                 "figures": list(figs)}


async def test_a_service_answering_a_unit_the_gateway_does_not_know_is_named_unavailable():
    services = Services({
        ("reception", "/figures"): answer("reception", figure("vehicles_in", "count", "3")),
        ("parts", "/figures"): answer("parts", figure("parts_cost_issued", "litres", "1")),  # not a unit we know
        **{(s, "/figures"): answer(s) for s in ("workshop", "claims", "crm")},
    })
    app = FastAPI()
    app.include_router(figures.router)
    app.state.settings = Settings()
    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(services))
    app.dependency_overrides[authenticate] = lambda: person(Role.GROUP_ANALYST)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        got = await client.get("/api/figures", params={"date_from": "2026-11-23", "date_to": "2026-11-29"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["partial"] and body["unavailable"] == ["parts"]
    assert {(f["kpi"], f["store_id"]) for f in body["figures"]} >= {("vehicles_in", "s-1"), ("vehicles_in", "*")}
