"""Call windows (回访时段): when customer care may ring a customer.

Good windows are 09:00-11:30 and 14:00-19:00 local time; a customer may also give a
preferred window of their own (asked for at delivery). Windows are read in the store's
time zone, never the server's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from shared.errors import DomainError


@dataclass(frozen=True)
class CallWindow:
    name: str
    start: time
    end: time

    def contains(self, t: time) -> bool:
        return self.start <= t <= self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


MORNING = CallWindow("morning", time(9, 0), time(11, 30))
AFTERNOON = CallWindow("afternoon", time(14, 0), time(19, 0))
STANDARD_WINDOWS = (MORNING, AFTERNOON)

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–~～至到]\s*(\d{1,2}):(\d{2})$")


def parse_contact_window(text: str | None) -> list[CallWindow]:
    """`"19:00-20:30"` or several separated by `,` `;` `/` → the customer's own windows."""
    if text is None or not text.strip():
        return []
    out: list[CallWindow] = []
    for i, part in enumerate(p.strip() for p in re.split(r"[,;/，；、]", text) if p.strip()):
        m = _RANGE.match(part)
        if not m:
            raise DomainError(f"contact window {part!r} is not like 09:00-11:30", field="contact_window")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) >= (h2, m2):
            raise DomainError(f"contact window {part!r} is not a time range within a day", field="contact_window")
        out.append(CallWindow(f"customer-{i + 1}", time(h1, m1), time(h2, m2)))
    return out


def allowed_windows(contact_window: str | None) -> list[CallWindow]:
    """The customer's own windows first, then the standard good windows."""
    try:
        own = parse_contact_window(contact_window)
    except DomainError:
        own = []  # an old free-text window the record could not parse: fall back to the standard ones
    return own + list(STANDARD_WINDOWS)


def window_of(at: datetime, windows: list[CallWindow], tz: tzinfo) -> CallWindow | None:
    local = at.astimezone(tz).time().replace(tzinfo=None)
    return next((w for w in windows if w.contains(local)), None)


def _at(d: date, t: time, tz: tzinfo) -> datetime:
    return datetime.combine(d, t, tzinfo=tz)


def next_window_start(after: datetime, windows: list[CallWindow], tz: tzinfo,
                      *, avoid: CallWindow | None = None) -> datetime:
    """The first moment at or after `after` inside a window other than `avoid`."""
    local = after.astimezone(tz)
    ordered = sorted((w for w in windows if w != avoid), key=lambda w: w.start) or sorted(
        windows, key=lambda w: w.start)
    for day in range(0, 8):
        d = local.date() + timedelta(days=day)
        for w in ordered:
            start, end = _at(d, w.start, tz), _at(d, w.end, tz)
            if end >= local:
                return max(start, local)
    raise AssertionError("no call window within a week")  # windows are never empty


def follow_up_period(delivered_at: datetime, windows: list[CallWindow], tz: tzinfo) -> tuple[datetime, datetime]:
    """Call 1-3 days after pickup: from the first window of the next day to the last window of the third."""
    d = delivered_at.astimezone(tz).date()
    first = min(windows, key=lambda w: w.start)
    last = max(windows, key=lambda w: w.end)
    return _at(d + timedelta(days=1), first.start, tz), _at(d + timedelta(days=3), last.end, tz)
