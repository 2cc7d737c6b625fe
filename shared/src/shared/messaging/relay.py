"""The outbox relay: publishes committed outbox rows to Kafka, in order per aggregate.

- Woken by LISTEN/NOTIFY on channel `outbox`, with a polling fallback.
- Claims rows with `FOR UPDATE SKIP LOCKED`, so several relays never send the same row
  in the same round, and only rows of aggregates no other relay holds (an advisory lock per
  aggregate, for the claim's transaction): two relays share the work instead of waiting on each
  other; a row is marked published only after Kafka acknowledged it (acks=all,
  idempotent producer), in the same transaction that held the claim.
- Per-aggregate order: a relay sends an aggregate's rows only while they are the oldest
  unpublished rows of that aggregate; rows behind a row another relay holds wait a round.
- A crash before the mark leaves the rows unpublished and unlocked: the next relay sends
  them again (at-least-once); consumers drop the repeat through their inbox.

Run beside a service (in its lifespan) or alone: `python -m shared.messaging.relay`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import asyncpg_dsn
from shared.messaging.envelope import json_bytes
from shared.observability import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_PUBLISHED, get_logger
from shared.plumbing_tables import outbox_table

log = get_logger(__name__)

# Several relays on one outbox claim disjoint aggregates: a relay takes a transaction-scoped advisory lock
# on each aggregate it reads (in the claim's own WHERE, row by row in seq order, so only as far as the
# batch goes) and skips the rows of aggregates another relay holds. Without it the second relay claims the
# rows behind the first one's, of the same aggregates, and must leave them all (they wait behind rows the
# first holds): two relays ran slower than one. The locks go with the transaction; a crashed relay's too.
_OUTBOX_LOCKS = 0x0B0C5  # the advisory-lock namespace (first key) of outbox aggregates


def _aggregate_free(aggregate_id):
    return func.pg_try_advisory_xact_lock(_OUTBOX_LOCKS, func.hashtext(aggregate_id))

def make_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        request_timeout_ms=30000,
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        dsn: str,
        producer: AIOKafkaProducer,
        service: str,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        listen: bool = True,
        retention_hours: float = 72.0,
        cleanup_every_seconds: float = 600.0,
    ) -> None:
        self.engine = engine
        self.dsn = dsn
        self.producer = producer
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._listener: asyncpg.Connection | None = None
        self._use_listen = listen
        self._next_listen_try = 0.0
        self.retention = timedelta(hours=retention_hours)
        self.cleanup_every = cleanup_every_seconds
        self._next_cleanup = 0.0
        self.table = outbox_table()

    # -- lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.service}")

    def request_stop(self) -> None:
        """Ask `run` to return after the current round (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    async def stop(self) -> None:
        self.request_stop()
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        await self._close_listener()

    async def _listen(self) -> None:
        now = asyncio.get_running_loop().time()
        if not self._use_listen or now < self._next_listen_try:
            return
        self._next_listen_try = now + 30  # a failed LISTEN is retried now and then, polling meanwhile
        try:
            self._listener = await asyncpg.connect(self.dsn)
            await self._listener.add_listener("outbox", lambda *_: self._wake.set())
        except Exception as e:  # polling still works without NOTIFY
            log.warning("outbox.listen_failed", error=str(e))
            self._listener = None

    async def _close_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            try:
                await self._listener.close(timeout=2)
            except Exception:
                self._listener.terminate()
        self._listener = None

    async def run(self) -> None:
        await self._listen()
        log.info("outbox.relay_started", service=self.service)
        while not self._stop.is_set():
            try:
                if self._listener is None or self._listener.is_closed():
                    await self._listen()
                self._wake.clear()  # before the batch: a NOTIFY during it must not be lost
                sent = await self.publish_batch()
                if sent >= self.batch_size:
                    continue  # more waiting: no sleep
                await self._update_backlog()
                await self._cleanup_if_due()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.error("outbox.relay_error", error=repr(e))
                await self._observe_backlog_anyway()  # Kafka down is exactly when the age must keep growing
                await asyncio.sleep(min(self.poll_seconds, 1.0))
        log.info("outbox.relay_stopped", service=self.service)

    async def _cleanup_if_due(self) -> None:
        now = asyncio.get_running_loop().time()
        if now >= self._next_cleanup:
            self._next_cleanup = now + self.cleanup_every
            await self.delete_published_before(datetime.now(UTC) - self.retention)

    async def delete_published_before(self, cutoff: datetime, chunk: int = 5000) -> int:
        """Published rows are kept a while (to look into what was sent), then deleted in chunks so
        the table and its index stay small; unpublished rows are never touched."""
        t = self.table
        total = 0
        while True:
            async with self.engine.begin() as conn:
                ids = select(t.c.id).where(t.c.published_at.is_not(None), t.c.published_at < cutoff).limit(chunk)
                n = (await conn.execute(delete(t).where(t.c.id.in_(ids.scalar_subquery())))).rowcount
            total += n
            if n < chunk:
                break
        if total:
            log.info("outbox.cleaned", service=self.service, deleted=total)
        return total

    async def _observe_backlog_anyway(self) -> None:
        try:
            await self._update_backlog()
        except Exception as e:  # the database is down too: the gauges keep their last values
            log.debug("outbox.backlog_unknown", error=repr(e))

    async def _update_backlog(self) -> None:
        """How many rows wait, and how long the oldest has waited: a stuck relay shows as an age that grows."""
        t = self.table
        async with self.engine.connect() as conn:
            n, oldest = (await conn.execute(
                select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None)))).one()
        OUTBOX_BACKLOG.labels(self.service).set(n or 0)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(max(age, 0.0))

    # -- one round -------------------------------------------------------------------
    async def publish_batch(self) -> int:
        """Claim, send and mark one batch. Returns how many rows were published."""
        t = self.table
        async with self.engine.begin() as conn:
            claimed = (
                await conn.execute(
                    select(t.c.id, t.c.seq, t.c.topic, t.c.aggregate_id, t.c.payload, t.c.headers)
                    .where(t.c.published_at.is_(None), _aggregate_free(t.c.aggregate_id))
                    .order_by(t.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not claimed:
                return 0
            rows = await self._in_aggregate_order(conn, claimed)
            if not rows:
                return 0
            await self._after_claim(rows)
            futures = []
            for row in rows:
                headers = [(k, str(v).encode()) for k, v in row.headers.items()]
                value = json_bytes(row.payload)
                futures.append(
                    await self.producer.send(row.topic, value=value, key=row.aggregate_id.encode(),
                                             headers=headers)
                )
            await asyncio.gather(*futures)  # any failure: roll back, nothing marked, retried later
            await self._after_publish(rows)
            await conn.execute(
                update(t).where(t.c.id.in_([r.id for r in rows])).values(published_at=datetime.now(UTC))
            )
        for row in rows:
            OUTBOX_PUBLISHED.labels(self.service, row.topic).inc()
        return len(rows)

    # Points in a round where nothing happens here; a subclass may act there (the reliability
    # tests' relay dies at each, tests/support/faulty_relay.py).
    async def _after_claim(self, rows) -> None:
        """The rows are claimed (locked in the open transaction); nothing is sent yet."""

    async def _after_publish(self, rows) -> None:
        """Kafka acknowledged every row; none is marked published yet."""

    async def _in_aggregate_order(self, conn, claimed):
        """Keep, per aggregate, only the claimed rows that are its oldest unpublished ones."""
        t = self.table
        mine = {r.seq for r in claimed}
        aggregates = {r.aggregate_id for r in claimed}
        max_seq = max(mine)
        pending = (
            await conn.execute(
                select(t.c.aggregate_id, t.c.seq)
                .where(t.c.published_at.is_(None), t.c.aggregate_id.in_(aggregates), t.c.seq <= max_seq)
                .order_by(t.c.seq)
            )
        ).all()
        blocked_from: dict[str, int] = {}
        by_agg: dict[str, list[int]] = defaultdict(list)
        for agg, seq in pending:
            by_agg[agg].append(seq)
        for agg, seqs in by_agg.items():
            for seq in seqs:
                if seq not in mine:  # held by another relay (or committed late): wait behind it
                    blocked_from[agg] = seq
                    break
        return [r for r in claimed if r.aggregate_id not in blocked_from or r.seq < blocked_from[r.aggregate_id]]


async def run_relay(args: argparse.Namespace, relay_class: type[OutboxRelay] = OutboxRelay, **options) -> None:
    """Run a relay until SIGTERM/SIGINT, as the parsed command line says."""
    from shared.db import make_engine
    from shared.observability import configure_logging

    configure_logging(f"{args.service}-relay")
    engine = make_engine(args.database_url, pool_size=2)
    producer = make_producer(args.bootstrap_servers, f"{args.service}-relay")
    await producer.start()
    relay = relay_class(
        engine=engine,
        dsn=asyncpg_dsn(args.database_url),
        producer=producer,
        service=args.service,
        poll_seconds=args.poll_seconds,
        batch_size=args.batch_size,
        **options,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, relay.request_stop)
    print("relay ready", flush=True)
    try:
        await relay.run()
    finally:
        await producer.stop()
        await engine.dispose()


def argument_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Publish a service's outbox to Kafka.")
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    p.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:59092"))
    p.add_argument("--service", default=os.environ.get("SERVICE_NAME", "relay"))
    p.add_argument("--poll-seconds", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=200)
    return p


def main() -> None:
    asyncio.run(run_relay(argument_parser().parse_args()))


if __name__ == "__main__":
    main()
