"""The boards' routes (under /boards, kept out of the OpenAPI document: pages, not API)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from shared.db import unit_of_work
from shared.errors import Unauthorized
from shared.kit.figures import Granularity

from ..domain.boards import BY_NAME, chart_series, may_dispatch, pages_for
from ..entrypoints.api import _url
from ..entrypoints.edge import client_address, limits
from ..entrypoints.figures import report
from ..service_layer import sessions
from . import data
from .labels import LANGS, kpi_rank, labels, language
from .session import LoginNeeded, Viewer, check_form, forget, keep, viewer

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def local_time(value: str | None, tz: str, fmt: str = "%m-%d %H:%M") -> str:
    """An instant a service answered (ISO 8601), in the store's time zone: the time on the store's clock."""
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).strftime(fmt)


templates.env.filters["local"] = local_time
Who = Annotated[Viewer, Depends(viewer)]
STREAM_SECONDS = 300  # a live stream ends now and then; the browser reconnects (and its cookies renew)
HEARTBEAT_SECONDS = 15


def render(request: Request, who: Viewer | None, template: str, status: int = 200, **ctx: Any) -> Response:
    lang = who.lang if who else language(request.query_params.get("lang"), request.cookies.get("boards_lang"))
    other = LANGS[1 - LANGS.index(lang)]
    switch = str(request.url.include_query_params(lang=other))
    roles = who.principal.roles if who else frozenset()
    response = templates.TemplateResponse(request, template, status_code=status, context={
        "t": who.t if who else labels(lang), "lang": lang, "switch": switch, "who": who,
        "nav": pages_for(roles), "tz": ctx["store"].time_zone if ctx.get("store") else data.DEFAULT_TIME_ZONE,
        **ctx})
    response.headers["Cache-Control"] = "no-store"
    return keep(request, response, who)


def login_needed(request: Request, _: LoginNeeded) -> Response:
    """Without a session: the login page (htmx follows HX-Redirect; a live stream is told 401)."""
    target = "/boards/login?next=" + quote(request.url.path)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    if request.url.path.endswith("/events"):
        return Response(status_code=401)
    return RedirectResponse(target, status_code=303)


def _next(path: str | None) -> str:
    return path if path and path.startswith("/boards") and "//" not in path else "/boards"


@router.get("/boards/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None):
    return render(request, None, "login.html", next=_next(next))


@router.post("/boards/login")
async def login(request: Request, username: Annotated[str, Form(max_length=200)],
                password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/boards"):
    await limits(request).login(client_address(request), username)  # the API login's limits, the same counters
    try:
        async with unit_of_work(request.app.state.runtime.sessions) as session:
            tokens = await sessions.login(session, request.app.state.settings, username, password,
                                          request.app.state.runtime.security_clock.now())
    except Unauthorized:
        return render(request, None, "login.html", status=401, next=_next(next), failed=True, username=username)
    return keep(request, RedirectResponse(_next(next), status_code=303), tokens=tokens)


@router.post("/boards/logout")
async def logout(request: Request, who: Who, csrf: Annotated[str, Form()] = ""):
    check_form(request, who, csrf)
    if who.principal.session_id:
        runtime = request.app.state.runtime
        async with unit_of_work(runtime.sessions) as session:
            await sessions.revoke_session(session, sessions.publisher(runtime.outbox, session),
                                          who.principal.session_id, runtime.security_clock.now(), reason="logout")
    return forget(request, RedirectResponse("/boards/login", status_code=303))


@router.get("/boards")
async def home(request: Request, who: Who):
    """The first board the viewer's roles open, of their first store."""
    pages = pages_for(who.principal.roles)
    stores = await data.stores_of(request, who)
    first = next((p for p in pages if p != "figures" and stores), "figures" if "figures" in pages else None)
    if first is None:  # no page for these roles, or no store to show a store's board of
        return render(request, who, "error.html", status=403, message=who.t.forbidden)
    target = "/boards/figures" if first == "figures" else f"/boards/{stores[0].id}/{first}"
    return keep(request, RedirectResponse(target, status_code=303), who)


async def _store(request: Request, who: Viewer, store_id: str) -> tuple[data.StoreInfo, list[data.StoreInfo]]:
    who.principal.check_store(store_id)  # 403 naming the store, before any service is asked
    stores = await data.stores_of(request, who)
    store = next((s for s in stores if s.id == store_id), data.StoreInfo(store_id, store_id))
    return store, stores


@router.get("/boards/{store_id}/events")
async def events(request: Request, who: Who, store_id: str):
    """Server-sent events: `refresh` whenever an event of the store's workshop or reception arrives. (Declared
    before the boards' route, which would take `events` for a page.)"""
    who.principal.check_store(store_id)
    hub = request.app.state.boards_hub
    queue = hub.listen(store_id)

    async def stream():
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_SECONDS
        try:
            yield "retry: 2000\n: open\n\n"
            while loop.time() < deadline:
                try:
                    topic = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: refresh\ndata: {topic}\n\n"
        finally:
            hub.leave(store_id, queue)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/boards/{store_id}/{page}", response_class=HTMLResponse)
async def board(request: Request, who: Who, store_id: str, page: str, fragment: bool = False):
    """One board of one store; `fragment=1` is its content alone (what the live refresh swaps in)."""
    if page not in data.LOADERS:
        raise HTTPException(404, detail=f"no board {page!r}; one of {', '.join(data.LOADERS)}")
    store, stores = await _store(request, who, store_id)
    got = await data.LOADERS[page](request, who, store)
    if got.refused:
        return render(request, who, "error.html", status=403, message=who.t.forbidden, page=page)
    ctx = dict(page=page, store=store, stores=stores, board=got, may_dispatch=may_dispatch(who.principal.roles),
               new_key=lambda: uuid.uuid4().hex, live=page in ("workshop", "today"))
    return render(request, who, f"sections/{page}.html" if fragment else "board.html", **ctx)


@router.post("/boards/{store_id}/workshop/dispatch", response_class=HTMLResponse)
async def dispatch(request: Request, who: Who, store_id: str, ro_id: Annotated[str, Form(max_length=64)],
                   job_id: Annotated[str, Form(max_length=64)], idempotency_key: Annotated[str, Form(max_length=64)],
                   csrf: Annotated[str, Form()] = "", technician_id: Annotated[str, Form(max_length=64)] = ""):
    """Dispatch a job (派工) from the workshop board: workshop's own command with the viewer's token and the
    form's Idempotency-Key (a double submit dispatches once); answers the refreshed board."""
    check_form(request, who, csrf)
    store, stores = await _store(request, who, store_id)
    url = _url(request, "workshop", f"/work-orders/{quote(ro_id, safe='')}/jobs/{quote(job_id, safe='')}/dispatch")
    try:
        r = await request.app.state.http.post(url, json={"technician_id": technician_id or None},
                                              headers={**who.headers, "idempotency-key": idempotency_key})
        notice = (r.is_success, None if r.is_success else r.json().get("detail", r.reason_phrase))
    except (httpx.HTTPError, ValueError) as e:
        notice = (False, f"workshop: {type(e).__name__}")
    got = await data.workshop(request, who, store)
    return render(request, who, "sections/workshop.html", page="workshop", store=store, stores=stores, board=got,
                  may_dispatch=may_dispatch(who.principal.roles), new_key=lambda: uuid.uuid4().hex, notice=notice)


@router.get("/boards/figures", response_class=HTMLResponse)
async def figures(request: Request, who: Who, store_id: str | None = None,
                  granularity: Granularity = Granularity.WEEK, date_from: date | None = None,
                  date_to: date | None = None):
    """The figures over time, per store and the group's, as charts (the gateway's /api/figures)."""
    if not BY_NAME["figures"].roles & who.principal.roles:
        return render(request, who, "error.html", status=403, message=who.t.forbidden)
    stores = await data.stores_of(request, who)
    date_to = date_to or (stores[0] if stores else data.StoreInfo("", "")).today(request.app.state.runtime.clock.now())
    date_from = date_from or date_to - timedelta(weeks=12)
    got = await report(request, date_from, date_to, granularity, store_id or None, headers=who.headers)
    names = {s.id: s.name for s in stores} | {"*": who.t.group}
    charts = chart_series([f.model_dump(mode="json") for f in got.figures], names)
    charts = {kpi: charts[kpi] for kpi in sorted(charts, key=kpi_rank)}
    return render(request, who, "figures.html", page="figures", stores=stores, store_id=store_id or "",
                  granularity=granularity.value, date_from=date_from, date_to=date_to, report=got, charts=charts)

