"""Consumer lag as Kafka sees it: a group's committed offset against each partition's end.

The consumer also sets `kafka_consumer_lag` when a message arrives, but a consumer that is stuck
or gone receives nothing, and its last figure would stay put. `LagMonitor` asks the broker
instead, every few seconds, for the groups of one service; `read_lag` answers the ops command for
any groups. A partition the group never committed counts from its first offset (the consumers
start at "earliest").
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.observability import CONSUMER_LAG, get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None
    """The group's committed offset; None: never committed."""
    end: int

    start: int = 0

    @property
    def lag(self) -> int:
        return max(self.end - (self.committed if self.committed is not None else self.start), 0)


class LagReader:
    """An admin client and a group-less consumer (for partition ends), opened once and reused."""

    def __init__(self, bootstrap: str, client_id: str = "lag-reader") -> None:
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
        self.offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                        client_id=client_id)

    async def start(self) -> None:
        await self.admin.start()
        await self.offsets.start()

    async def stop(self) -> None:
        await self.offsets.stop()
        await self.admin.close()

    async def groups(self) -> list[str]:
        """Every consumer group the cluster knows."""
        return sorted({g[0] for g in await self.admin.list_consumer_groups()})

    async def read(self, groups: Mapping[str, Iterable[str]]) -> list[PartitionLag]:
        """Lag per partition of each group; `groups` maps a group id to the topics it reads (empty: the
        topics it has committed offsets on)."""
        out: list[PartitionLag] = []
        for group, topics in groups.items():
            committed = {tp: om.offset for tp, om in (await self.admin.list_consumer_group_offsets(group)).items()
                         if om.offset >= 0}
            tps = set(committed)
            for topic in topics:
                tps |= {TopicPartition(topic, p) for p in await self._partitions(topic)}
            if not tps:
                continue
            tps_sorted = sorted(tps)
            ends = await self.offsets.end_offsets(tps_sorted)
            starts = await self.offsets.beginning_offsets(tps_sorted)
            out += [PartitionLag(group, tp.topic, tp.partition, committed.get(tp), ends[tp], starts[tp])
                    for tp in tps_sorted]
        return out

    async def _partitions(self, topic: str) -> set[int]:
        parts = self.offsets.partitions_for_topic(topic)
        if parts is None:
            await self.offsets._client.force_metadata_update()  # a fresh client may not know the topic yet
            parts = self.offsets.partitions_for_topic(topic)
        return set(parts or ())


async def read_lag(bootstrap: str, groups: Mapping[str, Iterable[str]] | None = None) -> list[PartitionLag]:
    """One reading; by default every group of the cluster, by its committed offsets."""
    reader = LagReader(bootstrap, client_id="ops-lag")
    await reader.start()
    try:
        if groups is None:
            groups = {g: () for g in await reader.groups()}
        return await reader.read(groups)
    finally:
        await reader.stop()


class LagMonitor:
    """Sets `kafka_consumer_lag` for one service's consumer groups from the broker, every `interval` seconds."""

    def __init__(self, bootstrap: str, service: str, consumers: Mapping[str, tuple[str, Iterable[str]]],
                 interval: float = 15.0) -> None:
        """`consumers`: group id -> (the consumer's name, the label; its topics)."""
        self.bootstrap = bootstrap
        self.service = service
        self.consumers = {g: (name, tuple(topics)) for g, (name, topics) in consumers.items()}
        self.interval = interval

    async def observe_once(self, reader: LagReader) -> list[PartitionLag]:
        lags = await reader.read({g: topics for g, (_, topics) in self.consumers.items()})
        for p in lags:
            name = self.consumers[p.group][0]
            CONSUMER_LAG.labels(self.service, name, p.topic, str(p.partition)).set(p.lag)
        return lags

    async def run(self) -> None:
        while True:
            reader = LagReader(self.bootstrap, client_id=f"{self.service}-lag")
            try:
                await reader.start()
                break
            except Exception as e:  # Kafka not there yet: the service still starts; try again later
                log.warning("lag.reader_not_started", error=repr(e))
                with contextlib.suppress(Exception):
                    await reader.stop()
                await asyncio.sleep(self.interval)
        try:
            while True:
                try:
                    await self.observe_once(reader)
                except Exception as e:  # one failed reading leaves the last figures; the next may work
                    log.warning("lag.read_failed", error=repr(e))
                await asyncio.sleep(self.interval)
        finally:
            await reader.stop()
