"""Scaling out the busiest consumer (benchmark 7): the same backlog drained by one instance, then by two
instances in one consumer group, each instance a process of its own.

    uv run python -m bench scaling [--events 3000]

The consumer: crm's `care` group (reception.VehicleDelivered -> visit, follow-up call, call tasks,
FollowUpScheduled into the outbox), the heaviest handler per event. Its topic gets 6 partitions here so two
instances split it evenly. The instances start and join first; then the backlog is produced; the rate runs
from the first inbox row committed to the last. Target: two instances >= 1.7x one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from shared.contracts import reception

from bench.common import ROOT, BenchInfra, Figure, fresh_topics, report, standalone, stop_processes
from bench.consumer_throughput import delivery_events, drain_service, produce, seed_crm, wait_rate

PARTITIONS = 6


async def six_partitions(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-scaling")
    await admin.start()
    try:
        await admin.delete_topics([topic])
        for _ in range(100):
            if topic not in set(await admin.list_topics()):
                break
            await asyncio.sleep(0.2)
        for _ in range(50):
            try:
                await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
                return
            except Exception:  # still being deleted
                await asyncio.sleep(0.3)
    finally:
        await admin.close()


def spawn(infra: BenchInfra, db: str, prefix: str) -> subprocess.Popen:
    """One instance of the consumer, a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.scaling", "--worker", db, prefix, infra.kafka_bootstrap, infra.pg_server_url],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)


async def drain_with(infra: BenchInfra, db: str, instances: int, events: list) -> float:
    prefix = f"scale-{uuid.uuid4().hex[:6]}."
    procs = [spawn(infra, db, prefix) for _ in range(instances)]
    try:
        for p in procs:  # each prints once its consumer runs
            while "started" not in (await asyncio.to_thread(p.stdout.readline)):
                if p.poll() is not None:
                    raise RuntimeError("a consumer instance exited")
        await asyncio.sleep(8)  # the group's join and rebalance settle before the backlog arrives
        waiter = asyncio.create_task(wait_rate(infra.dsn(db), "crm.care", len(events), timeout=280))
        await asyncio.sleep(0.5)  # polling before the first event can be handled
        await produce(infra.kafka_bootstrap, reception.VehicleDelivered.topic, events)
        return await waiter
    finally:
        stop_processes(procs)


async def run(infra: BenchInfra, events: int) -> list[Figure]:
    await fresh_topics(infra.kafka_bootstrap)
    tpl = await infra.service_database("crm")
    # Deliveries are keyed by repair order, so two instances handle the same vehicle's deliveries at once:
    # with few vehicles their batches' transactions wait on each other's locks of that vehicle's call tasks.
    # A group's deliveries spread over many vehicles: a few deliveries each here.
    pairs = await seed_crm(infra, tpl, max(events // 5, 50))
    rates = {}
    for k in (1, 2):
        await six_partitions(infra.kafka_bootstrap, reception.VehicleDelivered.topic)  # empty: this run's only
        db = await infra.create_database("scale", template=tpl)
        rates[k] = await drain_with(infra, db, k, delivery_events(events, pairs))
        await infra.drop_database(db)
    f = Figure("scaling crm.care: two instances vs one", rates[2], "ev/s", rates[1], "one instance",
               target=">= 1.7x", note=f"{PARTITIONS} partitions, {os.cpu_count()} cores")
    f.ok = f.ratio is not None and f.ratio >= 1.7
    report("scaling", [f], {"events": events, "rates": rates, "partitions": PARTITIONS}, infra)
    return [f]


async def worker(db: str, prefix: str, kafka: str, pg: str) -> None:
    await drain_service(BenchInfra(kafka, pg, "worker"), "crm", "care", db, None, group_prefix=prefix)


async def main(events: int) -> None:
    await standalone(run, events)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--worker", nargs=4, metavar=("DB", "PREFIX", "KAFKA", "PG"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    asyncio.run(worker(*a.worker) if a.worker else main(a.events))
