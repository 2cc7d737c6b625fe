"""Issuing (出库 / 领料): against an open repair order's job only, on a slip both the technician and the
advisor signed; the old part is handed in before the new one leaves (交旧领新); warranty jobs need the
warranty specialist's sign-off. What parts knows of repair orders is a copy kept from reception's events.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field
from shared.contracts import parts as ev
from shared.contracts.common import PartLine, PayType
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .money import ZERO
from .stock import Part


class JobCopy(BaseModel):
    job_id: str
    description: str
    pay_type: PayType
    parts: list[PartLine] = Field(default_factory=list)


class RepairOrderCopy(Aggregate):
    """What parts knows of a repair order (from reception's events): open or closed, its jobs, and the
    parts issued and returned against it (for the reconciliation at close)."""

    kind: ClassVar[str] = "repair_order"
    number: str = ""
    open: bool = False
    closed_because: str | None = None
    appointment_id: str | None = None
    jobs: list[JobCopy] = Field(default_factory=list)
    issued: dict[str, Decimal] = Field(default_factory=dict)
    returned: dict[str, Decimal] = Field(default_factory=dict)
    requested: dict[str, dict[str, Decimal]] = Field(default_factory=dict, description="job → part → quantity "
                                                     "the technicians asked for (workshop's PartsRequested)")
    requests: list[str] = Field(default_factory=list, description="PartsRequested request ids taken")

    # -- what the order wants held on the reserved shelf ----------------------------------------
    def wanted(self) -> dict[str, Decimal]:
        """Per part, what the order wants reserved: for each job the larger of its plan and what its technician
        asked for (a request within the job's plan is already reserved; only what goes beyond it is new)."""
        out: dict[str, Decimal] = {}
        for job_id in [j.job_id for j in self.jobs] + [k for k in self.requested if not self._has_job(k)]:
            planned: dict[str, Decimal] = {}
            for j in self.jobs:
                if j.job_id == job_id:
                    for p in j.parts:
                        planned[p.part_no] = planned.get(p.part_no, ZERO) + p.quantity
            asked = self.requested.get(job_id, {})
            for no in set(planned) | set(asked):
                out[no] = out.get(no, ZERO) + max(planned.get(no, ZERO), asked.get(no, ZERO))
        return out

    def _has_job(self, job_id: str) -> bool:
        return any(j.job_id == job_id for j in self.jobs)

    def _grown(self, before: dict[str, Decimal]) -> list[PartLine]:
        after = self.wanted()
        return [PartLine(part_no=no, quantity=after[no] - before.get(no, ZERO)) for no in sorted(after)
                if after[no] > before.get(no, ZERO)]

    def opened(self, number: str, jobs: list[JobCopy]) -> list[PartLine] | None:
        """reception opened the order (RepairOrderOpened): answers the parts to reserve for it, or None when it
        was opened (or closed) already."""
        if self.open or self.closed_because:
            return None
        before = self.wanted()  # a technician's request that arrived first was reserved when it came
        self.number, self.open, self.jobs = number, True, jobs
        self.changed()
        return self._grown(before)

    def job_added(self, job: JobCopy) -> list[PartLine] | None:
        """An approved added job (AdditionalWorkApproved): answers the parts to reserve for it, or None when the
        order has the job already (a redelivery)."""
        if self._has_job(job.job_id):
            return None
        before = self.wanted()
        self.jobs.append(job)
        self.changed()
        return self._grown(before)

    def parts_requested(self, request_id: str, job_id: str, lines: list[PartLine]) -> list[PartLine] | None:
        """A technician asked for parts for a job (PartsRequested): answers what to reserve beyond what the order
        holds already for that job, or None for a request taken before (a redelivery)."""
        if request_id in self.requests:
            return None
        before = self.wanted()
        self.requests.append(request_id)
        asked = self.requested.setdefault(job_id, {})
        for ln in lines:
            asked[ln.part_no] = asked.get(ln.part_no, ZERO) + ln.quantity
        self.changed()
        return self._grown(before)

    def job(self, job_id: str) -> JobCopy:
        """The open order's job, or a refusal naming why there is none (no issue without one)."""
        if not self.open:
            raise Conflict(f"repair order {self.number or self.id} is {self.closed_because or 'not open'}; "
                           "parts are issued only against an open repair order", field="repair_order_id")
        for j in self.jobs:
            if j.job_id == job_id:
                return j
        raise DomainError(f"repair order {self.number or self.id} has no job {job_id}", field="job_id")

    def close(self, because: str) -> None:
        self.open, self.closed_because = False, because
        self.changed()

    def count(self, lines: list[PartLine], *, returned: bool) -> None:
        book = self.returned if returned else self.issued
        for ln in lines:
            book[ln.part_no] = book.get(ln.part_no, ZERO) + ln.quantity
        self.changed()

    def reconciliation(self) -> list[dict]:
        """Planned vs issued vs returned, per part (at close the net issued should equal the planned)."""
        planned: dict[str, Decimal] = {}
        for j in self.jobs:
            for p in j.parts:
                planned[p.part_no] = planned.get(p.part_no, ZERO) + p.quantity
        out = []
        for no in sorted(set(planned) | set(self.issued) | set(self.returned)):
            p, i, r = planned.get(no, ZERO), self.issued.get(no, ZERO), self.returned.get(no, ZERO)
            out.append({"part_no": no, "planned": p, "issued": i, "returned": r, "net_issued": i - r,
                        "agrees": i - r == p})
        return out


class SlipState(StrEnum):
    REQUESTED = "requested"
    ISSUED = "issued"


class OldPartDisposition(StrEnum):
    """Where an old part (旧件) goes: kept for the manufacturer (warranty), back to the customer cleaned
    and bagged, or scrapped by the store."""

    MANUFACTURER = "manufacturer"
    CUSTOMER = "customer"
    SCRAP = "scrap"


class SlipLine(BaseModel):
    part_no: str
    quantity: Decimal = Field(gt=0)
    in_stock_at_request: bool | None = Field(default=None, description="Whether stock covered the line when it "
                                             "was requested (the fill rate's numerator)")
    old_part_handed_in: bool = False
    old_part_disposition: OldPartDisposition | None = None
    returned: Decimal = ZERO
    unit_price: Decimal | None = None


class IssueSlip(Aggregate):
    """A parts requisition slip (领料单) for one job of a repair order. No slip, no issue (no "white slips")."""

    kind: ClassVar[str] = "issue_slip"
    TRANSITIONS: ClassVar[dict[str, set]] = {
        "sign": {SlipState.REQUESTED}, "issue": {SlipState.REQUESTED}, "return": {SlipState.ISSUED}}

    repair_order_id: str
    job_id: str
    warranty: bool
    lines: list[SlipLine]
    state: SlipState = SlipState.REQUESTED
    technician_id: str
    advisor_id: str | None = None
    warranty_signoff_by: str | None = None
    issued_by: str | None = None
    issued_at: datetime | None = None
    requested_at: datetime | None = None
    request_id: str | None = Field(default=None, description="workshop's PartsRequested, when the slip came from it")

    def for_job(self, job: JobCopy) -> None:
        """The job as the order now has it: a warranty job's parts need the warranty specialist's sign-off (a
        technician's request can arrive before parts knows the job's pay type)."""
        if job.pay_type is PayType.WARRANTY and not self.warranty:
            self.warranty = True
            self.changed()

    def sign_as_advisor(self, user_id: str) -> None:
        self.require("sign")
        self.advisor_id = user_id
        self.changed()

    def sign_off_warranty(self, user_id: str) -> None:
        self.require("sign")
        if not self.warranty:
            raise DomainError("not a warranty job: no warranty sign-off is needed", field="slip_id")
        self.warranty_signoff_by = user_id
        self.changed()

    def check_ready(self, exchange_required: dict[str, bool]) -> None:
        """The rules before anything leaves the shelf."""
        self.require("issue")
        if not self.advisor_id:
            raise Conflict("the slip needs the advisor's signature before parts are issued", field="advisor_id")
        if self.warranty and not self.warranty_signoff_by:
            raise Conflict("a warranty job's parts need the warranty specialist's sign-off", field="warranty_signoff")
        for ln in self.lines:
            if exchange_required.get(ln.part_no, True) and not ln.old_part_handed_in:
                raise Conflict(f"hand in the old {ln.part_no} before the new one is issued (交旧领新)",
                               field="old_part_handed_in", part_no=ln.part_no)

    def hand_in_old_parts(self, handed_in: dict[str, OldPartDisposition]) -> None:
        for ln in self.lines:
            if ln.part_no in handed_in:
                disposition = OldPartDisposition.MANUFACTURER if self.warranty else handed_in[ln.part_no]
                ln.old_part_handed_in, ln.old_part_disposition = True, disposition

    def issued(self, *, by: str, at: datetime, prices: dict[str, Decimal]) -> None:
        self.state, self.issued_by, self.issued_at = SlipState.ISSUED, by, at
        for ln in self.lines:
            ln.unit_price = prices.get(ln.part_no)
            if ln.old_part_handed_in:
                self.raise_event(ev.OldPartRegistered(
                    reference_id=self.repair_order_id, old_part_id=f"{self.id}:{ln.part_no}", part_no=ln.part_no,
                    disposition=ln.old_part_disposition.value, warranty=self.warranty))
        self.changed()
        self.raise_event(ev.PartsIssued(reference_id=self.repair_order_id, issue_id=self.id, job_id=self.job_id,
                                        lines=[PartLine(part_no=ln.part_no, quantity=ln.quantity,
                                                        unit_price=ln.unit_price) for ln in self.lines]))

    def take_back(self, lines: list[PartLine], *, reason: str) -> None:
        """Issued parts come back; never more than was issued on this slip."""
        self.require("return")
        by_no = {ln.part_no: ln for ln in self.lines}
        for ret in lines:
            ln = by_no.get(ret.part_no)
            if ln is None:
                raise DomainError(f"part {ret.part_no} was not issued on this slip", field="part_no")
            if ln.returned + ret.quantity > ln.quantity:
                raise Conflict(f"only {ln.quantity - ln.returned} of {ret.part_no} can come back", field="quantity")
            ln.returned += ret.quantity
        self.changed()
        self.raise_event(ev.PartsReturned(reference_id=self.repair_order_id, issue_id=self.id, lines=lines,
                                          reason=reason))


def covered(stock: dict[str, Part], reference_id: str, part_no: str, quantity: Decimal) -> bool:
    """Whether the store could hand over the whole line now: what is available plus what is already reserved for
    this repair order (the fill rate's "served from stock at first request")."""
    part = stock.get(part_no)
    return part is not None and quantity <= part.available + part.reserved_for(reference_id)


def check_requester(roles: set[str], technician_id: str | None, actor_id: str) -> str:
    """The technician signs the slip: a technician signs as themself; the storekeeper names who asked."""
    if "technician" in roles:
        return actor_id
    if not technician_id:
        raise DomainError("the slip must be signed by the technician who takes the parts", field="technician_id")
    return technician_id
