"""Time is an input: services take a clock so reminders, windows and deadlines are testable."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **delta: float) -> datetime:
        self._at = self._at + timedelta(**delta)
        return self._at


class FileClock:
    """Business time read from a small JSON file, for loading history (the demo loader, deploy/demo.py):
    `{"at": iso, "anchor": iso}` means "at `anchor` (real time) it was `at`", so time runs on from `at` as
    real time does: now = at + (real now - anchor). The file is read again whenever it is replaced (its inode
    or modification time changes); while it is missing, the clock is the system clock.

    Only business time moves: token expiry, sessions and rate limits keep to real time (`Runtime.security_clock`,
    and shared.auth / the gateway's limits read `time.time()` themselves)."""

    def __init__(self, path: str | Path, *, real: Clock | None = None) -> None:
        self.path = Path(path)
        self._real = real or SystemClock()
        self._seen: tuple[int, int] | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        real = self._real.now()
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._seen, self._offset = None, timedelta(0)
            return real
        if (st.st_ino, st.st_mtime_ns) != self._seen:
            self._offset = self._read()
            self._seen = (st.st_ino, st.st_mtime_ns)
        return real + self._offset

    def _read(self) -> timedelta:
        try:
            doc = json.loads(self.path.read_text())
            at, anchor = datetime.fromisoformat(doc["at"]), datetime.fromisoformat(doc["anchor"])
        except (OSError, ValueError, KeyError, TypeError):
            return self._offset  # half-written or unreadable: keep the last time it said
        if at.tzinfo is None or anchor.tzinfo is None:
            return self._offset
        return at - anchor

    @staticmethod
    def write(path: str | Path, at: datetime, *, anchor: datetime | None = None) -> None:
        """Set the business time of every service reading `path` to `at`, from now on (atomically: a reader sees
        the old file or the new one, never half of it)."""
        if at.tzinfo is None:
            raise ValueError("FileClock.write needs an aware datetime")
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"at": at.isoformat(), "anchor": (anchor or datetime.now(UTC)).isoformat()}))
        os.replace(tmp, path)


def clock_from(clock_file: str | None) -> Clock:
    """The service clock its settings ask for: the system clock, or business time from CLOCK_FILE."""
    return FileClock(clock_file) if clock_file else SystemClock()
