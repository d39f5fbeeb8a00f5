"""Plain aiokafka: reads of whole topic partitions (for the outcomes ledger and clients), and the topics themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from streams import topics
from streams.config import Settings
from streams.kafka_connection import KafkaConnection

# The topic settings that `modstream topics list` shows.
SHOWN_CONFIGS = ("retention.ms", "cleanup.policy")
# A read to the end stops there, so a short fetch wait costs no polling; on Tansu a long one would be part of
# every first read of a partition's ends by the outcomes stage.
READ_TO_END_FETCH_MAX_WAIT_MS = 10


async def read_to_end(kafka: KafkaConnection, partitions: Iterable[TopicPartition]) -> AsyncIterator[ConsumerRecord]:
    """Every record of the given partitions, from the beginning up to their end at the time of the call."""
    wanted = list(partitions)
    options = kafka.consumer_options(READ_TO_END_FETCH_MAX_WAIT_MS)
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(wanted)
        ends = await consumer.end_offsets(wanted)
        await consumer.seek_to_beginning(*wanted)
        remaining = {tp for tp in wanted if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()


async def partitions_of(kafka: KafkaConnection, topics: Iterable[str]) -> list[TopicPartition]:
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        await consumer.topics()  # fetches the cluster's metadata
        found = []
        for topic in topics:
            for partition in sorted(consumer.partitions_for_topic(topic) or ()):
                found.append(TopicPartition(topic, partition))
        return found
    finally:
        await consumer.stop()


async def ensure_topics(settings: Settings) -> list[str]:
    """Create every modstream topic that does not exist yet, with the configured partitions and retention, so
    that consumers can subscribe to every topic from the start and no producer auto-creates one with the wrong
    partition count (every topic must share one count to keep requests co-partitioned). Returns those created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(**settings.kafka().client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics.ALL if name not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(name, settings.topic_partitions, 1, topic_configs=settings.topic_config(name))
                 for name in missing]
            )  # fmt: skip
        return missing
    finally:
        await admin.close()


@dataclass(frozen=True)
class TopicState:
    """A topic as the broker holds it."""

    name: str
    partitions: int | None  # None: the topic does not exist
    config: dict[str, str]


async def describe_topics(kafka: KafkaConnection, names: Iterable[str]) -> list[TopicState]:
    """Partitions and the topic-level configuration (retention) of each topic, as the broker reports them."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    names = list(names)
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        present = [name for name in names if name in existing]
        partitions = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(present)} if present else {}
        configs: dict[str, dict[str, str]] = {}
        if present:
            answers = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in present])
            for answer in answers:
                for resource in answer.resources:
                    _, _, _, name, entries = resource[:5]
                    configs[name] = {entry[0]: entry[1] for entry in entries if entry[0] in SHOWN_CONFIGS}
        return [TopicState(name, partitions.get(name), configs.get(name, {})) for name in names]
    finally:
        await admin.close()
