"""The boards' rules, without I/O: which pages a user's roles open, the parts pick list, the figures' chart
series, and the token that makes the one form of the boards CSRF-safe."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.auth import Role

R = Role


@dataclass(frozen=True)
class Page:
    name: str
    reads: tuple[tuple[str, str, str], ...]
    """The API routes (service, method, path) the page shows: their roles are the page's."""
    roles: frozenset[Role]
    """The union of those routes' roles (a test checks them against each service's routes): the navigation
    shows the page to these. The services still decide every answer with the caller's token."""


PAGES: tuple[Page, ...] = (
    Page("today", (("reception", "GET", "/appointments"),), frozenset({
        R.ADVISOR, R.CUSTOMER_CARE, R.FRONT_DESK_SUPERVISOR, R.GENERAL_MANAGER, R.GROUP_ADMIN, R.GROUP_ANALYST,
        R.INSURANCE_CLERK, R.PARTS_MANAGER, R.SERVICE_MANAGER, R.WARRANTY_SPECIALIST, R.WORKSHOP_SUPERVISOR})),
    Page("workshop", (("workshop", "GET", "/board"),), frozenset({
        R.ADVISOR, R.FRONT_DESK_SUPERVISOR, R.GENERAL_MANAGER, R.GROUP_ADMIN, R.GROUP_ANALYST, R.QC_INSPECTOR,
        R.SERVICE_MANAGER, R.TEAM_LEADER, R.TECHNICAL_DIRECTOR, R.TECHNICIAN, R.WORKSHOP_SUPERVISOR})),
    Page("parts", (("reception", "GET", "/appointments"), ("parts", "GET", "/issue-slips")), frozenset({
        R.ADVISOR, R.CUSTOMER_CARE, R.FRONT_DESK_SUPERVISOR, R.GENERAL_MANAGER, R.GROUP_ADMIN, R.GROUP_ANALYST,
        R.INSURANCE_CLERK, R.PARTS_CLERK, R.PARTS_MANAGER, R.SERVICE_MANAGER, R.TEAM_LEADER, R.TECHNICIAN,
        R.WARRANTY_SPECIALIST, R.WORKSHOP_SUPERVISOR})),
    Page("care", (("crm", "GET", "/follow-ups"), ("crm", "GET", "/complaints")), frozenset({
        R.ADVISOR, R.CUSTOMER_CARE, R.FRONT_DESK_SUPERVISOR, R.GENERAL_MANAGER, R.GROUP_ADMIN, R.GROUP_ANALYST,
        R.SERVICE_MANAGER})),
    Page("claims", (("claims", "GET", "/warranty-claims"),), frozenset({
        R.GENERAL_MANAGER, R.GROUP_ADMIN, R.GROUP_ANALYST, R.SERVICE_MANAGER, R.WARRANTY_SPECIALIST})),
    Page("figures", (("gateway", "GET", "/api/figures"),), frozenset({
        R.FRONT_DESK_SUPERVISOR, R.GENERAL_MANAGER, R.GROUP_ADMIN, R.GROUP_ANALYST, R.PARTS_MANAGER,
        R.SERVICE_MANAGER, R.TECHNICAL_DIRECTOR, R.WORKSHOP_SUPERVISOR})),
)
BY_NAME = {p.name: p for p in PAGES}
DISPATCH = ("workshop", "POST", "/work-orders/{ro_id}/jobs/{job_id}/dispatch")
DISPATCHERS = frozenset({R.SERVICE_MANAGER, R.TECHNICAL_DIRECTOR, R.WORKSHOP_SUPERVISOR})


def pages_for(roles: Iterable[Role]) -> list[str]:
    held = set(roles)
    return [p.name for p in PAGES if p.roles & held]


def may_dispatch(roles: Iterable[Role]) -> bool:
    return bool(DISPATCHERS & set(roles))


# -- today's bookings and the pick list ------------------------------------------------------------
@dataclass
class PickRow:
    part_no: str
    total: Decimal
    bookings: list[dict[str, Any]]
    """Per booking: its id, slot start, quantity and parts status."""


def pick_list(bookings: Iterable[dict[str, Any]]) -> list[PickRow]:
    """The parts the booked jobs need, per part number (booked bookings only: a cancelled or rebooked one
    holds nothing), most needed first, each with the bookings that need it in slot order."""
    rows: dict[str, PickRow] = {}
    for b in sorted(bookings, key=lambda b: b.get("slot_start") or ""):
        if b.get("state") != "booked":
            continue
        for p in b.get("parts") or []:
            row = rows.setdefault(p["part_no"], PickRow(p["part_no"], Decimal(0), []))
            qty = Decimal(str(p.get("quantity", 0)))
            row.total += qty
            row.bookings.append({"appointment_id": b.get("id"), "slot_start": b.get("slot_start"),
                                 "quantity": qty, "parts_status": b.get("parts_status")})
    return sorted(rows.values(), key=lambda r: (-r.total, r.part_no))


# -- figures as charts -----------------------------------------------------------------------------
def chart_series(figures: Iterable[dict[str, Any]], store_names: dict[str, str] | None = None
                 ) -> dict[str, dict[str, Any]]:
    """Per KPI a chart over time: the periods as labels, one line per store (the group's `*` last). A period
    a store has no value for is null (a gap in its line). Bare ratios shown as percentages; a ratio of another
    unit (CSI's score, revenue per vehicle in CNY, stock turns a year) in that unit."""
    names = store_names or {}
    by_kpi: dict[str, dict[str, dict[str, float | None]]] = defaultdict(lambda: defaultdict(dict))
    periods: dict[str, set[str]] = defaultdict(set)
    units: dict[str, str] = {}
    for f in figures:
        kpi, period = f["kpi"], str(f["period"])
        value = None if f.get("value") is None else float(f["value"])
        percent = f.get("unit") == "ratio"
        by_kpi[kpi][f["store_id"]][period] = None if value is None else round(value * 100 if percent else value, 2)
        periods[kpi].add(period)
        units[kpi] = "%" if percent else f.get("unit", "")
    out = {}
    for kpi in sorted(by_kpi):
        labels = sorted(periods[kpi])
        stores = sorted(by_kpi[kpi], key=lambda s: (s == "*", s))
        out[kpi] = {"unit": units[kpi], "labels": labels, "datasets": [
            {"label": names.get(s, s), "store_id": s, "data": [by_kpi[kpi][s].get(p) for p in labels]}
            for s in stores]}
    return out


# -- CSRF ------------------------------------------------------------------------------------------
def csrf_token(secret: bytes, session_id: str) -> str:
    """The form token of one login session: an HMAC of the session id under the gateway's secret, so a page
    of another site can neither read nor forge it (the cookies are SameSite=Strict besides)."""
    return hmac.new(secret, f"boards-csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_id: str | None, token: str | None) -> bool:
    return bool(session_id and token) and hmac.compare_digest(csrf_token(secret, session_id), token)
