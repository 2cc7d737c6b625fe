"""What an operator goes through when a consumer fails on a message, on real Kafka, PostgreSQL and Prometheus:

the handler fails on an event, which is dead-lettered; the consumer's /metrics shows the dead letter; a real
Prometheus scraping it (with the repo's alerts.yml) fires DeadLetters; `ops dead-letters` shows the error; the
cause is fixed; `ops replay` sends it back through the normal consumer, whose effect happens once — and a second
replay changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import yaml
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY, start_http_server
from shared.contracts.crm import CustomerKind, CustomerRegistered
from shared.db import make_engine, make_session_factory
from shared.messaging.consumer import dlq_topic
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.topics import ensure_topics
from shared.plumbing_tables import create_plumbing_schema
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from deploy.local_prometheus import ALERT_RULES, LocalPrometheus
from tests.support.factories import eventually
from tests.support.infra import create_database, drop_database
from tests.support.kafka import publish, running_consumer

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not LocalPrometheus(Path(".")).installed(), reason="prometheus not installed")]

ROOT = Path(__file__).resolve().parents[2]
TENANT = Tenant("dg-ops", "s-ops")
SERVICE = "ops-test"
md = MetaData()
effects = Table("effects", md, Column("n", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String, nullable=False))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest_asyncio.fixture
async def engine(infra):
    name = await create_database(infra, "ops")
    engine = make_engine(infra.database_url(name), pool_size=3)
    async with engine.begin() as conn:
        await conn.run_sync(create_plumbing_schema)
        await conn.run_sync(md.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_database(infra, name)


@pytest.fixture
def metrics_and_prometheus(tmp_path):
    """This process's metrics (the registry a service's /metrics serves) on a port, and a Prometheus scraping
    it every second with the repo's alert rules."""
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1")
    prom = LocalPrometheus(tmp_path / "prometheus", port=free_port(), interval="1s")
    try:
        prom.start({SERVICE: f"127.0.0.1:{port}"}, timeout=60)
        prom.wait_targets_up([SERVICE], timeout=60)
        yield f"http://127.0.0.1:{port}/metrics", prom
    finally:
        prom.stop()
        server.shutdown()
        thread.join(timeout=5)


async def ops(infra, *args: str) -> str:
    """The ops command, as an operator runs it (its own process)."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap, "COLUMNS": "250"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "ops.cli", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def query(prom: LocalPrometheus, expr: str) -> list[dict]:
    async with httpx.AsyncClient(timeout=5) as client:
        r = await client.get(prom.url + "/api/v1/query", params={"query": expr})
    return r.json()["data"]["result"]


def dead_letter_alert_expr() -> str:
    rules = [r for g in yaml.safe_load(ALERT_RULES.read_text())["groups"] for r in g["rules"]]
    return next(r["expr"] for r in rules if r["alert"] == "DeadLetters")


async def test_a_failing_consumer_raises_the_alert_and_a_replay_after_the_fix_applies_the_effect_once(
        infra, engine, metrics_and_prometheus):
    metrics_url, prom = metrics_and_prometheus
    topic, group = f"test.ops.{uuid.uuid4().hex[:8]}", f"ops-test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    broken = True

    async def handler(session, env, event):
        if broken and event.name == "boom":
            raise RuntimeError("customer name 'boom' not understood")
        await session.execute(insert(effects).values(event_id=env.id))

    async def effect_count() -> int:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(effects).where(effects.c.event_id == env.id))

    env = Envelope.new(CustomerRegistered(customer_id=str(uuid.uuid4()), kind=CustomerKind.PERSON, name="boom",
                                          phones=["13800000000"], home_store_id="s-ops"), source="test", tenant=TENANT)
    series = f'kafka_dead_letters_total{{consumer="{group}"}}'
    async with running_consumer(infra, engine, topic, group, handler, service=SERVICE, max_attempts=2):
        # The dead-letter series is scraped at 0 before anything fails, so the first dead letter is an increase.
        assert await eventually(lambda: query(prom, series), timeout=30)
        assert not await query(prom, f"({dead_letter_alert_expr()}) and on (consumer) {series}")
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        await producer.start()
        try:
            await publish(producer, env, topic=topic)
        finally:
            await producer.stop()

        async def metric_shows_it() -> bool:
            async with httpx.AsyncClient(timeout=5) as client:
                body = (await client.get(metrics_url)).text
            return f'kafka_dead_letters_total{{consumer="{group}",service="{SERVICE}",topic="{topic}"}} 1.0' in body
        assert await eventually(metric_shows_it, timeout=60)

        # The alert's own expression, evaluated by Prometheus on what it scraped, and the alert itself firing.
        firing = await eventually(lambda: query(prom, f"({dead_letter_alert_expr()}) and on (consumer) {series}"),
                                  timeout=30)
        assert [r["metric"]["topic"] for r in firing] == [topic]
        alert = f'ALERTS{{alertname="DeadLetters", alertstate="firing", consumer="{group}"}}'
        assert await eventually(lambda: query(prom, alert), timeout=30)
        assert await effect_count() == 0

        listed = await ops(infra, "dead-letters", topic)
        assert env.id in listed and "customer name 'boom' not understood" in listed

        broken = False  # the cause is fixed
        out = await ops(infra, "replay", topic, "--all", "--consumer", group)
        assert "replayed 1 dead letter(s)" in out and env.id in out
        assert await eventually(effect_count, timeout=60) == 1
        # Replaying again (an operator's second try) is dropped by the consumer's inbox.
        await ops(infra, "replay", topic, "--offset", "0:0")
        assert await eventually(lambda: _gt(consumed(group, "duplicate"), 0), timeout=60)
        # Lag, of this consumer and of the platform's own groups (none of them running here).
        lag = await ops(infra, "lag", "--group", group)
        assert group in lag and topic in lag, lag
        assert "Traceback" not in await ops(infra, "lag")
    assert await effect_count() == 1


def consumed(group: str, result: str) -> float:
    return REGISTRY.get_sample_value("kafka_events_consumed_total", {
        "service": SERVICE, "consumer": group, "type": "CustomerRegistered.v1", "result": result}) or 0.0


async def _gt(a: float, b: float) -> bool:
    return a > b


async def test_business_counters_count_an_event_when_its_transaction_commits_not_before(engine):
    """A repair order opened in a transaction that rolls back was never opened: only the commit counts."""
    from shared.contracts.reception import RepairOrderOpened
    from shared.messaging.outbox import Outbox
    from shared.observability import REPAIR_ORDERS_OPENED

    outbox = Outbox("reception", {RepairOrderOpened: REPAIR_ORDERS_OPENED})
    store = f"s-{uuid.uuid4().hex[:6]}"
    labels = {"service": "reception", "dealer_group": "dg-ops", "store": store}

    def opened() -> float:
        return REGISTRY.get_sample_value("aftersales_repair_orders_opened_total", labels) or 0.0

    event = RepairOrderOpened.model_validate(OPENED_EXAMPLE)
    sessions = make_session_factory(engine)
    async with sessions() as session:
        async with session.begin():
            await outbox.record(session, event, tenant=Tenant("dg-ops", store))
            assert opened() == 0  # recorded, not committed
            await session.rollback()
    assert opened() == 0
    async with sessions() as session, session.begin():
        await outbox.record(session, event, tenant=Tenant("dg-ops", store))
    assert opened() == 1


OPENED_EXAMPLE = {"repair_order_id": "ro-1", "number": "RO-1", "vehicle_id": "v-1", "customer_id": "c-1",
                  "advisor_id": "a-1", "promised_at": "2026-11-26T17:00:00+08:00", "jobs": []}
