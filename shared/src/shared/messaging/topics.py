"""Topics are created up front: a consumer subscribed to a topic that does not exist yet would
not see it until its next metadata refresh (minutes), so services ensure the catalogue's topics
and their dead-letter twins exist before they subscribe."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts import TOPICS

from .consumer import dlq_topic


def catalogue_topics() -> list[str]:
    return sorted({*TOPICS, *(dlq_topic(t) for t in TOPICS)})


async def ensure_topics(bootstrap_servers: str, topics: list[str] | None = None, *, partitions: int = 3,
                        replication_factor: int = 1) -> list[str]:
    """Create missing topics; returns the ones created."""
    wanted = topics or catalogue_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-setup")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(t, partitions, replication_factor) for t in missing])
            except TopicAlreadyExistsError:
                pass  # another service got there first
        return missing
    finally:
        await admin.close()
