"""Commands crm accepts: the request bodies of its command routes. Ids the path names are fields
the route fills in with `body.bind(...)`; they are not part of the body's schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from shared.contracts.crm import CustomerKind
from shared.kit import CommandBody

PathId = SkipJsonSchema[str]


class Versioned(CommandBody):
    version: int = Field(ge=1, description="The version you read; a stale one is refused with 409")


# -- customers and vehicles ------------------------------------------------------------------
class CustomerCreate(CommandBody):
    store_id: str = Field(min_length=1, max_length=64, description="The customer's home store")
    kind: CustomerKind = CustomerKind.PERSON
    name: str = Field(min_length=1, max_length=200)
    phones: list[str] = Field(min_length=1, max_length=5)
    contact_window: str | None = Field(default=None, max_length=100, examples=["09:00-11:30"])
    consent_to_call: bool = True


class VehicleDetails(CommandBody):
    """What the dealer records about a vehicle besides its VIN and owner."""

    plate: str | None = Field(default=None, max_length=20)
    model: str | None = Field(default=None, max_length=100)
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = Field(default=None, ge=0, le=20)
    warranty_km: int | None = Field(default=None, ge=0)
    insurance_expiry: date | None = None
    insurer: str | None = Field(default=None, max_length=100)
    insurance_policy_no: str | None = Field(default=None, max_length=64)


class VehicleCreate(VehicleDetails):
    store_id: str = Field(min_length=1, max_length=64)
    vin: str = Field(min_length=1, max_length=32, description="17 characters, no I/O/Q; check digit verified")
    owner_customer_id: str = Field(min_length=1, max_length=64)
    odometer_km: int | None = Field(default=None, ge=0)
    warranty_prewarning: bool = False


class Correction(Versioned):
    """A PATCH: only the fields sent change; the ones that cannot be blanked ignore a null."""

    PATH_IDS: ClassVar[frozenset[str]] = frozenset()
    NOT_BLANK: ClassVar[frozenset[str]] = frozenset({"name", "phones", "kind", "consent_to_call",
                                                     "warranty_prewarning"})

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True, exclude={"version", *self.PATH_IDS})
        return {k: v for k, v in sent.items() if not (k in self.NOT_BLANK and v is None)}


class CustomerUpdate(Correction):
    customer_id: PathId = ""
    PATH_IDS = frozenset({"customer_id"})

    kind: CustomerKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phones: list[str] | None = Field(default=None, min_length=1, max_length=5)
    contact_window: str | None = Field(default=None, max_length=100)
    consent_to_call: bool | None = None


class VehicleUpdate(Correction, VehicleDetails):
    vehicle_id: PathId = ""
    PATH_IDS = frozenset({"vehicle_id"})

    warranty_prewarning: bool | None = None


class OwnerChange(Versioned):
    vehicle_id: PathId = ""
    new_owner_customer_id: str = Field(min_length=1, max_length=64)


class OdometerReadingCreate(CommandBody):
    vehicle_id: PathId = ""
    read_on: date
    km: int = Field(ge=0, le=5_000_000)
    version: int | None = Field(default=None, ge=1, description="Optional: refuse if the vehicle changed since")


# -- follow-ups ------------------------------------------------------------------------------
class AttemptCreate(Versioned):
    follow_up_id: PathId = ""
    outcome: str = Field(description="no_answer, call_back_later, wrong_number, details_mismatch, refused")
    called_at: datetime | None = Field(default=None, description="When the call was made; default now")
    note: str | None = Field(default=None, max_length=2000)


class FollowUpFail(Versioned):
    follow_up_id: PathId = ""
    reason: str = Field(description="wrong_number, details_mismatch, refused, or no_answer (after calls "
                                    "unanswered in ≥3 different windows)")


class FollowUpRetry(Versioned):
    follow_up_id: PathId = ""


class ComplaintRaised(CommandBody):
    severity: str = Field(description="grumble, general, medium, severe")
    summary: str = Field(min_length=1, max_length=4000)


class FollowUpComplete(Versioned):
    follow_up_id: PathId = ""
    called_at: datetime | None = None
    satisfaction: int = Field(ge=1, le=5)
    answers: dict[str, int] = Field(default_factory=dict, description="Per question, 1-5")
    comments: str | None = Field(default=None, max_length=4000)
    next_service_date: date | None = Field(default=None, description="Default: the date given at delivery")
    complaint: ComplaintRaised | None = None


# -- complaints ------------------------------------------------------------------------------
class ComplaintCreate(CommandBody):
    store_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64)
    vehicle_id: str | None = Field(default=None, max_length=64)
    repair_order_id: str | None = Field(default=None, max_length=64)
    channel: str = Field(description="phone, follow_up_call, in_person, letter, email, website, social_media, "
                                     "wechat, government")
    severity: str = Field(description="grumble, general, medium, severe")
    summary: str = Field(min_length=1, max_length=4000)


class ComplaintCommand(Versioned):
    complaint_id: PathId = ""


class ComplaintAssign(ComplaintCommand):
    department: str = Field(min_length=1, max_length=100)
    deadline: datetime


class ComplaintResolve(ComplaintCommand):
    remedy: str = Field(min_length=1, max_length=4000)


class ComplaintClose(ComplaintCommand):
    customer_confirmed: bool = Field(description="The customer confirmed the complaint is resolved; without it the "
                                     "ticket stays resolved (409 listing what is missing)")


class ComplaintReopen(ComplaintCommand):
    reason: str = Field(min_length=1, max_length=2000)


# -- call tasks and reminders ----------------------------------------------------------------
class CallTaskDone(Versioned):
    task_id: PathId = ""
    outcome: str = Field(description="reached, no_answer, wrong_number, refused_contact")
    reason: str | None = Field(default=None, max_length=2000, description="Lapsed customers: why they stayed away")
    note: str | None = Field(default=None, max_length=2000)


class ReminderRun(CommandBody):
    run_date: date | None = Field(default=None, alias="date",
                                  description="The day to run for; default today by the service clock")
    store_id: str | None = Field(default=None, max_length=64)
