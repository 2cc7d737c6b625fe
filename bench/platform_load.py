"""The whole platform as processes (deploy/launcher.py's Platform, ports 18720+, the bench's own Kafka):
benchmarks 4, 5 and 6.

    uv run python -m bench platform [--advisors 8] [--seconds 90]
    uv run python -m bench.platform_load [--advisors 8] [--seconds 90] [--data small|large]

`--data`: first load the demo dealer group of that size (deploy/demo.py: stores, people, parts, customers and
weeks of lifecycles, on the platform's business clock), so the load runs against full tables, not empty ones.

4. Lifecycles per hour through the gateway: N advisors (asyncio tasks), each driving repair orders from
   walk-in to delivery (check-in, open, the workshop's dispatch, clock-on, completion, three checks, wash,
   invoice, delivery; between them the events each service waits for), each with a technician of its own.
   Command latency percentiles over every POST. Target >= 10,000 lifecycles/h on this machine.
5. Gateway composed query (GET /api/vehicle-overview) beside its backend calls made directly with the
   same token and the same shape (crm and reception at once, then crm's follow-ups): target <= 1.3x.
6. Resident memory of the platform's processes (six services, Kafka, PostgreSQL's backends serving the
   platform's databases: their private memory) idle and at the peak under load. Target <= 3 GiB.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import time
from pathlib import Path

import httpx
import shared.registry as registry

from bench.common import ROOT, BenchInfra, Figure, fresh_topics, percentiles, report, standalone
from tests.support.e2e import (
    JWT_KEYS,
    JWT_SIGNING_KEYS,
    PASSWORD,
    STORE,
    complete_and_check,
    gateway_users,
    invoice_and_deliver,
    login,
    open_brake_job,
    open_stores,
    set_up_shop,
    walk_in,
    wash,
)
from tests.support.factories import eventually

BASE_PORT = 18720
GiB = 1024**3


def _rss(pid: int, private: bool = False) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    key = "RssAnon:" if private else "VmRSS:"
    for line in status.splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(p) for p in out.split()]


class Memory:
    """Resident bytes of the platform: services (and their children), Kafka, the PostgreSQL backends of its
    databases (private memory only: shared buffers belong to the server, counted once, not here)."""

    def __init__(self, platform, kafka_pid: int | None, dsn: str, databases: list[str]) -> None:
        self.platform, self.kafka_pid, self.dsn, self.databases = platform, kafka_pid, dsn, databases

    async def sample(self) -> dict[str, int]:
        import asyncpg

        out = {}
        for svc in registry.names():
            pid = self.platform.running(svc)
            out[svc] = _rss(pid) + sum(_rss(c) for c in _children(pid)) if pid else 0
        out["kafka"] = _rss(self.kafka_pid) if self.kafka_pid else 0
        conn = await asyncpg.connect(self.dsn)
        try:
            pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", self.databases)
        finally:
            await conn.close()
        out["postgres backends"] = sum(_rss(r["pid"], private=True) for r in pids)
        out["total"] = sum(out.values())
        return out


def kafka_pid() -> int | None:
    f = ROOT / ".local/bench-kafka/node1/pid"
    try:
        return int(f.read_text())
    except (OSError, ValueError):
        return None


async def start_platform(infra: BenchInfra, advisors: int, *, business_clock: bool = False):
    from gateway.users import upsert_users

    from deploy.launcher import Platform

    names = {svc: await infra.create_database(f"p_{svc}") for svc in registry.names()}
    p = Platform(pg_server_url=infra.pg_server_url, kafka_bootstrap=infra.kafka_bootstrap,
                 state_dir=ROOT / ".local/bench-platform", databases=names,
                 ports={svc: BASE_PORT + i for i, svc in enumerate(registry.names())},
                 jwt_keys=JWT_KEYS, jwt_signing_keys=JWT_SIGNING_KEYS, die_with_parent=True,
                 # The advisors share the front desk's and the workshop's users: the gateway's per-user limits
                 # (20 requests/s, 10 logins/min) would refuse them; capacity is what is measured here.
                 extra_env={"KAFKA_GROUP_PREFIX": "bench.", "LOG_LEVEL": "WARNING",
                            "RATE_LIMIT_PER_USER": "10000/second", "RATE_LIMIT_PER_GROUP": "10000/second",
                            "RATE_LIMIT_LOGIN_PER_USERNAME": "10000/minute",
                            "RATE_LIMIT_LOGIN_PER_ADDRESS": "10000/minute"},
                 business_clock=business_clock)
    await asyncio.to_thread(p.migrate)
    p.start(migrate=False)
    techs = [dict(username=f"tech-{i}", password=PASSWORD, dealer_group_id="dg-e2e", roles=["technician"],
                  store_ids=[STORE]) for i in range(advisors)]
    await upsert_users(p.database_url("gateway"), gateway_users() + techs)
    # Stores are opened at the gateway and learnt by every service from its events (as tests/e2e does): a
    # store no service knows yet refuses the first PUT of the workshop's set-up.
    await open_stores(p.url("gateway"))
    return p, names


class Driver:
    """Advisors working repair orders through the gateway; every POST's latency is kept."""

    def __init__(self, gw: httpx.AsyncClient) -> None:
        self.gw = gw
        self.latencies: list[float] = []
        self.done = 0
        self.failed: list[str] = []
        self.vins: list[str] = []

    async def _timed(self, response: httpx.Response) -> None:
        if response.request.method != "GET":
            await response.aread()
            self.latencies.append(response.elapsed.total_seconds() * 1000)

    async def lifecycle(self, who: dict, tech: str) -> None:
        gw, advisor, sup = self.gw, who["advisor"], who["sup"]
        ro, vin = await walk_in(gw, advisor)
        job = (await open_brake_job(gw, advisor, ro, image_ref="blob://signatures/bench.png"))["jobs"][0]["job_id"]
        path = f"/api/workshop/work-orders/{ro['id']}/jobs/{job}"

        async def dispatched():
            r = await gw.post(f"{path}/dispatch", headers=sup, json={"technician_id": tech})
            return r if r.status_code == 200 else None  # 404 until workshop has queued the order's jobs

        assert await eventually(dispatched, timeout=60, interval=0.05), "workshop never queued the job"
        r = await gw.post(f"{path}/start", headers=who["tech"], json={})
        assert r.status_code == 200, r.text
        await complete_and_check(gw, ro["id"], job, who["tech"], who["leader"], who["qc"])
        await wash(gw, ro["id"], sup)
        await invoice_and_deliver(gw, advisor, ro["id"], odometer_out_km=20110)
        self.done += 1
        self.vins.append(vin)

    async def advisor(self, i: int, until: float) -> None:
        who = {k: await login(self.gw, u) for k, u in (("advisor", "advisor"), ("sup", "ws.sup"),
                                                         ("leader", "ws.leader"), ("qc", "ws.qc"))}
        who["tech"] = await login(self.gw, f"tech-{i}")
        while time.monotonic() < until:
            try:
                await self.lifecycle(who, f"tech-{i}")
            except (AssertionError, KeyError, httpx.HTTPError) as e:  # counted; the advisor goes on
                self.failed.append(repr(e)[:300])


async def run_lifecycles(p, advisors: int, seconds: float, memory: Memory) -> tuple[dict, dict]:
    async with httpx.AsyncClient(base_url=p.url("gateway"), timeout=30) as setup:
        sup = await login(setup, "ws.sup")
        await set_up_shop(setup, sup)
        for i in range(advisors):
            r = await setup.put(f"/api/workshop/stores/{STORE}/technicians/tech-{i}", headers=sup, json={
                "name": f"技师{i}", "team_id": "e2e-mech", "grade": "mid", "skills": ["mechanical"]})
            assert r.status_code == 200, r.text
    limits = httpx.Limits(max_connections=advisors * 2, max_keepalive_connections=advisors * 2)
    async with httpx.AsyncClient(base_url=p.url("gateway"), timeout=30, limits=limits) as gw:
        d = Driver(gw)
        gw.event_hooks["response"] = [d._timed]
        t0 = time.monotonic()
        peak: dict = {"total": 0}

        async def watch():
            while True:
                m = await memory.sample()
                if m["total"] > peak["total"]:
                    peak.update(m)
                await asyncio.sleep(2)

        watcher = asyncio.create_task(watch())
        await asyncio.gather(*(d.advisor(i, t0 + seconds) for i in range(advisors)))
        elapsed = time.monotonic() - t0
        watcher.cancel()
    return ({"lifecycles": d.done, "seconds": round(elapsed, 1), "per_hour": d.done / elapsed * 3600,
             "advisors": advisors, "commands": percentiles(d.latencies) if len(d.latencies) > 2 else {},
             "failed": len(d.failed), "failures": d.failed[:5], "vins": d.vins[:20]}, peak)


async def composed_vs_backends(p, vin: str, rounds: int = 60) -> dict:
    """The gateway's vehicle overview beside the same backend calls made directly, alternating."""
    async with httpx.AsyncClient(base_url=p.url("gateway"), timeout=30) as gw, httpx.AsyncClient(timeout=30) as be:
        mgr = await login(gw, "svc.mgr")
        crm, rec = p.url("crm"), p.url("reception")
        composed, direct, slowest = [], [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            r = await gw.get("/api/vehicle-overview", params={"vin": vin}, headers=mgr)
            composed.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and not r.json()["partial"], r.text
            owner = r.json()["crm"]["owner_customer_id"]
            t0 = time.perf_counter()

            async def one(url, params):
                t = time.perf_counter()
                resp = await be.get(url, params=params, headers=mgr)
                assert resp.status_code == 200, resp.text
                return (time.perf_counter() - t) * 1000

            first = await asyncio.gather(one(f"{crm}/vehicles", {"vin": vin}), one(f"{rec}/vehicles", {"vin": vin}))
            second = await one(f"{crm}/follow-ups", {"customer_id": owner, "limit": 200})
            direct.append((time.perf_counter() - t0) * 1000)
            slowest.append(max(*first, second))
    return {"composed_ms": percentiles(composed), "backends_ms": percentiles(direct),
            "slowest_single_call_ms": percentiles(slowest)}


async def run(infra: BenchInfra, advisors: int, seconds: float, data: str | None = None) -> list[Figure]:
    await fresh_topics(infra.kafka_bootstrap)
    p, names = await start_platform(infra, advisors, business_clock=data is not None)
    try:
        if data:  # the demo generator's data set (deploy/demo.py), loaded before anything is measured
            from deploy.demo import SIZES, load_demo

            await load_demo(p, SIZES[data])
        memory = Memory(p, kafka_pid(), infra.dsn("postgres"), list(names.values()))
        await asyncio.sleep(10)  # settle: consumers joined, first lag polls done
        idle = await memory.sample()
        life, peak = await run_lifecycles(p, advisors, seconds, memory)
        comp = await composed_vs_backends(p, life["vins"][0]) if life["vins"] else {}
    finally:
        p.stop()
    figures = [Figure(f"lifecycles/h, {advisors} advisors", life["per_hour"], "/h", target=">= 10,000/h",
                      ok=life["per_hour"] >= 10_000, note=f"{life['lifecycles']} in {life['seconds']}s")]
    for q in ("p50", "p95", "p99"):
        figures.append(Figure(f"command latency {q} (gateway POST)", life["commands"].get(q, float("nan")), "ms",
                              target="(none)"))
    if comp:
        for q in ("p50", "p99"):
            f = Figure(f"composed vehicle-overview {q}", comp["composed_ms"][q], "ms", comp["backends_ms"][q],
                       "its backend calls, direct", target="<= 1.3x")
            f.ok = f.ratio <= 1.3 if q == "p50" else None
            figures.append(f)
    figures += [Figure("platform memory idle", idle["total"] / GiB, "GiB", target="(<= 3 GiB loaded)"),
                Figure("platform memory under load (peak)", peak["total"] / GiB, "GiB", target="<= 3 GiB",
                       ok=peak["total"] <= 3 * GiB)]
    report("platform", figures, {"lifecycles": life, "composed": comp, "memory_idle": idle, "memory_peak": peak},
           infra)
    return figures


async def main(advisors: int, seconds: float, data: str | None = None) -> None:
    await standalone(run, advisors, seconds, data)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--advisors", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--data", choices=["small", "large"], help="load the demo data set of this size first")
    a = ap.parse_args()
    asyncio.run(main(a.advisors, a.seconds, a.data))
