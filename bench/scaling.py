"""Scaling out the busiest consumer (benchmark 7): the same backlog drained by one instance, then by two
instances in one consumer group, each instance a process of its own.

    uv run python -m bench scaling [--events 8000]

The consumer: crm's `care` group (reception.VehicleDelivered -> visit, follow-up call, call tasks,
FollowUpScheduled into the outbox), the heaviest handler per event. Its topic gets 6 partitions here so two
instances split it evenly. The instances start and join first; then the backlog is produced; the rate runs
from the first inbox row committed to the last. Target: two instances >= 1.7x one.

Where the CPU went while each backlog drained (from /proc, the machine being Linux): the instances' processes,
the PostgreSQL backends serving them, the benchmark's own Kafka broker, and the whole machine's busy time
beside its cores x the seconds (what else ran is the rest): on a machine whose cores are all busy, a second
instance can only take CPU from the first, or from PostgreSQL and Kafka, which the instances wait on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
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


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (/proc/<pid>/stat), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_seconds() -> float:
    """Core-seconds the whole machine has been busy (not idle, not waiting on I/O) since it started."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(v) - v[3] - v[4]) / TICK


def kafka_pid() -> int | None:
    """The benchmark's own broker (bench.common.start_infra), when it started one."""
    try:
        pid = int((ROOT / ".local/bench-kafka/node1/pid").read_text())
        return pid if b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes() else None
    except (OSError, ValueError):
        return None


async def backends(infra: BenchInfra, db: str) -> list[int]:
    """The PostgreSQL backends of the instances' pools (not the rate's poller, `wait_rate`)."""
    conn = await asyncpg.connect(infra.dsn(db))
    try:
        return [r[0] for r in await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() "
            "AND application_name <> 'bench-wait-rate'", db)]
    finally:
        await conn.close()


class CpuUse:
    """CPU seconds from `start` to `stop`: the instances, their PostgreSQL backends (new with the backlog's
    first batch: their whole life), the broker, the machine."""

    def __init__(self, procs: list[subprocess.Popen]) -> None:
        self.procs, self.kafka = procs, kafka_pid()

    def start(self) -> None:
        self.t0, self.busy0 = time.monotonic(), machine_busy_seconds()
        self.workers0 = [cpu_seconds(p.pid) for p in self.procs]
        self.kafka0 = cpu_seconds(self.kafka) if self.kafka else 0.0

    async def stop(self, infra: BenchInfra, db: str) -> dict[str, float | list[float]]:
        pg = sum(cpu_seconds(pid) for pid in await backends(infra, db))
        wall, busy = time.monotonic() - self.t0, machine_busy_seconds() - self.busy0
        workers = [round(cpu_seconds(p.pid) - w0, 2) for p, w0 in zip(self.procs, self.workers0, strict=True)]
        kafka = cpu_seconds(self.kafka) - self.kafka0 if self.kafka else 0.0  # 0: a broker not ours
        return {"wall_s": round(wall, 2), "cores_s": round(wall * (os.cpu_count() or 1), 2),
                "machine_busy_s": round(busy, 2), "instances_s": workers, "postgres_backends_s": round(pg, 2),
                "kafka_s": round(kafka, 2), "rest_s": round(busy - sum(workers) - pg - kafka, 2)}


def spawn(infra: BenchInfra, db: str, prefix: str) -> subprocess.Popen:
    """One instance of the consumer, a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.scaling", "--worker", db, prefix, infra.kafka_bootstrap, infra.pg_server_url],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)


async def drain_with(infra: BenchInfra, db: str, instances: int, events: list) -> tuple[float, dict]:
    prefix = f"scale-{uuid.uuid4().hex[:6]}."
    procs = [spawn(infra, db, prefix) for _ in range(instances)]
    cpu = CpuUse(procs)
    try:
        for p in procs:  # each prints once its consumer runs
            while "started" not in (await asyncio.to_thread(p.stdout.readline)):
                if p.poll() is not None:
                    raise RuntimeError("a consumer instance exited")
        await asyncio.sleep(8)  # the group's join and rebalance settle before the backlog arrives
        waiter = asyncio.create_task(wait_rate(infra.dsn(db), "crm.care", len(events), timeout=280))
        await asyncio.sleep(0.5)  # polling before the first event can be handled
        cpu.start()
        await produce(infra.kafka_bootstrap, reception.VehicleDelivered.topic, events)
        rate = await waiter
        return rate, await cpu.stop(infra, db)
    finally:
        stop_processes(procs)


async def run(infra: BenchInfra, events: int) -> list[Figure]:
    await fresh_topics(infra.kafka_bootstrap)
    tpl = await infra.service_database("crm")
    # Deliveries are keyed by repair order, so two instances handle the same vehicle's deliveries at once:
    # with few vehicles their batches' transactions wait on each other's locks of that vehicle's call tasks.
    # A group's deliveries spread over many vehicles: a few deliveries each here.
    pairs = await seed_crm(infra, tpl, max(events // 5, 50))
    rates, cpu = {}, {}
    for k in (1, 2):
        await six_partitions(infra.kafka_bootstrap, reception.VehicleDelivered.topic)  # empty: this run's only
        db = await infra.create_database("scale", template=tpl)
        rates[k], cpu[k] = await drain_with(infra, db, k, delivery_events(events, pairs))
        await infra.drop_database(db)
        print(f"  {k} instance(s): {rates[k]:,.0f} ev/s; CPU seconds {cpu[k]}", flush=True)
    f = Figure("scaling crm.care: two instances vs one", rates[2], "ev/s", rates[1], "one instance",
               target=">= 1.7x", note=f"{PARTITIONS} partitions, {os.cpu_count()} cores")
    f.ok = f.ratio is not None and f.ratio >= 1.7
    report("scaling", [f], {"events": events, "rates": rates, "partitions": PARTITIONS, "cpu": cpu}, infra)
    return [f]


async def worker(db: str, prefix: str, kafka: str, pg: str) -> None:
    await drain_service(BenchInfra(kafka, pg, "worker"), "crm", "care", db, None, group_prefix=prefix)


async def main(events: int) -> None:
    await standalone(run, events)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=8000)
    ap.add_argument("--worker", nargs=4, metavar=("DB", "PREFIX", "KAFKA", "PG"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    asyncio.run(worker(*a.worker) if a.worker else main(a.events))
