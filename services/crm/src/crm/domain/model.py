"""Customers and vehicles: crm is their system of record."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from shared.contracts.base import DomainEvent
from shared.contracts.crm import CustomerKind, CustomerRegistered, VehicleRegistered
from shared.errors import DomainError

from .vin import normalise_vin

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
    version: int = 1
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def register(cls, *, dealer_group_id: str, home_store_id: str, kind: CustomerKind, name: str,
                 phones: list[str], contact_window: str | None = None, consent_to_call: bool = True) -> Customer:
        name = name.strip()
        if not name:
            raise DomainError("name must not be empty", field="name")
        if not phones:
            raise DomainError("at least one phone number is needed", field="phones")
        normalised = list(dict.fromkeys(normalise_phone(p) for p in phones))
        c = cls(id=str(uuid.uuid4()), dealer_group_id=dealer_group_id, home_store_id=home_store_id, kind=kind,
                name=name, phones=normalised, contact_window=contact_window, consent_to_call=consent_to_call)
        c.events.append(CustomerRegistered(
            customer_id=c.id, kind=kind, name=name, phones=normalised, home_store_id=home_store_id,
            contact_window=contact_window, consent_to_call=consent_to_call))
        return c


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
    version: int = 1
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def register(cls, *, dealer_group_id: str, home_store_id: str, vin: str, owner_customer_id: str,
                 **details) -> Vehicle:
        v = cls(id=str(uuid.uuid4()), dealer_group_id=dealer_group_id, home_store_id=home_store_id,
                vin=normalise_vin(vin), owner_customer_id=owner_customer_id, **details)
        if v.plate is not None:
            v.plate = v.plate.strip().upper() or None
        if v.warranty_start is None and v.sale_date is not None:
            v.warranty_start = v.sale_date  # warranty runs from the sale unless the maker says otherwise
        if v.odometer_km is not None and v.odometer_km < 0:
            raise DomainError("odometer must not be negative", field="odometer_km")
        v.events.append(VehicleRegistered(**v.snapshot()))
        return v

    def snapshot(self) -> dict:
        return dict(
            vehicle_id=self.id, vin=self.vin, plate=self.plate, model=self.model,
            owner_customer_id=self.owner_customer_id, sale_date=self.sale_date,
            warranty_start=self.warranty_start, warranty_years=self.warranty_years,
            warranty_km=self.warranty_km, odometer_km=self.odometer_km,
            insurance_expiry=self.insurance_expiry, warranty_prewarning=self.warranty_prewarning,
        )
