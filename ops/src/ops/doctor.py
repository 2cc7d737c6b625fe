"""`ops doctor`: every probe once, and the list of what is wrong, on one screen."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from shared.messaging.lag import PartitionLag, read_lag

from . import probes
from .probes import Where

LAG_WARNING = 100  # messages behind, as alerts.yml's ConsumerLagGrowing
BACKLOG_AGE_WARNING = 300.0  # seconds, as alerts.yml's OutboxBacklogOld


@dataclass
class Report:
    services: dict[str, str] = field(default_factory=dict)
    kafka: str = "?"
    backlogs: list[probes.Backlog] = field(default_factory=list)
    lags: list[PartitionLag] = field(default_factory=list)
    dead_letters: dict[str, int] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)
    prometheus: str = "?"
    problems: list[str] = field(default_factory=list)


async def _kafka(where: Where, r: Report) -> None:
    try:
        topics = await probes.kafka_topics(where)
        r.kafka = f"ok ({len(topics)} topics at {where.kafka})"
    except Exception as e:
        r.kafka = f"not reachable at {where.kafka}: {type(e).__name__}"
        r.problems.append(f"Kafka {r.kafka}")
        return
    r.lags = await read_lag(where.kafka, {g: () for g in where.groups()})
    r.dead_letters = {t: n for t, n in (await probes.dead_letter_counts(where)).items() if n}


async def _prometheus(where: Where, r: Report) -> None:
    try:
        r.targets, r.alerts = await probes.prometheus_view(where)
        r.prometheus = f"ok at {where.prometheus}"
    except Exception as e:
        r.prometheus = f"not reachable at {where.prometheus}: {type(e).__name__}"
        r.problems.append(f"Prometheus {r.prometheus}")


async def examine(where: Where) -> Report:
    r = Report()
    services, backlogs, *_ = await asyncio.gather(
        probes.readiness(where), asyncio.gather(*(probes.outbox_backlog(where, s) for s in where.databases)),
        _kafka(where, r), _prometheus(where, r))
    r.services, r.backlogs = services, list(backlogs)
    r.problems += [f"{s}: {state}" for s, state in services.items() if state != "ready"]
    for b in r.backlogs:
        if b.error:
            r.problems.append(f"{b.service}: outbox not readable ({b.error})")
        elif b.oldest_age_seconds and b.oldest_age_seconds > BACKLOG_AGE_WARNING:
            r.problems.append(f"{b.service}: {b.unsent} events unsent, the oldest {b.oldest_age_seconds:.0f}s old")
    r.problems += [f"{p.group} is {p.lag} behind on {p.topic}/{p.partition}" for p in r.lags if p.lag > LAG_WARNING]
    r.problems += [f"{n} dead letter(s) from {t}: uv run ops dead-letters {t}" for t, n in r.dead_letters.items()]
    r.problems += [f"Prometheus target {name} is {h}" for name, h in r.targets.items() if h != "up"]
    r.problems += [f"alert {a['labels'].get('alertname')} {a['state']}: {a['annotations'].get('summary', '')}"
                   for a in r.alerts if a["state"] == "firing"]
    return r


def render(console: Console, r: Report) -> None:
    t = Table(title="After-sales platform", show_lines=False)
    t.add_column("service")
    for col in ("ready", "outbox unsent", "oldest unsent", "prometheus target"):
        t.add_column(col)
    backlog = {b.service: b for b in r.backlogs}
    for svc, state in r.services.items():
        b = backlog.get(svc)
        unsent = "?" if b is None or b.error else str(b.unsent)
        age = "-" if b is None or b.oldest_age_seconds is None else f"{b.oldest_age_seconds:.0f}s"
        t.add_row(svc, state, unsent, age, r.targets.get(svc, "-"), style=None if state == "ready" else "red")
    console.print(t)
    behind = sum(p.lag for p in r.lags)
    console.print(f"Kafka: {r.kafka}; consumer lag {behind} message(s) over {len({p.group for p in r.lags})} "
                  f"group(s); dead letters: {sum(r.dead_letters.values())}")
    firing = [a for a in r.alerts if a["state"] == "firing"]
    console.print(f"Prometheus: {r.prometheus}; {len(firing)} alert(s) firing")
    if r.problems:
        console.print(f"[bold red]{len(r.problems)} problem(s):")
        for p in r.problems:
            console.print(f"  [red]- {p}")
    else:
        console.print("[bold green]nothing wrong")
