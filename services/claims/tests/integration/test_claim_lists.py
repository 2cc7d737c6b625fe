from __future__ import annotations

from shared.auth import Role


async def test_an_empty_filter_lists_claims_instead_of_failing(start_service, token):
    """Found by the fuzzer: `?repair_order_id=` put an empty string into the query's conditions (a 500)."""
    async with start_service("claims") as claims:
        specialist = token(Role.WARRANTY_SPECIALIST, stores=["s-1"])
        r = await claims.client.get("/warranty-claims", params={"repair_order_id": ""}, headers=specialist)
        assert r.status_code == 200 and r.json() == [], r.text
