"""claims tells crm of a policy that expires soon: it joins the insurance reminders, once."""

from __future__ import annotations

from datetime import date

from aiokafka import AIOKafkaProducer
from shared.clock import FixedClock
from shared.contracts.claims import INSURANCE, InsuranceRenewalDue
from shared.messaging.envelope import Envelope

from tests.support.factories import eventually
from tests.support.kafka import publish

from .test_customer_care import MONDAY, Shop


async def test_a_renewal_from_claims_becomes_one_call_task_however_often_it_arrives(start_service, token, infra):
    async with start_service("crm", clock=FixedClock(MONDAY)) as crm:
        shop = Shop(crm, token, infra)
        _, vehicle = await shop.customer_and_vehicle()
        renewal = InsuranceRenewalDue(vehicle_id=vehicle["id"], insurer="平安保险", policy_number="PA-2026-001",
                                      expires_on=date(2026, 6, 20))
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        await producer.start()
        try:
            for copies in (2, 1):  # the same event twice, then again under a new id
                env = Envelope.new(renewal, source="claims", tenant=shop.tenant, time=MONDAY)
                await publish(producer, env, topic=INSURANCE, copies=copies)
        finally:
            await producer.stop()

        async def tasks():
            r = await crm.client.get("/call-tasks", params={"kind": "insurance_expiring"}, headers=shop.agent)
            return r.json() if r.status_code == 200 and r.json() else None
        found = await eventually(tasks)
        assert len(found) == 1 and found[0]["vehicle_id"] == vehicle["id"]
        assert "平安保险" in found[0]["detail"] and found[0]["due_on"] == "2026-06-01"
