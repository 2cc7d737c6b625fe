"""What every benchmark shares: its own Kafka and a PostgreSQL server, fresh databases (cloned from a
migrated template, so a round starts from the same state in a second), percentiles, and the JSON result.

Kafka: `BENCH_KAFKA_BOOTSTRAP` when set, else a broker of its own (deploy/kafka/kafka.sh, state under
.local/bench-kafka, port BENCH_KAFKA_PORT=18592), stopped at the end: the platform's consumers started by
the whole-platform benchmarks must not see anyone else's events, nor others' ours.
PostgreSQL: the server of `DATABASE_URL` when set (each run makes its own databases), else a cluster of
its own (deploy/postgres/pg.sh, .local/bench-postgres, port BENCH_PG_PORT=18532).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import platform
import secrets
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import shared.registry as registry

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BENCH_STORE = ("dg-bench", "s-bench")  # the (dealer group, store) every benchmark's records belong to


def _server_url(url: str) -> str:
    url = url.replace("postgresql+asyncpg://", "postgresql://").replace("postgres://", "postgresql://")
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


@dataclass
class BenchInfra:
    kafka_bootstrap: str
    pg_server_url: str
    how: str
    _stops: list = field(default_factory=list)
    _templates: dict[str, str] = field(default_factory=dict)
    _databases: list[str] = field(default_factory=list)

    def database_url(self, name: str) -> str:
        return self.pg_server_url.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name

    def dsn(self, name: str) -> str:
        return f"{self.pg_server_url}/{name}"

    async def create_database(self, prefix: str, template: str | None = None) -> str:
        name = f"b_{prefix}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(self.dsn("postgres"))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        finally:
            await conn.close()
        self._databases.append(name)
        return name

    async def drop_database(self, name: str) -> None:
        conn = await asyncpg.connect(self.dsn("postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def _know_bench_store(self, db: str) -> None:
        """The benchmarks' store in the service's organisation replica, as the gateway's StoreOpened would put
        it: a person's new record is refused (422) for a store the service does not know."""
        conn = await asyncpg.connect(self.dsn(db))
        try:
            if await conn.fetchval("SELECT to_regclass('known_stores') IS NOT NULL"):
                await conn.execute(
                    "INSERT INTO known_stores (dealer_group_id, store_id, name, brand, city, time_zone, opening_hours,"
                    " updated_at) VALUES ($1, $2, 'bench', 'bench', 'bench', 'Asia/Shanghai', '[]', now())"
                    " ON CONFLICT DO NOTHING", *BENCH_STORE)
        finally:
            await conn.close()

    async def service_database(self, service: str) -> str:
        """A fresh, migrated database of `service` (a clone of a template migrated once per run)."""
        if service not in self._templates:
            from shared.migrations import upgrade_async

            tpl = await self.create_database(f"tpl_{service}")
            main = importlib.import_module(f"{registry.service(service).package}.main")
            await upgrade_async(main.MIGRATIONS, self.database_url(tpl))
            await self._know_bench_store(tpl)
            self._templates[service] = tpl
        return await self.create_database(service, template=self._templates[service])

    async def drop_databases(self) -> None:
        for name in reversed(self._databases):
            await self.drop_database(name)
        self._databases.clear()
        self._templates.clear()

    def stop(self) -> None:
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception as e:  # keep stopping the rest
                print(f"bench: stop failed: {e!r}")
        self._stops.clear()


def start_infra() -> BenchInfra:
    stops: list = []
    if os.environ.get("BENCH_KAFKA_BOOTSTRAP"):
        kafka, how = os.environ["BENCH_KAFKA_BOOTSTRAP"], "Kafka from BENCH_KAFKA_BOOTSTRAP"
    else:
        port = os.environ.get("BENCH_KAFKA_PORT", "18592")
        kenv = {**os.environ, "KAFKA_STATE_DIR": str(ROOT / ".local/bench-kafka"), "KAFKA_PORT": port}
        subprocess.run(["bash", str(ROOT / "deploy/kafka/kafka.sh"), "start", "--fresh"], env=kenv, check=True,
                       stdout=subprocess.DEVNULL)
        stops.append(lambda: subprocess.run(["bash", str(ROOT / "deploy/kafka/kafka.sh"), "stop"], env=kenv,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        kafka, how = f"127.0.0.1:{port}", f"own Kafka on {port}"
    if os.environ.get("DATABASE_URL"):
        pg = _server_url(os.environ["DATABASE_URL"])
        how += ", PostgreSQL of DATABASE_URL"
    else:
        port = os.environ.get("BENCH_PG_PORT", "18532")
        penv = {**os.environ, "PG_STATE_DIR": str(ROOT / ".local/bench-postgres"), "PGPORT_LOCAL": port,
                "PG_FAST": "1", "PG_DATABASES": ""}
        subprocess.run(["bash", str(ROOT / "deploy/postgres/pg.sh"), "start", "--fresh"], env=penv, check=True,
                       stdout=subprocess.DEVNULL)
        stops.append(lambda: subprocess.run(["bash", str(ROOT / "deploy/postgres/pg.sh"), "stop"], env=penv,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        pg = f"postgresql://postgres@127.0.0.1:{port}"
        how += f", own PostgreSQL on {port}"
    return BenchInfra(kafka, pg, how, _stops=stops)


async def standalone(run, *args) -> None:
    """One benchmark on its own (`python -m bench.<name>`): its own Kafka and PostgreSQL, dropped after."""
    infra = start_infra()
    try:
        await run(infra, *args)
    finally:
        await infra.drop_databases()
        infra.stop()


def stop_processes(procs) -> None:
    """SIGTERM the benchmark's worker processes, SIGKILL those not gone within 15 s."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"p50": round(statistics.median(samples_ms), 2), "p95": round(q[94], 2), "p99": round(q[98], 2),
            "n": len(samples_ms)}


@dataclass
class Figure:
    """One line of the table: the figure beside its floor, their ratio and the target the ratio must meet."""

    name: str
    value: float
    unit: str
    floor: float | None = None
    floor_label: str = ""
    target: str = ""
    ok: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return round(self.value / self.floor, 3) if self.floor else None

    def line(self) -> str:
        floor = f"{self.floor:>10,.1f} {self.unit:8}" if self.floor is not None else " " * 20
        ratio = f"{self.ratio:7.2f}x" if self.ratio is not None else " " * 8
        verdict = {True: "ok", False: "MISSED", None: ""}[self.ok]
        return (f"  {self.name:44} {self.value:>10,.1f} {self.unit:8} floor {floor} ratio {ratio}"
                f"  target {self.target:18} {verdict}")


def report(bench: str, figures: list[Figure], details: dict, infra: BenchInfra | None) -> Path:
    """Print the figures and write them (and the details) to bench/results/<bench>-<UTC time>.json."""
    print(f"== {bench}")
    for f in figures:
        print(f.line(), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{bench}-{stamp}.json"
    load = os.getloadavg()
    path.write_text(json.dumps({
        "bench": bench, "at": stamp, "host": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                              "loadavg_1m_at_end": round(load[0], 2)},
        "infra": infra.how if infra else None,
        "figures": [dict(name=f.name, value=round(f.value, 3), unit=f.unit, floor=f.floor, floor_label=f.floor_label,
                         ratio=f.ratio, target=f.target, ok=f.ok, note=f.note) for f in figures],
        "details": details,
    }, indent=2, default=str) + "\n")
    return path


class Stopwatch:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self.t0) * 1000


async def fresh_topics(bootstrap: str, topics: list[str] = ()) -> None:
    """Empty the catalogue's topics and `topics` (delete and create again), so a run reads its own events
    only, even on a broker kept between runs (BENCH_KAFKA_BOOTSTRAP)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from shared.messaging.topics import catalogue_topics, ensure_topics

    topics = [*catalogue_topics(), *topics]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-topics")
    await admin.start()
    try:
        doomed = [t for t in topics if t in set(await admin.list_topics())]
        if doomed:
            await admin.delete_topics(doomed)
        for _ in range(100):  # deletion is asynchronous: wait until the names are free
            if not set(doomed) & set(await admin.list_topics()):
                break
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    for _ in range(50):
        try:
            await ensure_topics(bootstrap, topics)
            return
        except Exception:  # still marked for deletion
            await asyncio.sleep(0.3)
    await ensure_topics(bootstrap, topics)
