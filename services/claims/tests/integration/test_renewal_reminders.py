"""Insurance renewal reminders (续保提醒) as claims's daily job on the injected clock: one InsuranceRenewalDue per
policy and renewal window, on real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.auth import Role
from shared.clock import FixedClock
from shared.contracts import claims as contract

from tests.support.factories import new_store
from tests.support.kafka import header, read_topic

SH = ZoneInfo("Asia/Shanghai")


async def test_renewal_reminders_run_daily_on_the_clock_once_per_policy_and_window(start_service, token, infra):
    clock = FixedClock(datetime(2026, 11, 1, 9, 0, tzinfo=SH))
    store, policy, other = new_store(), f"PA-{uuid.uuid4().hex[:8]}", f"PB-{uuid.uuid4().hex[:8]}"
    clerk = token(Role.INSURANCE_CLERK, stores=[store])

    def intake(policy_number: str, expiry: date, accident: date) -> dict:
        return dict(store_id=store, vehicle_id=f"v-{policy_number}", accident_date=accident.isoformat(),
                    insurer="PICC", policy_number=policy_number, policy_expiry=expiry.isoformat(), liability="full",
                    payment_route="insurer_pays_store")

    async def reminders(expected: int, timeout: float = 20) -> list[tuple[str, str]]:
        def mine(rs):
            return [r for r in rs if header(r, "ce_type") == contract.InsuranceRenewalDue.event_type
                    and json.loads(r.value)["policy_number"] in (policy, other)]
        records = await read_topic(infra.kafka_bootstrap, contract.INSURANCE, timeout=timeout,
                                   until=lambda rs: len(mine(rs)) >= expected)
        return [(json.loads(r.value)["policy_number"], json.loads(r.value)["expires_on"]) for r in mine(records)]

    async with start_service("claims", clock=clock, renewal_poll_seconds=0.1) as claims:
        for body in (intake(policy, date(2026, 12, 20), date(2026, 10, 20)),   # two accidents, one policy
                     intake(policy, date(2026, 12, 20), date(2026, 10, 28)),
                     intake(other, date(2027, 6, 30), date(2026, 10, 30))):
            r = await claims.client.post("/insurance-claims", json=body, headers=clerk)
            assert r.status_code == 201, r.text
        r = await claims.client.post("/insurance-renewal-reminders", json={}, headers=clerk)
        assert r.status_code == 200 and r.json() == [], r.text  # 2026-11-01: 49 days ahead, nothing due yet

        clock.set(datetime(2026, 11, 21, 9, 0, tzinfo=SH))  # 29 days before the expiry: the job's next day
        assert await reminders(1) == [(policy, "2026-12-20")]
        clock.set(datetime(2026, 11, 22, 9, 0, tzinfo=SH))  # the next day of the same window: nothing more
        await asyncio.sleep(1.0)
        r = await claims.client.post("/insurance-renewal-reminders", json={}, headers=clerk)  # by hand: nothing
        assert r.status_code == 200 and r.json() == [], r.text

        # a year on, the renewed policy (seen on a new claim) is a new window
        clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=SH))
        r = await claims.client.post("/insurance-claims", json=intake(policy, date(2027, 12, 20), date(2027, 1, 30)),
                                     headers=clerk)
        assert r.status_code == 201, r.text
        clock.set(datetime(2027, 6, 5, 9, 0, tzinfo=SH))  # the other policy's window (25 days ahead)
        assert sorted(await reminders(2)) == [(policy, "2026-12-20"), (other, "2027-06-30")]
        clock.set(datetime(2027, 11, 25, 9, 0, tzinfo=SH))
        await reminders(3)
        clock.set(datetime(2027, 11, 26, 9, 0, tzinfo=SH))
        await asyncio.sleep(1.0)
        got = await reminders(4, timeout=5)  # (waits out its timeout when, rightly, no fourth comes)
    assert sorted(got) == [(policy, "2026-12-20"), (policy, "2027-12-20"), (other, "2027-06-30")], got
