"""Reliability of the outbox relay and the idempotent consumer on real Kafka and PostgreSQL.

Following Kafka's system tests and Jepsen: inject the fault (SIGKILL a relay, redeliver, poison),
then check nothing acknowledged was lost, no effect happened twice, and per-key order held.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY
from shared.contracts.crm import CUSTOMERS, CustomerKind, CustomerRegistered
from shared.db import make_engine, make_session_factory, unit_of_work
from shared.messaging.consumer import ConsumerDeps, IdempotentConsumer, dlq_topic
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.outbox import Outbox
from shared.messaging.topics import ensure_topics
from shared.plumbing_tables import create_plumbing_schema, inbox_table, outbox_table
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from tests.support.factories import eventually
from tests.support.infra import create_database, drop_database
from tests.support.kafka import header, publish, read_topic, running_consumer

TENANT = Tenant("dg-rel", "s-rel")
effects_md = MetaData()
effects = Table("effects", effects_md, Column("n", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String, nullable=False), Column("customer_id", String, nullable=False))
changes = Table("changes", effects_md, Column("id", String, primary_key=True))


@pytest_asyncio.fixture
async def scratch_db(infra):
    """A database with the plumbing tables (outbox, inbox) and a non-idempotent `effects` table."""
    name = await create_database(infra, "reliability")
    url = infra.database_url(name)
    engine = make_engine(url, pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(create_plumbing_schema)
        await conn.run_sync(effects_md.create_all)
    try:
        yield url, engine
    finally:
        await engine.dispose()
        await drop_database(infra, name)


def customer_event(name: str, customer_id: str | None = None) -> CustomerRegistered:
    return CustomerRegistered(customer_id=customer_id or str(uuid.uuid4()), kind=CustomerKind.PERSON, name=name,
                              phones=["13800000000"], home_store_id=TENANT.store_id)


async def record_effect(session, env: Envelope, event: CustomerRegistered) -> None:
    """Deliberately not idempotent by itself: only the inbox can keep it from happening twice."""
    if event.name == "boom":
        raise RuntimeError("handler refuses boom")
    await session.execute(insert(effects).values(event_id=env.id, customer_id=event.customer_id))


async def count_effects(engine, customer_ids) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(effects).where(
            effects.c.customer_id.in_(list(customer_ids))))


def consumed(consumer_name: str, result: str) -> float:
    return REGISTRY.get_sample_value("kafka_events_consumed_total", {
        "service": "test", "consumer": consumer_name, "type": "CustomerRegistered.v1", "result": result}) or 0.0


REPO = Path(__file__).resolve().parents[2]


def start_relay(url: str, bootstrap: str, *, fault: str | None = None, batch_size: int = 200) -> subprocess.Popen:
    """The relay as its own process; with a fault, the test-only relay that SIGKILLs itself there."""
    module = ["tests.support.faulty_relay", "--fault", fault] if fault else ["shared.messaging.relay"]
    return subprocess.Popen(
        [sys.executable, "-m", *module, "--database-url", url, "--bootstrap-servers", bootstrap,
         "--service", "test-relay", "--poll-seconds", "0.2", "--batch-size", str(batch_size)],
        cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_process(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@asynccontextmanager
async def relay_process(url, bootstrap, **kw):
    p = start_relay(url, bootstrap, **kw)
    try:
        yield p
    finally:
        stop_process(p)


async def commit_change_with_event(engine, event) -> None:
    """The business change and its outbox row, in one transaction."""
    async with unit_of_work(make_session_factory(engine)) as session:
        await session.execute(insert(changes).values(id=event.customer_id))
        await Outbox("test").record(session, event, tenant=TENANT)


@pytest.mark.parametrize("fault", ["kill_after_claim", "kill_after_publish"])
async def test_relay_killed_mid_batch_then_restarted_gives_exactly_one_effect(infra, scratch_db, fault):
    url, engine = scratch_db
    group = f"test-crash-{uuid.uuid4().hex[:8]}"
    event = customer_event("crash")
    async with running_consumer(infra, engine, CUSTOMERS, group, record_effect):
        await commit_change_with_event(engine, event)

        crashed = start_relay(url, infra.kafka_bootstrap, fault=fault)
        try:
            assert await asyncio.to_thread(crashed.wait, 60) == -signal.SIGKILL
        finally:
            stop_process(crashed)
        async with engine.connect() as conn:
            assert await conn.scalar(select(outbox_table().c.published_at).where(
                outbox_table().c.aggregate_id == event.customer_id)) is None, "the crashed relay marked the row"
        if fault == "kill_after_claim":
            await asyncio.sleep(1.0)
            assert await count_effects(engine, [event.customer_id]) == 0, "nothing was sent before the crash"

        duplicates_before = consumed(group, "duplicate")
        async with relay_process(url, infra.kafka_bootstrap):
            assert await eventually(lambda: count_effects(engine, [event.customer_id])), "event never arrived"
            if fault == "kill_after_publish":  # the event is on the topic twice; the repeat must be dropped
                assert await eventually(lambda: _gt(consumed(group, "duplicate"), duplicates_before))
            assert await eventually(lambda: _published(engine, event.customer_id))
        assert await count_effects(engine, [event.customer_id]) == 1
        async with engine.connect() as conn:
            event_id = await conn.scalar(select(outbox_table().c.id).where(
                outbox_table().c.aggregate_id == event.customer_id))
            inbox = await conn.scalar(select(func.count()).select_from(inbox_table()).where(
                inbox_table().c.consumer == group, inbox_table().c.event_id == str(event_id)))
        assert inbox == 1


async def _gt(a, b):
    return a > b


async def _published(engine, aggregate_id) -> bool:
    async with engine.connect() as conn:
        return await conn.scalar(select(outbox_table().c.published_at).where(
            outbox_table().c.aggregate_id == aggregate_id)) is not None


@pytest.mark.parametrize("batch_size", [1, 100], ids=["one-by-one", "batched"])
async def test_same_event_delivered_twice_has_one_effect_and_one_inbox_row(infra, scratch_db, batch_size):
    _, engine = scratch_db
    topic = f"test.dup.{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic)])
    env = Envelope.new(customer_event("twice"), source="test", tenant=TENANT)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await publish(producer, env, topic=topic, copies=2)
    finally:
        await producer.stop()
    group = f"test-dup-{uuid.uuid4().hex[:8]}"
    async with running_consumer(infra, engine, topic, group, record_effect, batch_size=batch_size):
        assert await eventually(lambda: _gt(consumed(group, "duplicate"), 0)), "second copy never processed"
    assert await count_effects(engine, [env.subject]) == 1
    async with engine.connect() as conn:
        rows = (await conn.execute(select(inbox_table()).where(inbox_table().c.consumer == group))).all()
    assert [r.event_id for r in rows] == [env.id]
    lag = [smp for m in REGISTRY.collect() if m.name == "kafka_consumer_lag" for smp in m.samples
           if smp.labels["consumer"] == group]
    assert lag and lag[-1].value == 0, "consumer lag is observed, and nothing is left behind"
    # Handled offsets were committed (in a batch, on stop): a restart does not read them again.
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    assert sum(meta.offset for tp, meta in committed.items() if tp.topic == topic) == 2


@pytest.mark.parametrize("batch_size", [1, 100], ids=["one-by-one", "batched"])
async def test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_moves_on(infra, scratch_db, batch_size):
    _, engine = scratch_db
    topic = f"test.poison.{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    first = Envelope.new(customer_event("first"), source="test", tenant=TENANT)
    good = Envelope.new(customer_event("fine"), source="test", tenant=TENANT)
    failing = Envelope.new(customer_event("boom"), source="test", tenant=TENANT)
    not_json = Envelope.new(customer_event("x"), source="test", tenant=TENANT)
    bad_payload = Envelope.new(customer_event("y"), source="test", tenant=TENANT)
    bad_header = Envelope.new(customer_event("z"), source="test", tenant=TENANT)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, first.value(), key=b"k", headers=first.headers())
        await producer.send_and_wait(topic, b"{not json", key=b"k", headers=not_json.headers())
        await producer.send_and_wait(topic, b'{"hello": "world"}', key=b"k", headers=[])  # no CloudEvents headers
        await producer.send_and_wait(topic, json.dumps({"customer_id": "c"}).encode(), key=b"k",
                                     headers=bad_payload.headers())  # fails validation
        await producer.send_and_wait(topic, failing.value(), key=b"k", headers=failing.headers())  # handler raises
        await producer.send_and_wait(topic, good.value(), key=b"k",  # a header that is not UTF-8
                                     headers=[*bad_header.headers(), ("x-binary", b"\xff\xfe")])
        await producer.send_and_wait(topic, good.value(), key=b"k", headers=good.headers())
    finally:
        await producer.stop()

    group = f"test-poison-{uuid.uuid4().hex[:8]}"
    async with running_consumer(infra, engine, topic, group, record_effect, batch_size=batch_size):
        assert await eventually(lambda: count_effects(engine, [good.subject])), "the good message was blocked"
        dead = await read_topic(infra.kafka_bootstrap, dlq_topic(topic), until=lambda rs: len(rs) >= 5)
    assert await count_effects(engine, [good.subject, failing.subject]) == 1
    async with engine.connect() as conn:  # handled in partition order, the poison skipped between
        order = (await conn.scalars(select(effects.c.customer_id).where(
            effects.c.customer_id.in_([first.subject, good.subject])).order_by(effects.c.n))).all()
    assert order == [first.subject, good.subject]
    assert len(dead) == 5
    by_offset = {int(header(r, "dlq_original_offset")) - 1: r for r in dead}  # offset 0 is `first`
    assert sorted(by_offset) == [0, 1, 2, 3, 4]
    assert "not UTF-8" in header(by_offset[4], "dlq_error")
    assert dict(by_offset[4].headers)["x-binary"] == b"\xff\xfe"  # kept byte for byte
    assert "not JSON" in header(by_offset[0], "dlq_error")
    assert "missing CloudEvents headers" in header(by_offset[1], "dlq_error")
    assert "invalid CustomerRegistered.v1 payload" in header(by_offset[2], "dlq_error")
    assert "handler refuses boom" in header(by_offset[3], "dlq_error")
    assert header(by_offset[3], "dlq_attempts") == "3"
    for r in dead:
        assert header(r, "dlq_original_topic") == topic
        assert header(r, "dlq_original_partition") == "0"
        assert header(r, "dlq_consumer") == group
    assert by_offset[0].value == b"{not json"  # the original bytes are kept for replay
    assert header(by_offset[3], "ce_id") == failing.id


async def test_two_relays_on_one_outbox_publish_each_event_once_in_order_per_aggregate(infra, scratch_db):
    url, engine = scratch_db
    aggregates = [str(uuid.uuid4()) for _ in range(10)]
    per_aggregate = 30
    sessions = make_session_factory(engine)
    # Interleaved commits, as concurrent commands would make them.
    for n in range(per_aggregate):
        async with unit_of_work(sessions) as session:
            for agg in aggregates:
                await Outbox("test").record(session, customer_event(f"#{n}", customer_id=agg), tenant=TENANT)
    expected = len(aggregates) * per_aggregate
    wanted = set(aggregates)

    def all_ours(rs) -> bool:
        return sum(1 for r in rs if r.key and r.key.decode() in wanted) >= expected

    relays = [start_relay(url, infra.kafka_bootstrap, batch_size=7) for _ in range(2)]
    try:
        records = await read_topic(infra.kafka_bootstrap, CUSTOMERS, timeout=60, until=all_ours)
        await asyncio.sleep(1.0)  # room for a double send to show up
        records = await read_topic(infra.kafka_bootstrap, CUSTOMERS, timeout=10, until=all_ours)
    finally:
        for p in relays:
            stop_process(p)
    ours = [r for r in records if r.key and r.key.decode() in wanted]
    ids = [header(r, "ce_id") for r in ours]
    assert len(ids) == expected, f"{len(ids)} messages for {expected} events"
    assert len(set(ids)) == expected, "an event was published twice"
    order: dict[str, list[int]] = defaultdict(list)
    for r in sorted(ours, key=lambda r: (r.partition, r.offset)):
        order[r.key.decode()].append(int(json.loads(r.value)["name"][1:]))
    for agg, seqs in order.items():
        assert seqs == list(range(per_aggregate)), f"aggregate {agg} out of order: {seqs}"
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox_table()).where(
            outbox_table().c.published_at.is_(None))) == 0


async def test_a_dead_letter_replayed_after_the_fix_is_handled_once(infra, scratch_db):
    """Operators list dead letters and replay them once the cause is fixed; the event id is kept."""
    from shared.messaging.dlq import read_dead_letters, replay

    _, engine = scratch_db
    topic = f"test.replay.{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    env = Envelope.new(customer_event("boom"), source="test", tenant=TENANT)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await publish(producer, env, topic=topic)
    finally:
        await producer.stop()
    group = f"test-replay-{uuid.uuid4().hex[:8]}"
    async with running_consumer(infra, engine, topic, group, record_effect):
        assert await eventually(lambda: _gt(consumed(group, "dead-lettered"), 0))
    [letter] = await read_dead_letters(infra.kafka_bootstrap, topic)
    assert letter.summary()["id"] == env.id and "handler refuses boom" in letter.summary()["error"]

    async def fixed_handler(session, env, event):  # the bug is fixed: "boom" is handled like any name
        await session.execute(insert(effects).values(event_id=env.id, customer_id=event.customer_id))

    async with running_consumer(infra, engine, topic, group, handler=fixed_handler):
        replayed = await replay(infra.kafka_bootstrap, topic, consumer=group)
        assert [d.offset for d in replayed] == [letter.offset]
        assert await eventually(lambda: count_effects(engine, [env.subject]))
        again = await replay(infra.kafka_bootstrap, topic, consumer=group)  # replaying twice changes nothing
        assert len(again) == 1
        assert await eventually(lambda: _gt(consumed(group, "duplicate"), 0))
    assert await count_effects(engine, [env.subject]) == 1


async def test_published_rows_are_deleted_after_the_retention_and_unpublished_ones_never(infra, scratch_db):
    from datetime import UTC, datetime, timedelta

    from shared.messaging.relay import OutboxRelay
    from sqlalchemy import update

    url, engine = scratch_db
    sessions = make_session_factory(engine)
    events = [customer_event(f"r{i}") for i in range(3)]
    async with unit_of_work(sessions) as s:
        for e in events:
            await Outbox("test").record(s, e, tenant=TENANT)
    t = outbox_table()
    old, recent = datetime.now(UTC) - timedelta(days=10), datetime.now(UTC) - timedelta(hours=1)
    async with engine.begin() as c:  # one sent long ago, one sent recently, one not sent yet
        await c.execute(update(t).where(t.c.aggregate_id == events[0].customer_id).values(published_at=old))
        await c.execute(update(t).where(t.c.aggregate_id == events[1].customer_id).values(published_at=recent))
    relay = OutboxRelay(engine=engine, dsn="", producer=None, service="test", listen=False, retention_hours=72)
    assert await relay.delete_published_before(datetime.now(UTC) - relay.retention, chunk=1) == 1
    async with engine.connect() as c:
        left = set((await c.scalars(select(t.c.aggregate_id))).all())
    assert left == {events[1].customer_id, events[2].customer_id}


async def test_a_handler_failing_inside_a_batch_keeps_the_prefix_and_order_and_dead_letters_only_itself(
        infra, scratch_db):
    _, engine = scratch_db
    topic = f"test.batch.{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    before = [Envelope.new(customer_event(f"b{i}"), source="test", tenant=TENANT) for i in range(3)]
    boom = Envelope.new(customer_event("boom"), source="test", tenant=TENANT)
    after = [Envelope.new(customer_event(f"a{i}"), source="test", tenant=TENANT) for i in range(3)]
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, linger_ms=50)
    await producer.start()
    try:
        for env in [*before, boom, *after]:  # all decodable: one batch, the fourth handler raises
            await publish(producer, env, topic=topic)
    finally:
        await producer.stop()
    group = f"test-batch-{uuid.uuid4().hex[:8]}"
    ids = [e.subject for e in [*before, *after]]
    async with running_consumer(infra, engine, topic, group, record_effect, batch_size=100):
        async def all_handled() -> bool:
            return await count_effects(engine, ids) == len(ids)

        assert await eventually(all_handled)
        dead = await read_topic(infra.kafka_bootstrap, dlq_topic(topic), until=lambda rs: len(rs) >= 1)
    async with engine.connect() as conn:
        order = (await conn.scalars(select(effects.c.customer_id).where(effects.c.customer_id.in_(ids))
                                    .order_by(effects.c.n))).all()
    assert order == ids, "each record once, in partition order, around the failed one"
    assert [header(r, "ce_id") for r in dead] == [boom.id] and header(dead[0], "dlq_attempts") == "3"


async def test_a_batch_claims_its_ids_in_one_statement_and_handles_only_the_new_ones_in_order(
        infra, scratch_db, monkeypatch):
    """The batched path itself (no fallback): an id seen before, a second copy within the batch and an
    event type the consumer does not read are not handled; the new ones are, in record order."""
    import dataclasses

    from aiokafka.structs import ConsumerRecord
    from shared.contracts.crm import VehicleRegistered

    _, engine = scratch_db
    envs = [Envelope.new(customer_event(f"n{i}"), source="test", tenant=TENANT) for i in range(4)]
    other = dataclasses.replace(envs[0], id=str(uuid.uuid4()), type=VehicleRegistered.event_type)
    sent = [envs[0], envs[1], envs[1], other, envs[2], envs[3]]
    records = [ConsumerRecord("t", 0, offset, 0, 0, b"k", e.value(), None, 0, 0, tuple(e.headers()))
               for offset, e in enumerate(sent)]
    deps = ConsumerDeps(sessions=make_session_factory(engine), producer=None)
    consumer = IdempotentConsumer(service="test", name=f"test-claim-{uuid.uuid4().hex[:8]}", deps=deps)
    async with unit_of_work(deps.sessions) as session:  # envs[3] was handled before
        assert await consumer._claim(session, [(records[5], envs[3])]) == {envs[3].id}

    async def one_by_one(*_):
        raise AssertionError("the batch fell back to one by one")

    monkeypatch.setattr(consumer, "process", one_by_one)
    results = await consumer.process_batch(records, {CustomerRegistered.event_type: record_effect})
    assert results == ["handled", "handled", "duplicate", "ignored", "handled", "duplicate"]
    async with engine.connect() as conn:
        order = (await conn.scalars(select(effects.c.event_id).order_by(effects.c.n))).all()
        inbox = (await conn.execute(select(inbox_table().c.event_id, inbox_table().c.offset).where(
            inbox_table().c.consumer == consumer.name))).all()
    assert order == [envs[0].id, envs[1].id, envs[2].id]
    assert sorted(inbox, key=lambda r: r.offset) == [(envs[0].id, 0), (envs[1].id, 1), (envs[2].id, 4),
                                                     (envs[3].id, 5)]


async def test_record_all_writes_in_order_in_the_callers_transaction_and_notifies(infra, scratch_db):
    import asyncpg
    from shared.db import asyncpg_dsn

    url, engine = scratch_db
    sessions = make_session_factory(engine)
    listener = await asyncpg.connect(asyncpg_dsn(url))
    notified = asyncio.Event()
    await listener.add_listener("outbox", lambda *_: notified.set())
    try:
        events = [customer_event(f"#{i}") for i in range(5)]
        with pytest.raises(RuntimeError):
            async with unit_of_work(sessions) as session:
                await Outbox("test").record_all(session, events[:2], tenant=TENANT)
                raise RuntimeError("the caller's transaction rolls back")
        async with unit_of_work(sessions) as session:
            envs = await Outbox("test").record_all(session, iter(events), tenant=TENANT, correlation_id="corr")
        await asyncio.wait_for(notified.wait(), timeout=10)
    finally:
        await listener.close()
    t = outbox_table()
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t.c.id, t.c.aggregate_id, t.c.headers).order_by(t.c.seq))).all()
    assert [r.id for r in rows] == [e.id for e in envs]
    assert [r.aggregate_id for r in rows] == [e.customer_id for e in events]
    assert all(r.headers["ce_correlationid"] == "corr" for r in rows)
