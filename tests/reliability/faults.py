"""Faults done to the rig while the workload runs, each with its time to recover.

A service kill is a SIGKILL (no shutdown, no offset commit, no leaving the group). Some kills land in a chosen
window: the service is restarted with a fault point armed (faultplan/sitecustomize.py), dies there by itself,
and is started again clean. Recovery is measured from the clean restart until the service answers /ready and
every consumer group of it is stable again with all its members (the group no longer waits for the killed
process's session to time out)."""

from __future__ import annotations

import asyncio
import signal
import time
from itertools import cycle

from aiokafka.admin import AIOKafkaAdminClient

from deploy.launcher import SERVICES

from .harness import Recovery, Rig

# Which fault point suits which service: the relay windows where a service publishes a lot, the consumer window
# where it consumes a lot.
FAULT_POINTS = {"reception": "relay_after_publish", "crm": "consumer_after_handle",
                "workshop": "consumer_after_handle", "parts": "relay_after_publish"}
SECOND_POINTS = {"reception": "consumer_after_handle", "workshop": "relay_after_publish",
                 "parts": "consumer_after_handle", "crm": "relay_after_claim"}


def plan(kills: int) -> list[tuple[str, str | None]]:
    """(service, fault point or None) for `kills` kills, round the six services; each service's first kill
    plain, later ones in its windows."""
    out: list[tuple[str, str | None]] = []
    rounds: dict[str, int] = {}
    order = cycle(("reception", "crm", "workshop", "parts", "gateway", "claims"))
    while len(out) < kills:
        svc = next(order)
        r = rounds[svc] = rounds.get(svc, 0) + 1
        point = None if r == 1 else (FAULT_POINTS if r % 2 == 0 else SECOND_POINTS).get(svc)
        out.append((svc, point))
    return out


async def consumer_groups_stable(bootstrap: str, svc: str, timeout: float = 60.0) -> float | None:
    """Seconds until every `rel.<svc>.*` group is Stable with no member left from a killed process."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="reliability-probe")
    await admin.start()
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < timeout:
            try:
                groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(f"rel.{svc}.")]
                if not groups:
                    return time.monotonic() - t0  # a service without consumers
                described = await admin.describe_consumer_groups(groups)
                if all(_stable(d) for d in described):
                    return time.monotonic() - t0
            except Exception:  # the coordinator moves while the broker restarts: ask again
                pass
            await asyncio.sleep(0.2)
        return None
    finally:
        await admin.close()


def _stable(response) -> bool:
    """A DescribeGroups answer: every group Stable, each member of a distinct consumer (one per topic)."""
    for g in response.to_object()["groups"]:
        if g["group_state"] != "Stable":
            return False
        owners = [m["member_id"] for m in g["members"]]
        if len(owners) != len(set(owners)):
            return False
    return True


async def kill_and_restart(rig: Rig, svc: str, point: str | None, *, down: float = 1.0) -> Recovery:
    rec = Recovery(fault=f"SIGKILL{' at ' + point if point else ''}", target=svc)
    t_kill = time.monotonic()
    await asyncio.to_thread(rig.kill, svc)
    await asyncio.sleep(down)
    if point:
        rig.start(svc, fault=point)
        died = await asyncio.to_thread(rig.wait_exited, svc, 45.0)
        if not died:  # no traffic reached the window in time: a plain kill then
            rec.fault += " (window not reached: plain kill)"
            await asyncio.to_thread(rig.kill, svc)
    rec.down_seconds = time.monotonic() - t_kill
    t_start = time.monotonic()
    rig.start(svc)
    rec.ready_seconds = await asyncio.to_thread(rig.wait_ready, svc)
    stable = await consumer_groups_stable(rig.broker.bootstrap, svc)
    rec.recovered_seconds = None if stable is None else time.monotonic() - t_start
    rig.recoveries.append(rec)
    return rec


async def kill_broker(rig: Rig, *, down: float = 3.0) -> Recovery:
    rec = Recovery(fault="SIGKILL broker", target="kafka")
    t_kill = time.monotonic()
    await asyncio.to_thread(rig.broker.kill, 1, signal.SIGKILL)
    await asyncio.sleep(down)
    rec.down_seconds = time.monotonic() - t_kill
    t_start = time.monotonic()
    await asyncio.to_thread(rig.broker.start_node, 1)
    rec.ready_seconds = time.monotonic() - t_start
    waits = [await consumer_groups_stable(rig.broker.bootstrap, s, timeout=90) for s in SERVICES]
    rec.recovered_seconds = None if None in waits else time.monotonic() - t_start
    rig.recoveries.append(rec)
    return rec


async def run_faults(rig: Rig, kills: list[tuple[str, str | None]], broker_kills: int, done: asyncio.Event,
                     *, every: float) -> None:
    """Kill in turn while the workload runs (it sets `done`); the broker kills spread among the service kills."""
    broker_at = {len(kills) * (i + 1) // (broker_kills + 1) for i in range(broker_kills)}
    for i, (svc, point) in enumerate(kills):
        try:
            await asyncio.wait_for(done.wait(), timeout=every)
            return
        except TimeoutError:
            pass
        if i in broker_at:
            await kill_broker(rig)
        await kill_and_restart(rig, svc, point)


def recovery_lines(rig: Rig) -> list[str]:
    out = []
    for r in rig.recoveries:
        rec = f"{r.recovered_seconds:.1f}s" if r.recovered_seconds is not None else "NOT within 60s"
        out.append(f"  {r.target:10} {r.fault:55} down {r.down_seconds:5.1f}s  ready {r.ready_seconds:5.1f}s  "
                   f"consumers back {rec}")
    return out
