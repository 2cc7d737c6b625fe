"""Receivables (应收账款): what the manufacturer and the insurers owe the store, aged and chased.

An ageing list puts each open amount in a bucket by days since it became due; the insurers' weekly chase
list (每周催收) orders them by insurer and age.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from .money import ZERO, total

BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("over-90", 91, None))


class Receivable(BaseModel):
    """One open amount: whose claim, who owes it, how much is still open, since when."""

    claim_id: str
    reference: str
    debtor: str
    store_id: str
    outstanding: Decimal
    since: date
    age_days: int = 0
    bucket: str = ""


class AgeingBucket(BaseModel):
    bucket: str
    count: int
    amount: Decimal


class Ageing(BaseModel):
    as_of: date
    total: Decimal
    buckets: list[AgeingBucket]
    items: list[Receivable]


def bucket_of(age_days: int) -> str:
    for name, low, high in BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return name
    return BUCKETS[0][0]  # dated in the future: current


def aged(items: Iterable[Receivable], today: date) -> list[Receivable]:
    """Open items with their age and bucket, oldest first; settled ones are left out."""
    out = []
    for r in items:
        if r.outstanding <= ZERO:
            continue
        age = max((today - r.since).days, 0)
        out.append(r.model_copy(update={"age_days": age, "bucket": bucket_of(age)}))
    return sorted(out, key=lambda r: (-r.age_days, r.reference))


def ageing(items: Iterable[Receivable], today: date) -> Ageing:
    """The ageing list: totals per bucket and the items, oldest first."""
    items = aged(items, today)
    buckets = [AgeingBucket(bucket=name, count=sum(1 for r in items if r.bucket == name),
                            amount=total(r.outstanding for r in items if r.bucket == name)) for name, _, _ in BUCKETS]
    return Ageing(as_of=today, total=total(r.outstanding for r in items), buckets=buckets, items=items)


class ChaseGroup(BaseModel):
    debtor: str
    total: Decimal
    oldest_days: int
    items: list[Receivable]


def chase_list(items: Iterable[Receivable], today: date, *, min_age_days: int = 7) -> list[ChaseGroup]:
    """The weekly chase list: open amounts at least a week old, by debtor (largest first), oldest item first."""
    groups: dict[str, list[Receivable]] = {}
    for r in aged(items, today):
        if r.age_days >= min_age_days:
            groups.setdefault(r.debtor, []).append(r)
    out = [ChaseGroup(debtor=d, total=total(r.outstanding for r in rs), oldest_days=rs[0].age_days, items=rs)
           for d, rs in groups.items()]
    return sorted(out, key=lambda g: (-g.total, g.debtor))
