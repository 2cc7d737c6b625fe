"""The outbox relay: publishes committed outbox rows to Kafka, in order per aggregate.

- Woken by LISTEN/NOTIFY on channel `outbox`, with a polling fallback.
- Claims rows with `FOR UPDATE SKIP LOCKED`, so several relays never send the same row
  in the same round, and only rows of aggregates no other relay holds (an advisory lock per
  aggregate, for the claim's transaction): two relays share the work instead of waiting on each
  other; a row is marked published only after Kafka acknowledged it (acks=all,
  idempotent producer), in the same transaction that held the claim.
- Per-aggregate order: a relay sends an aggregate's rows only while they are the oldest
  unpublished rows of that aggregate; rows behind a row another relay holds wait a round.
- A round is three round trips to PostgreSQL on a connection of the relay's own (asyncpg, no
  SQLAlchemy on this path): BEGIN; the claim with its order check, one statement; after Kafka's
  acknowledgement the mark and the COMMIT, sent together.
- A crash before the mark leaves the rows unpublished and unlocked: the next relay sends
  them again (at-least-once); consumers drop the repeat through their inbox.

Run beside a service (in its lifespan) or alone: `python -m shared.messaging.relay`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select
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


# The claim and the per-aggregate order check as one statement (it was two, a round trip each). `claimed`: the
# oldest unpublished rows of aggregates no other relay holds, locked (a locking CTE runs once). `held`: per claimed
# aggregate, the first unpublished row up to our last one that this relay did not claim — another relay holds it
# (or it committed late) — and our rows of that aggregate from there on wait a round.
CLAIM = f"""
WITH claimed AS (
  SELECT id, seq, topic, aggregate_id, payload, headers FROM outbox
  WHERE published_at IS NULL AND pg_try_advisory_xact_lock({_OUTBOX_LOCKS}, hashtext(aggregate_id))
  ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
), held AS (
  SELECT o.aggregate_id, min(o.seq) AS seq FROM outbox o
  WHERE o.published_at IS NULL AND o.aggregate_id IN (SELECT aggregate_id FROM claimed)
    AND o.seq <= (SELECT max(seq) FROM claimed) AND o.seq NOT IN (SELECT seq FROM claimed)
  GROUP BY o.aggregate_id
)
SELECT c.id, c.seq, c.topic, c.aggregate_id, c.payload, c.headers
FROM claimed c LEFT JOIN held h ON h.aggregate_id = c.aggregate_id
WHERE h.seq IS NULL OR c.seq < h.seq
ORDER BY c.seq"""


def _mark_and_commit(rows) -> str:
    """The mark and the COMMIT as one simple-protocol query (one round trip; a statement with parameters would
    need one of its own). The sequence numbers are PostgreSQL's bigints, written as integer literals."""
    seqs = ",".join(str(int(r["seq"])) for r in rows)
    return f"UPDATE outbox SET published_at = clock_timestamp() WHERE seq IN ({seqs}); COMMIT"


BACKLOG_EVERY_SECONDS = 1.0


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
        self._conn: asyncpg.Connection | None = None  # the rounds' own connection, (re)opened when needed
        self._use_listen = listen
        self._next_listen_try = 0.0
        self.retention = timedelta(hours=retention_hours)
        self.cleanup_every = cleanup_every_seconds
        self._next_cleanup = 0.0
        self._next_backlog = 0.0
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
        await self._close_connection()

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

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = None
            conn = await asyncpg.connect(self.dsn)
            try:  # rows as the engine gives them: JSONB as Python objects
                await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
            except BaseException:
                conn.terminate()
                raise
            self._conn = conn
        return self._conn

    def _drop_connection(self) -> None:
        """After a failed round: whatever state the connection is in (mid-statement when cancelled, in an aborted
        transaction), closing it rolls back and releases the claim's locks; the next round opens another."""
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except Exception:
                conn.terminate()

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
                await self._update_backlog_if_due()
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

    async def _update_backlog_if_due(self) -> None:
        """The backlog gauges at most every BACKLOG_EVERY_SECONDS (they are scraped every 15 s or so): after every
        round they were three more round trips and a count, on the loop and the database the next hop needs."""
        now = asyncio.get_running_loop().time()
        if now >= self._next_backlog:
            self._next_backlog = now + BACKLOG_EVERY_SECONDS
            await self._update_backlog()

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
        conn = await self._connection()
        try:
            rows = await self._publish_round(conn)
        except BaseException:
            self._drop_connection()  # any failure: nothing marked, the claim released, retried later
            raise
        for row in rows:
            OUTBOX_PUBLISHED.labels(self.service, row["topic"]).inc()
        return len(rows)

    async def _publish_round(self, conn: asyncpg.Connection) -> list:
        await conn.execute("BEGIN")
        rows = await conn.fetch(CLAIM, self.batch_size)
        if not rows:
            await conn.execute("COMMIT")
            return rows
        await self._after_claim(rows)
        futures = []
        for row in rows:
            headers = [(k, str(v).encode()) for k, v in row["headers"].items()]
            futures.append(await self.producer.send(row["topic"], value=json_bytes(row["payload"]),
                                                    key=row["aggregate_id"].encode(), headers=headers))
        await asyncio.gather(*futures)
        await self._after_publish(rows)
        await conn.execute(_mark_and_commit(rows))
        return rows

    # Points in a round where nothing happens here; a subclass may act there (the reliability
    # tests' relay dies at each, tests/support/faulty_relay.py).
    async def _after_claim(self, rows) -> None:
        """The rows are claimed (locked in the open transaction); nothing is sent yet."""

    async def _after_publish(self, rows) -> None:
        """Kafka acknowledged every row; none is marked published yet."""


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
