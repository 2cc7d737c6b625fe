"""claims' warranty claims by cursor on real PostgreSQL: every claim once, in order, while claims are opened
between pages; the overdue part returns page by their (nullable) deadline column then id."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from claims.adapters.repository import WarrantyClaims
from claims.domain.warranty_claim import WarrantyClaim
from shared.auth import Role

from tests.support.factories import new_store
from tests.support.pages import insert as insert_directly
from tests.support.pages import refusal, walk

SH = ZoneInfo("Asia/Shanghai")


def claim(store: str, claim_id: str, *, return_by: date | None = None) -> WarrantyClaim:
    return WarrantyClaim(id=claim_id, dealer_group_id="dg-test", store_id=store, claim_number=f"WC-{claim_id}",
                         repair_order_id=f"ro-{uuid.uuid4().hex[:8]}", repair_order_number="RO-1", vehicle_id="v-1",
                         vin="LSVAU2180N2183294", dealer_code="D001", repair_date=date(2026, 11, 20),
                         opened_at=datetime(2026, 11, 20, 10, tzinfo=SH), return_parts_by=return_by)


async def test_warranty_claims_page_by_id_and_inserts_do_not_shift_pages(start_service, token, clock):
    store = new_store()
    specialist = token(Role.WARRANTY_SPECIALIST, stores=[store])
    async with start_service("claims", clock=clock) as claims:
        expected = [f"{store}-m{i}" for i in range(5)]
        await insert_directly(claims, WarrantyClaims, *(claim(store, i) for i in expected))
        early, late = [], []

        async def meanwhile(page: int) -> None:
            early.append(f"{store}-a{page}")   # before the cursor: not to come
            late.append(f"{store}-z{page}")    # after it: still to come
            await insert_directly(claims, WarrantyClaims, claim(store, early[-1]), claim(store, late[-1]))

        pages = await walk(claims.client, "/warranty-claims", headers=specialist,
                           params={"store_id": store, "state": "open"}, between=meanwhile)
        assert [c["id"] for p in pages for c in p] == expected + late
        assert [len(p) for p in pages] == [2, 2, 2, 2]

        first = await claims.client.get("/warranty-claims", headers=specialist,
                                        params={"store_id": store, "state": "open", "limit": 2})
        submitted = await claims.client.get("/warranty-claims", headers=specialist, params={
            "store_id": store, "state": "submitted", "cursor": first.headers["X-Next-Cursor"]})
        assert refusal(submitted, "cursor"), submitted.text


async def test_overdue_part_returns_page_by_deadline_then_id(start_service, token, clock):
    store = new_store()
    specialist = token(Role.WARRANTY_SPECIALIST, stores=[store])
    async with start_service("claims", clock=clock) as claims:
        deadlines = {"b": date(2026, 11, 25), "a": date(2026, 11, 28), "c": date(2026, 11, 25),
                     "d": date(2026, 11, 20), "e": date(2026, 12, 5), "f": None}  # e not due yet, f not asked
        await insert_directly(claims, WarrantyClaims, *(claim(store, f"{store}-{k}", return_by=d)
                                                        for k, d in deadlines.items()))
        pages = await walk(claims.client, "/warranty-claims/overdue-part-returns", headers=specialist,
                           params={"store_id": store})
        assert [c["id"][-1] for p in pages for c in p] == ["d", "b", "c", "a"]
        assert [len(p) for p in pages] == [2, 2]
