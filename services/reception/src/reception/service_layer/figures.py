"""reception's figures for a span of days, weeks or months (docs/kpis.md)."""

from __future__ import annotations

from datetime import date

from shared.kit import UnitOfWork
from shared.kit.figures import FiguresAnswer, Granularity, periods, span, store_zone, stores_in_scope

from ..adapters import repository as repo
from ..domain import figures as kpis


async def figures(uow: UnitOfWork, *, date_from: date, date_to: date, granularity: Granularity,
                  store_id: str | None) -> FiguresAnswer:
    """Whole periods from the one holding `date_from` to the one holding `date_to`, in the stores' local days.
    One store when named; else every store of the caller's (a store user's stores, with or without work;
    for a group role, each store with work in the span)."""
    starts = periods(date_from, date_to, granularity)
    tz = store_zone(uow.settings)
    orders = await repo.orders_between(uow, *span(starts, granularity, tz), store_id)
    stores = stores_in_scope(uow.actor, store_id, [o.store_id for o in orders])
    return FiguresAnswer(service="reception", granularity=granularity, date_from=date_from, date_to=date_to,
                         figures=kpis.figures(orders, stores=stores, periods=starts, granularity=granularity, tz=tz))
