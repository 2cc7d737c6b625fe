"""Customers and vehicles: crm is their system of record. Both are group records: any store of the
dealer group reads and corrects them; `store_id` is their home store."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any, ClassVar

from shared.contracts.crm import (
    CustomerKind,
    CustomerRegistered,
    CustomerUpdated,
    VehicleFacts,
    VehicleRegistered,
    VehicleUpdated,
)
from shared.errors import DomainError
from shared.kit import Aggregate
from shared.vin import normalise_vin

from .call_windows import parse_contact_window
from .reminders import CustomerFacts, Reading

_PHONE = re.compile(r"^\+?\d{7,15}$")


def normalise_phone(raw: str) -> str:
    """Digits only, China's +86 dropped, so one number is one key for duplicate detection."""
    p = re.sub(r"[\s\-()]", "", raw)
    if not _PHONE.match(p):
        raise DomainError(f"phone {raw!r} is not a phone number (7-15 digits)", field="phones")
    p = p.lstrip("+")
    if p.startswith("86") and len(p) == 13:
        p = p[2:]
    return p


def _phones(phones: list[str] | None) -> list[str]:
    if not phones:
        raise DomainError("at least one phone number is needed", field="phones")
    return list(dict.fromkeys(normalise_phone(p) for p in phones))


def _name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("name must not be empty", field="name")
    return name


def _customer_kind(kind: Any) -> CustomerKind:
    try:
        return CustomerKind(kind)
    except ValueError:
        raise DomainError(f"kind is person or company, not {kind!r}", field="kind") from None


class Customer(Aggregate):
    kind: ClassVar[str] = "customer"

    customer_kind: CustomerKind = CustomerKind.PERSON  # person or company (`kind` in the API and events)
    name: str
    phones: list[str]
    contact_window: str | None = None
    consent_to_call: bool = True
    unreachable_since: date | None = None

    @classmethod
    def register(cls, *, dealer_group_id: str, store_id: str, kind: CustomerKind | str, name: str,
                 phones: list[str], contact_window: str | None = None, consent_to_call: bool = True,
                 id: str | None = None) -> Customer:
        parse_contact_window(contact_window)
        c = cls(id=id or str(uuid.uuid4()), dealer_group_id=dealer_group_id, store_id=store_id,
                customer_kind=_customer_kind(kind), name=_name(name), phones=_phones(phones),
                contact_window=contact_window, consent_to_call=consent_to_call)
        c.raise_event(CustomerRegistered(**c.snapshot()))
        return c

    def snapshot(self) -> dict:
        return dict(customer_id=self.id, kind=self.customer_kind, name=self.name, phones=self.phones,
                    home_store_id=self.store_id, contact_window=self.contact_window,
                    consent_to_call=self.consent_to_call)

    def republish(self) -> None:
        """Publish the record as it stands (another service captured it again under other ids)."""
        self.raise_event(CustomerUpdated(**self.snapshot()))

    def update(self, *, expected_version: int | None, **changes) -> bool:
        """Correct the record; the event carries the whole new record. False when nothing changed."""
        self.check_version(expected_version)
        if "name" in changes:
            changes["name"] = _name(changes["name"])
        if "phones" in changes:
            changes["phones"] = _phones(changes["phones"])
        if "contact_window" in changes:
            parse_contact_window(changes["contact_window"])
        if "kind" in changes:
            changes["customer_kind"] = _customer_kind(changes.pop("kind"))
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return False
        for k, v in changed.items():
            setattr(self, k, v)
        if "phones" in changed:
            self.unreachable_since = None  # new numbers: worth calling again
        self.changed()
        self.republish()
        return True

    def call_facts(self) -> CustomerFacts:
        """What the reminder rules need to know: may they call, and could they reach them lately."""
        return CustomerFacts(self.id, self.consent_to_call, self.unreachable_since)

    # -- what calls found out (no new version: the record itself did not change) --------------
    def mark_unreachable(self, on: date) -> None:
        if self.unreachable_since is None:
            self.unreachable_since = on

    def mark_reached(self) -> None:
        self.unreachable_since = None


class Vehicle(Aggregate, VehicleFacts):
    kind: ClassVar[str] = "vehicle"

    insurer: str | None = None
    insurance_policy_no: str | None = None

    @classmethod
    def register(cls, *, dealer_group_id: str, store_id: str, vin: str, owner_customer_id: str,
                 id: str | None = None, **details) -> Vehicle:
        v = cls(id=id or str(uuid.uuid4()), dealer_group_id=dealer_group_id, store_id=store_id,
                vin=normalise_vin(vin), owner_customer_id=owner_customer_id, **details)
        v._tidy()
        if v.odometer_km is not None and v.odometer_km < 0:
            raise DomainError("odometer must not be negative", field="odometer_km")
        v.raise_event(VehicleRegistered(**v.snapshot()))
        return v

    def _tidy(self) -> None:
        if self.plate is not None:
            self.plate = self.plate.strip().upper() or None
        if self.warranty_start is None and self.sale_date is not None:
            self.warranty_start = self.sale_date  # warranty runs from the sale unless the maker says otherwise

    def snapshot(self) -> dict:
        """The vehicle as its events carry it (the fields the contract names)."""
        fields = set(VehicleUpdated.model_fields) - {"vehicle_id"}
        return {"vehicle_id": self.id, **self.model_dump(include=fields)}

    def republish(self) -> None:
        self.raise_event(VehicleUpdated(**self.snapshot()))

    def _updated(self) -> None:
        self.changed()
        self.republish()

    def update(self, *, expected_version: int | None, **changes) -> bool:
        """Correct plate, model, sale, warranty and insurance details. False when nothing changed."""
        self.check_version(expected_version)
        if changes.get("plate") is not None:
            changes["plate"] = changes["plate"].strip().upper() or None
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return False
        for k, v in changed.items():
            setattr(self, k, v)
        self._tidy()
        self._updated()
        return True

    def change_owner(self, *, expected_version: int, new_owner_customer_id: str) -> None:
        """The vehicle changed hands (过户); the ownership history keeps the old owner."""
        self.check_version(expected_version)
        if new_owner_customer_id == self.owner_customer_id:
            raise DomainError("that customer already owns the vehicle", field="new_owner_customer_id")
        self.owner_customer_id = new_owner_customer_id
        self._updated()

    def record_odometer(self, *, read_on: date, km: int, history: list[Reading],
                        expected_version: int | None = None) -> bool:
        """An odometer reading (里程). It may not go backwards against the history.
        Returns True when it is the newest reading (the vehicle's current odometer changed)."""
        self.check_version(expected_version)
        if km < 0:
            raise DomainError("odometer must not be negative", field="km")
        before = [r for r in history if r.read_on <= read_on]
        after = [r for r in history if r.read_on > read_on]
        if before and km < max(r.km for r in before):
            raise DomainError(f"odometer goes backwards: {max(r.km for r in before)} km was read on or before "
                              f"{read_on.isoformat()}", field="km")
        if after and km > min(r.km for r in after):
            raise DomainError(f"odometer reading is above a later one ({min(r.km for r in after)} km)", field="km")
        if after or (self.odometer_km is not None and km == self.odometer_km):
            return False
        self.odometer_km = km
        self._updated()
        return True
