"""A store's terms over HTTP: labour rate, VAT rate, comeback window, service interval."""

from __future__ import annotations

from fastapi import APIRouter

from ..adapters.repository import StoreTerms
from ..service_layer import stores as handlers
from ..service_layer.commands import StoreSettingsIn
from . import views
from .deps import Manager, Reader

router = APIRouter(tags=["stores"])


@router.put("/stores/{store_id}/settings", response_model=StoreTerms)
async def set_store_settings(store_id: str, body: StoreSettingsIn, run: Manager):
    return await run(handlers.set_store_settings, body.bind(store_id=store_id), view=views.store_settings)


@router.get("/stores/{store_id}/settings", response_model=StoreTerms)
async def get_store_settings(store_id: str, uow: Reader):
    return views.store_settings(uow, await handlers.store_settings(uow, store_id))
