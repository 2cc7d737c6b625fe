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

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v0, DescribeGroupsRequest_v1
from shared.messaging.topics import catalogue_topics

from deploy.launcher import SERVICES

from .harness import Recovery, Rig

# Which fault point suits which service: the relay windows where a service publishes a lot, the consumer window
# where it consumes a lot.
FAULT_POINTS = {"reception": "relay_after_publish", "crm": "consumer_after_handle",
                "workshop": "consumer_after_handle", "parts": "relay_after_publish"}
SECOND_POINTS = {"reception": "consumer_after_handle", "workshop": "relay_after_publish",
                 "parts": "consumer_after_handle", "crm": "relay_after_claim"}


def plan(kills: int) -> list[tuple[str, str | None]]:
    """(service, fault point or None) for `kills` kills, round the six services: the first round in each
    service's main window (so even a short run hits the relay's and the consumer's), the second plain, the
    third in its other window, and so on."""
    out: list[tuple[str, str | None]] = []
    rounds: dict[str, int] = {}
    order = cycle(("reception", "crm", "workshop", "parts", "gateway", "claims"))
    while len(out) < kills:
        svc = next(order)
        r = rounds[svc] = rounds.get(svc, 0) + 1
        points = (FAULT_POINTS, None, SECOND_POINTS)[(r - 1) % 3]
        point = points.get(svc) if points else None
        out.append((svc, point))
    return out


class _DescribeGroupsV1(DescribeGroupsRequest):
    """DescribeGroups at most at v1: aiokafka 0.14's newer versions cannot decode Kafka 4's answer for a group
    with members ("Buffer underrun"); v1 has the state and the member ids, all this needs."""


_DescribeGroupsV1._CLASSES = (DescribeGroupsRequest_v0, DescribeGroupsRequest_v1)


async def group_members(bootstrap: str, svc: str) -> dict[str, tuple[str, set[str]]]:
    """Each `rel.<svc>.*` consumer group: its state and its members' ids."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="reliability-probe")
    await admin.start()
    try:
        names = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(f"rel.{svc}.")]
        out = {}
        for name in names:
            response = await admin._send_request(_DescribeGroupsV1(groups=[name]),
                                                 await admin.find_coordinator(name))
            for g in response.to_object()["groups"]:
                out[g["group"]] = (g["state"], {m["member_id"] for m in g["members"]})
        return out
    finally:
        await admin.close()


async def consumers_back(bootstrap: str, svc: str, before: dict, timeout: float = 60.0) -> float | None:
    """Seconds until every consumer group the service had is Stable again with members none of which is left
    from before the kill (a dynamic group first waits for the dead members' sessions to time out)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            now = await group_members(bootstrap, svc)
            if all(g in now and now[g][0] == "Stable" and now[g][1] and not now[g][1] & old
                   for g, (_, old) in before.items()):
                return time.monotonic() - t0
        except Exception:  # the coordinator moves while the broker restarts: ask again
            pass
        await asyncio.sleep(0.2)
    return None


async def kill_and_restart(rig: Rig, svc: str, point: str | None, *, down: float = 1.0) -> Recovery:
    rec = Recovery(fault=f"SIGKILL{' at ' + point if point else ''}", target=svc)
    before = await group_members(rig.broker.bootstrap, svc)
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
    back = await consumers_back(rig.broker.bootstrap, svc, before)
    rec.recovered_seconds = None if back is None else time.monotonic() - t_start
    rig.recoveries.append(rec)
    return rec


async def kill_broker(rig: Rig, *, down: float = 3.0) -> Recovery:
    rec = Recovery(fault="SIGKILL broker", target="kafka")
    before = {s: await group_members(rig.broker.bootstrap, s) for s in SERVICES}
    t_kill = time.monotonic()
    await asyncio.to_thread(rig.broker.kill, 1, signal.SIGKILL)
    await asyncio.sleep(down)
    rec.down_seconds = time.monotonic() - t_kill
    t_start = time.monotonic()
    await asyncio.to_thread(rig.broker.start_node, 1)
    rec.ready_seconds = time.monotonic() - t_start
    # The groups' members survive a broker restart (the same ids, found again): Stable is what counts here.
    waits = [await consumers_back(rig.broker.bootstrap, s, {g: (st, set()) for g, (st, _) in before[s].items()},
                                  timeout=90) for s in SERVICES]
    rec.recovered_seconds = None if None in waits else time.monotonic() - t_start
    rig.recoveries.append(rec)
    return rec


async def busiest_partition(bootstrap: str) -> tuple[TopicPartition, int]:
    """The partition with the most records so far, and the node that leads it."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await c.start()
    try:
        cluster = await c._client.fetch_all_metadata()
        tps = [TopicPartition(t, p) for t in catalogue_topics() for p in (cluster.partitions_for_topic(t) or ())]
        ends = await c.end_offsets(tps)
        tp = max(tps, key=lambda tp: ends[tp])
        return tp, cluster.leader_for_partition(tp)
    finally:
        await c.stop()


async def _groups_stable(rig: Rig, before: dict, t_start: float) -> float | None:
    waits = [await consumers_back(rig.broker.bootstrap, s, {g: (st, set()) for g, (st, _) in before[s].items()},
                                  timeout=90) for s in SERVICES]
    return None if None in waits else time.monotonic() - t_start


async def kill_leader(rig: Rig, *, down: float = 5.0) -> Recovery:
    """Three brokers: SIGKILL the leader of the busiest partition while the services produce; another replica
    in sync takes over (min.insync.replicas=2 still met by the two left, acks=all loses nothing)."""
    tp, node = await busiest_partition(rig.broker.bootstrap)
    rec = Recovery(fault=f"SIGKILL leader of {tp.topic}[{tp.partition}]", target=f"kafka node {node}")
    before = {s: await group_members(rig.broker.bootstrap, s) for s in SERVICES}
    t_kill = time.monotonic()
    await asyncio.to_thread(rig.broker.kill, node, signal.SIGKILL)
    await asyncio.sleep(down)
    rec.down_seconds = time.monotonic() - t_kill
    t_start = time.monotonic()
    await asyncio.to_thread(rig.broker.start_node, node)
    rec.ready_seconds = time.monotonic() - t_start
    rec.recovered_seconds = await _groups_stable(rig, before, t_start)
    rig.recoveries.append(rec)
    return rec


async def pause_broker(rig: Rig, *, node: int = 2, paused: float = 8.0) -> Recovery:
    """Three brokers: SIGSTOP one for a while (a network partition as the others see it), then SIGCONT."""
    rec = Recovery(fault=f"SIGSTOP {paused:.0f}s / SIGCONT", target=f"kafka node {node}")
    before = {s: await group_members(rig.broker.bootstrap, s) for s in SERVICES}
    t_stop = time.monotonic()
    await asyncio.to_thread(rig.broker.kill, node, signal.SIGSTOP)
    try:
        await asyncio.sleep(paused)
    finally:
        await asyncio.to_thread(rig.broker.kill, node, signal.SIGCONT)
    rec.down_seconds = time.monotonic() - t_stop
    t_start = time.monotonic()
    rec.recovered_seconds = await _groups_stable(rig, before, t_start)
    rig.recoveries.append(rec)
    return rec


class NotAlone(AssertionError):
    """The service did not behave as promised while its database was down."""


async def stop_database(rig: Rig, *, down: float = 8.0, probe=None) -> Recovery:
    """Stop the OUTAGE_SERVICE's PostgreSQL mid-traffic for `down` seconds and start it again; the service is
    not touched. While the database is down the service must answer /ready with 503 naming the database (the
    gateway and any orchestrator then keep traffic away); afterwards it must be ready again by itself, as the
    same process, and its consumers must not have skipped anything (the checker finds every effect). `probe`, a
    read of the service through the gateway, must be answered 503 with Retry-After meanwhile (not a 500)."""
    assert rig.postgres is not None
    svc = rig.postgres.databases[0].removeprefix("rel_")
    pid = rig.service_pid(svc)
    rec = Recovery(fault="PostgreSQL stopped", target=svc)
    t_stop = time.monotonic()
    await asyncio.to_thread(rig.postgres.stop)
    status, body = await asyncio.to_thread(rig.ready, svc)
    if status != 503 or "ok" in str(body.get("checks", {}).get("database")):
        raise NotAlone(f"{svc} answered /ready {status} {body} with its database down")
    if probe is not None:
        r = await probe()
        if r is None or r.status_code != 503 or not r.headers.get("retry-after"):
            raise NotAlone(f"a read of {svc} without its database answered "
                           f"{None if r is None else (r.status_code, r.text[:300])}, not 503 with Retry-After")
    await asyncio.sleep(max(0.0, down - (time.monotonic() - t_stop)))
    status, body = await asyncio.to_thread(rig.ready, svc)
    if status != 503:
        raise NotAlone(f"{svc} answered /ready {status} {body} after {down:.0f}s without its database")
    rec.down_seconds = time.monotonic() - t_stop
    t_start = time.monotonic()
    await asyncio.to_thread(rig.postgres.start)
    rec.ready_seconds = time.monotonic() - t_start  # the database accepting connections again
    await asyncio.to_thread(rig.wait_ready, svc, 60.0, False)
    rec.recovered_seconds = time.monotonic() - t_start  # the service ready again, by itself
    if rig.service_pid(svc) != pid:
        raise NotAlone(f"{svc} was restarted (pid {pid} -> {rig.service_pid(svc)}): it must recover alone")
    rig.recoveries.append(rec)
    return rec


async def run_faults(rig: Rig, kills: list[tuple[str, str | None]], broker_kills: int, done: asyncio.Event,
                     *, every: float, db_outages: int = 0, db_probe=None) -> None:
    """Kill in turn while the workload runs, `every` seconds apart; the broker kills and the database outages
    spread among the service kills. Sets `done` at the end: the workload goes on until then."""
    broker_at = {len(kills) * (i + 1) // (broker_kills + 1) for i in range(broker_kills)}
    # The outages land just after the start and then evenly: the first while every lifecycle is mid-flight.
    db_at = {len(kills) * i // max(db_outages, 1) for i in range(db_outages)}
    try:
        for i, (svc, point) in enumerate(kills):
            await asyncio.sleep(every)
            if i in db_at:
                await stop_database(rig, probe=db_probe)
                await asyncio.sleep(every)
            if i in broker_at and rig.broker.brokers == 1:
                await kill_broker(rig)
            elif i in broker_at:  # three brokers: the busy partition's leader killed, then a broker paused
                await (kill_leader(rig) if sorted(broker_at).index(i) % 2 == 0 else pause_broker(rig))
            await kill_and_restart(rig, svc, point)
    finally:
        done.set()


def recovery_lines(rig: Rig) -> list[str]:
    out = []
    for r in rig.recoveries:
        rec = f"{r.recovered_seconds:.1f}s" if r.recovered_seconds is not None else "NOT within 60s"
        out.append(f"  {r.target:10} {r.fault:55} down {r.down_seconds:5.1f}s  ready {r.ready_seconds:5.1f}s  "
                   f"consumers back {rec}")
    return out
