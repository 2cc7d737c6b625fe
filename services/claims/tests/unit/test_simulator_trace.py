"""The manufacturer simulator's decision stays in the claim's trace: it echoes the claim's W3C trace context,
so the claim's lifecycle (submitted → decided → approved) reads as one trace end to end."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from shared.contracts import claims as oem
from shared.messaging.envelope import Envelope, Tenant

ROOT = Path(__file__).resolve().parents[4]
_spec = importlib.util.spec_from_file_location("manufacturer_simulator", ROOT / "deploy/manufacturer_simulator.py")
simulator = sys.modules.setdefault("manufacturer_simulator", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(simulator)

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _claim(traceparent: str | None) -> Envelope:
    line = oem.OemClaimLine(line_no=1, failure="变速箱异响", labour_hours=Decimal("1.5"),
                            labour_amount=Decimal("450.00"), parts_amount=Decimal(0), amount=Decimal("450.00"))
    claim = oem.OemWarrantyClaimSubmittedV2(
        claim_number="WC-1", submission=1, dealer_code="s-1", vin="LSVAU2180N2183294", repair_date=date.today(),
        odometer_km=15000, lines=[line], labour_amount=Decimal("450.00"), parts_amount=Decimal(0),
        amount=Decimal("450.00"))
    env = Envelope.new(claim, source="claims", tenant=Tenant(dealer_group_id="dg-1", store_id="s-1"))
    return dataclasses.replace(env, traceparent=traceparent, tracestate="vendor=1" if traceparent else None)


def test_the_decision_carries_the_claims_trace_context_and_correlation():
    claim = _claim(TRACEPARENT)
    decision = simulator.decision_envelope(claim, simulator.decide(claim.event(), simulator.Rules(), date.today()))
    headers = {k: v.decode() for k, v in decision.headers()}
    assert headers["traceparent"] == TRACEPARENT and headers["tracestate"] == "vendor=1"
    assert decision.correlation_id == claim.correlation_id and decision.causation_id == claim.id


def test_a_claim_without_trace_context_gets_a_decision_without_one():
    claim = _claim(None)
    decision = simulator.decision_envelope(claim, simulator.decide(claim.event(), simulator.Rules(), date.today()))
    assert "traceparent" not in {k for k, _ in decision.headers()}
