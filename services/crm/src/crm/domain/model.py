"""Customers and vehicles: crm is their system of record."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from shared.contracts.base import DomainEvent
from shared.contracts.crm import (
    CustomerKind,
    CustomerRegistered,
    CustomerUpdated,
    VehicleRegistered,
    VehicleUpdated,
)
from shared.errors import DomainError, StaleVersion
from shared.vin import normalise_vin

from .call_windows import parse_contact_window
from .reminders import Reading

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


@dataclass
class Customer:
    id: str
    dealer_group_id: str
    home_store_id: str
    kind: CustomerKind
    name: str
    phones: list[str]
    contact_window: str | None = None
    consent_to_call: bool = True
    unreachable_since: date | None = None
    version: int = 1
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def register(cls, *, dealer_group_id: str, home_store_id: str, kind: CustomerKind, name: str,
                 phones: list[str], contact_window: str | None = None, consent_to_call: bool = True,
                 id: str | None = None) -> Customer:
        name = name.strip()
        if not name:
            raise DomainError("name must not be empty", field="name")
        try:
            kind = CustomerKind(kind)
        except ValueError:
            raise DomainError(f"kind is person or company, not {kind!r}", field="kind") from None
        if not phones:
            raise DomainError("at least one phone number is needed", field="phones")
        normalised = list(dict.fromkeys(normalise_phone(p) for p in phones))
        parse_contact_window(contact_window)
        c = cls(id=id or str(uuid.uuid4()), dealer_group_id=dealer_group_id, home_store_id=home_store_id, kind=kind,
                name=name, phones=normalised, contact_window=contact_window, consent_to_call=consent_to_call)
        c.events.append(CustomerRegistered(**c.snapshot()))
        return c

    def snapshot(self) -> dict:
        return dict(customer_id=self.id, kind=self.kind, name=self.name, phones=self.phones,
                    home_store_id=self.home_store_id, contact_window=self.contact_window,
                    consent_to_call=self.consent_to_call)

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise StaleVersion("customer", expected, self.version)

    def republish(self) -> None:
        """Publish the record as it stands (another service captured it again under other ids)."""
        self.events.append(CustomerUpdated(**self.snapshot()))

    def update(self, *, expected_version: int, **changes) -> bool:
        """Correct the record; the event carries the whole new record. False when nothing changed."""
        self.check_version(expected_version)
        if "name" in changes:
            changes["name"] = (changes["name"] or "").strip()
            if not changes["name"]:
                raise DomainError("name must not be empty", field="name")
        if "phones" in changes:
            if not changes["phones"]:
                raise DomainError("at least one phone number is needed", field="phones")
            changes["phones"] = list(dict.fromkeys(normalise_phone(p) for p in changes["phones"]))
        if "contact_window" in changes:
            parse_contact_window(changes["contact_window"])
        if "kind" in changes:
            changes["kind"] = CustomerKind(changes["kind"])
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return False
        for k, v in changed.items():
            setattr(self, k, v)
        if "phones" in changed:
            self.unreachable_since = None  # new numbers: worth calling again
        self.version += 1
        self.events.append(CustomerUpdated(**self.snapshot()))
        return True


@dataclass
class Vehicle:
    id: str
    dealer_group_id: str
    home_store_id: str
    vin: str
    owner_customer_id: str
    plate: str | None = None
    model: str | None = None
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = None
    warranty_km: int | None = None
    odometer_km: int | None = None
    insurance_expiry: date | None = None
    warranty_prewarning: bool = False
    insurer: str | None = None
    insurance_policy_no: str | None = None
    version: int = 1
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def register(cls, *, dealer_group_id: str, home_store_id: str, vin: str, owner_customer_id: str,
                 id: str | None = None, **details) -> Vehicle:
        v = cls(id=id or str(uuid.uuid4()), dealer_group_id=dealer_group_id, home_store_id=home_store_id,
                vin=normalise_vin(vin), owner_customer_id=owner_customer_id, **details)
        if v.plate is not None:
            v.plate = v.plate.strip().upper() or None
        if v.warranty_start is None and v.sale_date is not None:
            v.warranty_start = v.sale_date  # warranty runs from the sale unless the maker says otherwise
        if v.odometer_km is not None and v.odometer_km < 0:
            raise DomainError("odometer must not be negative", field="odometer_km")
        v.events.append(VehicleRegistered(**v.snapshot()))
        return v

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise StaleVersion("vehicle", expected, self.version)

    def _updated(self) -> None:
        self.version += 1
        self.events.append(VehicleUpdated(**self.snapshot()))

    def update(self, *, expected_version: int, **changes) -> bool:
        """Correct plate, model, sale, warranty and insurance details. False when nothing changed."""
        self.check_version(expected_version)
        if changes.get("plate") is not None:
            changes["plate"] = changes["plate"].strip().upper() or None
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return False
        for k, v in changed.items():
            setattr(self, k, v)
        if self.warranty_start is None and self.sale_date is not None:
            self.warranty_start = self.sale_date
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
        if expected_version is not None:
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

    def snapshot(self) -> dict:
        return dict(
            vehicle_id=self.id, vin=self.vin, plate=self.plate, model=self.model,
            owner_customer_id=self.owner_customer_id, sale_date=self.sale_date,
            warranty_start=self.warranty_start, warranty_years=self.warranty_years,
            warranty_km=self.warranty_km, odometer_km=self.odometer_km,
            insurance_expiry=self.insurance_expiry, warranty_prewarning=self.warranty_prewarning,
        )
