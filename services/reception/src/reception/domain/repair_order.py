"""The repair order (任务委托书 / 维修工单): check-in, the signed order, added work, settlement, delivery.

States: checked_in (接车: the walk-around is on the check-in sheet) → open (the customer signed the
jobs) → invoiced (结算) → delivered (交车); checked_in or open → cancelled. Any other move is refused
with the current state. Workshop and parts facts (jobs completed, inspections, wash, parts issued)
are recorded on the order as they arrive; they do not change its version, which counts the
advisor's changes to the document the customer signed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field
from shared.contracts import reception as ev
from shared.contracts.common import PartLine, PayType
from shared.contracts.workshop import InspectionStage
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .pricing import DeclinedWork, Job, Material, Model, PartItem, SettlementSheet, Signature


class RoState(StrEnum):
    CHECKED_IN = "checked_in"
    OPEN = "open"
    INVOICED = "invoiced"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# command -> states it is allowed in
ALLOWED: dict[str, frozenset[RoState]] = {
    "open": frozenset({RoState.CHECKED_IN}),
    "decide added work": frozenset({RoState.OPEN}),
    "record added work": frozenset({RoState.OPEN}),
    "invoice": frozenset({RoState.OPEN}),
    "deliver": frozenset({RoState.INVOICED}),
    "cancel": frozenset({RoState.CHECKED_IN, RoState.OPEN}),
}


class BodyZone(StrEnum):
    """Walk-around zones, clockwise from the left front door (左车门顺时针)."""

    LEFT_FRONT_DOOR = "left_front_door"
    LEFT_REAR_DOOR = "left_rear_door"
    LEFT_REAR_WING = "left_rear_wing"
    REAR_BUMPER = "rear_bumper"
    BOOT = "boot"
    RIGHT_REAR_WING = "right_rear_wing"
    RIGHT_REAR_DOOR = "right_rear_door"
    RIGHT_FRONT_DOOR = "right_front_door"
    RIGHT_FRONT_WING = "right_front_wing"
    FRONT_BUMPER = "front_bumper"
    BONNET = "bonnet"
    LEFT_FRONT_WING = "left_front_wing"
    ROOF = "roof"
    WINDSCREEN = "windscreen"
    WHEELS = "wheels"
    INTERIOR = "interior"


class Rating(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class DamageMark(Model):
    zone: BodyZone
    kind: str = Field(min_length=1, max_length=40, examples=["scratch", "dent", "crack"])
    note: str | None = Field(default=None, max_length=500)
    photo_refs: list[str] = Field(default_factory=list, max_length=20)


class InspectionItem(Model):
    item: str = Field(min_length=1, max_length=100, examples=["brake pads", "engine oil", "tyres"])
    rating: Rating
    note: str | None = Field(default=None, max_length=500)
    photo_refs: list[str] = Field(default_factory=list, max_length=20)


class SpareTyre(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    NOT_CHECKED = "not_checked"


class PlateMismatch(Model):
    """The plate on the car differs from the vehicle's record; the advisor confirmed the change."""

    on_record: str
    at_check_in: str


class CheckInSheet(Model):
    """The check-in sheet (接车登记表 / 预检表)."""

    plate: str | None = None
    plate_mismatch: PlateMismatch | None = None
    vin: str
    odometer_km: int = Field(ge=0)
    fuel_level: Decimal | None = Field(default=None, ge=0, le=1)
    covers_fitted: bool
    damage_marks: list[DamageMark] = Field(default_factory=list)
    spare_tyre: SpareTyre = SpareTyre.NOT_CHECKED
    valuables: list[str] = Field(default_factory=list)
    customer_complaint: str = Field(min_length=1, max_length=2000)
    inspection: list[InspectionItem] = Field(default_factory=list)
    checked_in_at: datetime


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    TRANSFER = "transfer"
    ON_ACCOUNT = "on_account"


class OldParts(StrEnum):
    """What happens to replaced parts (旧件)."""

    CUSTOMER_KEEPS = "customer_keeps"
    STORE_KEEPS = "store_keeps"


class Transport(StrEnum):
    WAITS = "waits"
    LOANER = "loaner"
    LEAVES = "leaves"


class FindingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Finding(Model):
    """Added work found during repair (增项), awaiting the customer's decision."""

    finding_id: str
    description: str
    safety_related: bool = False
    operation_code: str | None = None
    estimated_hours: Decimal = Field(default=Decimal(0), ge=0)
    parts: list[PartItem] = Field(default_factory=list)
    found_at: datetime
    status: FindingStatus = FindingStatus.PENDING
    job_id: str | None = None
    decline_signature: Signature | None = None
    estimated_amount: Decimal = Decimal(0)


CHECKS: tuple[InspectionStage, ...] = (InspectionStage.SELF, InspectionStage.TEAM_LEADER, InspectionStage.FINAL)


def missing_checks(job: Job) -> list[InspectionStage]:
    """The stages of the three checks (三检) the job has still to pass, in order."""
    return list(CHECKS[len(job.checks_passed):]) if job.checks_passed == list(CHECKS[:len(job.checks_passed)]) \
        else list(CHECKS)


def next_check(job: Job) -> InspectionStage | None:
    todo = missing_checks(job)
    return todo[0] if todo else None


class PartAvailability(Model):
    """Where a part of the order stands in the parts room: held on the reserved shelf, or short (on order)
    with its expected arrival."""

    part_no: str
    status: str = Field(description="reserved (on hand, held for this order) or short (on order)")
    quantity: Decimal
    quantity_short: Decimal = Decimal(0)
    expected_arrival: date | None = None


class RepairOrder(Aggregate):
    kind: ClassVar[str] = "repair order"
    TRANSITIONS: ClassVar[dict[str, frozenset[RoState]]] = ALLOWED

    id: str
    dealer_group_id: str
    store_id: str
    vehicle_id: str
    customer_id: str
    advisor_id: str
    appointment_id: str | None = None
    state: RoState = RoState.CHECKED_IN
    version: int = 1
    check_in: CheckInSheet
    number: str | None = None
    jobs: list[Job] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    payment_method: PaymentMethod | None = None
    old_parts: OldParts | None = None
    wash: bool = False
    transport: Transport | None = None
    signature: Signature | None = None
    opened_at: datetime | None = None
    promised_at: datetime | None = None
    estimate_version: int = 0
    comeback_of: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    final_inspection_passed: bool = Field(default=False, description="Every job passed all three checks (三检) "
                                                                      "in order, the final one last")
    washed: bool = False
    parts_issued: dict[str, Decimal] = Field(default_factory=dict)
    parts_availability: dict[str, PartAvailability] = Field(default_factory=dict)
    invoice_number: str | None = None
    invoiced_at: datetime | None = None
    settlement: SettlementSheet | None = None
    gate_pass: str | None = None
    delivered_at: datetime | None = None
    odometer_out_km: int | None = None
    next_service_date: date | None = Field(default=None, description="Told the customer at delivery (下次保养时间)")
    next_service_km: int | None = Field(default=None, description="Told the customer at delivery (下次保养里程)")
    cancel_reason: str | None = None

    # -- helpers -----------------------------------------------------------------------------
    def job(self, job_id: str) -> Job | None:
        return next((j for j in self.jobs if j.job_id == job_id), None)

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.finding_id == finding_id), None)

    @property
    def declined_work(self) -> list[DeclinedWork]:
        return [DeclinedWork(finding_id=f.finding_id, description=f.description, safety_related=f.safety_related,
                             estimated_amount=f.estimated_amount, signature=f.decline_signature)
                for f in self.findings if f.status is FindingStatus.DECLINED]

    @property
    def open_hours(self) -> Decimal:
        """Labour hours still to do: the order's share of the shop's load."""
        return sum((j.flat_rate_hours for j in self.jobs if not j.completed), Decimal(0))

    # -- check-in ----------------------------------------------------------------------------
    @classmethod
    def check_in_vehicle(cls, *, id: str, dealer_group_id: str, store_id: str, vehicle_id: str, customer_id: str,
                         advisor_id: str, sheet: CheckInSheet, appointment_id: str | None = None,
                         last_odometer_km: int | None = None, history: list[RepairOrder] = ()) -> RepairOrder:
        """Receive the car (接车): covers on (三件套), walk-around recorded on the sheet. Refused while the vehicle
        has an order checked in or open, and for an odometer below the highest reading known (crm's, or one
        taken at an earlier order of the vehicle)."""
        if not sheet.covers_fitted:
            raise DomainError("protective covers (seat, steering wheel, floor mat) must be fitted before the "
                              "walk-around", field="covers_fitted")
        refuse_second_order(history)
        highest, where = highest_odometer(last_odometer_km, history)
        if highest is not None and sheet.odometer_km < highest:
            raise DomainError(f"odometer {sheet.odometer_km} km is below the last recorded {highest} km ({where})",
                              field="odometer_km", last_odometer_km=highest)
        ro = cls(id=id, dealer_group_id=dealer_group_id, store_id=store_id, vehicle_id=vehicle_id,
                 customer_id=customer_id, advisor_id=advisor_id, appointment_id=appointment_id, check_in=sheet)
        ro.raise_event(ev.VehicleCheckedIn(
            repair_order_id=id, vehicle_id=vehicle_id, customer_id=customer_id, odometer_km=sheet.odometer_km,
            fuel_level=sheet.fuel_level, appointment_id=appointment_id))
        return ro

    # -- the signed order --------------------------------------------------------------------
    def open(self, *, number: str, jobs: list[Job], materials: list[Material], payment_method: PaymentMethod,
             old_parts: OldParts, wash: bool, transport: Transport, signature: Signature, promised_at: datetime,
             now: datetime, comeback_of: str | None = None) -> None:
        """The customer signs the order (任务委托书): jobs with pay types, and the terms."""
        self.require("open")
        if not jobs:
            raise DomainError("a repair order needs at least one job", field="jobs")
        if promised_at.tzinfo is None:
            raise DomainError("the promised time needs a time zone", field="promised_at")
        if promised_at < now:
            raise DomainError("the promised time is in the past", field="promised_at")
        self.number, self.jobs, self.materials = number, jobs, materials
        self.payment_method, self.old_parts, self.wash, self.transport = payment_method, old_parts, wash, transport
        self.signature, self.promised_at, self.opened_at = signature, promised_at, now
        self.comeback_of = comeback_of
        self.estimate_version = 1
        self.state = RoState.OPEN
        self.changed()
        self.raise_event(ev.RepairOrderOpened(
            repair_order_id=self.id, number=number, vehicle_id=self.vehicle_id, customer_id=self.customer_id,
            advisor_id=self.advisor_id, promised_at=promised_at, jobs=[j.to_contract() for j in jobs], wash=wash,
            transport=transport.value, comeback_of=comeback_of))

    def records_kept(self, *, walk_in_customer_id: str, customer_id: str, walk_in_vehicle_id: str,
                     vehicle_id: str) -> bool:
        """crm already had the walk-in's customer or vehicle (WalkInMatched): the order names crm's records from
        now on. False when the order names other records (not this walk-in's, or already re-pointed)."""
        if (self.customer_id, self.vehicle_id) != (walk_in_customer_id, walk_in_vehicle_id):
            return False
        self.customer_id, self.vehicle_id = customer_id, vehicle_id
        self.changed()
        return True

    # -- added work (增项) ---------------------------------------------------------------------
    def record_finding(self, finding: Finding) -> bool:
        """Workshop found new work; False when this finding is already recorded."""
        self.require("record added work")
        if self.finding(finding.finding_id):
            return False
        self.findings.append(finding)
        return True

    def _pending(self, finding_id: str) -> Finding:
        self.require("decide added work")
        f = self.finding(finding_id)
        if f is None:
            raise DomainError(f"repair order has no added work {finding_id}", field="finding_id")
        if f.status is not FindingStatus.PENDING:
            raise Conflict(f"added work {finding_id} was already {f.status.value}", current_state=f.status.value)
        return f

    def approve_added_work(self, finding_id: str, job: Job) -> None:
        """The customer approved: the job joins the order and the estimate gets a new version."""
        f = self._pending(finding_id)
        f.status, f.job_id = FindingStatus.APPROVED, job.job_id
        f.estimated_amount = job.labour_amount + job.parts_amount
        self.jobs.append(job.model_copy(update={"completed": False, "checks_passed": []}))
        self._checks_changed()
        self.estimate_version += 1
        self.changed()
        self.raise_event(ev.AdditionalWorkApproved(repair_order_id=self.id, finding_id=finding_id,
                                                      job=job.to_contract(), estimate_version=self.estimate_version))

    def decline_added_work(self, finding_id: str, *, estimated_amount: Decimal,
                           signature: Signature | None) -> None:
        """The customer declined. A declined safety item needs the customer's signed decline."""
        f = self._pending(finding_id)
        if f.safety_related and signature is None:
            raise DomainError("declining a safety-related item needs the customer's signature", field="signature")
        f.status, f.decline_signature, f.estimated_amount = FindingStatus.DECLINED, signature, estimated_amount
        self.changed()
        self.raise_event(ev.AdditionalWorkDeclined(
            repair_order_id=self.id, finding_id=finding_id, description=f.description,
            safety_related=f.safety_related, declined_signature_ref=signature.image_ref if signature else None))

    # -- workshop and parts facts -----------------------------------------------------------
    def job_completed(self, job_id: str) -> None:
        j = self.job(job_id)
        if j is not None:
            j.completed = True

    def rework_started(self, job_id: str) -> None:
        """The job went back (返工): it is to be done again and checked again from the self-check."""
        j = self.job(job_id)
        if j is not None:
            j.completed, j.checks_passed = False, []
        self._checks_changed()

    def inspection_passed(self, stage: InspectionStage, job_id: str | None) -> bool:
        """A job passed one of the three checks (三检). A stage counts only on a completed job and only as its
        next stage (self → team leader → final); anything else is ignored (False). A final inspection of the
        whole vehicle (no job) counts for every job whose team leader's check passed; a self or team leader's
        check names its job."""
        if job_id is None:
            if stage is not InspectionStage.FINAL:
                return False
            jobs = list(self.jobs)
        else:
            j = self.job(job_id)
            jobs = [j] if j is not None else []
        counted = False
        for j in jobs:
            if j.completed and next_check(j) is stage:
                j.checks_passed.append(stage)
                counted = True
        self._checks_changed()
        return counted

    def inspection_failed(self, job_id: str | None) -> None:
        """A failed check clears the job's stages (the whole vehicle's when no job is named)."""
        for j in self.jobs:
            if job_id is None or j.job_id == job_id:
                j.checks_passed = []
        self._checks_changed()

    def _checks_changed(self) -> None:
        self.final_inspection_passed = bool(self.jobs) and all(next_check(j) is None for j in self.jobs)

    def vehicle_washed(self) -> None:
        self.washed = True

    def parts_reserved(self, lines: list[PartLine]) -> None:
        """parts held these on its reserved shelf for this order."""
        for ln in lines:
            self.parts_availability[ln.part_no] = PartAvailability(part_no=ln.part_no, status="reserved",
                                                                   quantity=ln.quantity)

    def parts_short(self, lines) -> None:
        """parts cannot cover these yet: they are on order, with their expected arrival when known."""
        for ln in lines:
            self.parts_availability[ln.part_no] = PartAvailability(
                part_no=ln.part_no, status="short", quantity=ln.quantity, quantity_short=ln.quantity_short,
                expected_arrival=ln.expected_arrival)

    def parts_moved(self, lines: list[PartLine], *, returned: bool = False) -> None:
        for ln in lines:
            q = self.parts_issued.get(ln.part_no, Decimal(0))
            self.parts_issued[ln.part_no] = q - ln.quantity if returned else q + ln.quantity

    def parts_planned(self) -> dict[str, Decimal]:
        planned: dict[str, Decimal] = {}
        for j in self.jobs:
            for p in j.parts:
                planned[p.part_no] = planned.get(p.part_no, Decimal(0)) + p.quantity
        return planned

    # -- settlement and delivery -------------------------------------------------------------
    def delivery_blockers(self) -> list[str]:
        """The internal delivery check: what still stands between this order and its invoice."""
        missing: list[str] = []
        for j in self.jobs:
            if not j.completed:
                missing.append(f"job {j.job_id} ({j.description}) not completed")
        for f in self.findings:
            if f.status is FindingStatus.PENDING:
                missing.append(f"added work {f.finding_id} ({f.description}) awaits the customer's decision")
        for j in self.jobs:
            todo = missing_checks(j)
            if todo:
                missing.append(f"job {j.job_id} ({j.description}) has not passed the "
                               f"{', '.join(s.value for s in todo)} check{'s' if len(todo) > 1 else ''} (三检)")
        planned, issued = self.parts_planned(), self.parts_issued
        for part_no in sorted(set(planned) | set(issued)):
            p, i = planned.get(part_no, Decimal(0)), issued.get(part_no, Decimal(0))
            if p != i:
                missing.append(f"part {part_no} not reconciled: {p.normalize():f} on the order, "
                               f"{i.normalize():f} issued")
        if self.wash and not self.washed:
            missing.append("wash ordered but not done")
        return missing

    def assert_invoiceable(self) -> None:
        """Invoicing before the delivery check passes is refused, listing what is missing."""
        self.require("invoice")
        missing = self.delivery_blockers()
        if missing:
            raise Conflict("repair order is not ready for invoicing", field="state", missing=missing,
                           current_state=self.state.value)

    def invoice(self, *, invoice_number: str, sheet: SettlementSheet, now: datetime) -> None:
        """Settle (结算): only when the delivery check passes; issues the invoice and the gate pass (出门证)."""
        self.assert_invoiceable()
        self.invoice_number, self.settlement, self.invoiced_at = invoice_number, sheet, now
        self.gate_pass = f"GP-{invoice_number}"
        self.state = RoState.INVOICED
        self.changed()
        self.raise_event(ev.RepairOrderInvoiced(
            repair_order_id=self.id, invoice_number=invoice_number, totals_by_pay_type=sheet.totals_by_pay_type,
            tax=sheet.tax, customer_total=sheet.customer_total))

    def deliver(self, *, now: datetime, next_service_date: date | None, next_service_km: int | None,
                odometer_out_km: int | None = None) -> None:
        """Hand the car back (交车) with the next service date and mileage."""
        self.require("deliver")
        if odometer_out_km is not None and odometer_out_km < self.check_in.odometer_km:
            raise DomainError("odometer out is below odometer in", field="odometer_out_km")
        self.delivered_at, self.odometer_out_km = now, odometer_out_km
        self.next_service_date, self.next_service_km = next_service_date, next_service_km
        self.state = RoState.DELIVERED
        self.changed()
        self.raise_event(ev.VehicleDelivered(
            repair_order_id=self.id, vehicle_id=self.vehicle_id, customer_id=self.customer_id,
            advisor_id=self.advisor_id, odometer_km=odometer_out_km or self.check_in.odometer_km,
            next_service_date=next_service_date, next_service_km=next_service_km,
            declined_work=[d.description for d in self.declined_work]))

    def cancel(self, reason: str) -> None:
        self.require("cancel")
        if any(q != 0 for q in self.parts_issued.values()):
            raise Conflict("parts were issued to this order: return them before cancelling", field="state",
                           current_state=self.state.value)
        self.state, self.cancel_reason = RoState.CANCELLED, reason
        self.changed()
        self.raise_event(ev.RepairOrderCancelled(repair_order_id=self.id, reason=reason))

    @property
    def has_first_service(self) -> bool:
        return any(j.first_service and j.pay_type is PayType.CUSTOMER for j in self.jobs)


def refuse_second_order(history: list[RepairOrder]) -> None:
    """One order at a time per vehicle: new work goes onto the order still checked in or open."""
    for ro in history:
        if ro.state in (RoState.CHECKED_IN, RoState.OPEN):
            name = ro.number or ro.id
            raise Conflict(f"the vehicle already has repair order {name} ({ro.state.value}): put the new work on "
                           "that order (each job keeps its own pay type)", field="vehicle_id",
                           open_repair_order_id=ro.id, open_repair_order_number=ro.number,
                           current_state=ro.state.value)


def highest_odometer(replica_km: int | None, history: list[RepairOrder]) -> tuple[int | None, str]:
    """The highest reading known: crm's (its replica lags a delivery just done) or one reception took itself at
    an earlier order's check-in or delivery (cancelled orders aside: their reading may be the mistake)."""
    best, where = replica_km, "crm's vehicle record"
    for ro in history:
        if ro.state is RoState.CANCELLED:
            continue
        for km in (ro.check_in.odometer_km, ro.odometer_out_km):
            if km is not None and (best is None or km > best):
                best, where = km, f"repair order {ro.number or ro.id}"
    return best, where


def normalise_plate(plate: str | None) -> str:
    return "".join(ch for ch in (plate or "").upper() if ch.isalnum())


def plate_check(seen: str | None, on_record: str | None, *, confirmed: bool) -> PlateMismatch | None:
    """A plate that differs from the vehicle's record needs the advisor's confirmation (409 naming `plate`);
    confirmed, the mismatch is recorded on the check-in sheet."""
    if not seen or not on_record or normalise_plate(seen) == normalise_plate(on_record):
        return None
    if not confirmed:
        raise Conflict(f"plate {seen} differs from the vehicle's record ({on_record}): check it and confirm the "
                       "change with confirm_plate_change", field="plate", plate_on_record=on_record,
                       plate_at_check_in=seen)
    return PlateMismatch(on_record=on_record, at_check_in=seen)


def is_comeback(*, previous_delivered_at: datetime, now: datetime, window_days: int,
                previous_codes: set[str], codes: set[str]) -> bool:
    """A comeback (返修): the same vehicle back within the window for the same job."""
    return (now - previous_delivered_at).days <= window_days and bool(previous_codes & codes)


def recommended_work(history: list[RepairOrder], sheet: CheckInSheet | None = None) -> list[dict]:
    """Work to offer again: what the customer declined on earlier visits, and what today's inspection rated
    red or yellow."""
    out: list[dict] = []
    for ro in sorted(history, key=lambda r: r.check_in.checked_in_at):
        for d in ro.declined_work:
            out.append({"source": "declined", "repair_order_id": ro.id, "number": ro.number,
                        "description": d.description, "safety_related": d.safety_related,
                        "estimated_amount": str(d.estimated_amount)})
    if sheet is not None:
        for item in sheet.inspection:
            if item.rating is not Rating.GREEN:
                out.append({"source": "inspection", "description": item.item, "rating": item.rating.value,
                            "note": item.note, "safety_related": item.rating is Rating.RED})
    return out


def next_service(day: date, odometer_km: int, *, interval_months: int, interval_km: int) -> tuple[date, int]:
    """The next service (下次保养): the store's interval on from the day and the odometer the car leaves with."""
    return add_months(day, interval_months), odometer_km + interval_km


def add_months(d: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    import calendar

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
