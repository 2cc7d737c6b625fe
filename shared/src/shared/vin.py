"""Vehicle identification number (VIN, 车辆识别代号): ISO 3779, with the check digit of GB 16735
(China) and North America. A standard, not one service's business rule, so every service that
reads a VIN — crm for its records, reception at the walk-around — checks it the same way."""

from __future__ import annotations

from .errors import DomainError

_VALUES = {
    **{str(d): d for d in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


class InvalidVin(DomainError):
    def __init__(self, message: str, field: str = "vin") -> None:
        super().__init__(message, field=field)


def check_digit(vin: str) -> str:
    r = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True)) % 11
    return "X" if r == 10 else str(r)


def check_digit_applies(vin: str) -> bool:
    """North America (WMI 1-5) and China (L, GB 16735) use position 9 as a check digit."""
    return vin[0] in "12345L"


def normalise_vin(raw: str, field: str = "vin") -> str:
    """Upper-case, trimmed and valid, or InvalidVin naming what is wrong (and the request field)."""
    vin = raw.strip().upper()
    if len(vin) != 17:
        raise InvalidVin(f"VIN must be 17 characters, got {len(vin)}", field)
    bad = sorted({c for c in vin if c in "IOQ"})
    if bad:
        raise InvalidVin(f"VIN may not contain I, O or Q (found {', '.join(bad)})", field)
    unknown = sorted({c for c in vin if c not in _VALUES})
    if unknown:
        raise InvalidVin(f"VIN may hold only letters and digits (found {''.join(unknown)!r})", field)
    if check_digit_applies(vin) and vin[8] != check_digit(vin):
        raise InvalidVin(f"VIN check digit (9th character) should be {check_digit(vin)}, is {vin[8]}", field)
    return vin


def with_check_digit(vin17: str) -> str:
    """The same VIN with a correct 9th character: for demo data and tests."""
    v = vin17.upper()
    return v[:8] + check_digit(v[:8] + "0" + v[9:]) + v[9:]
