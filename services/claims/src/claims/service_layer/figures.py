"""The claims desk's figures (KPIs) on the figures contract: gather the claims, let domain/figures.py count."""

from __future__ import annotations

from datetime import date

from shared.kit import UnitOfWork
from shared.kit.figures import FiguresAnswer, Granularity, periods, store_zone, stores_in_scope

from ..adapters.repository import InsuranceClaims, WarrantyClaims
from ..domain.figures import claims_figures


async def figures(uow: UnitOfWork, date_from: date, date_to: date, granularity: Granularity,
                  store_id: str | None) -> FiguresAnswer:
    """Every period from the one holding `date_from` to the one holding `date_to`, in the stores' local dates."""
    starts = periods(date_from, date_to, granularity)
    warranty = await uow.repo(WarrantyClaims).list(store_id=store_id)
    insurance = await uow.repo(InsuranceClaims).list(store_id=store_id)
    stores = stores_in_scope(uow.actor, store_id, [c.store_id for c in [*warranty, *insurance]])
    out = claims_figures(stores=stores, starts=starts, granularity=granularity, tz=store_zone(uow.settings),
                         warranty=warranty, insurance=insurance)
    return FiguresAnswer(service="claims", granularity=granularity, date_from=date_from, date_to=date_to,
                         figures=out)
