"""Feeds the store from Kafka: the ``audit`` topic into the audit store, ``review`` into the queue.

Offsets are committed after the rows are written, and both writes are idempotent, so a restart
repeats at most a few events and records none twice. An unreadable event is logged and skipped. The audit
events of one fetch are written in one transaction: a commit per event cost the review service about 10 ms
of CPU per request under load, on the cores the models need.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer
from sqlalchemy.exc import SQLAlchemyError

from streams import topics
from streams.authentication import MessageAuthenticator
from streams.events import AuditEvent, InvalidEvent, ReviewItem
from streams.kafka_connection import KafkaConnection
from streams.policy import PolicyStore
from streams.store import AuditStore, ReviewQueue

log = logging.getLogger("modstream.review")
GROUP = "modstream-review-store"
# A reviewer does not notice half a second, and every fetch costs the broker CPU that the models need.
FEED_FETCH_MAX_WAIT_MS = 500
RETRY_S = 2.0


async def ingest(
    kafka: KafkaConnection,
    audit: AuditStore,
    queue: ReviewQueue,
    policy: PolicyStore,
    authenticator: MessageAuthenticator,
) -> None:
    consumer = AIOKafkaConsumer(
        topics.AUDIT,
        topics.REVIEW,
        **kafka.consumer_options(FEED_FETCH_MAX_WAIT_MS),
        group_id=GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=200)
            # a forged audit or review event is skipped
            authentic = [r for records in batches.values() for r in records if authenticator.authentic(r)]
            try:
                store_records([(r.topic, r.value or b"") for r in authentic], audit, queue, policy)
            except SQLAlchemyError:  # the database is away: read the batch again once it is back
                log.exception("writing to the store failed; retrying in %s s", RETRY_S)
                await consumer.seek_to_committed()
                await asyncio.sleep(RETRY_S)
                continue
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()


def store_records(records: list[tuple[str, bytes]], audit: AuditStore, queue: ReviewQueue, policy: PolicyStore) -> None:
    """Write each (topic, value) of ``records`` to its store: audit events in one transaction, review items
    queued with their policy priority."""
    events: list[AuditEvent] = []
    for topic, value in records:
        try:
            if topic == topics.AUDIT:
                events.append(AuditEvent.from_bytes(value))
            else:
                item = ReviewItem.from_bytes(value)
                queue.add(item, policy.current().rules.review_priority.get(item.reason_code or "", 0))
        except InvalidEvent as exc:
            log.warning("skipped an unreadable %s event: %s", topic, exc)
    audit.record_all(events)
