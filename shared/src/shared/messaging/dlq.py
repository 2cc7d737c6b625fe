"""Dead letters for operators: list them, and replay them to their original topic once fixed.

    python -m shared.messaging.dlq list reception.repair-orders
    python -m shared.messaging.dlq replay reception.repair-orders [--consumer reception.care] [--offset N ...]

Replay re-publishes the original key, value and CloudEvents headers (the `dlq_*` headers
dropped), so the event id is unchanged: a consumer that did handle it meanwhile skips it
through its inbox. A replayed record carries `dlq_replayed_from` = the dead-letter offset.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from .consumer import dlq_topic


@dataclass
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str | None:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), None)

    def summary(self) -> dict:
        return {
            "dlq_offset": f"{self.partition}:{self.offset}",
            "type": self.header("ce_type"),
            "id": self.header("ce_id"),
            "consumer": self.header("dlq_consumer"),
            "error": self.header("dlq_error"),
            "original": f"{self.header('dlq_original_topic')}/{self.header('dlq_original_partition')}"
                        f"@{self.header('dlq_original_offset')}",
            "attempts": self.header("dlq_attempts"),
        }


async def read_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Everything on `<topic>.dlq`, read without a consumer group (nothing is committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(dlq_topic(topic)) or set()
        if not parts:
            await consumer._client.force_metadata_update()  # a fresh client may not know the topic yet
            parts = consumer.partitions_for_topic(dlq_topic(topic)) or set()
        tps = [TopicPartition(dlq_topic(topic), p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[DeadLetter] = []
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in tps])

        while await behind():
            for recs in (await consumer.getmany(timeout_ms=500)).values():
                out += [DeadLetter(r.partition, r.offset, r.key, r.value, list(r.headers or ())) for r in recs]
        return sorted(out, key=lambda d: (d.partition, d.offset))
    finally:
        await consumer.stop()


async def replay(bootstrap: str, topic: str, *, consumer: str | None = None,
                 offsets: set[str] | None = None, letters: list[DeadLetter] | None = None,
                 on_sent: Callable[[DeadLetter], None] | None = None) -> list[DeadLetter]:
    """Send the chosen dead letters (those given, or those read from `<topic>.dlq` that match) back to
    `topic`; returns what was replayed. `on_sent` hears of each once Kafka has it (a progress bar)."""
    if letters is None:
        letters = await read_dead_letters(bootstrap, topic)
    letters = [d for d in letters
               if (consumer is None or d.header("dlq_consumer") == consumer)
               and (not offsets or f"{d.partition}:{d.offset}" in offsets)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all",
                                client_id=f"dlq-replay-{uuid.uuid4().hex[:6]}")
    await producer.start()
    try:
        for d in letters:
            headers = [(k, v) for k, v in d.headers if not k.startswith("dlq_")]
            headers.append(("dlq_replayed_from", f"{d.partition}:{d.offset}".encode()))
            await producer.send_and_wait(d.header("dlq_original_topic") or topic, d.value, key=d.key,
                                         headers=headers)
            if on_sent:
                on_sent(d)
    finally:
        await producer.stop()
    return letters


def main() -> None:
    ap = argparse.ArgumentParser(description="List or replay dead letters of a topic.")
    ap.add_argument("command", choices=["list", "replay"])
    ap.add_argument("topic", help="the original topic, e.g. reception.repair-orders")
    ap.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:59092"))
    ap.add_argument("--consumer", help="only dead letters of this consumer group")
    ap.add_argument("--offset", action="append", help="only this dead letter, as PARTITION:OFFSET (repeatable)")
    a = ap.parse_args()
    if a.command == "list":
        for d in asyncio.run(read_dead_letters(a.bootstrap_servers, a.topic)):
            if a.consumer is None or d.header("dlq_consumer") == a.consumer:
                print(json.dumps(d.summary(), ensure_ascii=False))
    else:
        done = asyncio.run(replay(a.bootstrap_servers, a.topic, consumer=a.consumer, offsets=set(a.offset or [])))
        print(f"replayed {len(done)} dead letter(s) to {a.topic}")


if __name__ == "__main__":
    main()
