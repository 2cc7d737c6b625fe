"""Scoping fails closed: a store-level user with no stores sees nothing; a group role sees the group."""

from __future__ import annotations

from shared.auth import Role


async def test_a_store_user_without_stores_is_refused_and_a_group_analyst_sees_the_group(start_service, token):
    async with start_service("crm") as crm:
        nobody = await crm.client.get("/complaints", headers=token(Role.CUSTOMER_CARE, stores=[]))
        assert nobody.status_code == 403 and nobody.json()["field"] == "stores", nobody.text
        analyst = await crm.client.get("/complaints", headers=token(Role.GROUP_ANALYST, stores=[]))
        assert analyst.status_code == 200, analyst.text
        mine = await crm.client.get("/complaints", headers=token(Role.CUSTOMER_CARE, stores=["s-1"]))
        assert mine.status_code == 200, mine.text
