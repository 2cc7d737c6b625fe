"""The labour operation catalogue (工时项目 / operation codes): canned jobs with their flat-rate hours."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field
from shared.contracts.common import PartLine, PayType
from shared.contracts.workshop import LabourOperationDefined
from shared.kit import Aggregate

from .shop import Skill


class LabourOperation(Aggregate):
    """An operation code of a store: name, flat-rate (billed) hours, required skill, default pay type,
    the manufacturer's code and the parts kit. Every change is published for reception's estimates."""

    kind: ClassVar[str] = "labour operation"

    operation_code: str
    description: str
    flat_rate_hours: Decimal = Field(ge=0)
    skill: Skill
    oem_code: str | None = None
    default_pay_type: PayType = PayType.CUSTOMER
    parts_kit: list[PartLine] = Field(default_factory=list)

    @staticmethod
    def id_for(dealer_group_id: str, store_id: str, code: str) -> str:
        return f"{dealer_group_id}:{store_id}:{code}"

    def define(self) -> None:
        """Publish the operation as it now stands (on creation and on every change)."""
        self.raise_event(LabourOperationDefined(
            operation_code=self.operation_code, description=self.description, flat_rate_hours=self.flat_rate_hours,
            skill=self.skill.value, oem_code=self.oem_code, default_pay_type=self.default_pay_type,
            parts_kit=self.parts_kit))
