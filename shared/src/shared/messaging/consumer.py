"""The idempotent consumer: inbox in the handler's transaction, bounded retries, dead letters.

For each message:
1. decode the CloudEvent; an undecodable message goes straight to `<topic>.dlq`
   (retrying cannot fix it);
2. in one transaction: insert `(consumer, event id)` into the inbox — an id already there
   means a repeat delivery, skipped — and run the handler, which may change tables and
   record outbox events on the same session. A fetched batch is one transaction whose ids are
   claimed in one statement; any failure in it sends its records one by one through this path;
3. a failing handler is retried a bounded number of times, then the message goes to
   `<topic>.dlq` with the error and its original topic/partition/offset as headers;
4. only then is the offset marked for commit (manual acknowledgement: never
   ack-before-processing). Marked offsets are committed in batches every
   `commit_interval_seconds`: a crash or rebalance in between redelivers a few handled
   messages, which the inbox drops — at-least-once delivery, exactly-once effect — while a
   commit round-trip per message would cost most of the throughput (see bench/).
   If even the dead-letter publish fails, the offset is not marked and the partition waits:
   a message never vanishes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import traceback
from collections.abc import Awaitable, Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import chain
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from asyncpg import exceptions as pg_exc
from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts import DomainEvent
from shared.db import defer_writes
from shared.observability import CONSUMED, CONSUMER_LAG, DEAD_LETTERS, context_from_headers, get_logger

from .envelope import Envelope, UndecodableMessage

log = get_logger(__name__)
tracer = trace.get_tracer("shared.messaging.consumer")

DLQ_SUFFIX = ".dlq"

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]

# The inbox claim of one record or a whole batch, as one statement written once: SQLAlchemy's
# PostgreSQL `insert().on_conflict_do_nothing()` is left out of its compiled cache (it would be
# compiled again for every event), a `text()` statement is not. ON CONFLICT DO NOTHING also
# takes an id twice in one statement; RETURNING gives the ids that were new.
CLAIM_INBOX = text(
    'INSERT INTO inbox (consumer, event_id, event_type, topic, "partition", "offset") '
    "SELECT CAST(:consumer AS varchar), * FROM unnest(CAST(:event_ids AS varchar[]), "
    "CAST(:event_types AS varchar[]), CAST(:topics AS varchar[]), CAST(:partitions AS integer[]), "
    "CAST(:offsets AS bigint[])) "
    "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
)


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


@dataclass
class ConsumerDeps:
    """What a consumer needs at run time; filled in by the service's lifespan."""

    sessions: async_sessionmaker[AsyncSession] | None = None
    producer: AIOKafkaProducer | None = None
    # Environments sharing one Kafka cluster (staging beside tests, say) must not share consumer
    # groups, or one environment's consumers take the other's partitions: prefix the group ids.
    group_prefix: str = ""
    # Static membership (KIP-345): with an instance id, a restarted process rejoins as the member it was and gets
    # its partitions back at once; without, the group waits for the killed member's session to time out first.
    group_instance_id: str = ""
    # Records handled in one transaction (a savepoint each); 1 = one transaction per record.
    batch_size: int = 100

    @classmethod
    def from_settings(cls, settings) -> ConsumerDeps:
        return cls(group_prefix=settings.kafka_group_prefix, group_instance_id=settings.kafka_group_instance_id,
                   batch_size=settings.consumer_batch_size)


async def _tolerant_parser(record, original_parser):
    """FastStream decodes every header as UTF-8 before our code runs; a header that is not (or is
    null) would fail there, outside the dead-letter path, and the next message's commit would skip
    it. Parse a sanitised copy instead and keep the original record, whose bytes we decode ourselves
    (and dead-letter, byte for byte, when they are bad)."""
    try:
        return await original_parser(record)
    except (UnicodeDecodeError, AttributeError):
        def sanitised(r):
            return dataclasses.replace(r, headers=[
                (k, (v or b"").decode("utf-8", "replace").encode()) for k, v in (r.headers or ())])

        msg = await original_parser(tuple(map(sanitised, record)) if isinstance(record, tuple) else sanitised(record))
        msg.raw_message = record
        return msg


def _polling_without_idle_sleep(subscriber):
    """FastStream's batch subscriber sleeps `batch_timeout_ms` (200 ms) after a poll that found nothing, and
    an event arriving meanwhile waits for the sleep to end: on a quiet topic that added up to 200 ms to the
    hop (100 ms on average). Poll again at once instead: `getmany` itself waits for records, and returns as
    soon as there are some."""

    async def get_msg(consumer) -> tuple:
        found = await consumer.getmany(timeout_ms=subscriber.batch_timeout_ms, max_records=subscriber.max_records)
        return tuple(chain.from_iterable(found.values()))

    return get_msg


async def _raw_body(msg) -> bytes:
    """Hand the handler the raw bytes: decoding is ours, so a bad body reaches the DLQ path."""
    return msg.body


class OffsetCommitter:
    """Commits handled offsets in batches, per Kafka consumer."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self.pending: dict[Any, dict[TopicPartition, int]] = {}
        self._task: asyncio.Task | None = None

    def mark(self, consumer, record) -> None:
        self.pending.setdefault(consumer, {})[TopicPartition(record.topic, record.partition)] = record.offset + 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="offset-committer")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        for consumer, offsets in list(self.pending.items()):
            if not offsets:
                continue
            self.pending[consumer] = {}
            try:
                await consumer.commit(offsets)
            except Exception as e:  # revoked partition or stopped consumer: redelivery is harmless
                log.info("consumer.commit_skipped", error=repr(e), partitions=len(offsets))

    async def close(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


class IdempotentConsumer:
    """Subscribes one consumer group to topics and dispatches events by type to handlers."""

    def __init__(
        self,
        *,
        service: str,
        name: str,
        deps: ConsumerDeps,
        max_attempts: int = 3,
        retry_backoff_seconds: float = 0.2,
        commit_interval_seconds: float = 0.5,
    ) -> None:
        self.service = service
        self.name = name
        self.deps = deps
        self.max_attempts = max_attempts
        self.backoff = retry_backoff_seconds
        self.router = KafkaRouter()
        self.topics: list[str] = []
        self.by_topic: dict[str, dict[str, Handler]] = {}  # the handlers of each topic, by event type
        self.committer = OffsetCommitter(commit_interval_seconds)

    def subscribe(self, topic: str, handlers: Mapping[type[DomainEvent], Handler]) -> None:
        by_type = self.by_topic[topic] = {cls.event_type: fn for cls, fn in handlers.items()}
        # The series exists at 0 from the start: a counter first seen at 1 shows no increase() to an alert.
        DEAD_LETTERS.labels(self.service, self.name, topic)
        self.topics.append(topic)
        batched = self.deps.batch_size > 1
        options: dict[str, Any] = dict(batch=True, max_records=self.deps.batch_size) if batched else {}
        if self.deps.group_instance_id:  # one Kafka consumer per topic: each is a member of its own
            options["group_instance_id"] = f"{self.deps.group_instance_id}/{topic}"

        subscriber = self.router.subscriber(
            topic,
            group_id=self.deps.group_prefix + self.name,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            parser=_tolerant_parser,
            decoder=_raw_body,
            title=f"{self.name}:{topic}",
            description=f"{self.name} consumes {', '.join(sorted(by_type))}",
            **options,
        )
        if batched:
            subscriber.get_msg = _polling_without_idle_sleep(subscriber)

        @subscriber
        async def on_message(body: Any, msg: KafkaMessage) -> None:
            records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
            self._observe_lag(msg.consumer, records[-1])
            try:
                if batched:
                    await self.process_batch(records, by_type)
                else:
                    await self.process(records[0], by_type)
            except BaseException:
                await msg.nack()  # seek back: these offsets are redelivered, later ones wait behind them
                raise
            for r in records:
                self.committer.mark(msg.consumer, r)

    def _handler_for(self, env: Envelope, by_type: Mapping[str, Handler]) -> Handler | None:
        """The handler, None for a type this consumer does not read; an unknown version of a type it
        does read cannot be handled correctly, so it is undecodable (dead-lettered for a later replay)."""
        handler = by_type.get(env.type)
        if handler is None and env.type.rsplit(".v", 1)[0] in {t.rsplit(".v", 1)[0] for t in by_type}:
            raise UndecodableMessage(f"unsupported version {env.type!r}")
        return handler

    def _span(self, record, env: Envelope):
        """The span of handling one record, in the producer's trace; none when that trace is not sampled (a span
        nobody records costs a little per record; the handler's events still carry the trace on)."""
        if env.traceparent and env.traceparent.endswith("-00"):
            return nullcontext()
        return tracer.start_as_current_span(
            f"{record.topic} process",
            context=context_from_headers(env.traceparent, env.tracestate),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.name,
                "messaging.message.id": env.id,
                "messaging.kafka.offset": record.offset,
                "cloudevents.event_type": env.type,
            },
        )

    async def process_batch(self, records, by_type: Mapping[str, Handler]) -> list[str]:
        """Handle records in order in one transaction, so a batch costs one commit.

        Optimistic: when any record cannot be decoded or its handler fails, the whole transaction
        rolls back and every record goes one by one through `process` (retries, dead letters),
        exactly as without batching: per-partition order and every guarantee are the same. (A
        savepoint per record would cost as many round trips as a transaction per record.)
        A run of new events for one batch handler (`shared.kit.EventHandlers.on_batch`) is handed over at
        once, without a span per record.
        """
        prepared = self._prepare(records, by_type)
        results = await self._handle_batch(prepared) if prepared else None
        if results is None:
            return [await self.process(r, by_type) for r in records]
        for (_, env, _, _), result in zip(prepared, results, strict=True):
            self._count(env.type, result)
        return results

    def _prepare(self, records, by_type: Mapping[str, Handler]) -> list[tuple] | None:
        """(record, envelope, event, handler) for each record; None when any is undecodable."""
        prepared = []
        try:
            for record in records:
                env = Envelope.from_kafka(record.value, record.headers)
                handler = self._handler_for(env, by_type)
                prepared.append((record, env, env.event() if handler else None, handler))
        except UndecodableMessage:
            return None
        return prepared

    async def _handle_batch(self, prepared: list[tuple]) -> list[str] | None:
        """One transaction: claim every event id in one round trip, then run the handlers of the new
        ones in record order. None (all rolled back) when anything fails."""
        assert self.deps.sessions is not None, "consumer used before the service started"
        try:
            async with self.deps.sessions() as session, session.begin():
                defer_writes(session)  # a batch's replica rows: one executemany, sent before the commit
                new = await self._claim(session, [(r, env) for r, env, _, handler in prepared if handler])
                results, run, run_of = [], [], None  # run: new events of one batch handler, not handled yet
                for record, env, event, handler in prepared:
                    if handler is None:
                        results.append("ignored")
                        continue
                    if env.id not in new:  # seen before, or a second copy within this batch
                        results.append("duplicate")
                        continue
                    new.discard(env.id)
                    results.append("handled")
                    many = getattr(handler, "many", None)
                    if run and many is not run_of:  # another handler next: the run first, order kept
                        await run_of(session, run)
                        run = []
                    if many is not None:
                        run.append((env, event))
                        run_of = many
                    else:
                        with self._span(record, env):
                            await handler(session, env, event)
                if run:
                    await run_of(session, run)
                return results
        except Exception as e:
            log.info("consumer.batch_fallback", consumer=self.name, error=repr(e), records=len(prepared))
            return None

    # -- the processing of one record, independent of FastStream for direct tests --------------
    async def process(self, record, by_type: Mapping[str, Handler]) -> str:
        """Handle one Kafka record; returns 'handled', 'duplicate', 'ignored' or 'dead-lettered'."""
        try:
            env = Envelope.from_kafka(record.value, record.headers)
            handler = self._handler_for(env, by_type)
            if handler is None:
                return self._count(env.type, "ignored")
            event = env.event()
        except UndecodableMessage as e:
            await self._dead_letter(record, e, attempts=0)
            return self._count(_header(record, "ce_type") or "unknown", "dead-lettered")

        last_error: BaseException | None = None
        attempt = 0
        while attempt < self.max_attempts:
            attempt += 1
            try:
                with self._span(record, env):
                    first_time = await self._handle_once(record, env, event, handler)
                if not first_time:
                    return self._count(env.type, "duplicate")
                return self._count(env.type, "handled")
            except Exception as e:  # a handler failure: retry, then dead-letter
                if is_transient(e):
                    # Our own database or network is down: not the message's fault. Wait, never dead-letter.
                    log.warning("consumer.transient_failure", consumer=self.name, event_id=env.id, error=repr(e))
                    attempt -= 1
                    await asyncio.sleep(1.0)
                    continue
                last_error = e
                log.warning("consumer.handler_failed", consumer=self.name, event_id=env.id,
                            type=env.type, attempt=attempt, error=repr(e))
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.backoff * attempt)
        assert last_error is not None
        await self._dead_letter(record, last_error, attempts=self.max_attempts)
        return self._count(env.type, "dead-lettered")

    async def _handle_once(self, record, env: Envelope, event: DomainEvent, handler: Handler) -> bool:
        assert self.deps.sessions is not None, "consumer used before the service started"
        async with self.deps.sessions() as session, session.begin():
            return await self._inbox_then_handle(session, record, env, event, handler)

    async def _inbox_then_handle(self, session, record, env: Envelope, event: DomainEvent, handler: Handler) -> bool:
        """In the caller's transaction: record the event id, then handle it; False if it was seen before."""
        if env.id not in await self._claim(session, [(record, env)]):
            return False
        await handler(session, env, event)
        return True

    async def _claim(self, session, items: list[tuple[Any, Envelope]]) -> set[str]:
        """Insert `(consumer, event id)` for each (record, envelope) into the inbox in one round trip;
        returns the ids that were not there yet (an id twice in `items` is returned once)."""
        if not items:
            return set()
        rows = await session.execute(CLAIM_INBOX, {
            "consumer": self.name,
            "event_ids": [env.id for _, env in items],
            "event_types": [env.type for _, env in items],
            "topics": [r.topic for r, _ in items],
            "partitions": [r.partition for r, _ in items],
            "offsets": [r.offset for r, _ in items],
        })
        return set(rows.scalars())

    async def _dead_letter(self, record, error: BaseException, attempts: int) -> None:
        """Publish to `<topic>.dlq`, retrying until Kafka takes it: the offset must not move first."""
        assert self.deps.producer is not None
        headers = list(record.headers or ()) + [
            ("dlq_error", _clip(f"{type(error).__name__}: {error}").encode()),
            ("dlq_error_trace", _clip("".join(traceback.format_exception(error)), 4000).encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_attempts", str(attempts).encode()),
        ]
        delay = 0.5
        while True:
            try:
                await self.deps.producer.send_and_wait(
                    dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
                )
                break
            except Exception as e:
                log.error("consumer.dlq_publish_failed", consumer=self.name, error=repr(e))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        DEAD_LETTERS.labels(self.service, self.name, record.topic).inc()
        log.error("consumer.dead_lettered", consumer=self.name, topic=record.topic,
                  partition=record.partition, offset=record.offset, error=str(error))

    def _observe_lag(self, consumer, record) -> None:
        try:
            high = consumer.highwater(TopicPartition(record.topic, record.partition))
        except (AssertionError, AttributeError) as e:  # the partition was revoked meanwhile: no figure
            log.debug("consumer.lag_unknown", consumer=self.name, topic=record.topic, error=repr(e))
            return
        if high is not None:
            CONSUMER_LAG.labels(self.service, self.name, record.topic, str(record.partition)).set(
                max(high - record.offset - 1, 0))

    def _count(self, type_: str, result: str) -> str:
        CONSUMED.labels(self.service, self.name, type_, result).inc()
        return result


# Connection-level trouble, by type. SQLAlchemy wraps a driver error (DBAPIError) around the
# dialect's adapted exception (`.orig`), whose `__cause__` is asyncpg's own; each link is checked.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,  # the builtin OSError family: refused, reset, broken pipe
    TimeoutError,  # the builtin, which asyncio.TimeoutError is
    sa_exc.OperationalError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no connection free in the pool in time
    pg_exc.PostgresConnectionError,  # class 08: ConnectionDoesNotExistError, ConnectionFailureError, ...
    pg_exc.InterfaceError,  # the connection is closed or busy
    pg_exc.CannotConnectNowError,  # the server is starting up
    pg_exc.AdminShutdownError,
    pg_exc.CrashShutdownError,
    pg_exc.TooManyConnectionsError,
)


def is_transient(e: BaseException) -> bool:
    """Connection-level trouble (database or network), as opposed to a failing rule or bad data."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [e]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, TRANSIENT_ERRORS):
            return True
        if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
            return True
        orig = getattr(err, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None, err.__cause__]
    return False


def _header(record, name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name and v is not None:
            try:
                return v.decode()
            except UnicodeDecodeError:
                return None
    return None


def _clip(s: str, n: int = 1000) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."
