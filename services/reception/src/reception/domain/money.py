"""Money is Decimal, rounded half-up to the fen (0.01 CNY) once per line; totals add rounded lines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def total(amounts) -> Decimal:
    return money(sum((Decimal(a) for a in amounts), ZERO))
