"""Warranty eligibility (三包 / 质量担保 资格判定): is this repair line covered, and which rule decided it.

The rules, in the order they are applied (the first that decides names itself in the answer):

1. exclusions: an accident or misuse declared on the line, or a wear item, is never warranty;
2. the warranty start (the sale date, or crm's warranty start) must be known, else the manufacturer decides;
3. the part's own terms, where the part has them (a battery's shorter cover, corrosion's longer one),
   replace the vehicle's time and mileage limits;
4. the time limit (start + years), then the mileage limit (km); just past either (a grace margin), or an
   unknown odometer, is the manufacturer's to decide (goodwill), not ours to refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Verdict(StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not_covered"
    NEEDS_MANUFACTURER_DECISION = "needs_manufacturer_decision"


class Rule(StrEnum):
    """The rule that decided a line's eligibility."""

    EXCLUSION_ACCIDENT = "exclusion_accident"
    EXCLUSION_MISUSE = "exclusion_misuse"
    EXCLUSION_WEAR_ITEM = "exclusion_wear_item"
    WARRANTY_START_UNKNOWN = "warranty_start_unknown"
    VEHICLE_UNKNOWN = "vehicle_unknown"
    TIME_LIMIT = "time_limit"
    MILEAGE_LIMIT = "mileage_limit"
    TIME_LIMIT_GRACE = "time_limit_grace"
    MILEAGE_LIMIT_GRACE = "mileage_limit_grace"
    ODOMETER_UNKNOWN = "odometer_unknown"
    PART_TERMS = "part_terms"
    VEHICLE_TERMS = "vehicle_terms"


class Exclusion(StrEnum):
    """A cause the specialist records on a line that excludes it from warranty."""

    ACCIDENT = "accident"
    MISUSE = "misuse"


class Eligibility(BaseModel):
    """The answer for one line: covered or not, or the manufacturer's to decide, with the deciding rule."""

    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    rule: Rule
    detail: str


@dataclass(frozen=True)
class Cover:
    """Time and mileage limits: the vehicle's (from crm) or a part's own. None km: unlimited mileage."""

    years: int
    km: int | None


@dataclass(frozen=True)
class PartTerms:
    """A part family's own warranty terms, by part-number prefix."""

    prefix: str
    cover: Cover
    name: str


@dataclass(frozen=True)
class WarrantyPolicy:
    """The terms claims applies: default vehicle cover, part terms, wear items, grace margins."""

    default_cover: Cover = Cover(years=3, km=100_000)
    part_terms: tuple[PartTerms, ...] = (
        PartTerms("BAT", Cover(years=2, km=50_000), "battery"),
        PartTerms("HV-BAT", Cover(years=8, km=150_000), "high-voltage battery"),
        PartTerms("CORR", Cover(years=6, km=None), "body corrosion"),
    )
    wear_item_prefixes: tuple[str, ...] = ("PAD", "DISC", "WIPER", "BULB", "FILTER", "OIL", "TYRE", "CLUTCH-DISC")
    grace_days: int = 30
    grace_km: int = 1_000

    def part_terms_for(self, part_no: str | None) -> PartTerms | None:
        if not part_no:
            return None
        # The longest matching prefix: HV-BAT before BAT.
        found = [t for t in self.part_terms if part_no.upper().startswith(t.prefix)]
        return max(found, key=lambda t: len(t.prefix)) if found else None

    def is_wear_item(self, part_no: str | None) -> bool:
        return bool(part_no) and part_no.upper().startswith(self.wear_item_prefixes)


@dataclass(frozen=True)
class VehicleCover:
    """What crm's vehicle record says about its warranty."""

    sale_date: date | None
    warranty_start: date | None
    warranty_years: int | None
    warranty_km: int | None

    @property
    def start(self) -> date | None:
        return self.warranty_start or self.sale_date


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _answer(verdict: Verdict, rule: Rule, detail: str) -> Eligibility:
    return Eligibility(verdict=verdict, rule=rule, detail=detail)


def _exclusion(exclusion: Exclusion | None, causal_part_no: str | None, policy: WarrantyPolicy) -> Eligibility | None:
    if exclusion is Exclusion.ACCIDENT:
        return _answer(Verdict.NOT_COVERED, Rule.EXCLUSION_ACCIDENT, "accident damage is not a warranty failure")
    if exclusion is Exclusion.MISUSE:
        return _answer(Verdict.NOT_COVERED, Rule.EXCLUSION_MISUSE, "misuse is not a warranty failure")
    if policy.is_wear_item(causal_part_no):
        return _answer(Verdict.NOT_COVERED, Rule.EXCLUSION_WEAR_ITEM, f"{causal_part_no} is a wear item")
    return None


def _time(start: date, cover: Cover, repair_date: date, policy: WarrantyPolicy, terms: str) -> Eligibility | None:
    ends = _add_years(start, cover.years)
    if repair_date <= ends:
        return None
    late = (repair_date - ends).days
    if late <= policy.grace_days:
        return _answer(Verdict.NEEDS_MANUFACTURER_DECISION, Rule.TIME_LIMIT_GRACE,
                       f"{terms} ({cover.years} years) ended {ends}, {late} days before the repair")
    return _answer(Verdict.NOT_COVERED, Rule.TIME_LIMIT, f"{terms} ({cover.years} years) ended {ends}")


def _mileage(odometer_km: int | None, cover: Cover, policy: WarrantyPolicy, terms: str) -> Eligibility | None:
    if cover.km is None:
        return None
    if odometer_km is None:
        return _answer(Verdict.NEEDS_MANUFACTURER_DECISION, Rule.ODOMETER_UNKNOWN,
                       f"odometer unknown; {terms} end at {cover.km} km")
    over = odometer_km - cover.km
    if over <= 0:
        return None
    if over <= policy.grace_km:
        return _answer(Verdict.NEEDS_MANUFACTURER_DECISION, Rule.MILEAGE_LIMIT_GRACE,
                       f"{odometer_km} km is {over} km past the {cover.km} km of {terms}")
    return _answer(Verdict.NOT_COVERED, Rule.MILEAGE_LIMIT, f"{odometer_km} km is past the {cover.km} km of {terms}")


def check_eligibility(vehicle: VehicleCover | None, *, repair_date: date, odometer_km: int | None,
                      causal_part_no: str | None, exclusion: Exclusion | None = None,
                      policy: WarrantyPolicy = WarrantyPolicy()) -> Eligibility:
    """Is a repair line covered by warranty? The answer names the rule that decided it."""
    excluded = _exclusion(exclusion, causal_part_no, policy)
    if excluded:
        return excluded
    if vehicle is None:
        return _answer(Verdict.NEEDS_MANUFACTURER_DECISION, Rule.VEHICLE_UNKNOWN,
                       "crm's vehicle record is not here yet")
    if vehicle.start is None:
        return _answer(Verdict.NEEDS_MANUFACTURER_DECISION, Rule.WARRANTY_START_UNKNOWN,
                       "neither a sale date nor a warranty start is recorded")
    part = policy.part_terms_for(causal_part_no)
    if part is not None:
        cover, rule, terms = part.cover, Rule.PART_TERMS, f"the {part.name}'s own terms"
    else:
        cover = Cover(years=vehicle.warranty_years or policy.default_cover.years,
                      km=vehicle.warranty_km or policy.default_cover.km)
        rule, terms = Rule.VEHICLE_TERMS, "the vehicle's warranty"
    refused = _time(vehicle.start, cover, repair_date, policy, terms) or _mileage(odometer_km, cover, policy, terms)
    if refused:
        return refused
    km = "unlimited km" if cover.km is None else f"{cover.km} km"
    return _answer(Verdict.COVERED, rule, f"within {terms}: {cover.years} years from {vehicle.start}, {km}")
