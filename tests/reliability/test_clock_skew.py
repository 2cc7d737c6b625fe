"""Clocks five minutes apart: every service restarted with its wall clock 5 minutes fast or slow (in turn, the
gateway fast, so every token it signs is "issued in the future" for half the services), whole lifecycles run,
and the checker finds every effect once and no aggregate's events out of order (each aggregate's events come from
one service, on one clock). Afterwards the services run on the true time again."""

from __future__ import annotations

import asyncio

import pytest

from deploy.launcher import SERVICES

from .checker import Checker
from .harness import Rig
from .workload import Driver

pytestmark = pytest.mark.timeout(900)

SKEW = 300.0  # seconds: ±5 minutes


async def restart_all(rig: Rig, skews: dict[str, float]) -> None:
    for svc in SERVICES:
        await asyncio.to_thread(rig.kill, svc)
    for svc in SERVICES:
        rig.start(svc, skew=skews.get(svc, 0.0))
    await asyncio.gather(*(asyncio.to_thread(rig.wait_ready, svc) for svc in SERVICES))


@pytest.mark.reliability_full
async def test_services_five_minutes_apart_lose_and_double_nothing(rig):
    skews = {svc: SKEW if i % 2 == 0 else -SKEW for i, svc in enumerate(("gateway", *SERVICES[:-1]))}
    assert SERVICES[-1] == "gateway" and skews["gateway"] == SKEW
    driver = Driver(rig.url("gateway"), concurrency=2, warranty_every=2)  # a claim through the manufacturer too
    try:
        await restart_all(rig, skews)
        await driver.set_up_shop()
        await driver.run_lifecycles(4)
        report = await Checker(driver, rig.broker.bootstrap).check()
    finally:
        await driver.close()
        await restart_all(rig, {})
    print(f"\nclock skew {', '.join(f'{s} {v:+.0f}s' for s, v in skews.items())}")
    print("\n".join(report.lines()))
    assert report.lost == [] and report.duplicated == [] and report.out_of_order == [], report.lines()
    assert report.acknowledged > 0 and not report.stalled, report.stalled
