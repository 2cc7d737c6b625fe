"""A manufacturer for local runs and tests: reads our warranty claims on oem.warranty-claims and answers
on oem.warranty-decisions, by configurable rules, as the manufacturer's system would (docs/manufacturer-integration.md).

    python deploy/manufacturer_simulator.py [--bootstrap HOST:PORT] [--max-labour-hours 2.0]
        [--reject-parts BAT-,PAD-] [--max-km 100000] [--return-first] [--return-parts-days 14]
        [--no-goodwill] [--late-after-days 30] [--from-latest]
        [--username manufacturer --password ... --mechanism SCRAM-SHA-512]

Rules, applied per claim (first the claim, then line by line):
- odometer past --max-km: the whole claim is rejected `expired`;
- repair date more than --late-after-days before today: rejected `submitted_late`;
- --return-first: a first submission is returned for correction (the second is decided);
- a line whose causal part starts with a --reject-parts prefix: 0, `not_a_warranty_failure`;
- a line marked "needs manufacturer decision" with --no-goodwill: 0, `expired`;
- a line with more labour hours than --max-labour-hours: its labour cut to that, `excessive_labour`;
- --return-parts-days N: the decision asks for the old parts back within N days.
All lines paid in full → approved; some → partly_approved; none → rejected.

The decision echoes the claim's CloudEvents tenant headers (ce_dealergroup, ce_store), its correlation
id and its W3C trace context (traceparent, tracestate: the decision is part of the claim's trace, as a
manufacturer's system that propagates trace context answers); its event id is derived from the claim number
and submission, so a claim read twice is answered with the same id and our side applies it once.
Prints "manufacturer-simulator: ready" once it reads its partitions.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared" / "src"))

from shared.contracts import claims as oem
from shared.messaging.envelope import Envelope, UndecodableMessage

DECISION_NAMESPACE = uuid.UUID("0b7e1c52-8a43-4c8e-9d0f-4a1b2c3d4e5f")
CENT = Decimal("0.01")


@dataclass
class Rules:
    max_labour_hours: Decimal | None = None
    reject_parts: tuple[str, ...] = ()
    max_km: int | None = None
    return_first: bool = False
    return_parts_days: int | None = None
    goodwill: bool = True
    late_after_days: int | None = None


def _line(ln: oem.OemClaimLine, rules: Rules) -> oem.OemLineDecision:
    def cut(amount: Decimal, reason: oem.WarrantyReason) -> oem.OemLineDecision:
        return oem.OemLineDecision(line_no=ln.line_no, approved_amount=amount.quantize(CENT, ROUND_HALF_UP),
                                   reason_code=reason)
    if ln.causal_part_no and ln.causal_part_no.startswith(rules.reject_parts or ("\0",)):
        return cut(Decimal(0), oem.WarrantyReason.NOT_A_WARRANTY_FAILURE)
    if ln.needs_manufacturer_decision and not rules.goodwill:
        return cut(Decimal(0), oem.WarrantyReason.EXPIRED)
    if rules.max_labour_hours is not None and ln.labour_hours > rules.max_labour_hours:
        kept = ln.labour_amount * rules.max_labour_hours / ln.labour_hours
        return cut(ln.parts_amount + kept, oem.WarrantyReason.EXCESSIVE_LABOUR)
    return oem.OemLineDecision(line_no=ln.line_no, approved_amount=ln.amount)


def decide(claim: oem.OemWarrantyClaimSubmittedV2, rules: Rules, today: date) -> oem.OemWarrantyClaimDecidedV2:
    """The manufacturer's decision on one submission of a claim, by the rules."""
    def answer(decision: oem.OemDecision, **kw) -> oem.OemWarrantyClaimDecidedV2:
        return oem.OemWarrantyClaimDecidedV2(claim_number=claim.claim_number, submission=claim.submission,
                                             decision=decision, **kw)
    if rules.max_km is not None and (claim.odometer_km or 0) > rules.max_km:
        return answer(oem.OemDecision.REJECTED, reason_codes=[oem.WarrantyReason.EXPIRED])
    if rules.late_after_days is not None and (today - claim.repair_date).days > rules.late_after_days:
        return answer(oem.OemDecision.REJECTED, reason_codes=[oem.WarrantyReason.SUBMITTED_LATE])
    if rules.return_first and claim.submission == 1:
        return answer(oem.OemDecision.RETURNED_FOR_CORRECTION, correction_note="state the failure and causal part")
    lines = [_line(ln, rules) for ln in claim.lines]
    paid = [x for x in lines if x.approved_amount > 0]
    cut = [x for x in lines if x.reason_code is not None]
    return_by = today + timedelta(days=rules.return_parts_days) if rules.return_parts_days is not None else None
    if not paid:
        return answer(oem.OemDecision.REJECTED, lines=lines, return_parts_by=return_by,
                      reason_codes=sorted({x.reason_code for x in cut}))
    decision = oem.OemDecision.PARTLY_APPROVED if cut else oem.OemDecision.APPROVED
    return answer(decision, lines=cut, return_parts_by=return_by)


def decision_envelope(claim_env: Envelope, decision: oem.OemWarrantyClaimDecidedV2) -> Envelope:
    eid = str(uuid.uuid5(DECISION_NAMESPACE, f"{decision.claim_number}/{decision.submission}"))
    out = Envelope.new(decision, source="manufacturer-simulator", tenant=claim_env.tenant, event_id=eid,
                       correlation_id=claim_env.correlation_id, causation_id=claim_env.id)
    return dataclasses.replace(out, traceparent=claim_env.traceparent, tracestate=claim_env.tracestate)


def _v2(claim: oem.OemWarrantyClaimSubmitted) -> oem.OemWarrantyClaimSubmittedV2:
    amount = claim.labour_amount + claim.parts_amount
    line = oem.OemClaimLine(line_no=1, failure="(v1: not given)", labour_hours=Decimal(0),
                            labour_amount=claim.labour_amount, part_nos=claim.part_nos,
                            parts_amount=claim.parts_amount, amount=amount)
    return oem.OemWarrantyClaimSubmittedV2(
        claim_number=claim.claim_number, submission=1, dealer_code=claim.dealer_code, vin=claim.vin,
        repair_date=claim.repair_date, odometer_km=claim.odometer_km, lines=[line],
        labour_amount=claim.labour_amount, parts_amount=claim.parts_amount, amount=amount)


def kafka_security(args: argparse.Namespace) -> dict:
    if not args.username:
        return {}
    return dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism=args.mechanism,
                sasl_plain_username=args.username, sasl_plain_password=args.password)


async def _ready(consumer: AIOKafkaConsumer, from_latest: bool) -> None:
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=200)
    if from_latest:
        await consumer.seek_to_end(*consumer.assignment())
    for tp in consumer.assignment():
        await consumer.position(tp)
    print("manufacturer-simulator: ready", flush=True)


async def answer(record, producer: AIOKafkaProducer, rules: Rules) -> None:
    try:
        env = Envelope.from_kafka(record.value, record.headers)
        claim = env.event()
    except UndecodableMessage as e:
        print(f"manufacturer-simulator: skipped unreadable message: {e}", flush=True)
        return
    if isinstance(claim, oem.OemWarrantyClaimSubmitted):
        claim = _v2(claim)
    if not isinstance(claim, oem.OemWarrantyClaimSubmittedV2):
        return
    d = decide(claim, rules, datetime.now(UTC).date())
    out = decision_envelope(env, d)
    await producer.send_and_wait(oem.OEM_DECISIONS, out.value(), key=out.subject.encode(), headers=out.headers())
    print(f"manufacturer-simulator: {d.claim_number} #{d.submission} {d.decision.value}", flush=True)


async def run(args: argparse.Namespace) -> None:
    prefixes = tuple(p for p in args.reject_parts.split(",") if p)
    rules = Rules(max_labour_hours=args.max_labour_hours, reject_parts=prefixes,
                  max_km=args.max_km, return_first=args.return_first, return_parts_days=args.return_parts_days,
                  goodwill=not args.no_goodwill, late_after_days=args.late_after_days)
    security = kafka_security(args)
    consumer = AIOKafkaConsumer(oem.OEM_CLAIMS, bootstrap_servers=args.bootstrap, group_id=args.group,
                                auto_offset_reset="earliest", enable_auto_commit=True, **security)
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, acks="all", enable_idempotence=False, **security)
    await producer.start()
    await consumer.start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await _ready(consumer, args.from_latest)
        while not stop.is_set():
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    await answer(record, producer, rules)
    finally:
        await consumer.stop()
        await producer.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    import os

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:59092"))
    p.add_argument("--group", default="manufacturer.simulator")
    p.add_argument("--username", default=os.environ.get("MANUFACTURER_KAFKA_USERNAME"))
    p.add_argument("--password", default=os.environ.get("MANUFACTURER_KAFKA_PASSWORD"))
    p.add_argument("--mechanism", default="SCRAM-SHA-512")
    p.add_argument("--max-labour-hours", type=Decimal, default=None)
    p.add_argument("--reject-parts", default="")
    p.add_argument("--max-km", type=int, default=None)
    p.add_argument("--return-first", action="store_true")
    p.add_argument("--return-parts-days", type=int, default=None)
    p.add_argument("--no-goodwill", action="store_true")
    p.add_argument("--late-after-days", type=int, default=None)
    p.add_argument("--from-latest", action="store_true", help="answer only claims sent after it is ready")
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(run(parse()))
