"""An outbox relay that SIGKILLs itself at a chosen point of its first round (reliability tests only).

    python -m tests.support.faulty_relay --fault kill_after_claim [relay options ...]

  kill_after_claim:   rows claimed (locked in the open transaction), nothing sent yet;
  kill_after_publish: Kafka acknowledged the batch, no row marked published yet.
"""

from __future__ import annotations

import asyncio
import os
import signal

from shared.messaging.relay import OutboxRelay, argument_parser, run_relay

FAULTS = ("kill_after_claim", "kill_after_publish")


class FaultyRelay(OutboxRelay):
    def __init__(self, *, fault: str, **kw) -> None:
        super().__init__(**kw)
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        self.fault = fault

    async def _after_claim(self, rows) -> None:
        if self.fault == "kill_after_claim":
            _die()

    async def _after_publish(self, rows) -> None:
        if self.fault == "kill_after_publish":
            _die()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    p = argument_parser()
    p.add_argument("--fault", required=True, choices=FAULTS)
    args = p.parse_args()
    asyncio.run(run_relay(args, FaultyRelay, fault=args.fault))


if __name__ == "__main__":
    main()
