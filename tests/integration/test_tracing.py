"""One trace follows a command from HTTP through the outbox into Kafka and the consumer."""

from __future__ import annotations

import asyncio
import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from shared.auth import Role
from shared.plumbing_tables import outbox_table
from sqlalchemy import select


async def test_trace_context_travels_from_the_request_to_the_consumer(start_service, token):
    spans = InMemorySpanExporter()
    async with start_service("crm") as crm, start_service("reception") as reception:
        trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(spans))
        trace_id = uuid.uuid4().hex
        parent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
        headers = token(Role.CUSTOMER_CARE, stores=["s-t"]) | {"traceparent": parent}
        r = await crm.client.post("/customers", headers=headers, json={
            "store_id": "s-t", "name": "孙丽", "phones": [f"136{uuid.uuid4().int % 10**8:08d}"]})
        assert r.status_code == 201
        async with crm.runtime.sessions() as s:
            headers = await s.scalar(select(outbox_table().c.headers).where(
                outbox_table().c.aggregate_id == r.json()["id"]))
        assert headers["traceparent"].split("-")[1] == trace_id

        for _ in range(150):
            consumer_spans = [sp for sp in spans.get_finished_spans()
                              if sp.name == "crm.customers process" and format(sp.context.trace_id, "032x") == trace_id]
            if consumer_spans:
                break
            await asyncio.sleep(0.1)
        assert consumer_spans, "reception's consumer did not continue the request's trace"
        assert consumer_spans[0].attributes["messaging.consumer.group.name"] == "reception.replicas"
        assert reception  # kept running while we waited
