"""Commands reception accepts (what the API's request bodies are).

Ids the path names (`/repair-orders/{ro_id}/open`) are fields left out of the body's schema; the
route sets them with `body.bind(repair_order_id=ro_id)`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from shared.contracts.common import PayType
from shared.kit import CommandBody

from ..domain.appointment import PartsDecision, Party
from ..domain.repair_order import DamageMark, InspectionItem, OldParts, PaymentMethod, SpareTyre, Transport


class PartRequest(CommandBody):
    part_no: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0, le=10000)
    unit_price: Decimal | None = Field(default=None, ge=0)


class JobRequest(CommandBody):
    """A job: an operation code from workshop's catalogue, or the customer's words with hours."""

    operation_code: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=500)
    flat_rate_hours: Decimal | None = Field(default=None, le=1000)
    pay_type: PayType | None = None
    parts: list[PartRequest] | None = Field(default=None, description="Default: the operation's parts kit")
    safety_related: bool = False
    first_service: bool = Field(default=False, description="The first scheduled service (首保): free to the customer")


class MaterialRequest(CommandBody):
    description: str = Field(min_length=1, max_length=200)
    amount: Decimal = Field(ge=0, le=1_000_000)
    pay_type: PayType = PayType.CUSTOMER


class SignatureIn(CommandBody):
    name: str = Field(min_length=1, max_length=100)
    image_ref: str = Field(min_length=1, max_length=500, description="Reference of the signature image")


class NewCustomer(CommandBody):
    name: str = Field(min_length=1, max_length=200)
    phones: list[str] = Field(min_length=1, max_length=5)
    kind: str = Field(default="person", pattern="^(person|company)$")


class NewVehicle(CommandBody):
    plate: str | None = Field(default=None, max_length=20)
    model: str | None = Field(default=None, max_length=100)


class FirstVisit(CommandBody):
    customer: NewCustomer
    vehicle: NewVehicle = NewVehicle()


class CheckIn(CommandBody):
    """The check-in sheet (接车登记表) as the advisor fills it in at the walk-around."""

    store_id: str = Field(min_length=1, max_length=64)
    vehicle_id: str | None = Field(default=None, max_length=64)
    first_visit: FirstVisit | None = Field(default=None, description="For a car crm does not know yet")
    appointment_id: str | None = Field(default=None, max_length=64)
    vin: str = Field(min_length=1, max_length=32, description="As read off the car")
    plate: str | None = Field(default=None, max_length=20)
    confirm_plate_change: bool = Field(default=False, description="The plate differs from the vehicle's record "
                                       "and the advisor checked it: record it (otherwise 409 naming plate)")
    odometer_km: int = Field(ge=0, le=5_000_000)
    fuel_level: Decimal | None = Field(default=None, ge=0, le=1)
    covers_fitted: bool = Field(description="Seat, steering wheel and floor mat covers (三件套)")
    damage_marks: list[DamageMark] = Field(default_factory=list, max_length=100)
    spare_tyre: SpareTyre = SpareTyre.NOT_CHECKED
    valuables: list[str] = Field(default_factory=list, max_length=50)
    customer_complaint: str = Field(min_length=1, max_length=2000)
    inspection: list[InspectionItem] = Field(default_factory=list, max_length=200)


class OpenOrder(CommandBody):
    """The repair order (任务委托书) the customer signs."""

    repair_order_id: SkipJsonSchema[str] = ""
    version: int
    jobs: list[JobRequest] = Field(min_length=1, max_length=100)
    materials: list[MaterialRequest] = Field(default_factory=list, max_length=100)
    payment_method: PaymentMethod
    old_parts: OldParts
    wash: bool = False
    transport: Transport = Transport.WAITS
    signature: SignatureIn
    promised_at: datetime | None = Field(default=None, description="Default: from the hours and the shop's load")
    comeback_of: str | None = Field(default=None, max_length=64, description="The earlier order this comes back on")


class Decision(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"


class DecideAddedWork(CommandBody):
    repair_order_id: SkipJsonSchema[str] = ""
    finding_id: SkipJsonSchema[str] = ""
    version: int
    decision: Decision
    pay_type: PayType = PayType.CUSTOMER
    flat_rate_hours: Decimal | None = Field(default=None, le=1000)
    parts: list[PartRequest] | None = None
    signature: SignatureIn | None = Field(default=None, description="Required to decline a safety-related item")


class InvoiceOrder(CommandBody):
    repair_order_id: SkipJsonSchema[str] = ""
    version: int


class DeliverVehicle(CommandBody):
    repair_order_id: SkipJsonSchema[str] = ""
    version: int
    odometer_out_km: int | None = Field(default=None, ge=0, le=5_000_000)


class CancelOrder(CommandBody):
    repair_order_id: SkipJsonSchema[str] = ""
    version: int
    reason: str = Field(min_length=1, max_length=500)


class BookAppointment(CommandBody):
    store_id: str = Field(min_length=1, max_length=64)
    vehicle_id: str = Field(min_length=1, max_length=64)
    slot_start: datetime
    slot_end: datetime | None = Field(default=None, description="Default: one hour after the start")
    jobs: list[JobRequest] = Field(min_length=1, max_length=50)
    parts_decision: PartsDecision | None = Field(default=None, description="When a part is missing: wait or rebook")
    parts_expected_on: date | None = None


class Reschedule(CommandBody):
    appointment_id: SkipJsonSchema[str] = ""
    version: int
    slot_start: datetime
    slot_end: datetime | None = None


class Confirm(CommandBody):
    appointment_id: SkipJsonSchema[str] = ""
    version: int
    party: Party


class CancelAppointment(CommandBody):
    appointment_id: SkipJsonSchema[str] = ""
    version: int
    reason: str = Field(min_length=1, max_length=500)


class MarkNoShow(CommandBody):
    appointment_id: SkipJsonSchema[str] = ""
    version: int


class StoreSettingsIn(CommandBody):
    store_id: SkipJsonSchema[str] = ""
    labour_rate: Decimal = Field(ge=0, le=100_000)
    tax_rate: Decimal = Field(ge=0, le=1)
    comeback_days: int = Field(ge=0, le=365)
    service_interval_months: int = Field(ge=1, le=60)
    service_interval_km: int = Field(ge=100, le=100_000)
