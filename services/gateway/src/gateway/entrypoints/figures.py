"""The group's figures (KPIs): every service asked at once for its own, combined here (docs/kpis.md)."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Annotated

import shared.registry as registry
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from shared.auth import Principal, Role, require_roles
from shared.kit.figures import Figure, FiguresAnswer, Granularity, periods

from ..domain.figures import derived, to_csv, with_group
from .api import _headers, _url
from .compose import Call, compose

log = logging.getLogger(__name__)

router = APIRouter(tags=["figures"])

SERVICES = tuple(s.name for s in registry.backends())
# Whoever reads some service's figures; each service answers only what the caller's roles may read there
# (the rest is `withheld`).
FIGURE_ROLES = (Role.GENERAL_MANAGER, Role.FRONT_DESK_SUPERVISOR, Role.WORKSHOP_SUPERVISOR, Role.TECHNICAL_DIRECTOR,
                Role.PARTS_MANAGER, Role.GROUP_ANALYST, Role.GROUP_ADMIN)
may_read_figures = require_roles(*FIGURE_ROLES)  # the boards' figures page checks the same
FigureReader = Annotated[Principal, Depends(may_read_figures)]
StoreId = Annotated[str | None, Query(min_length=1, max_length=64, description="One store; default: every store "
                                      "of the caller's")]


class FiguresReport(BaseModel):
    """Each store's figures per period, then the group's (store `*`) per period."""

    granularity: Granularity
    date_from: date
    date_to: date
    partial: bool = Field(description="A service did not answer: its figures are missing")
    unavailable: list[str]
    withheld: list[str] = Field(description="Services whose figures the caller's roles may not read")
    figures: list[Figure]


async def report(request: Request, date_from: date, date_to: date, granularity: Granularity,
                 store_id: str | None, headers: dict[str, str] | None = None) -> FiguresReport:
    periods(date_from, date_to, granularity)  # refused here, naming the field, before any service is asked
    params = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "granularity": granularity.value}
    if store_id:
        params["store_id"] = store_id
    got = await compose(request.app.state.http, [Call(s, _url(request, s, "/figures"), params) for s in SERVICES],
                        headers or _headers(request), request.app.state.settings.compose_timeout_seconds)
    figures: list[Figure] = []
    for s in SERVICES:
        answer = got.get(s)
        if answer is not None:
            try:
                figures += FiguresAnswer.model_validate(answer).figures
            except ValidationError as e:  # a service on a newer contract (rolling deploy): partial, not a 500
                log.warning("figures: %s answered outside the contract: %s", s, e.errors()[:3])
                got.unavailable.append(s)
        elif s not in got.unavailable and s not in got.withheld:
            got.unavailable.append(s)  # a 404: the service answers no figures (yet)
    return FiguresReport(granularity=granularity, date_from=date_from, date_to=date_to, partial=got.partial,
                         unavailable=got.unavailable, withheld=got.withheld,
                         figures=with_group(figures + derived(figures)))


@router.get("/api/figures", response_model=FiguresReport)
async def figures(request: Request, _: FigureReader, date_from: date, date_to: date,
                  granularity: Granularity = Granularity.WEEK, store_id: StoreId = None) -> FiguresReport:
    """Per store and for the group (store `*`), per day, ISO week or month in the stores' local dates: every
    service's figures, asked at once (each within COMPOSE_TIMEOUT_SECONDS; one that does not answer is named
    in `unavailable` and the answer is `partial`), gross profit and margin derived here, and the group's
    rows (ratios as a ratio of sums). Whole periods: from the one holding `date_from` to the one holding
    `date_to`. Definitions: docs/kpis.md."""
    return await report(request, date_from, date_to, granularity, store_id)


_CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "One row per store × period × KPI"}


@router.get("/api/figures.csv", response_class=Response, responses={200: _CSV})
async def figures_csv(request: Request, _: FigureReader, date_from: date, date_to: date,
                      granularity: Granularity = Granularity.WEEK, store_id: StoreId = None) -> Response:
    """The same figures as /api/figures, one CSV row per store × period × KPI (value, numerator, denominator,
    unit). Services that did not answer are named in the `X-Figures-Unavailable` header."""
    r = await report(request, date_from, date_to, granularity, store_id)
    store = re.sub(r"[^A-Za-z0-9_.-]", "_", store_id or "group")  # nothing that could end the header's quotes
    name = f"figures-{store}-{granularity.value}-{date_from}-{date_to}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if r.unavailable:
        headers["X-Figures-Unavailable"] = ",".join(r.unavailable)
    return Response(to_csv(r.figures), media_type="text/csv; charset=utf-8", headers=headers)
