"""Consumer throughput of real handlers beside the raw floor, measured in the same run (benchmark 2).

    uv run python -m bench consumer [--events 4000] [--rounds 3]

Two real consumer groups, each as its service runs it (shared.kit.EventHandlers -> IdempotentConsumer,
FastStream, the service's own migrated schema, up to CONSUMER_BATCH_SIZE=100 records a transaction):
  reception.replicas   crm.VehicleRegistered -> reception's vehicle replica (an upsert);
  crm.care             reception.VehicleDelivered -> crm's visit, follow-up call, odometer reading, call tasks,
                       FollowUpScheduled into the outbox (the vehicles and customers seeded through crm's API).
The floor: aiokafka getmany + asyncpg on the same topic, broker and server: decode the CloudEvent and its
event, claim the batch's ids in the inbox (one unnest statement), insert one effect row per new event with
one executemany, commit. Each round drains the same events as a new consumer group into a fresh database
(a clone of a migrated template); variants interleave, medians of the rounds. Rate: from the first inbox row
committed to the last (group joins left out). Target: the real handler >= 1/5 of the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import date

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker
from shared.auth import KeySet, Principal, Role, generate_signing_key, issue_token
from shared.clock import SystemClock
from shared.contracts import crm, reception
from shared.messaging.consumer import ConsumerDeps
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.outbox import Outbox
from shared.messaging.relay import make_producer
from shared.service import Runtime, settle_heap
from shared.vin import with_check_digit

from bench.common import BENCH_STORE, BenchInfra, Figure, fresh_topics, report, standalone

TENANT = Tenant(*BENCH_STORE)
KEY = generate_signing_key("bench-1")
TARGET = 0.2


def settings(service: str, infra: BenchInfra, db: str, **kw):
    import importlib

    import shared.registry as registry

    cfg = importlib.import_module(f"{registry.service(service).package}.config")
    return cfg.Settings(database_url=infra.database_url(db), kafka_bootstrap_servers=infra.kafka_bootstrap,
                        jwt_keys=KeySet.of(KEY).to_json(), log_json=False, log_level="WARNING",
                        consumer_lag_poll_seconds=0, **kw)


def vin(i: int) -> str:
    return with_check_digit(f"LSVBENCH{i:09d}")


# -- the events ------------------------------------------------------------------------------------------
def vehicle_events(n: int, vehicles: int = 200) -> list[Envelope]:
    ids = [str(uuid.uuid4()) for _ in range(vehicles)]
    return [Envelope.new(crm.VehicleRegistered(
        vehicle_id=ids[i % vehicles], vin=vin(i % vehicles), plate=f"苏E{i:05d}", model="Magotan",
        owner_customer_id="c-1", odometer_km=1000 + i), source="crm", tenant=TENANT) for i in range(n)]


def delivery_events(n: int, pairs: list[tuple[str, str]]) -> list[Envelope]:
    return [Envelope.new(reception.VehicleDelivered(
        repair_order_id=f"ro-{uuid.uuid4().hex[:12]}", vehicle_id=pairs[i % len(pairs)][1],
        customer_id=pairs[i % len(pairs)][0], advisor_id="adv-1",
        odometer_km=20000 + i if i < len(pairs) else None,  # one reading a vehicle a day: crm keeps one
        next_service_date=date(2027, 6, 1), declined_work=["rear wipers"] if i % 3 == 0 else []),
        source="reception", tenant=TENANT) for i in range(n)]


async def produce(bootstrap: str, topic: str, envs: list[Envelope]) -> None:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await p.start()
    try:
        futs = [await p.send(topic, env.value(), key=env.subject.encode(), headers=env.headers()) for env in envs]
        await asyncio.gather(*futs)
    finally:
        await p.stop()


async def seed_crm(infra: BenchInfra, db: str, pairs: int) -> list[tuple[str, str]]:
    """Customers and vehicles through crm's own API (in-process, its relay off: nothing is published)."""
    from crm.main import create_app

    app = create_app(settings("crm", infra, db, run_outbox_relay=False, kafka_group_prefix=f"seed-{db}."))
    p = Principal(user_id="adv-1", name="adv", dealer_group_id=TENANT.dealer_group_id, roles=frozenset([Role.ADVISOR]),
                  store_ids=frozenset([TENANT.store_id]))
    headers = {"Authorization": "Bearer " + issue_token(p, key=KEY, issuer="aftersales-gateway", ttl_seconds=3600)}
    out = []
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://crm") as c:
        for i in range(pairs):
            r = await c.post("/customers", headers=headers, json={
                "store_id": TENANT.store_id, "name": f"客户{i}", "phones": [f"139{i:08d}"]})
            assert r.status_code == 201, r.text
            v = await c.post("/vehicles", headers=headers, json={
                "store_id": TENANT.store_id, "vin": vin(i), "owner_customer_id": r.json()["id"]})
            assert v.status_code == 201, v.text
            out.append((r.json()["id"], v.json()["id"]))
    return out


# -- the drains --------------------------------------------------------------------------------------------
async def wait_rate(dsn: str, consumer: str, n: int, timeout: float = 240) -> float:
    """Events/s from the first inbox row of `consumer` committed to the n-th, leaving out stalls: stretches of
    over a second (and five times the usual gap between commits) with nothing committed. A group of several
    topics joins one subscriber at a time, and each join rebalances the group for a few seconds while the first
    subscribers already consume: a join, left out as the first one is."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "bench-wait-rate"})
    try:
        t_first, n_first, deadline, got = None, 0, time.monotonic() + timeout, 0
        changes: list[float] = []  # when the count grew
        while time.monotonic() < deadline:
            count = await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", consumer)
            now = time.perf_counter()
            if count and t_first is None:
                t_first, n_first = now, count
            if count > got:
                got = count
                changes.append(now)
            if got >= n:
                gaps = [b - a for a, b in zip(changes, changes[1:], strict=False)]
                usual = statistics.median(gaps) if gaps else 0.0
                stalled = sum(g for g in gaps if g > max(1.0, 5 * usual))
                active = now - t_first - stalled
                return (n - n_first) / active if active > 0 else float("nan")
            await asyncio.sleep(0.01)
        raise TimeoutError(f"{consumer}: {got}/{n} after {timeout}s")
    finally:
        await conn.close()


async def drain_service(infra: BenchInfra, service: str, group_name: str, db: str, n: int | None,
                        batch_size: int = 100, group_prefix: str | None = None) -> float:
    """The service's consumer group, built as the service builds it, on a fresh group id: its rate over n
    events, or (n None) running until cancelled."""
    import importlib

    import shared.registry as registry

    consumers = importlib.import_module(f"{registry.service(service).package}.entrypoints.consumers")
    group = getattr(consumers, group_name)
    from shared.db import make_engine, make_session_factory

    s = settings(service, infra, db, kafka_group_prefix=group_prefix or f"bench-{uuid.uuid4().hex[:6]}.")
    engine = make_engine(s.database_url, pool_size=5)
    producer = make_producer(infra.kafka_bootstrap, f"bench-{service}")
    await producer.start()
    runtime = Runtime(settings=s, outbox=Outbox(service), clock=SystemClock(), deps=ConsumerDeps(
        sessions=make_session_factory(engine), producer=producer, group_prefix=s.kafka_group_prefix,
        batch_size=batch_size))
    consumer = group.consumer(runtime)
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    broker.include_router(consumer.router)
    settle_heap()  # as a service does once started (here before: its full collection would stall the drain)
    # Watching before the start: the first subscriber consumes while the group's others still join, and a fast
    # handler has drained the topic before `start` returns.
    waiter = asyncio.create_task(wait_rate(infra.dsn(db), consumer.name, n)) if n is not None else None
    await broker.start()
    print(f"consumer {consumer.name} started", flush=True)
    try:
        if waiter is None:
            await asyncio.Future()
        return await waiter
    finally:
        if waiter is not None:
            waiter.cancel()
        await broker.stop()
        await consumer.committer.close()
        await producer.stop()
        await engine.dispose()


CLAIM = ('INSERT INTO inbox (consumer, event_id, event_type, topic, "partition", "offset") '
         "SELECT $1::varchar, * FROM unnest($2::varchar[], $3::varchar[], $4::varchar[], $5::int[], $6::bigint[]) "
         "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id")
EFFECT = "INSERT INTO bench_effect (event_id, aggregate_id, data) VALUES ($1, $2, $3::jsonb)"


async def drain_floor(infra: BenchInfra, topic: str, db: str, n: int) -> float:
    """aiokafka + asyncpg alone: the same decode, inbox claim and one effect row per event, 100 a transaction."""
    name = f"floor-{uuid.uuid4().hex[:6]}"
    conn = await asyncpg.connect(infra.dsn(db))
    await conn.execute("CREATE TABLE IF NOT EXISTS bench_effect (event_id varchar PRIMARY KEY, aggregate_id "
                       "varchar NOT NULL, data jsonb NOT NULL)")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=infra.kafka_bootstrap, group_id=name,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    waiter = asyncio.create_task(wait_rate(infra.dsn(db), name, n))
    try:
        while not waiter.done():
            for recs in (await consumer.getmany(timeout_ms=200, max_records=100)).values():
                envs = [Envelope.from_kafka(r.value, r.headers) for r in recs]
                events = [env.event() for env in envs]
                async with conn.transaction():
                    new = {row[0] for row in await conn.fetch(
                        CLAIM, name, [e.id for e in envs], [e.type for e in envs], [r.topic for r in recs],
                        [r.partition for r in recs], [r.offset for r in recs])}
                    await conn.executemany(EFFECT, [(env.id, ev.aggregate_id, json.dumps(env.data))
                                                    for env, ev in zip(envs, events, strict=True) if env.id in new])
            await consumer.commit()
        return waiter.result()
    finally:
        waiter.cancel()
        await consumer.stop()
        await conn.close()


async def compare(infra: BenchInfra, service: str, group: str, topic: str, n: int, rounds: int,
                  template: str, floor: bool = True) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"handler": [], "floor": []}
    for _ in range(rounds):  # interleaved: the machine's noise spreads over both
        db = await infra.create_database(service, template=template)
        rates["handler"].append(await drain_service(infra, service, group, db, n))
        await infra.drop_database(db)
        if not floor:  # profiling the handler alone
            rates["floor"].append(float("nan"))
            continue
        db = await infra.create_database(service, template=template)
        rates["floor"].append(await drain_floor(infra, topic, db, n))
        await infra.drop_database(db)
    return rates


async def run(infra: BenchInfra, events: int, rounds: int, only: str | None = None) -> list[Figure]:
    await fresh_topics(infra.kafka_bootstrap, [crm.VehicleRegistered.topic, reception.VehicleDelivered.topic])
    reception_tpl = await infra.service_database("reception")  # a migrated clone serves as the template
    crm_tpl = await infra.service_database("crm")
    pairs = await seed_crm(infra, crm_tpl, 50)
    await produce(infra.kafka_bootstrap, crm.VehicleRegistered.topic, vehicle_events(events))
    await produce(infra.kafka_bootstrap, reception.VehicleDelivered.topic, delivery_events(events, pairs))
    figures, details = [], {"events": events, "rounds": rounds, "batch": 100}
    for label, service, group, topic, tpl in (
            ("reception vehicle replica", "reception", "replicas", crm.VehicleRegistered.topic, reception_tpl),
            ("crm delivery -> follow-up", "crm", "care", reception.VehicleDelivered.topic, crm_tpl)):
        if only and only != service:
            continue
        rates = await compare(infra, service, group, topic, events, rounds, tpl, floor=not only)
        med = {k: statistics.median(v) for k, v in rates.items()}
        details[label] = rates
        f = Figure(f"consumer: {label}", med["handler"], "ev/s", med["floor"], "aiokafka+asyncpg batch insert",
                   target=">= 0.20x floor")
        f.ok = f.ratio is not None and f.ratio >= TARGET
        figures.append(f)
    report("consumer", figures, details, infra)
    return figures


async def main(events: int, rounds: int, only: str | None) -> None:
    await standalone(run, events, rounds, only)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=["reception", "crm"], help="one handler, no floor (to profile it)")
    a = ap.parse_args()
    asyncio.run(main(a.events, a.rounds, a.only))
