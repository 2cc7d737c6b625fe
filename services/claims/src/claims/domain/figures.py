"""The claims desk's figures (KPIs) per store and period, on the figures contract (shared.kit.figures;
docs/kpis.md "## claims" defines each). The seeds' managers watch 保修索赔额 (warranty claim value) and
保险理赔产值 (insurance claim value) among the store's figures; the warranty specialist answers for getting the
manufacturer's money in (索赔款的催付和到账).

Warranty, by the store-local day each thing happened:
- warranty_claims_submitted, warranty_claim_value: claims first sent to the manufacturer in the period, and
  what they claim (labour and parts as reception's settlement charges them). A resubmission after a
  correction is the same claim: it counts once, in the period of its first submission.
- warranty_approved_value: what the manufacturer approved on claims it approved (in full or in part) in
  the period.
- warranty_approval_rate: approved ÷ claimed over the claims the manufacturer decided for good in the period
  (approved, partly approved or rejected; a claim returned for correction is not decided yet).
- warranty_paid_value: the manufacturer's payments received in the period.
Insurance:
- insurance_claims_opened: accident cars' claims opened in the period.
- insurance_claim_value: what the insurers approved on the estimates they approved in the period.
- insurance_paid_value: insurers' payments received in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from decimal import Decimal

from shared.kit.figures import Figure, Granularity, Unit, period_of, ratio, total

from .insurance_claim import InsuranceClaim
from .money import ZERO, money
from .warranty_claim import ClaimState, WarrantyClaim

APPROVED = {ClaimState.APPROVED, ClaimState.PARTLY_APPROVED, ClaimState.PAID}
DECIDED = APPROVED | {ClaimState.REJECTED}

COUNT, CNY = Unit.COUNT, Unit.CNY
SUMS = (("warranty_claims_submitted", COUNT), ("warranty_claim_value", CNY), ("warranty_approved_value", CNY),
        ("warranty_paid_value", CNY), ("insurance_claims_opened", COUNT), ("insurance_claim_value", CNY),
        ("insurance_paid_value", CNY))


class _Tally:
    """Amounts per (KPI, store, period start), for the periods asked."""

    def __init__(self, starts: list[date], granularity: Granularity, tz: tzinfo) -> None:
        self.starts, self.granularity, self.tz = set(starts), granularity, tz
        self.sums: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)

    def add(self, kpi: str, store_id: str, at: datetime | None, amount: Decimal | int) -> None:
        if at is None:
            return
        start = period_of(at, self.granularity, self.tz)
        if start in self.starts:
            self.sums[(kpi, store_id, start)] += amount

    def __call__(self, kpi: str, store_id: str, start: date) -> Decimal:
        return self.sums[(kpi, store_id, start)]


def claims_figures(*, stores: list[str], starts: list[date], granularity: Granularity, tz: tzinfo,
                   warranty: Iterable[WarrantyClaim], insurance: Iterable[InsuranceClaim]) -> list[Figure]:
    t = _Tally(starts, granularity, tz)
    for c in warranty:
        first = c.first_submitted_at or c.submitted_at  # claims submitted before the first submission was kept
        t.add("warranty_claims_submitted", c.store_id, first, 1)
        t.add("warranty_claim_value", c.store_id, first, c.amount)
        if c.state in APPROVED:
            t.add("warranty_approved_value", c.store_id, c.decided_at, c.approved_amount or ZERO)
        if c.state in DECIDED:
            t.add("warranty_decided_approved", c.store_id, c.decided_at, c.approved_amount or ZERO)
            t.add("warranty_decided_claimed", c.store_id, c.decided_at, c.amount)
        for p in c.payments:
            t.add("warranty_paid_value", c.store_id, p.received_at, p.amount)
    for c in insurance:
        t.add("insurance_claims_opened", c.store_id, c.opened_at, 1)
        t.add("insurance_claim_value", c.store_id, c.approved_at, c.approved_amount or ZERO)
        for p in c.payments:
            t.add("insurance_paid_value", c.store_id, p.received_at, p.amount)
    out: list[Figure] = []
    for s in stores:
        for start in sorted(t.starts):
            out += [total(kpi, s, start, money(t(kpi, s, start)) if unit is CNY else t(kpi, s, start), unit=unit)
                    for kpi, unit in SUMS]
            out.append(ratio("warranty_approval_rate", s, start, t("warranty_decided_approved", s, start),
                             t("warranty_decided_claimed", s, start)))
    return out
