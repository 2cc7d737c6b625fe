"""The operations command: what is wrong with a running platform, and the dead letters' way back.

    uv run ops doctor                          one screen: services, Kafka, PostgreSQL, lag, backlog, dead letters,
                                               Prometheus targets and alerts (exit 1 when something is wrong)
    uv run ops lag [--all-groups]              consumer lag per group and partition
    uv run ops outbox                          each service's outbox backlog and the age of its oldest unsent event
    uv run ops dead-letters [TOPIC]            dead letters per topic, with their errors
    uv run ops replay TOPIC --all | --offset P:O ...   back through the normal consumers, once the cause is fixed

A replay re-publishes the dead letter to its original topic with its event id unchanged: the consumer group
that failed handles it now, and every group that handled it before drops it through its inbox.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import shared.registry as registry
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from shared.messaging.dlq import read_dead_letters, replay
from shared.messaging.lag import PartitionLag, read_lag

from . import probes
from .doctor import BACKLOG_AGE_WARNING, LAG_WARNING
from .probes import Where

app = typer.Typer(help="What is wrong with a running platform, and the dead letters' way back. Where to look comes "
                  "from the environment (KAFKA_BOOTSTRAP_SERVERS; DATABASE_URL, else PG_SERVER_URL or PGPORT_LOCAL "
                  "as ./run start uses; PLATFORM_BASE_PORT, PROMETHEUS_PORT, KAFKA_GROUP_PREFIX).",
                  no_args_is_help=True, rich_markup_mode=None)
console = Console()


def _where() -> Where:
    return Where.from_env()


# -- lag ------------------------------------------------------------------------------------------------
def lag_table(lags: list[PartitionLag]) -> Table:
    t = Table(title="Consumer lag (committed offset vs partition end)")
    for col in ("group", "topic", "partition", "committed", "end", "lag"):
        t.add_column(col, justify="right" if col in ("partition", "committed", "end", "lag") else "left")
    for p in sorted(lags, key=lambda p: (p.group, p.topic, p.partition)):
        style = "red" if p.lag > LAG_WARNING else None
        t.add_row(p.group, p.topic, str(p.partition), "-" if p.committed is None else str(p.committed),
                  str(p.end), str(p.lag), style=style)
    return t


@app.command()
def lag(all_groups: Annotated[bool, typer.Option(help="every group of the cluster, not only the platform's")] = False,
        group: Annotated[list[str] | None, typer.Option(help="only this group (repeatable)")] = None) -> None:
    """Consumer lag per group and partition, from the broker's committed offsets."""
    where = _where()
    groups = None if all_groups else {g: () for g in (group or where.groups())}
    lags = asyncio.run(read_lag(where.kafka, groups))
    console.print(lag_table(lags))


# -- outbox ---------------------------------------------------------------------------------------------
def backlog_table(rows: list[probes.Backlog]) -> Table:
    t = Table(title="Outbox backlog per service")
    for col in ("service", "unsent", "oldest unsent", "published last 5 min"):
        t.add_column(col)
    for b in rows:
        if b.error:
            t.add_row(b.service, "?", "?", "?", style="red")
            continue
        age = "-" if b.oldest_age_seconds is None else f"{b.oldest_age_seconds:.0f}s"
        old = b.oldest_age_seconds is not None and b.oldest_age_seconds > BACKLOG_AGE_WARNING
        t.add_row(b.service, str(b.unsent), age, str(b.published_last_5m), style="red" if old else None)
    return t


async def _backlogs(where: Where) -> list[probes.Backlog]:
    return list(await asyncio.gather(*(probes.outbox_backlog(where, s.name) for s in registry.by_port())))


@app.command()
def outbox() -> None:
    """Each service's outbox: events not yet on Kafka, the age of the oldest, and what went out lately."""
    rows = asyncio.run(_backlogs(_where()))
    console.print(backlog_table(rows))
    for b in rows:
        if b.error:
            console.print(f"[red]{b.service}: outbox not readable: {b.error}")


# -- dead letters ----------------------------------------------------------------------------------------
@app.command("dead-letters")
def dead_letters(topic: Annotated[str | None, typer.Argument(help="the original topic; all when left out")] = None,
                 consumer: Annotated[str | None, typer.Option(help="only this consumer group's")] = None) -> None:
    """Dead letters per topic, each with its event, consumer group and error."""
    where = _where()
    counts = asyncio.run(probes.dead_letter_counts(where, [topic] if topic else None))
    topics = [t for t, n in counts.items() if n]
    if not topics:
        console.print("no dead letters")
        return
    t = Table(title="Dead letters")
    for col in ("topic", "dlq offset", "type", "event id", "consumer", "attempts", "error"):
        t.add_column(col, overflow="fold")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("reading dead-letter topics", total=len(topics))
        for name in topics:
            for d in asyncio.run(read_dead_letters(where.kafka, name)):
                s = d.summary()
                if consumer is None or s["consumer"] == consumer:
                    t.add_row(name, s["dlq_offset"], s["type"], s["id"], s["consumer"], s["attempts"], s["error"])
            progress.advance(task)
    console.print(t)


@app.command("replay")
def replay_command(
    topic: Annotated[str, typer.Argument(help="the original topic, e.g. reception.repair-orders")],
    offset: Annotated[list[str] | None, typer.Option(help="one dead letter, as PARTITION:OFFSET (repeatable)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dead letter of the topic")] = False,
    consumer: Annotated[str | None, typer.Option(help="only this consumer group's dead letters")] = None,
) -> None:
    """Send dead letters back to their topic, through the normal consumers (once the cause is fixed)."""
    if not all_ and not offset:
        raise typer.BadParameter("say which: --offset PARTITION:OFFSET (repeatable) or --all")
    where = _where()
    letters = asyncio.run(read_dead_letters(where.kafka, topic))
    chosen = [d for d in letters if (consumer is None or d.header("dlq_consumer") == consumer)
              and (not offset or f"{d.partition}:{d.offset}" in offset)]
    missing = set(offset or ()) - {f"{d.partition}:{d.offset}" for d in chosen}
    if missing:
        raise typer.BadParameter(f"no such dead letter on {topic}.dlq: {', '.join(sorted(missing))}")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"replaying to {topic}", total=len(chosen))
        done = asyncio.run(replay(where.kafka, topic, letters=chosen, on_sent=lambda _: progress.advance(task)))
    console.print(f"replayed {len(done)} dead letter(s) to {topic}: "
                  + ", ".join(f"{d.partition}:{d.offset} ({d.header('ce_id')})" for d in done))


# -- doctor ----------------------------------------------------------------------------------------------
@app.command()
def doctor() -> None:
    """One screen: what is wrong with the running platform (exit 1 when anything is)."""
    from .doctor import examine, render

    report = asyncio.run(examine(_where()))
    render(console, report)
    raise typer.Exit(1 if report.problems else 0)


if __name__ == "__main__":
    app()
