"""Two instances of one service (crm) on one database and one consumer group, under load: commands on
both write the one outbox that both relays drain, and deliveries from reception are shared out between
the two consumers. No event is lost or sent twice, and each aggregate's events reach Kafka in order."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

from aiokafka import AIOKafkaProducer
from shared.auth import Role
from shared.contracts.crm import CUSTOMERS, FOLLOW_UPS
from shared.contracts.reception import REPAIR_ORDERS, VehicleDelivered
from shared.messaging.envelope import Envelope, Tenant
from shared.plumbing_tables import inbox_table, outbox_table
from sqlalchemy import func, select

from tests.support.factories import eventually, new_phone, new_vin
from tests.support.kafka import header, read_topic

CUSTOMERS_N, UPDATES, DELIVERIES = 12, 5, 60


async def _register(inst, headers, store: str, i: int) -> tuple[dict, dict]:
    c = await inst.client.post("/customers", headers=headers, json={
        "store_id": store, "name": f"客户{i}-0", "phones": [new_phone()]})
    assert c.status_code == 201, c.text
    v = await inst.client.post("/vehicles", headers=headers, json={
        "store_id": store, "vin": new_vin(), "owner_customer_id": c.json()["id"]})
    assert v.status_code == 201, v.text
    return c.json(), v.json()


async def _rename(instances, headers, customer: dict, i: int) -> None:
    """UPDATES corrections of one customer, each on the other instance than the one before."""
    version = customer["version"]
    for k in range(1, UPDATES + 1):
        inst = instances[(i + k) % 2]
        r = await inst.client.patch(f"/customers/{customer['id']}", headers=headers,
                                    json={"version": version, "name": f"客户{i}-{k}"})
        assert r.status_code == 200, r.text
        version = r.json()["version"]


async def _deliver(bootstrap: str, tenant: Tenant, pairs: list[tuple[dict, dict]]) -> list[str]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    ids = []
    try:
        for n in range(DELIVERIES):
            customer, vehicle = pairs[n % len(pairs)]
            env = Envelope.new(VehicleDelivered(repair_order_id=f"ro-{uuid.uuid4().hex[:10]}", vehicle_id=vehicle["id"],
                                                customer_id=customer["id"], advisor_id="adv-1"),
                               source="reception", tenant=tenant)
            await producer.send(REPAIR_ORDERS, env.value(), key=env.subject.encode(), headers=env.headers())
            ids.append(env.id)
        await producer.flush()
    finally:
        await producer.stop()
    return ids


async def test_two_instances_share_the_outbox_and_the_group_without_losing_doubling_or_reordering(
        start_service, token, infra):
    group, store = f"dg-{uuid.uuid4().hex[:8]}", "s-001"
    headers = token(Role.ADVISOR, stores=[store], group=group, user="adv-1")
    # The relays poll often and send small batches, so both take turns on the one outbox.
    async with start_service("crm", outbox_batch_size=5, outbox_poll_seconds=0.05) as a, \
            start_service("crm", outbox_batch_size=5, outbox_poll_seconds=0.05) as b:
        instances = (a, b)
        pairs = await asyncio.gather(*(_register(instances[i % 2], headers, store, i) for i in range(CUSTOMERS_N)))
        delivered = asyncio.create_task(_deliver(infra.kafka_bootstrap, Tenant(group, store), pairs))
        await asyncio.gather(*(_rename(instances, headers, c, i) for i, (c, _) in enumerate(pairs)))
        delivery_ids = await delivered

        async def all_handled():
            async with a.runtime.sessions() as s:
                n = await s.scalar(select(func.count()).select_from(inbox_table()).where(
                    inbox_table().c.consumer == "crm.care", inbox_table().c.event_id.in_(delivery_ids)))
            return n == DELIVERIES

        assert await eventually(all_handled, timeout=60), "not every delivery was handled"

        async def outbox_sent():
            async with a.runtime.sessions() as s:
                return await s.scalar(select(func.count()).select_from(outbox_table()).where(
                    outbox_table().c.published_at.is_(None))) == 0

        assert await eventually(outbox_sent, timeout=60), "the relays left events unsent"

    # Every customer's events, once each, in the order they were made: registered, then -1 ... -5.
    ours = {c["id"] for c, _ in pairs}
    want = CUSTOMERS_N * (1 + UPDATES)
    records = await read_topic(infra.kafka_bootstrap, CUSTOMERS, timeout=60, until=lambda rs: sum(
        1 for r in rs if r.key and r.key.decode() in ours) >= want)
    mine = [r for r in records if r.key and r.key.decode() in ours]
    ids = Counter(header(r, "ce_id") for r in mine)
    assert len(mine) == want and max(ids.values()) == 1, f"{len(mine)} events for {want} made; doubled: " \
        f"{[i for i, n in ids.items() if n > 1][:5]}"
    for i, (c, _) in enumerate(pairs):
        names = [json.loads(r.value)["name"] for r in mine if r.key.decode() == c["id"]]
        assert names == [f"客户{i}-{k}" for k in range(UPDATES + 1)], names

    # One follow-up per delivery, each published once.
    follow_ups = await read_topic(infra.kafka_bootstrap, FOLLOW_UPS, timeout=60, until=lambda rs: sum(
        1 for r in rs if header(r, "ce_dealergroup") == group) >= DELIVERIES)
    scheduled = [r for r in follow_ups if header(r, "ce_dealergroup") == group]
    assert len(scheduled) == DELIVERIES
    assert len({header(r, "ce_causationid") for r in scheduled}) == DELIVERIES  # one for each delivery
