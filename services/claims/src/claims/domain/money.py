"""Money as reception prices it (reception/domain/pricing.py): Decimal, rounded half-up to the fen once per
line; totals add rounded lines. A warranty line's claim amount is the labour amount reception puts on the
job (flat-rate hours × the store's labour rate, rounded) plus each part's quantity × unit price, rounded per
part: exactly what reception's settlement sheet invoices to the manufacturer for that job."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return money(sum((Decimal(a) for a in amounts), ZERO))
