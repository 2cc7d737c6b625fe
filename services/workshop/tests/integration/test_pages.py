"""workshop's operation codes by cursor on real PostgreSQL: every code once, in order, while codes are
defined between pages (before the cursor: not shown; after it: shown, once)."""

from __future__ import annotations

import uuid

from shared.auth import Role

from tests.support.pages import refusal, walk


async def test_operation_codes_page_by_code_and_inserts_do_not_shift_pages(start_service, token, clock):
    group, store = f"dg-{uuid.uuid4().hex[:8]}", "s-1"
    supervisor = token(Role.WORKSHOP_SUPERVISOR, stores=[store], group=group)
    async with start_service("workshop", clock=clock) as workshop:
        async def define(code: str) -> str:
            r = await workshop.client.put(f"/stores/{store}/operations/{code}", headers=supervisor, json={
                "description": code, "flat_rate_hours": "1.0", "skill": "mechanical"})
            assert r.status_code == 200, r.text
            return code

        expected = [await define(f"M-{i}") for i in range(5)]
        early, late = [], []

        async def meanwhile(page: int) -> None:
            early.append(await define(f"A-{page}"))  # sorts before the cursor: not to come
            late.append(await define(f"Z-{page}"))   # after it: still to come

        pages = await walk(workshop.client, f"/stores/{store}/operations", headers=supervisor, between=meanwhile)
        seen = [op["operation_code"] for p in pages for op in p]
        assert seen == expected + late, (seen, late)
        assert [len(p) for p in pages] == [2, 2, 2, 2]
        everything = await workshop.client.get(f"/stores/{store}/operations", headers=supervisor)
        assert [op["operation_code"] for op in everything.json()] == early + expected + late
        assert "Link" not in everything.headers

        cursor = (await workshop.client.get(f"/stores/{store}/operations", headers=supervisor,
                                            params={"limit": 1})).headers["X-Next-Cursor"]
        elsewhere = await workshop.client.get("/stores/s-2/operations", headers=supervisor, params={"cursor": cursor})
        assert refusal(elsewhere, "cursor"), elsewhere.text
