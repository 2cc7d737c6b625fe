"""parts' stock cards by cursor on real PostgreSQL: every part once, in order, while parts are created
between pages; a filter only the domain can decide (below safety stock) still gives full pages."""

from __future__ import annotations

from shared.auth import Role

from tests.support.factories import new_store
from tests.support.pages import refusal, walk


async def test_parts_below_safety_stock_page_fully_and_inserts_do_not_shift_pages(start_service, token):
    store = new_store()
    pm = token(Role.PARTS_MANAGER, stores=[store])
    async with start_service("parts") as parts:
        r = await parts.client.post("/bins", headers=pm, json={"store_id": store, "store_room": "A", "rack": "01",
                                                               "shelf": "02", "position": "03"})
        assert r.status_code == 201, r.text

        async def create(part_no: str, *, short: bool) -> str:
            r = await parts.client.post("/parts", headers=pm, json={
                "store_id": store, "part_no": part_no, "name": part_no, "retail_price": "10.00",
                "bin_code": "A-01-02-03", "opening_quantity": "1", "opening_cost": "5",
                "safety_stock": "10" if short else "0"})
            assert r.status_code == 201, r.text
            return part_no

        made = [await create(f"M-{i:02}", short=i % 3 != 0) for i in range(12)]  # 8 short, 4 not, interleaved
        expected = [p for i, p in enumerate(made) if i % 3 != 0]
        early, late = [], []

        async def meanwhile(page: int) -> None:
            early.append(await create(f"A-{page}", short=True))   # before the cursor: not to come
            late.append(await create(f"Z-{page}", short=True))    # after it: still to come
            await create(f"Z-{page}-ok", short=False)             # after it, but not short: never shown

        pages = await walk(parts.client, "/parts", headers=pm, params={"store_id": store, "below_safety_stock": True},
                           between=meanwhile)
        seen = [p["part_no"] for page in pages for p in page]
        assert seen == expected + late, (seen, late)
        assert all(len(page) == 2 for page in pages), pages
        assert all(p["below_safety_stock"] for page in pages for p in page)

        everything = await parts.client.get("/parts", headers=pm, params={"store_id": store, "limit": 500})
        assert len(everything.json()) == len(made) + 3 * len(late) and "Link" not in everything.headers

        first = await parts.client.get("/parts", headers=pm, params={"store_id": store, "limit": 2,
                                                                     "below_safety_stock": True})
        unfiltered = await parts.client.get("/parts", headers=pm, params={
            "store_id": store, "cursor": first.headers["X-Next-Cursor"]})
        assert refusal(unfiltered, "cursor"), unfiltered.text
