"""The composed queries' answers: the gateway's own typed view of what each service answered.

Each part keeps the fields a status screen needs from the owning service's answer (that service's
OpenAPI document has the rest); fields a service adds later are ignored here until a part names them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Composition(BaseModel):
    partial: bool = Field(description="True when a service did not answer in time; `unavailable` names it")
    unavailable: list[str] = Field(description="The services whose part is missing (null) from this answer")
    withheld: list[str] = Field(default=[], description=(
        "The services whose part the caller's roles may not read (null in this answer; not partial)"))


class Estimate(_Part):
    labour: Decimal
    parts: Decimal
    materials: Decimal
    total: Decimal


class OrderStatus(_Part):
    """reception's repair order: where it stands, what it costs, what still blocks delivery."""

    id: str
    number: str | None = None
    store_id: str
    vehicle_id: str
    customer_id: str
    state: str
    promised_at: datetime | None = None
    estimate: Estimate
    delivery_blockers: list[str] = []
    invoiced_at: datetime | None = None
    delivered_at: datetime | None = None


class CheckStatus(_Part):
    stage: str
    inspector_id: str
    passed: bool
    at: datetime


class JobStatus(_Part):
    job_id: str
    description: str
    state: str
    technician_id: str | None = None
    team_id: str | None = None
    next_check: str | None = None
    checks: list[CheckStatus] = []


class WorkshopStatus(_Part):
    """workshop's work order: its jobs, who works them, and their three checks (三检)."""

    state: str
    eta: datetime
    washed: bool = False
    jobs: list[JobStatus]


class PartsLine(_Part):
    part_no: str
    planned: Decimal
    issued: Decimal
    returned: Decimal
    net_issued: Decimal
    agrees: bool


class PartsStatus(_Part):
    """The parts room's reconciliation: planned against issued and returned, per part."""

    open: bool
    agrees: bool
    lines: list[PartsLine]


class ClaimStatus(_Part):
    id: str
    claim_number: str
    state: str
    amount: Decimal
    approved_amount: Decimal | None = None


class InsuranceClaimStatus(_Part):
    id: str
    insurer: str
    state: str
    payment_route: str
    estimate_amount: Decimal | None = None
    approved_amount: Decimal | None = None
    paid: Decimal
    outstanding: Decimal


class RepairOrderStatus(Composition):
    """A repair order across reception, workshop, parts and claims. A part is null when its service is
    unavailable (named in `unavailable`) or has nothing for the order yet (workshop before the order is
    opened, parts before anything was planned)."""

    repair_order_id: str
    order: OrderStatus | None
    workshop: WorkshopStatus | None
    parts: PartsStatus | None
    claims: list[ClaimStatus] | None = Field(description="The order's warranty claims (null when unavailable "
                                             "or withheld)")
    insurance_claims: list[InsuranceClaimStatus] | None = Field(
        default=None, description="The order's insurance claims (an accident car; null when unavailable or "
                                  "withheld)")


class VehicleOverview(Composition):
    """A vehicle across services: crm's record and reception's view (each service's own answer)."""

    vin: str
    crm: dict[str, Any] | None = Field(description="crm's vehicle (crm's VehiclePublic)")
    reception: dict[str, Any] | None = Field(description="reception's vehicle view (reception's VehicleView)")
    follow_ups: list[dict[str, Any]] | None = Field(
        default=None, description="crm's follow-up calls of the vehicle's owner (crm's FollowUpPublic)")


# -- a vehicle's history -------------------------------------------------------------------------------
class VehicleRecord(_Part):
    """crm's vehicle (a group record), or reception's copy of it while crm does not answer."""

    vin: str
    plate: str | None = None
    model: str | None = None
    owner_customer_id: str
    sale_date: date | None = None
    warranty_start: date | None = None
    odometer_km: int | None = None
    insurance_expiry: date | None = None


class BookingEntry(_Part):
    """reception's booking: its slot, state, whether its parts are ready and with whom it is confirmed."""

    id: str
    state: str
    slot_start: datetime
    slot_end: datetime
    parts_status: str
    parts_ready: bool
    confirmed_with: list[str] = Field(description="Parties the booking was confirmed with (workshop, parts, "
                                      "claims, customer)")
    still_to_confirm: list[str] = Field(description="Parties still to confirm it with")
    customer_called: bool = Field(description="The customer confirmed the booking (the call an hour before)")
    jobs: list[str] = Field(description="The booked jobs' descriptions")
    repair_order_id: str | None = None


class JobLine(_Part):
    job_id: str
    description: str
    pay_type: str | None = None


class VisitEntry(_Part):
    """A repair order with what each service did for it: reception's order, workshop's jobs and their three
    checks, the parts issued and returned, the warranty claims. A part is null when its service did not answer,
    has nothing for the order, or (claims) is withheld from the caller."""

    number: str | None = None
    state: str
    checked_in_at: datetime
    odometer_km: int
    customer_complaint: str
    opened_at: datetime | None = None
    promised_at: datetime | None = None
    invoiced_at: datetime | None = None
    delivered_at: datetime | None = None
    estimate: Estimate
    jobs: list[JobLine]
    workshop: WorkshopStatus | None = None
    parts: PartsStatus | None = None
    warranty_claims: list[ClaimStatus] | None = None


class InsuranceClaimEntry(_Part):
    id: str
    insurer: str
    accident_date: date
    state: str
    estimate_amount: Decimal | None = None
    approved_amount: Decimal | None = None
    outstanding: Decimal


class FollowUpEntry(_Part):
    id: str
    status: str
    due_from: datetime
    due_to: datetime
    round: int
    attempts: list[dict[str, Any]] = []
    failure_reason: str | None = None
    satisfaction: int | None = None
    completed_at: datetime | None = None


class ComplaintEntry(_Part):
    id: str
    status: str
    severity: str
    channel: str
    summary: str
    opened_at: datetime
    department: str | None = None
    deadline: datetime | None = None
    overdue: bool = False


class HistoryEntry(BaseModel):
    """One thing that happened to the vehicle, at one store of the group; the detail of its `kind` is set."""

    at: datetime = Field(description="When: a booking's slot, an order's check-in, a claim's opening, a "
                         "follow-up's completion (else its window), a complaint's opening")
    kind: Literal["booking", "repair_order", "insurance_claim", "follow_up", "complaint"]
    store_id: str
    store_name: str | None = Field(description="The store's name from the gateway's records (null if none)")
    repair_order_id: str | None = None
    booking: BookingEntry | None = None
    repair_order: VisitEntry | None = None
    insurance_claim: InsuranceClaimEntry | None = None
    follow_up: FollowUpEntry | None = None
    complaint: ComplaintEntry | None = None


class VehicleHistory(Composition):
    """A vehicle's history across the group's stores, oldest first. The vehicle is a group record; its visits
    are the stores' records, so `entries` holds those of the stores the caller may see (`stores`)."""

    vin: str
    vehicle_id: str | None = Field(description="null when neither crm nor reception answered for the VIN")
    vehicle: VehicleRecord | None
    stores: list[str] | None = Field(description="The stores whose visits are shown (the caller's); null: every "
                                     "store of the group (a group role)")
    entries: list[HistoryEntry]


def _booking(a: dict[str, Any]) -> BookingEntry:
    confirmed = [c["party"] for c in a.get("confirmations") or []]
    return BookingEntry.model_validate({
        **a, "confirmed_with": confirmed, "still_to_confirm": a.get("parties_to_confirm") or [],
        "customer_called": "customer" in confirmed, "jobs": [j["description"] for j in a.get("jobs") or []]})


def _visit(ro: dict[str, Any], workshop: dict | None, parts: dict | None, claims: list | None) -> VisitEntry:
    sheet = ro["check_in"]
    return VisitEntry.model_validate({
        **ro, "checked_in_at": sheet["checked_in_at"], "odometer_km": sheet["odometer_km"],
        "customer_complaint": sheet["customer_complaint"], "workshop": workshop, "parts": parts,
        "warranty_claims": None if claims is None else [c for c in claims if c["repair_order_id"] == ro["id"]]})


def _entry(kind: str, at: Any, row: dict[str, Any], names: dict[str, str], model: BaseModel) -> HistoryEntry:
    return HistoryEntry(at=at, kind=kind, store_id=row["store_id"], store_name=names.get(row["store_id"]),
                        repair_order_id=row["id"] if kind == "repair_order" else row.get("repair_order_id"),
                        **{kind: model})


def history_entries(got: Any, store_names: dict[str, str]) -> list[HistoryEntry]:
    """The services' answers (a `Composed` of the history's calls) as one timeline, oldest first."""
    work = {w["id"]: w for w in got.get("workshop") or []}
    parts = {p["repair_order_id"]: p for p in got.get("parts") or []}
    claims = got.get("warranty_claims")
    out = [_entry("booking", a["slot_start"], a, store_names, _booking(a)) for a in got.get("bookings") or []]
    out += [_entry("repair_order", ro["check_in"]["checked_in_at"], ro, store_names,
                   _visit(ro, work.get(ro["id"]), parts.get(ro["id"]), claims))
            for ro in got.get("repair_orders") or []]
    out += [_entry("insurance_claim", c["opened_at"], c, store_names, InsuranceClaimEntry.model_validate(c))
            for c in got.get("insurance_claims") or []]
    out += [_entry("follow_up", f.get("completed_at") or f["due_from"], f, store_names,
                   FollowUpEntry.model_validate(f)) for f in got.get("follow_ups") or []]
    out += [_entry("complaint", c["opened_at"], c, store_names, ComplaintEntry.model_validate(c))
            for c in got.get("complaints") or []]
    return sorted(out, key=lambda e: e.at)


# -- a store's board for today ---------------------------------------------------------------------------
class BoardJob(_Part):
    job_id: str
    description: str
    state: str
    technician_id: str | None = None
    waiting_for: str | None = None
    next_check: str | None = None


class BoardCar(_Part):
    """A car on the workshop floor (workshop's board): its jobs, the promise and whether it slips."""

    repair_order_id: str
    number: str
    state: str
    promised_at: datetime
    estimated_finish: datetime
    delayed: bool
    wash_requested: bool
    washed: bool
    jobs: list[BoardJob]


class WaitingForParts(BaseModel):
    """A car or a booking held up by parts: a job paused for parts, or a booking whose parts are short."""

    repair_order_id: str | None = None
    appointment_id: str | None = None
    number: str | None = None
    what: str


class BoardFollowUp(FollowUpEntry):
    repair_order_id: str
    customer_id: str
    vehicle_id: str
    customer_name: str | None = None
    phones: list[str] = []
    plate: str | None = None


class BoardComplaint(ComplaintEntry):
    customer_id: str
    vehicle_id: str | None = None


class StoreBoardToday(Composition):
    """A store's day on one screen, "today" being the store's local date. A list is null when its service did
    not answer (named in `unavailable`) or may not be read with the caller's roles (`withheld`)."""

    store_id: str
    store_name: str | None
    time_zone: str
    day: date = Field(description="Today in the store's time zone")
    bookings: list[BookingEntry] | None = Field(description="Today's bookings, by slot")
    in_workshop: list[BoardCar] | None = Field(description="Cars on the floor, most urgent first")
    waiting_for_parts: list[WaitingForParts] | None = Field(
        description="Jobs paused for parts and today's bookings whose parts are short or awaited")
    ready_for_pickup: list[BoardCar] | None
    follow_ups_due: list[BoardFollowUp] | None = Field(
        description="Follow-up calls open by the end of today and not yet made (overdue ones too)")
    follow_ups_failed: list[BoardFollowUp] | None = Field(
        description="Failed follow-ups: back to the advisor to correct the customer's details")
    complaints_open: list[BoardComplaint] | None = Field(description="Tickets not yet closed, with deadlines")


PARTS_NOT_READY = ("short", "awaiting_arrival")


def waiting_for_parts(bookings: list[BookingEntry] | None, cars: list[BoardCar] | None) -> list[WaitingForParts] | None:
    """Jobs paused for parts (workshop's pause reason) and bookings whose parts are short or awaited."""
    if bookings is None and cars is None:
        return None
    out = [WaitingForParts(repair_order_id=c.repair_order_id, number=c.number, what=f"{j.description}: {j.waiting_for}")
           for c in cars or [] for j in c.jobs if j.state == "paused" and (j.waiting_for or "").startswith(
               "waiting_parts")]
    out += [WaitingForParts(appointment_id=b.id, what=f"booking at {b.slot_start.isoformat()}: parts {b.parts_status}")
            for b in bookings or [] if b.state == "booked" and b.parts_status in PARTS_NOT_READY]
    return out


def _cars(board: dict | None, state: str) -> list[BoardCar] | None:
    if board is None:
        return None
    return [BoardCar.model_validate(o) for o in board.get("orders") or [] if o["state"] == state]


def _rows(model: type[BaseModel], rows: list | None) -> list | None:
    return None if rows is None else [model.model_validate(r) for r in rows]


def store_board(got: Any, *, store_id: str, store_name: str | None, time_zone: str, day: date) -> StoreBoardToday:
    """The services' answers (a `Composed` of the board's calls) as the store's board."""
    bookings = None if got.get("bookings") is None else [_booking(a) for a in got.get("bookings")]
    board = got.get("workshop")
    in_workshop, ready = _cars(board, "open"), _cars(board, "ready_for_pickup")
    return StoreBoardToday(
        store_id=store_id, store_name=store_name, time_zone=time_zone, day=day, partial=got.partial,
        unavailable=got.unavailable, withheld=got.withheld, bookings=bookings, in_workshop=in_workshop,
        waiting_for_parts=waiting_for_parts(bookings, in_workshop), ready_for_pickup=ready,
        follow_ups_due=_rows(BoardFollowUp, got.get("follow_ups_due")),
        follow_ups_failed=_rows(BoardFollowUp, got.get("follow_ups_failed")),
        complaints_open=_rows(BoardComplaint, got.get("complaints")))
