"""A store's terms: labour rate, VAT rate, comeback window, service interval."""

from __future__ import annotations

from fastapi import APIRouter, Request
from shared.commands import run_command
from shared.db import unit_of_work
from sqlalchemy.dialects.postgresql import insert

from ..adapters import repository as repo
from ..adapters.orm import StoreSettingsRow
from ..service_layer.commands import StoreSettingsIn
from .deps import Manager, Reader

router = APIRouter(tags=["stores"])


def _terms(t) -> dict:
    return {"labour_rate": str(t.labour_rate), "tax_rate": str(t.tax_rate), "comeback_days": t.comeback_days,
            "service_interval_months": t.service_interval_months, "service_interval_km": t.service_interval_km}


@router.put("/stores/{store_id}/settings")
async def set_store_settings(store_id: str, body: StoreSettingsIn, request: Request, principal: Manager):
    principal.check_store(store_id)
    rt = request.app.state.runtime

    async def handle(session):
        values = dict(dealer_group_id=principal.dealer_group_id, store_id=store_id, updated_by=principal.user_id,
                      updated_at=rt.clock.now(), **body.model_dump())
        stmt = insert(StoreSettingsRow.__table__).values(**values)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["dealer_group_id", "store_id"],
            set_={k: stmt.excluded[k] for k in values if k not in ("dealer_group_id", "store_id")}))
        return 200, {"store_id": store_id, **_terms(body)}

    return await run_command(request, principal, body, handle)


@router.get("/stores/{store_id}/settings")
async def get_store_settings(store_id: str, request: Request, principal: Reader):
    principal.check_store(store_id)
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        t = await repo.store_terms(session, request.app.state.settings, principal.dealer_group_id, store_id)
        return {"store_id": store_id, **_terms(t)}
