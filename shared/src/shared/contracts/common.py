"""Value types shared by several event payloads."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema


class PayType(StrEnum):
    """Who pays for a job line: the customer, warranty (a claim, 索赔), an insurer, or the store."""

    CUSTOMER = "customer"
    WARRANTY = "warranty"
    INSURANCE = "insurance"
    INTERNAL = "internal"


def _no_offset(t: time) -> time:
    if t.tzinfo is not None:
        raise ValueError("a time of day on the store's clock takes no offset (08:30, not 08:30+08:00)")
    return t


LocalTime = Annotated[time, AfterValidator(_no_offset), WithJsonSchema({
    "type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$", "examples": ["08:30:00"],
    "description": "A time of day on the store's clock (its time zone), without an offset"})]
"""A wall-clock time of day ("08:30:00"). JSON Schema's `format: time` (RFC 3339) would require an offset,
which a store's opening hour does not have: it is local to the store's time zone."""


class Line(BaseModel):
    """Base of the value lines inside payloads: immutable, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class PartLine(Line):
    """A part number and quantity, with its unit price where known.

    Used by reservations, shortages, issues, returns, receipts, operation-code kits, counts and write-offs.
    """

    part_no: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal | None = None


class RequestedJob(Line):
    """A job asked for at booking: a labour operation code or the customer's words."""

    operation_code: str | None = None
    description: str = Field(min_length=1, max_length=500)
    flat_rate_hours: Decimal | None = Field(default=None, ge=0)


class RepairJob(Line):
    """One job on a repair order, with who pays for it (pay type), its hours, labour amount and parts.

    Carries the labour operation code where there is one and whether the job is safety-related.
    """

    job_id: str
    operation_code: str | None = None
    description: str
    pay_type: PayType
    flat_rate_hours: Decimal = Field(ge=0)
    labour_amount: Decimal = Field(default=Decimal("0"), ge=0)
    parts: list[PartLine] = Field(default_factory=list)
    safety_related: bool = False
