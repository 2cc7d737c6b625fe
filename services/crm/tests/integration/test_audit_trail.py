"""The audit trail: a customer changed by users of two stores shows who, from which store, when, with which
command and what changed; only managers read it, and only within their group."""

from __future__ import annotations

import uuid

from shared.auth import Role

from tests.support.factories import new_phone


async def test_a_customer_changed_by_two_users_of_two_stores_shows_both_in_its_history(start_service, token):
    group = f"dg-{uuid.uuid4().hex[:8]}"
    pudong = token(Role.ADVISOR, stores=["s-pd"], group=group, user="adv-pd")
    minhang = token(Role.CUSTOMER_CARE, stores=["s-mh"], group=group, user="care-mh")
    manager = token(Role.FRONT_DESK_SUPERVISOR, stores=["s-pd"], group=group, user="fd-pd")
    async with start_service("crm") as crm:
        created = await crm.client.post("/customers", headers=pudong | {"X-Correlation-Id": "call-7"},
                                        json={"store_id": "s-pd", "name": "王伟", "phones": [new_phone()]})
        assert created.status_code == 201, created.text
        customer = created.json()
        changed = await crm.client.patch(f"/customers/{customer['id']}", headers=minhang, json={
            "version": customer["version"], "name": "王伟（公司）", "contact_window": "14:00-16:00"})
        assert changed.status_code == 200, changed.text

        history = await crm.client.get(f"/customers/{customer['id']}/history", headers=manager)
        assert history.status_code == 200, history.text
        first, second = history.json()
        assert (first["actor_id"], first["actor_stores"], first["actor_roles"]) == ("adv-pd", ["s-pd"], ["advisor"])
        assert first["command"] == "register_customer" and first["correlation_id"] == "call-7"
        assert first["changes"]["name"] == [None, "王伟"] and first["version"] == 1
        assert (second["actor_id"], second["actor_stores"]) == ("care-mh", ["s-mh"])
        assert second["changes"]["name"] == ["王伟", "王伟（公司）"]
        assert second["changes"]["contact_window"] == [None, "14:00-16:00"]
        assert second["version"] == 2 and second["at"] >= first["at"]

        advisor_reads = await crm.client.get(f"/customers/{customer['id']}/history", headers=pudong)
        assert advisor_reads.status_code == 403
        other_group = token(Role.FRONT_DESK_SUPERVISOR, stores=["s-pd"], group="dg-other", user="fd-x")
        assert (await crm.client.get(f"/customers/{customer['id']}/history", headers=other_group)).status_code == 404
