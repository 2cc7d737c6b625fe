"""Money and quantities are Decimal. Money is rounded half-up to the fen (0.01 CNY); unit costs to 4 places."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UNIT_COST = Decimal("0.0001")
ZERO = Decimal("0")


def money(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_cost(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(UNIT_COST, rounding=ROUND_HALF_UP)


def moving_average_cost(on_hand: Decimal, cost: Decimal, received: Decimal, received_cost: Decimal) -> Decimal:
    """Moving-average cost (移动加权平均): the value on hand plus the value received, over the new quantity.

    With nothing (or less than nothing) on hand, the received cost is the new cost."""
    if on_hand <= 0:
        return unit_cost(received_cost)
    return unit_cost((on_hand * cost + received * received_cost) / (on_hand + received))
