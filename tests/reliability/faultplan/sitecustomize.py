"""A fault plan for one service process, armed by the reliability rig only (tests/reliability/harness.py puts
this folder first on PYTHONPATH and sets RELIABILITY_FAULT for the one process it restarts with a fault).

Python imports `sitecustomize` at start-up; this one wraps the two moments the platform's promise depends on and
SIGKILLs the process there, so a kill lands in the window on purpose instead of by luck:

  relay_after_publish[:N]   the relay's Nth round with rows: Kafka acknowledged them, none is marked sent yet
                            (OutboxRelay._after_publish, a no-op point in production). The next relay sends
                            them again; consumers must drop the repeats.
  relay_after_claim[:N]     rows claimed (locked), nothing sent: the claim must be released, nothing lost.
  consumer_after_handle[:N] the Nth batch a consumer handled: its transaction committed (effects and inbox rows),
                            its offsets not yet committed. Kafka redelivers; the inbox must drop them.

  RELIABILITY_CLOCK_SKEW=S   (another variable, with or without a fault point) this process's wall clock runs S
                            seconds off (S may be negative), as on a host whose clock drifted: datetime.now /
                            utcnow / today and time.time are shifted, time.monotonic is not (intervals stay true).
                            Everything that reads the time sees it: the injected clock, event times, tokens.

Production code has no hook and no flag for this: without this folder on the path nothing here exists."""

from __future__ import annotations

import os
import signal

FAULT = os.environ.get("RELIABILITY_FAULT", "")
SKEW = float(os.environ.get("RELIABILITY_CLOCK_SKEW", "0") or 0)


def _countdown(n: int):
    left = [n]

    def due() -> bool:
        left[0] -= 1
        return left[0] == 0

    return due


def _die(point: str) -> None:
    print(f"reliability-fault: SIGKILL at {point}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(point: str, n: int) -> None:
    due = _countdown(n)
    if point.startswith("relay_"):
        from shared.messaging.relay import OutboxRelay

        name = "_after_publish" if point == "relay_after_publish" else "_after_claim"
        original = getattr(OutboxRelay, name)

        async def at_point(self, rows):
            await original(self, rows)
            if rows and due():
                _die(point)

        setattr(OutboxRelay, name, at_point)
    elif point == "consumer_after_handle":
        from shared.messaging.consumer import IdempotentConsumer

        original_batch = IdempotentConsumer.process_batch

        async def process_batch(self, records, by_type):
            results = await original_batch(self, records, by_type)
            if "handled" in results and due():
                _die(f"{point} ({self.name}: {len(records)} records handled, offsets not committed)")
            return results

        IdempotentConsumer.process_batch = process_batch
    else:
        raise SystemExit(f"unknown RELIABILITY_FAULT {FAULT!r}")


def _skew(seconds: float) -> None:
    """Python starts this before any module of the service is imported: every later `from datetime import
    datetime` gets the skewed class."""
    import datetime as dt
    import time

    shift = dt.timedelta(seconds=seconds)
    real_time = time.time

    class SkewedDatetime(dt.datetime):
        __slots__ = ()  # the size of datetime's own instances: C extensions check it
        @classmethod
        def now(cls, tz=None):
            return super().now(tz) + shift

        @classmethod
        def utcnow(cls):
            return super().utcnow() + shift

        @classmethod
        def today(cls):
            return super().today() + shift

    dt.datetime = SkewedDatetime
    time.time = lambda: real_time() + seconds
    print(f"reliability-fault: wall clock {seconds:+.0f}s", flush=True)


if SKEW:
    _skew(SKEW)

if FAULT:
    _point, _, _n = FAULT.partition(":")
    _arm(_point, int(_n or 1))
