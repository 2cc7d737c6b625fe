"""The checker: after the faults stop, reads every service's state through the gateway and every topic from
the start, and compares them with the history of acknowledged commands.

- expected: one effect per acknowledged command (and the downstream facts it must cause in other services);
- found / lost: an expected effect present / still missing once the system had time to settle;
- duplicated: an effect present more than once (two follow-up calls for one delivery, a part issued twice,
  two events of one kind with different ids for one aggregate);
- out of order: an aggregate's events on its topic whose times go backwards (repeats of an event id, which
  at-least-once delivery allows, are skipped: the first copy counts);
- dead letters: every `<topic>.dlq` record with its consumer and error."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from aiokafka import AIOKafkaConsumer, TopicPartition
from shared.messaging.topics import catalogue_topics

from .workload import DECIDED, OPENING_STOCK, STORE, Driver, History

# The events one delivered lifecycle puts on a topic, once each per aggregate (distinct event ids).
ONCE_PER_ORDER = ("RepairOrderOpened", "RepairOrderInvoiced", "VehicleDelivered")


@dataclass
class Report:
    acknowledged: int = 0
    refused: int = 0
    unknown: int = 0
    retried_unknowns: int = 0
    expected: int = 0
    found: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)
    events_read: int = 0
    redeliveries_on_topics: int = 0  # the same event id twice on a topic (a relay replay): allowed, counted
    settle_seconds: float = 0.0
    reads_throttled: int = 0
    reads_relogged: int = 0
    stalled: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"commands: {self.acknowledged} acknowledged, {self.refused} refused, {self.unknown} unknown "
            f"({self.retried_unknowns} unanswered attempts retried with the same Idempotency-Key)",
            f"effects: {self.expected} expected, {self.found} found, {len(self.lost)} lost, "
            f"{len(self.duplicated)} duplicated",
            f"events: {self.events_read} read, {len(self.out_of_order)} out of order per aggregate, "
            f"{self.redeliveries_on_topics} repeated ids (at-least-once, dropped by the inboxes)",
            f"dead letters: {len(self.dead_letters)}",
            f"time to settle: {self.settle_seconds:.1f}s",
            f"reads sent again: {self.reads_throttled} after a 429 (Retry-After), {self.reads_relogged} after a 401 "
            f"(token expired, logged in again)",
        ]
        out += [f"  lost: {x}" for x in self.lost[:20]] + [f"  duplicated: {x}" for x in self.duplicated[:20]]
        out += [f"  out of order: {x}" for x in self.out_of_order[:20]]
        out += [f"  dead letter: {x}" for x in self.dead_letters[:20]]
        out += [f"  stalled lifecycle: {x}" for x in self.stalled[:20]]
        return out


class Checker:
    def __init__(self, driver: Driver, bootstrap: str) -> None:
        self.d = driver
        self.bootstrap = bootstrap
        self.history: History = driver.history
        self.unread: str | None = None  # why the last probe's read got no state (a status), if it did not

    async def check(self, settle_timeout: float = 180.0) -> Report:
        rep = Report()
        counts = self.history.counts()
        rep.acknowledged, rep.refused, rep.unknown = counts["acknowledged"], counts["refused"], counts["unknown"]
        rep.retried_unknowns = sum(c.unknown_answers for c in self.history.commands)
        rep.stalled = [f"#{lc.n} after {lc.reached or 'nothing'}: {lc.stalled}"
                       for lc in self.history.lifecycles if lc.stalled]
        t0 = time.monotonic()
        while True:
            expected, missing, duplicated = await self.state()
            if not missing or time.monotonic() - t0 > settle_timeout:
                break
            await asyncio.sleep(1.0)
        rep.settle_seconds = time.monotonic() - t0
        rep.expected, rep.lost, rep.duplicated = expected, missing, duplicated
        rep.found = expected - len(missing)
        rep.reads_throttled, rep.reads_relogged = self.history.reads_throttled, self.history.reads_relogged
        await self.topics(rep)
        return rep

    # -- state through the API -------------------------------------------------------------------------
    async def state(self) -> tuple[int, list[str], list[str]]:
        expected = 0
        missing: list[str] = []
        duplicated: list[str] = []
        acked = {(c.lifecycle, c.step.split("#")[0]) for c in self.history.acknowledged()}
        issued = 0
        for lc in self.history.lifecycles:
            for step, probe in self.probes(lc):
                if (lc.n, step) not in acked:
                    continue
                expected += 1
                self.unread = None
                got = await probe()
                if got == 0:  # a read that was not answered 200 says so: not found is not the same as unread
                    missing.append(f"#{lc.n} {step}" + (f" (read answered {self.unread})" if self.unread else ""))
                elif got > 1:
                    duplicated.append(f"#{lc.n} {step} x{got}")
            issued += (lc.n, "parts.issue") in acked
        if issued:  # the part's stock: each acknowledged issue took one, exactly once
            expected += 1
            r = await self.d.get(f"/api/parts/parts/{STORE}:{self.d.part_no}", "rel.pm")
            on_hand = Decimal(r.json()["on_hand"]) if r is not None and r.status_code == 200 else None
            if on_hand is None or on_hand > OPENING_STOCK - issued:
                missing.append(f"stock of {self.d.part_no}: {on_hand}, {OPENING_STOCK - issued} expected")
            elif on_hand < OPENING_STOCK - issued:
                duplicated.append(f"stock of {self.d.part_no}: {on_hand}, {OPENING_STOCK - issued} expected")
        return expected, missing, duplicated

    def probes(self, lc):
        """(step, probe) pairs: the probe answers how many times the step's effects are present."""
        ids, d = lc.ids, self.d

        async def json(path, user, **params):
            r = await d.get(path, user, **params)
            if r is not None and r.status_code == 200:
                return r.json()
            self.unread = "no answer" if r is None else f"{r.status_code} {r.text[:120]}"
            return None

        async def customer():
            return int(await json(f"/api/crm/customers/{ids['customer']}", "rel.care") is not None)

        async def vehicle_at_reception():  # crm's VehicleRegistered reached reception
            return int(await json("/api/reception/vehicles", "rel.advisor", vin=lc.vin) is not None)

        async def booked_and_reserved():  # parts reserved the booked part (PartsReserved reached reception)
            a = await json(f"/api/reception/appointments/{ids['appointment']}", "rel.advisor")
            return int(a is not None and (a["parts_ready"] or a["parts_status"] == "reserved"))

        async def queued_once():  # RepairOrderOpened reached workshop, one job (not two)
            wo = await json(f"/api/workshop/work-orders/{ids['ro']}", "rel.sup")
            return 0 if wo is None else len(wo["jobs"])

        async def issued_once():  # PartsIssued reached reception: exactly the one part
            ro = await json(f"/api/reception/repair-orders/{ids['ro']}", "rel.advisor")
            return 0 if ro is None else int(Decimal(ro["parts_issued"].get(d.part_no, "0")))

        async def checks_at_reception():
            ro = await json(f"/api/reception/repair-orders/{ids['ro']}", "rel.advisor")
            job = next((j for j in (ro or {}).get("jobs", []) if j["job_id"] == ids.get("job")), None)
            return int(job is not None and len(job["checks_passed"]) == 3)

        async def delivered_and_called():  # VehicleDelivered reached crm: one follow-up call, not two
            fus = await json("/api/crm/follow-ups", "rel.care", customer_id=ids["customer"], limit=50)
            return 0 if fus is None else sum(f["repair_order_id"] == ids["ro"] for f in fus)

        async def off_the_board():  # VehicleDelivered reached workshop: the work order closed
            wo = await json(f"/api/workshop/work-orders/{ids['ro']}", "rel.sup")
            return int(wo is not None and wo["state"] == "closed")

        async def claims_of_the_order():
            found = await json("/api/claims/warranty-claims", "rel.warranty", repair_order_id=ids["ro"])
            return found or []

        async def claim_decided():  # the submission reached the manufacturer and its decision came back, once
            found = await claims_of_the_order()
            return 0 if not found else len(found) * (found[0]["state"] in DECIDED + ("paid",))

        async def claim_paid():  # the payment recorded once, the claim paid
            found = await claims_of_the_order()
            return 0 if not found or found[0]["state"] != "paid" else len(found) * len(found[0]["payments"])

        return [("crm.customer", customer), ("crm.vehicle", vehicle_at_reception),
                ("reception.book", booked_and_reserved), ("reception.open", queued_once),
                ("parts.issue", issued_once), ("workshop.check.final", checks_at_reception),
                ("reception.deliver", delivered_and_called), ("reception.deliver", off_the_board),
                ("claims.submit", claim_decided), ("claims.payment", claim_paid)]

    # -- the topics --------------------------------------------------------------------------------------
    async def topics(self, rep: Report) -> None:
        c = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        await c.start()
        try:
            cluster = await c._client.fetch_all_metadata()  # the consumer's own metadata knows no topic yet
            tps = [TopicPartition(t, p) for t in catalogue_topics() for p in (cluster.partitions_for_topic(t) or ())]
            c.assign(tps)
            await c.seek_to_beginning()
            ends = await c.end_offsets(tps)
            todo = {tp for tp in tps if ends[tp] > 0}
            records = []
            while todo:
                batch = await c.getmany(*todo, timeout_ms=2000)
                for tp, rs in batch.items():
                    records += rs
                    if rs and rs[-1].offset + 1 >= ends[tp]:
                        todo.discard(tp)
                if not batch:
                    break
        finally:
            await c.stop()
        self.judge(records, rep)

    def judge(self, records, rep: Report) -> None:
        seen: set[str] = set()
        last_time: dict[tuple[str, str], datetime] = {}
        kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
        ours = {lc.ids.get("ro") for lc in self.history.lifecycles} - {None}
        for r in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
            h = {k: (v or b"").decode("utf-8", "replace") for k, v in r.headers or ()}
            if r.topic.endswith(".dlq"):
                rep.dead_letters.append(f"{h.get('dlq_consumer')} {r.topic}@{h.get('dlq_original_offset')} "
                                        f"{h.get('ce_type')}: {h.get('dlq_error')}")
                continue
            rep.events_read += 1
            eid, subject, type_ = h.get("ce_id", ""), h.get("ce_subject", ""), h.get("ce_type", "")
            if eid in seen:
                rep.redeliveries_on_topics += 1
                continue
            seen.add(eid)
            key = (r.topic, subject)
            when = _when(h.get("ce_time"))
            if key in last_time and when < last_time[key]:
                rep.out_of_order.append(f"{r.topic} {subject}: {type_} at {when} after {last_time[key]}")
            last_time[key] = max(when, last_time.get(key, when))
            if subject in ours and type_.rsplit(".v", 1)[0] in ONCE_PER_ORDER:
                kinds[(subject, type_)].add(eid)
        rep.duplicated += [f"{s} {t}: {len(ids)} distinct events" for (s, t), ids in kinds.items() if len(ids) > 1]


def _when(value: str | None) -> datetime:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def counts_summary(rep: Report) -> Counter:
    return Counter(lost=len(rep.lost), duplicated=len(rep.duplicated), out_of_order=len(rep.out_of_order))
