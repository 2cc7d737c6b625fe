"""The workshop's figures for a span of days, weeks or months (docs/kpis.md), and the same counts per
technician and team for the workshop's own board."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.kit import UnitOfWork
from shared.kit.figures import FiguresAnswer, Granularity, next_period, periods

from ..adapters import repository as repo
from ..domain import figures as kpis


def _local(uow: UnitOfWork, d: date) -> datetime:
    return datetime.combine(d, time(), ZoneInfo(uow.settings.store_timezone))


async def figures(uow: UnitOfWork, *, date_from: date, date_to: date, granularity: Granularity,
                  store_id: str | None) -> FiguresAnswer:
    """Whole periods from the one holding `date_from` to the one holding `date_to`, in the stores' local days.
    One store when named; else every store of the caller's (a store user's stores, with or without work;
    for a group role, each store with work in the span)."""
    starts = periods(date_from, date_to, granularity)
    end = _local(uow, next_period(starts[-1], granularity))
    orders = await repo.checked_since(uow, _local(uow, starts[0]), store_id)
    stores = [store_id] if store_id else [] if uow.actor.spans_group else sorted(uow.actor.store_ids)
    return FiguresAnswer(service="workshop", granularity=granularity, date_from=date_from, date_to=date_to,
                         figures=kpis.store_figures([o for o in orders if o.opened_at < end], stores=stores,
                                                    periods=starts, granularity=granularity,
                                                    tz=ZoneInfo(uow.settings.store_timezone), now=uow.now()))


async def by_technician(uow: UnitOfWork, store_id: str, date_from: date, date_to: date):
    """Jobs whose final inspection passed from `date_from` to `date_to` (both included), per technician, team
    and the store."""
    periods(date_from, date_to, Granularity.DAY)  # a span backwards or over the limit is refused, naming it
    start, end = _local(uow, date_from), _local(uow, date_to + timedelta(days=1))
    return kpis.figures(await repo.checked_since(uow, start, store_id), uow.now(), start, end)
