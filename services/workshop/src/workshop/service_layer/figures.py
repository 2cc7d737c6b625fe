"""The workshop's figures for a span of days, weeks or months (docs/kpis.md), and the same counts per
technician and team for the workshop's own board."""

from __future__ import annotations

from datetime import date, timedelta

from shared.kit import UnitOfWork
from shared.kit.figures import FiguresAnswer, Granularity, local_start, periods, span, store_zone, stores_in_scope

from ..adapters import repository as repo
from ..domain import figures as kpis


async def figures(uow: UnitOfWork, *, date_from: date, date_to: date, granularity: Granularity,
                  store_id: str | None) -> FiguresAnswer:
    """Whole periods from the one holding `date_from` to the one holding `date_to`, in the stores' local days.
    One store when named; else every store of the caller's (a store user's stores, with or without work;
    for a group role, each store with work in the span)."""
    starts = periods(date_from, date_to, granularity)
    tz = store_zone(uow.settings)
    start, end = span(starts, granularity, tz)
    orders = [o for o in await repo.checked_since(uow, start, store_id) if o.opened_at < end]
    stores = stores_in_scope(uow.actor, store_id, [o.store_id for o in orders])
    return FiguresAnswer(service="workshop", granularity=granularity, date_from=date_from, date_to=date_to,
                         figures=kpis.store_figures(orders, stores=stores, periods=starts, granularity=granularity,
                                                    tz=tz, now=uow.now()))


async def by_technician(uow: UnitOfWork, store_id: str, date_from: date, date_to: date):
    """Jobs whose final inspection passed from `date_from` to `date_to` (both included), per technician, team
    and the store."""
    periods(date_from, date_to, Granularity.DAY)  # a span backwards or over the limit is refused, naming it
    tz = store_zone(uow.settings)
    start, end = local_start(date_from, tz), local_start(date_to + timedelta(days=1), tz)
    return kpis.figures(await repo.checked_since(uow, start, store_id), uow.now(), start, end)
