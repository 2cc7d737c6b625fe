"""The part's stock card (卡片帐) in one store: a ledger of movements, from which every quantity is derived.

Nothing edits a balance. A receipt, an issue, a return, a count adjustment or a write-off is an entry;
on hand is the sum of the entries, reserved the sum of the open reservations, available the difference.
Parts returned for quality reasons go to a ledger of their own and are not saleable stock.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field
from shared.contracts import parts as ev
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .money import ZERO, moving_average_cost


class Movement(StrEnum):
    OPENING = "opening"
    RECEIPT = "receipt"
    ISSUE = "issue"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    WRITE_OFF = "write_off"
    QUALITY_RETURN = "quality_return"


class LedgerEntry(BaseModel):
    """One line of the stock card: signed quantity, the unit cost it moved at, and what it was for."""

    at: datetime
    movement: Movement
    quantity: Decimal
    unit_cost: Decimal
    reference: str
    by: str
    balance: Decimal = Field(description="On hand after this entry (the card's running balance)")


class Reservation(BaseModel):
    """Parts held on the reserved shelf for a booking or a repair order."""

    reference_id: str
    quantity: Decimal


class Location(BaseModel):
    """Four-part location (四号定位): store-room, rack, shelf, position."""

    store_room: str = Field(min_length=1, max_length=10)
    rack: str = Field(min_length=1, max_length=10)
    shelf: str = Field(min_length=1, max_length=10)
    position: str = Field(min_length=1, max_length=10)

    @property
    def code(self) -> str:
        return f"{self.store_room}-{self.rack}-{self.shelf}-{self.position}"


class Bin(Aggregate):
    """A bin (架位) at a four-part location; its id is the store and the location code."""

    kind: ClassVar[str] = "bin"
    location: Location

    @staticmethod
    def id_for(store_id: str, code: str) -> str:
        return f"{store_id}:{code}"


class SupplierKind(StrEnum):
    LOCAL = "local"
    OUT_OF_TOWN = "out_of_town"


class Payment(StrEnum):
    CASH = "cash"
    CREDIT = "credit"


class Supplier(Aggregate):
    """A supplier the buyer orders from: local or out-of-town, paid cash or on credit."""

    kind: ClassVar[str] = "supplier"
    name: str
    locality: SupplierKind
    payment: Payment
    lead_time_days: int = Field(ge=0)


PART_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


class Part(Aggregate):
    """A part and its stock card in one store (配件 / 卡片帐)."""

    kind: ClassVar[str] = "part"

    part_no: str
    name: str
    brand: str = ""
    oem_no: str = ""
    unit: str = "pc"
    retail_price: Decimal
    cost: Decimal = ZERO
    safety_stock: Decimal = ZERO
    supplier_id: str | None = None
    bin_id: str
    bin_code: str
    exchange_required: bool = True
    ledger: list[LedgerEntry] = Field(default_factory=list)
    quality_ledger: list[LedgerEntry] = Field(default_factory=list)
    reservations: list[Reservation] = Field(default_factory=list)
    on_order: Decimal = ZERO

    @staticmethod
    def id_for(store_id: str, part_no: str) -> str:
        return f"{store_id}:{part_no}"

    # -- derived quantities ------------------------------------------------------------------
    @property
    def on_hand(self) -> Decimal:
        return sum((e.quantity for e in self.ledger), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((r.quantity for r in self.reservations), ZERO)

    @property
    def available(self) -> Decimal:
        """Available = on hand − reserved."""
        return self.on_hand - self.reserved

    @property
    def quality_held(self) -> Decimal:
        return sum((e.quantity for e in self.quality_ledger), ZERO)

    def reserved_for(self, reference_id: str) -> Decimal:
        return sum((r.quantity for r in self.reservations if r.reference_id == reference_id), ZERO)

    def last_movement_at(self) -> datetime | None:
        return self.ledger[-1].at if self.ledger else None

    # -- catalogue ---------------------------------------------------------------------------
    def reprice(self, *, retail_price: Decimal | None, name: str | None, safety_stock: Decimal | None) -> None:
        announce = (retail_price is not None and retail_price != self.retail_price) or (
            name is not None and name != self.name)
        self.retail_price = self.retail_price if retail_price is None else retail_price
        self.name = name or self.name
        if safety_stock is not None:
            self.safety_stock = safety_stock
        self.changed()
        if announce:
            self._price_event()

    def move_to_bin(self, bin: Bin) -> None:
        self.bin_id, self.bin_code = bin.id, bin.location.code
        self.changed()

    def _price_event(self) -> None:
        self.raise_event(ev.PartPriceChanged(part_no=self.part_no, description=self.name,
                                             retail_price=self.retail_price))

    def announce(self) -> None:
        """A new part: reception learns its price and its (empty) stock."""
        self._price_event()
        self._level_changed(self.available)

    # -- movements ---------------------------------------------------------------------------
    def _post(self, movement: Movement, quantity: Decimal, *, at: datetime, reference: str, by: str,
              cost: Decimal | None = None) -> LedgerEntry:
        before = self.available
        entry = LedgerEntry(at=at, movement=movement, quantity=quantity, unit_cost=self.cost if cost is None else cost,
                            reference=reference, by=by, balance=self.on_hand + quantity)
        if entry.balance < 0:
            raise Conflict(f"part {self.part_no}: only {self.on_hand} on hand", field="quantity")
        self.ledger.append(entry)
        self.changed()
        self._level_changed(before)
        return entry

    def _level_changed(self, available_before: Decimal) -> None:
        self.raise_event(ev.StockLevelChanged(part_no=self.part_no, on_hand=self.on_hand, reserved=self.reserved,
                                              available=self.available, on_order=self.on_order))
        if self.available < self.safety_stock <= available_before:
            self.raise_event(ev.StockBelowSafetyLevel(part_no=self.part_no, available=self.available,
                                                      safety_level=self.safety_stock))

    def open_stock(self, quantity: Decimal, unit_cost: Decimal, *, at: datetime, by: str) -> LedgerEntry:
        """Opening stock (期初): the first entry of the card, at its cost."""
        if self.ledger:
            raise Conflict(f"part {self.part_no} already has a stock card; receive goods instead", field="quantity")
        self.cost = unit_cost
        return self._post(Movement.OPENING, _positive(quantity), at=at, reference="opening", by=by, cost=unit_cost)

    def receive(self, quantity: Decimal, unit_cost: Decimal, *, at: datetime, reference: str, by: str) -> LedgerEntry:
        """Goods received into the bin; the cost becomes the moving average."""
        self.cost = moving_average_cost(self.on_hand, self.cost, _positive(quantity), unit_cost)
        self.on_order = max(self.on_order - quantity, ZERO)
        return self._post(Movement.RECEIPT, quantity, at=at, reference=reference, by=by, cost=unit_cost)

    def issue(self, quantity: Decimal, *, at: datetime, reference: str, by: str) -> LedgerEntry:
        """Issue against a repair order: its own reservation first, then what is available."""
        held = self.reserved_for(reference)
        if _positive(quantity) > self.available + held:
            raise Conflict(f"part {self.part_no}: only {self.available + held} available", field="quantity",
                           available=str(self.available + held))
        self._take_reservation(reference, min(held, quantity))
        return self._post(Movement.ISSUE, -quantity, at=at, reference=reference, by=by)

    def take_back(self, quantity: Decimal, *, quality: bool, at: datetime, reference: str, by: str) -> LedgerEntry:
        """Issued parts come back: to stock, or to the quality ledger (质量退件另建帐)."""
        if not quality:
            return self._post(Movement.RETURN, _positive(quantity), at=at, reference=reference, by=by)
        entry = LedgerEntry(at=at, movement=Movement.QUALITY_RETURN, quantity=_positive(quantity),
                            unit_cost=self.cost, reference=reference, by=by, balance=self.quality_held + quantity)
        self.quality_ledger.append(entry)
        self.changed()
        return entry

    def adjust(self, delta: Decimal, *, at: datetime, reference: str, by: str) -> LedgerEntry:
        """A count's adjustment entry: the book is corrected by an entry, never by an edit."""
        return self._post(Movement.ADJUSTMENT, delta, at=at, reference=reference, by=by)

    def write_off(self, quantity: Decimal, *, at: datetime, reference: str, by: str) -> LedgerEntry:
        if _positive(quantity) > self.available:
            raise Conflict(f"part {self.part_no}: only {self.available} available to write off", field="quantity")
        return self._post(Movement.WRITE_OFF, -quantity, at=at, reference=reference, by=by)

    # -- reservations ------------------------------------------------------------------------
    def reserve(self, reference_id: str, quantity: Decimal) -> Decimal:
        """Hold up to `quantity` for a booking or repair order; answers how many could not be held."""
        before = self.available
        held = min(max(self.available, ZERO), _positive(quantity))
        if held > 0:
            self.reservations.append(Reservation(reference_id=reference_id, quantity=held))
            self.changed()
            self._level_changed(before)
        return quantity - held

    def release(self, reference_id: str) -> Decimal:
        before = self.available
        released = self.reserved_for(reference_id)
        if released:
            self.reservations = [r for r in self.reservations if r.reference_id != reference_id]
            self.changed()
            self._level_changed(before)
        return released

    def _take_reservation(self, reference_id: str, quantity: Decimal) -> None:
        left = self.reserved_for(reference_id) - quantity
        self.reservations = [r for r in self.reservations if r.reference_id != reference_id]
        if left > 0:
            self.reservations.append(Reservation(reference_id=reference_id, quantity=left))

    def ordered(self, quantity: Decimal) -> None:
        before = self.available
        self.on_order += quantity
        self.changed()
        self._level_changed(before)


def _positive(quantity: Decimal) -> Decimal:
    if quantity <= 0:
        raise DomainError("quantity must be positive", field="quantity")
    return quantity
