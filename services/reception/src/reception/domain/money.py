"""Money is Decimal in CNY. The one rounding rule: each line (hours × rate, quantity × price, a material, the
tax) is rounded half-up to the fen (0.01) once, where it is made; every total is the plain sum of the rounded
lines it shows, so a sheet always adds up to the cent."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(x: Decimal | int | str) -> Decimal:
    """A line's amount: half-up to the fen (0.005 → 0.01)."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def total(lines: Iterable[Decimal]) -> Decimal:
    """The sum of rounded lines (a line not yet rounded is rounded first; rounding a rounded line changes
    nothing), never a rounded sum of unrounded amounts."""
    return sum((money(a) for a in lines), ZERO)
