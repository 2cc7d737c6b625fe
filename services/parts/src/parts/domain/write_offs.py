"""Write-off (报损) of damaged, defective or obsolete parts that cannot be claimed, returned or repaired.

Confirmed jointly by the service manager, the warranty supervisor and the parts manager, and filed
quarterly. Damage caused by a person is not written off: that person is charged. The loss is shared
70% by the company and 10% each by the service manager, the parts manager and the storekeeper.

Rounding rule: each person's 10% share is rounded half-up to the fen (0.01 CNY); the company's share
is the value less the three personal shares, so the four shares always add up to the value exactly.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field
from shared.contracts import parts as ev
from shared.contracts.common import PartLine
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .money import money

PERSONAL_SHARE = Decimal("0.10")


class Approver(StrEnum):
    SERVICE_MANAGER = "service_manager"
    WARRANTY_SUPERVISOR = "warranty_supervisor"
    PARTS_MANAGER = "parts_manager"


class Reason(StrEnum):
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    OBSOLETE = "obsolete"


class Cause(StrEnum):
    """What caused the loss: a person's handling (that person is charged, no write-off), or not."""

    PERSON = "person"
    NATURAL = "natural"
    SUPPLIER = "supplier"
    OBSOLESCENCE = "obsolescence"


class WriteOffState(StrEnum):
    PROPOSED = "proposed"
    WRITTEN_OFF = "written_off"


def split_loss(value: Decimal) -> dict[str, Decimal]:
    """The 70/10/10/10 split of a written-off value, to the fen (rounding rule in the module docstring)."""
    personal = money(value * PERSONAL_SHARE)
    shares = {"service_manager": personal, "parts_manager": personal, "storekeeper": personal}
    return {"company": money(value) - 3 * personal, **shares}


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


class WriteOffLine(BaseModel):
    part_no: str
    quantity: Decimal = Field(gt=0)
    unit_cost: Decimal = Decimal(0)


class WriteOff(Aggregate):
    kind: ClassVar[str] = "write_off"
    TRANSITIONS: ClassVar[dict[str, set]] = {"approve": {WriteOffState.PROPOSED}}

    reason: Reason
    cause: Cause
    description: str
    lines: list[WriteOffLine]
    quarter: str
    approvals: dict[str, str] = Field(default_factory=dict)
    state: WriteOffState = WriteOffState.PROPOSED
    value: Decimal = Decimal(0)
    shares: dict[str, Decimal] = Field(default_factory=dict)
    written_off_at: datetime | None = None

    @classmethod
    def propose(cls, *, id: str, dealer_group_id: str, store_id: str, reason: Reason, cause: Cause,
                description: str, lines: list[WriteOffLine], cannot_claim_return_or_repair: bool,
                today: date) -> WriteOff:
        if cause is Cause.PERSON:
            raise DomainError("damage caused by a person is not written off: charge that person",
                              field="cause")
        if not cannot_claim_return_or_repair:
            raise DomainError("only parts that cannot be claimed, returned or repaired are written off",
                              field="cannot_claim_return_or_repair")
        if not lines:
            raise DomainError("a write-off needs at least one line", field="lines")
        return cls(id=id, dealer_group_id=dealer_group_id, store_id=store_id, reason=reason, cause=cause,
                   description=description, lines=lines, quarter=quarter_of(today))

    def approve(self, as_: Approver, user_id: str) -> bool:
        """One of the three approvals; answers whether all three are now in."""
        self.require("approve")
        if as_.value in self.approvals:
            raise Conflict(f"the {as_.value.replace('_', ' ')} has already approved", field="approver")
        self.approvals[as_.value] = user_id
        self.changed()
        return self.fully_approved

    @property
    def fully_approved(self) -> bool:
        return set(self.approvals) == {a.value for a in Approver}

    def written_off(self, costs: dict[str, Decimal], at: datetime) -> None:
        if not self.fully_approved:
            missing = sorted({a.value for a in Approver} - set(self.approvals))
            raise Conflict(f"a write-off needs all three approvals; missing: {', '.join(missing)}", field="approvals")
        for ln in self.lines:
            ln.unit_cost = costs[ln.part_no]
        self.value = money(sum((ln.quantity * ln.unit_cost for ln in self.lines), Decimal(0)))
        self.shares = split_loss(self.value)
        self.state, self.written_off_at = WriteOffState.WRITTEN_OFF, at
        self.changed()
        self.raise_event(ev.PartsWrittenOffV2(
            write_off_id=self.id, quarter=self.quarter, reason=self.reason.value, cause=self.cause.value,
            value=self.value, split=ev.LossSplit(**self.shares), approvals=dict(self.approvals),
            lines=[PartLine(part_no=ln.part_no, quantity=ln.quantity, unit_price=ln.unit_cost) for ln in self.lines]))
