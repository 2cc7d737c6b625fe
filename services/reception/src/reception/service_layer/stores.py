"""A store's terms: labour rate, VAT rate, comeback window, service interval."""

from __future__ import annotations

from shared.kit import UnitOfWork

from ..adapters import repository as repo
from ..adapters.repository import StoreTerms
from . import commands as c


async def set_store_settings(uow: UnitOfWork, cmd: c.StoreSettingsIn) -> StoreTerms:
    uow.actor.check_store(cmd.store_id)
    terms = StoreTerms(cmd.store_id, cmd.labour_rate, cmd.tax_rate, cmd.comeback_days, cmd.service_interval_months,
                       cmd.service_interval_km)
    await repo.set_store_terms(uow, terms)
    return terms


async def store_settings(uow: UnitOfWork, store_id: str) -> StoreTerms:
    uow.actor.check_store(store_id)
    return await repo.store_terms(uow, store_id)
