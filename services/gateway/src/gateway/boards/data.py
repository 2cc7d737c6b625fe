"""What each board shows, asked of the services with the viewer's token (the gateway's compose helper: all
at once, each within COMPOSE_TIMEOUT_SECONDS; a part the user's roles may not read is `withheld`, one whose
service did not answer is `unavailable`, and the page says so instead of failing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from shared.kit.pages import MAX_LIMIT
from sqlalchemy import select

from ..adapters.orm import StoreRow, UserRow
from ..domain.boards import pick_list
from ..entrypoints.api import _url
from ..entrypoints.compose import Call, Composed, compose
from ..entrypoints.composed_routes import group_stores, store_board_today
from .session import Viewer

DEFAULT_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class StoreInfo:
    id: str
    name: str
    time_zone: str = DEFAULT_TIME_ZONE

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.time_zone)).date()


async def stores_of(request: Request, who: Viewer) -> list[StoreInfo]:
    """The stores the viewer may open: the group's stores for a group role, else their own; named and zoned
    from the gateway's store records where the group has them."""
    p = who.principal
    async with request.app.state.runtime.sessions() as s:
        rows = (await s.execute(select(StoreRow.id, StoreRow.name, StoreRow.doc["time_zone"].astext)
                                .where(StoreRow.dealer_group_id == p.dealer_group_id))).all()
    known = {sid: StoreInfo(sid, name, tz or DEFAULT_TIME_ZONE) for sid, name, tz in rows}
    ids = sorted(known) if p.spans_group else sorted(p.store_ids)
    return [known.get(i, StoreInfo(i, i)) for i in ids]


@dataclass
class Board:
    """A page's data: its parts by name, and which parts are missing and why."""

    parts: dict[str, Any]
    asked: list[str]
    unavailable: list[str]
    withheld: list[str]

    @property
    def refused(self) -> bool:
        """Every part refused for the viewer's roles: the page itself is not theirs."""
        return bool(self.asked) and set(self.withheld) >= set(self.asked)


async def ask(request: Request, who: Viewer, calls: list[Call]) -> Board:
    got: Composed = await compose(request.app.state.http, calls, who.headers,
                                  request.app.state.settings.compose_timeout_seconds)
    return Board(parts={c.name: got.get(c.name) for c in calls}, asked=[c.name for c in calls],
                 unavailable=got.unavailable, withheld=got.withheld)


def _call(request: Request, name: str, service: str, path: str, **params: Any) -> Call:
    return Call(name, _url(request, service, path), {k: v for k, v in params.items() if v is not None})


def _list(request: Request, name: str, service: str, path: str, **params: Any) -> Call:
    """A list route: its largest page (a board shows the day's work, far below it)."""
    return _call(request, name, service, path, limit=MAX_LIMIT, **params)


# The store's day as the gateway composes it (GET /api/stores/{store_id}/board/today): each list with the
# service it comes from, to say which part is withheld or unavailable.
_TODAY = {"bookings": "reception", "waiting_for_parts": "reception", "ready_for_pickup": "workshop",
          "follow_ups_due": "crm", "follow_ups_failed": "crm", "complaints_open": "crm"}


async def _store_day(request: Request, who: Viewer, store: StoreInfo, parts: tuple[str, ...]) -> Board:
    stores = await group_stores(request, who.principal)
    day = (await store_board_today(request, who.principal, stores, store.id)).model_dump(mode="json")
    return Board(parts={p: day[p] for p in parts} | {"day": day["day"]}, asked=list(parts),
                 unavailable=[p for p in parts if _TODAY[p] in day["unavailable"]],
                 withheld=[p for p in parts if _TODAY[p] in day["withheld"]])


async def today(request: Request, who: Viewer, store: StoreInfo) -> Board:
    return await _store_day(request, who, store, ("bookings", "waiting_for_parts", "ready_for_pickup"))


async def workshop(request: Request, who: Viewer, store: StoreInfo) -> Board:
    board = await ask(request, who, [
        _call(request, "board", "workshop", "/board", store_id=store.id),
        _call(request, "shop", "workshop", f"/stores/{store.id}/shop")])
    shop = board.parts.pop("shop") or {}
    board.parts["technicians"] = [t for t in shop.get("technicians", []) if t.get("active", True)]
    board.parts["names"] = {t["technician_id"]: t["name"] for t in shop.get("technicians", [])}
    board.parts["teams"] = {t.get("team_id"): t.get("name") for t in shop.get("teams", [])}
    return board


async def parts(request: Request, who: Viewer, store: StoreInfo) -> Board:
    day = store.today(request.app.state.runtime.clock.now())
    board = await ask(request, who, [
        _list(request, "bookings_today", "reception", "/appointments", store_id=store.id, day=day.isoformat()),
        _list(request, "bookings_tomorrow", "reception", "/appointments", store_id=store.id,
              day=(day + timedelta(days=1)).isoformat()),
        _list(request, "requests", "parts", "/issue-slips", store_id=store.id)])
    booked = (board.parts.pop("bookings_today") or []) + (board.parts.pop("bookings_tomorrow") or [])
    board.parts["pick_list"] = pick_list(booked)
    board.parts["names"] = await people_named(request, who, {s["technician_id"] for s in board.parts["requests"] or []})
    return board


async def people_named(request: Request, who: Viewer, user_ids: set[str]) -> dict[str, str]:
    """The display names of the viewer's group's users (the parts counter knows a technician by name)."""
    if not user_ids:
        return {}
    async with request.app.state.runtime.sessions() as s:
        rows = await s.execute(select(UserRow.id, UserRow.display_name).where(
            UserRow.dealer_group_id == who.principal.dealer_group_id, UserRow.id.in_(sorted(user_ids))))
    return dict(rows.all())


async def care(request: Request, who: Viewer, store: StoreInfo) -> Board:
    return await _store_day(request, who, store, ("follow_ups_due", "follow_ups_failed", "complaints_open"))


async def claims(request: Request, who: Viewer, store: StoreInfo) -> Board:
    return await ask(request, who, [_list(request, "claims", "claims", "/warranty-claims", store_id=store.id,
                                          state="submitted")])


LOADERS = {"today": today, "workshop": workshop, "parts": parts, "care": care, "claims": claims}
