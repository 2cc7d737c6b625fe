"""The platform's promise, checked against a history: repair-order lifecycles run through all services while
services are SIGKILLed in turn (some inside the relay's and the consumer's windows), the broker is killed and
one service's PostgreSQL is stopped and started again;
then the checker reads every service and every topic. Acknowledged commands: none lost, none applied twice,
no aggregate's events out of order; it prints the figures and each fault's time to recover."""

from __future__ import annotations

import asyncio
import os

import pytest

from .checker import Checker
from .faults import plan, recovery_lines, run_faults
from .harness import OUTAGE_SERVICE
from .workload import Driver

pytestmark = pytest.mark.timeout(3600)

# A read of the service whose database is stopped (OUTAGE_SERVICE): answered 503 meanwhile, not 500.
READS = {"workshop": ("/api/workshop/work-orders/none", "rel.sup"), "crm": ("/api/crm/customers/none", "rel.care"),
         "reception": ("/api/reception/repair-orders/none", "rel.advisor"),
         "parts": ("/api/parts/issue-slips/none", "rel.keeper")}


def db_probe(driver: Driver):
    if OUTAGE_SERVICE not in READS:
        return None
    path, user = READS[OUTAGE_SERVICE]
    return lambda: driver.get(path, user)


async def test_acknowledged_work_survives_kills_of_every_service_and_the_broker(rig, scale):
    lifecycles = int(os.environ.get("RELIABILITY_LIFECYCLES", scale.lifecycles))
    kills = plan(int(os.environ.get("RELIABILITY_KILLS", scale.kills)))
    broker_kills = int(os.environ.get("RELIABILITY_BROKER_KILLS", scale.broker_kills))
    driver = Driver(rig.url("gateway"), concurrency=scale.concurrency, warranty_every=3)
    try:
        await driver.set_up_shop()
        faults_done = asyncio.Event()
        faults = asyncio.create_task(run_faults(rig, kills, broker_kills, faults_done, every=5.0,
                                                 db_outages=scale.db_outages, db_probe=db_probe(driver)))
        try:
            await driver.run_lifecycles(lifecycles, until=faults_done)
        finally:
            if not faults.done():
                faults.cancel()
            await asyncio.gather(faults, return_exceptions=True)
        if not faults.cancelled() and faults.exception() is not None:
            raise faults.exception()
        report = await Checker(driver, rig.broker.bootstrap).check()
    finally:
        await driver.close()
    print(f"\nreliability ({scale.form}): {len(driver.history.lifecycles)} lifecycles, {scale.concurrency} at a time, "
          f"{len(rig.recoveries)} faults")
    print("\n".join(report.lines() + ["faults and time to recover:"] + recovery_lines(rig)))
    assert report.lost == [] and report.duplicated == [] and report.out_of_order == [], report.lines()
    assert report.dead_letters == [], report.dead_letters
    assert report.acknowledged > 0 and not report.stalled, report.stalled
