"""What a lifecycle left on Kafka: every event of the given aggregates, read straight off the topics with
aiokafka (no consumer group: each partition assigned and read from the start to its end), and the checks the
end-to-end lifecycle tests make of them: each event exactly once, in order per aggregate, in one trace."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from shared.contracts import TOPICS, event_class


@dataclass(frozen=True)
class Seen:
    topic: str
    partition: int
    offset: int
    key: str
    type: str  # the short name: "RepairOrderOpened", "oem.WarrantyClaimDecided"
    id: str
    time: datetime
    trace_id: str | None
    data: bytes

    @property
    def name(self) -> str:
        return self.type.rsplit(".v", 1)[0]


def _header(record, name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name:
            return v.decode()
    return None


def _seen(record) -> Seen | None:
    type_ = _header(record, "ce_type")
    if type_ is None or record.key is None:
        return None
    tp = _header(record, "traceparent")
    return Seen(topic=record.topic, partition=record.partition, offset=record.offset, key=record.key.decode(),
                type=type_, id=_header(record, "ce_id") or "", time=datetime.fromisoformat(_header(record, "ce_time")),
                trace_id=tp.split("-")[1] if tp and tp.count("-") == 3 else None, data=record.value)


async def read_events(bootstrap: str, keys: Iterable[str], topics: Iterable[str] = TOPICS) -> list[Seen]:
    """Every event on `topics` (up to their current ends) whose key is one of `keys`, in offset order per
    partition."""
    wanted = set(keys)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())
                 or sorted(await _partitions(consumer, t))]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        left = {tp for tp in parts if ends[tp] > 0}
        out: list[Seen] = []
        while left:
            batch = await consumer.getmany(*left, timeout_ms=500)
            for tp, records in batch.items():
                out += [s for r in records if (s := _seen(r)) and s.key in wanted]
                if records and records[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
            for tp in list(left):
                if await consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
        return out
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # a consumer without subscriptions fetches none by itself
    return consumer.partitions_for_topic(topic) or set()


def per_aggregate(seen: list[Seen]) -> dict[str, list[Seen]]:
    """Each aggregate's events in the order they happened: by their time, ties by topic offset (one topic's
    events of one key share a partition, so the offset is their order there)."""
    out: dict[str, list[Seen]] = {}
    for s in sorted(seen, key=lambda s: (s.time, s.topic, s.offset)):
        out.setdefault(s.key, []).append(s)
    return out


def check_lifecycle(seen: list[Seen], expected: dict[str, list[str]], *, trace_id: str) -> dict[str, list[str]]:
    """Assert what the lifecycle published: no event id twice; for each aggregate the events of the named types,
    in order, each as often as named (other types may come between); every one of the aggregates' events in the
    trace `trace_id`. Answers every aggregate's types in order, for the test's own further checks."""
    ids = [s.id for s in seen]
    twice = {i for i in ids if ids.count(i) > 1}
    assert not twice, f"events published more than once: {[(s.name, s.key) for s in seen if s.id in twice]}"
    by_key = per_aggregate(seen)
    for key, types in expected.items():
        unknown = {t for t in types if not event_class_known(t)}
        assert not unknown, f"not event types: {unknown}"  # a typo would make a check that cannot pass
        got = [s.name for s in by_key.get(key, []) if s.name in set(types)]
        assert got == types, f"{key}: expected {types}, Kafka has {got} (all: {[s.name for s in by_key.get(key, [])]})"
        for topic in {s.topic for s in by_key[key]}:
            # On one topic an aggregate's events share a partition: its offsets are the order they were raised.
            mine = [s for s in by_key[key] if s.topic == topic]
            assert mine == sorted(mine, key=lambda s: s.offset), f"{key}: out of order on {topic}"
    other = [(s.name, s.key, s.trace_id) for s in seen if s.trace_id != trace_id]
    assert not other, f"events outside trace {trace_id}: {other}"
    return {k: [s.name for s in v] for k, v in by_key.items()}


def event_class_known(name: str) -> bool:
    return any(event_class(f"{name}.v{version}") is not None for version in (1, 2))


async def wait_for_events(bootstrap: str, expected: dict[str, list[str]], *, timeout: float = 30.0,
                          topics: Iterable[str] = TOPICS) -> list[Seen]:
    """Read until every expected type of every aggregate is on Kafka (the relays publish shortly after the
    commit), or the timeout passes; answers what was read last."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        seen = await read_events(bootstrap, expected, topics)
        by_key = per_aggregate(seen)
        if all(len([s for s in by_key.get(k, []) if s.name in set(v)]) >= len(v) for k, v in expected.items()):
            return seen
        if loop.time() > deadline:
            return seen
        await asyncio.sleep(0.5)
