"""crm registers a customer and a vehicle; reception learns of them over Kafka and answers from its replica."""

from __future__ import annotations

import uuid

from shared.auth import Role
from shared.plumbing_tables import inbox_table, outbox_table
from sqlalchemy import func, select

from tests.support.factories import eventually, new_phone, new_vin


async def test_vehicle_registered_in_crm_is_answered_by_reception(start_service, token):
    advisor = token(Role.ADVISOR, stores=["s-001"])
    async with start_service("crm") as crm, start_service("reception") as reception:
        c = await crm.client.post("/customers", headers=advisor, json={
            "store_id": "s-001", "name": "王伟", "phones": ["+86 138-0013-8000"], "contact_window": "09:00-11:30"})
        assert c.status_code == 201, c.text
        customer = c.json()
        vin = new_vin()
        v = await crm.client.post("/vehicles", headers=advisor, json={
            "store_id": "s-001", "vin": vin.lower(), "owner_customer_id": customer["id"], "plate": "沪a12345",
            "model": "Passat 330TSI", "sale_date": "2025-03-01", "warranty_years": 3, "warranty_km": 100000})
        assert v.status_code == 201, v.text
        vehicle = v.json()
        assert vehicle["vin"] == vin and vehicle["warranty_start"] == "2025-03-01"

        async def reception_knows():
            # Customer and vehicle events have different keys, so they may arrive in either order.
            r = await reception.client.get(f"/vehicles/{vehicle['id']}", headers=advisor)
            return r if r.status_code == 200 and r.json()["owner"]["name"] else None

        r = await eventually(reception_knows)
        assert r is not None, "reception never learnt of the vehicle"
        seen = r.json()
        assert seen["vin"] == vin
        assert seen["plate"] == "沪A12345"
        assert seen["owner"] == {"customer_id": customer["id"], "name": "王伟", "phones": ["13800138000"]}
        by_vin = await reception.client.get("/vehicles", params={"vin": vin}, headers=advisor)
        assert by_vin.status_code == 200 and by_vin.json()["vehicle_id"] == vehicle["id"]

        # Each event went through crm's outbox once and into reception's inbox once.
        async with crm.runtime.sessions() as s:
            sent = (await s.execute(select(outbox_table().c.event_type, outbox_table().c.published_at).where(
                outbox_table().c.aggregate_id.in_([customer["id"], vehicle["id"]])))).all()
        assert sorted(t for t, _ in sent) == ["CustomerRegistered.v1", "VehicleRegistered.v1"]
        assert all(p is not None for _, p in sent)
        async with reception.runtime.sessions() as s:
            n = await s.scalar(select(func.count()).select_from(inbox_table()).where(
                inbox_table().c.event_id.in_([str(x) for x in (await _ids(crm, customer, vehicle))])))
        assert n == 2


async def _ids(crm, customer, vehicle):
    async with crm.runtime.sessions() as s:
        return (await s.scalars(select(outbox_table().c.id).where(
            outbox_table().c.aggregate_id.in_([customer["id"], vehicle["id"]])))).all()


async def test_bad_input_is_refused_and_nothing_is_published(start_service, token):
    advisor = token(Role.ADVISOR, stores=["s-001"])
    async with start_service("crm") as crm:
        c = await crm.client.post("/customers", headers=advisor, json={
            "store_id": "s-001", "name": "李娜", "phones": [new_phone()]})
        assert c.status_code == 201
        cid = c.json()["id"]
        async with crm.runtime.sessions() as s:
            before = await s.scalar(select(func.count()).select_from(outbox_table()))
        cases = {
            "LSVAU2180N218329": "17 characters",
            "LSVAU2180N218329O": "I, O or Q",
            "LSVAU2181N2183294": "check digit",
        }
        for vin, words in cases.items():
            r = await crm.client.post("/vehicles", headers=advisor, json={
                "store_id": "s-001", "vin": vin, "owner_customer_id": cid})
            assert r.status_code == 422, r.text
            assert r.json()["field"] == "vin" and words in r.json()["detail"]
        r = await crm.client.post("/vehicles", headers=advisor, json={
            "store_id": "s-001", "vin": new_vin(), "owner_customer_id": "nobody"})
        assert r.status_code == 404 and r.json()["field"] == "owner_customer_id"
        r = await crm.client.post("/customers", headers=advisor, json={"store_id": "s-001", "name": "X", "phones": []})
        assert r.status_code == 422 and "phones" in r.text
        r = await crm.client.post("/customers", headers=advisor, json={
            "store_id": "s-999", "name": "X", "phones": ["13912345678"]})
        assert r.status_code == 403 and "s-999" in r.text
        r = await crm.client.post("/customers", json={"store_id": "s-001", "name": "X", "phones": ["13912345678"]})
        assert r.status_code == 401
        r = await crm.client.get("/vehicles", headers=advisor, params={"vin": "LSV\x00"})  # PostgreSQL refuses NUL
        assert r.status_code == 422 and r.json()["error"] == "InvalidValue"
        async with crm.runtime.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(outbox_table())) == before


async def test_retried_command_with_same_idempotency_key_changes_nothing(start_service, token):
    agent = token(Role.CUSTOMER_CARE, stores=["s-002"])
    body = {"store_id": "s-002", "name": "赵敏", "phones": [new_phone()]}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with start_service("crm") as crm:
        first = await crm.client.post("/customers", headers=agent | key, json=body)
        again = await crm.client.post("/customers", headers=agent | key, json=body)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        async with crm.runtime.sessions() as s:
            n = await s.scalar(select(func.count()).select_from(outbox_table()).where(
                outbox_table().c.aggregate_id == first.json()["id"]))
        assert n == 1
        other = await crm.client.post("/customers", headers=agent | key, json=body | {"name": "someone else"})
        assert other.status_code == 422 and "Idempotency-Key" in other.text
        # Without the key the same phone is a duplicate: refused, naming the existing customer.
        dup = await crm.client.post("/customers", headers=agent, json=body)
        assert dup.status_code == 409 and dup.json()["existing_customer_id"] == first.json()["id"]
