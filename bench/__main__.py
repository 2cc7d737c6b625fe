"""Every benchmark, one after the other on one broker and one database server, then one table of figures.

    uv run python -m bench                 all seven, full sizes (about 20 minutes on 2 cores)
    uv run python -m bench --quick         small sizes, to try it
    uv run python -m bench hop relay       some of them: hop consumer relay platform scaling

Each benchmark prints its figures beside its floor (measured in the same run), their ratio and the target,
and writes bench/results/<name>-<UTC time>.json; this command also writes bench/results/summary-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from bench import consumer_throughput, event_hop, outbox_relay, platform_load, scaling
from bench.common import Figure, report, start_infra

FULL = {"hop": dict(samples=300), "consumer": dict(events=1500, rounds=3), "relay": dict(events=5000),
        "platform": dict(advisors=8, seconds=120), "scaling": dict(events=8000)}
QUICK = {"hop": dict(samples=60), "consumer": dict(events=800, rounds=1), "relay": dict(events=1500),
         "platform": dict(advisors=4, seconds=30), "scaling": dict(events=1000)}
RUN = {"hop": event_hop.run, "consumer": consumer_throughput.run, "relay": outbox_relay.run,
       "platform": platform_load.run, "scaling": scaling.run}


async def main(names: list[str], quick: bool) -> None:
    sizes = QUICK if quick else FULL
    infra = start_infra()
    print(f"bench: {infra.how}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}", flush=True)
    figures: list[Figure] = []
    try:
        for name in names:
            try:
                figures += await RUN[name](infra, **sizes[name])
            except Exception as e:  # the others still run; the summary says what failed
                print(f"bench {name} failed: {e!r}", flush=True)
                figures.append(Figure(f"{name}: FAILED", float("nan"), "", note=repr(e)[:300], ok=False))
            await infra.drop_databases()
    finally:
        await infra.drop_databases()
        infra.stop()
    print()
    report("summary", figures, {"benchmarks": names, "sizes": {n: sizes[n] for n in names}}, infra)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"some of: {' '.join(RUN)} (default: all)")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if unknown := set(a.names) - set(RUN):
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    asyncio.run(main(a.names or list(RUN), a.quick))
