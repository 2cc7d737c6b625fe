"""Messages no consumer can use, between good ones, and every message delivered twice.

- Poison on a topic two services consume (crm.customers: reception and claims keep a copy of each car), all under
  one key, so one partition, good and bad interleaved: bad JSON, a version no consumer knows, a payload failing
  validation, a header that is not UTF-8 each end in `crm.customers.dlq` with its reason, once per consumer group;
  a type no consumer reads is passed over (a topic carries types for other readers: by design not a dead letter);
  every good message is applied once, also the ones behind the poison (the partition is not blocked), also when
  sent twice under one id.
- A duplicating producer in front of every topic: while whole lifecycles run, each record the services publish is
  published again, same key, headers and value. The checker then finds no effect doubled and none lost."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from shared.contracts import crm
from shared.messaging.envelope import Envelope, Tenant
from shared.messaging.topics import catalogue_topics

from tests.support.factories import eventually, new_vin
from tests.support.kafka import header, read_topic

from .checker import Checker
from .workload import GROUP, STORE, Driver

pytestmark = pytest.mark.timeout(900)

READER = "reception.replicas"  # the consumer group whose copy of each car the test reads back
COPY_HEADER = "rel_copy"  # marks the duplicator's copies, so it does not copy them again


def registered(vin: str) -> Envelope:
    return Envelope.new(crm.VehicleRegistered(
        vehicle_id=str(uuid.uuid4()), vin=vin, plate="苏E00000", model="Passat", owner_customer_id=str(uuid.uuid4()),
        sale_date=date(2025, 6, 1), warranty_years=3, warranty_km=100_000, odometer_km=1000),
        source="crm", tenant=Tenant(GROUP, STORE))


def poison() -> list[tuple[str, bytes, list[tuple[str, bytes]], str | None]]:
    """(kind, value, headers, the reason its dead letter must give; None: passed over, not dead-lettered)."""
    base = registered(new_vin())

    def headers(env: Envelope, **change: bytes) -> list[tuple[str, bytes]]:
        return [(k, change.get(k, v)) for k, v in env.headers()]

    def fresh() -> Envelope:
        return registered(new_vin())

    bad_json, unknown_type, unknown_version, invalid, not_utf8 = (fresh() for _ in range(5))
    return [
        ("bad JSON", b'{"vin": "unterminated', headers(bad_json), "value is not JSON"),
        ("unknown type", base.value(), headers(unknown_type, ce_type=b"NoSuchThing.v1"), None),
        ("unknown version", unknown_version.value(), headers(unknown_version, ce_type=b"VehicleRegistered.v9"),
         "unsupported version"),
        ("failing validation", json.dumps({**invalid.data, "warranty_km": "lots"}).encode(), headers(invalid),
         "invalid VehicleRegistered.v1 payload"),
        ("header not UTF-8", not_utf8.value(), headers(not_utf8, ce_source=b"\xff\xfecrm"), "header is not UTF-8"),
    ]


async def test_poison_between_good_messages_is_dead_lettered_with_its_reason_and_blocks_nothing(rig):
    bootstrap = rig.broker.bootstrap
    key = f"poison-{uuid.uuid4().hex[:6]}".encode()  # one key: good and bad on one partition, in this order
    goods = [registered(new_vin()) for _ in range(6)]
    bad = poison()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = []
        for i, env in enumerate(goods):
            for _ in range(2):  # every good one twice under one id: applied once
                await producer.send_and_wait(crm.CUSTOMERS, env.value(), key=key, headers=env.headers())
            if i < len(bad):
                kind, value, hdrs, _ = bad[i]
                sent.append(await producer.send_and_wait(crm.CUSTOMERS, value, key=key, headers=hdrs))
    finally:
        await producer.stop()

    driver = Driver(rig.url("gateway"), concurrency=1)
    try:
        async def known(vin: str):
            r = await driver.get("/api/reception/vehicles", "rel.advisor", vin=vin)
            return r.json() if r is not None and r.status_code == 200 else None

        for env in goods:  # the last good one sits behind all the poison
            got = await eventually(lambda env=env: known(env.data["vin"]), timeout=60, interval=0.5)
            assert got is not None and got["vehicle_id"] == env.data["vehicle_id"], env.data["vin"]
    finally:
        await driver.close()

    offsets = {md.offset: kind for md, (kind, *_) in zip(sent, bad, strict=True)}
    meant = {kind: reason for kind, _, _, reason in bad if reason}
    dlq = await read_topic(bootstrap, crm.CUSTOMERS + ".dlq", timeout=60, until=lambda rs: {
        (header(r, "dlq_consumer"), _offset(r)) for r in rs} >= {(READER, o) for o in offsets if offsets[o] in meant})
    ours = [r for r in dlq if _offset(r) in offsets and r.key == key]
    by_consumer: dict[str, dict[str, str]] = {}
    for r in ours:
        by_consumer.setdefault(header(r, "dlq_consumer"), {})[offsets[_offset(r)]] = header(r, "dlq_error")
    # Reception reads VehicleRegistered: each poison once, the unknown type not at all. Another group of the topic
    # that reads other types only dead-letters what no one could read (bad JSON, a bad header), with its reason.
    assert set(by_consumer.get(READER, {})) == set(meant), by_consumer
    for consumer, found in by_consumer.items():
        for kind, error in found.items():
            assert meant.get(kind, "-") in error, (consumer, kind, error)
    assert len([r for r in ours if header(r, "dlq_consumer") == READER]) == len(meant)
    print(f"\npoison: {len(ours)} dead letters on {crm.CUSTOMERS}.dlq, consumers {sorted(by_consumer)}: "
          + "; ".join(f"{k}: {v[:70]}" for k, v in by_consumer[READER].items()))


def _offset(r) -> int | None:
    try:
        return int(header(r, "dlq_original_offset") or "")
    except ValueError:
        return None


class Duplicator:
    """A producer in front of every topic: each record published is published again, same partition, key,
    headers and value, marked so it is copied once only."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.copies = 0
        self.ready = asyncio.Event()

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await consumer.start()
        await producer.start()
        try:
            cluster = await consumer._client.fetch_all_metadata()
            consumer.assign([TopicPartition(t, p) for t in catalogue_topics()
                             for p in (cluster.partitions_for_topic(t) or ())])
            await consumer.seek_to_end()
            self.ready.set()
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for rs in batch.values():
                    for r in rs:
                        if any(k == COPY_HEADER for k, _ in r.headers or ()):
                            continue
                        await producer.send_and_wait(r.topic, r.value, key=r.key, partition=r.partition,
                                                     headers=[*(r.headers or ()), (COPY_HEADER, b"1")])
                        self.copies += 1
        finally:
            await producer.stop()
            await consumer.stop()


@pytest.mark.reliability_full
async def test_every_message_delivered_twice_doubles_no_effect(rig):
    dup = Duplicator(rig.broker.bootstrap)
    copying = asyncio.create_task(dup.run())
    driver = Driver(rig.url("gateway"), concurrency=2)
    try:
        await asyncio.wait_for(dup.ready.wait(), 30)
        await driver.set_up_shop()
        await driver.run_lifecycles(4)
        report = await Checker(driver, rig.broker.bootstrap).check()
    finally:
        copying.cancel()
        await asyncio.gather(copying, return_exceptions=True)
        await driver.close()
    print(f"\nduplicated delivery: {dup.copies} records published twice")
    print("\n".join(report.lines()))
    assert dup.copies > 0
    assert report.lost == [] and report.duplicated == [] and report.out_of_order == [], report.lines()
    assert report.acknowledged > 0 and not report.stalled, report.stalled
    assert report.redeliveries_on_topics > 0, report.lines()  # the copies are on the topics
