"""The Python producer API for upstream apps, and the reader of where requests ended.

async with ModstreamClient(get_settings()) as client:
    request_id = await client.submit_prompt("a lighthouse at dusk", user_id="alice")
    ends = await wait_for_ends(get_settings(), [request_id], timeout_s=60)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams import topics
from streams.blobs import BlobStore, open_blob_store
from streams.config import Settings
from streams.events import Event, GenerationRequest, ImageSubmission, new_request_id
from streams.kafka import ensure_topics, partitions_of
from streams.telemetry import headers_with_context, produce_span


def media_type_of(data: bytes) -> str:
    """The media type by magic number; the screen stage decodes and checks the image itself."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


class ModstreamClient:
    def __init__(self, settings: Settings, blobs: BlobStore | None = None) -> None:
        self.settings = settings
        self.blobs = blobs or open_blob_store(settings.blob_location, settings.s3_endpoint_url)
        self._producer = AIOKafkaProducer(**settings.kafka().client_options(), acks="all")

    async def __aenter__(self) -> ModstreamClient:
        await ensure_topics(self.settings)
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def _publish(self, topic: str, event: Event) -> str:
        with produce_span(topic, event.request_id):
            await self._producer.send_and_wait(
                topic,
                key=event.request_id.encode(),
                value=event.to_bytes(),
                headers=list(headers_with_context().items()),
            )
        return event.request_id

    async def submit_prompt(
        self,
        prompt: str,
        *,
        user_id: str,
        tenant: str = "default",
        reference_image: bytes | None = None,
        subject_consent: bool = False,
        seed: int | None = None,
        reference_scale: float | None = None,
        request_id: str | None = None,
    ) -> str:
        reference = self.blobs.put(reference_image, media_type_of(reference_image)) if reference_image else None
        request = GenerationRequest(
            request_id=request_id or new_request_id(),
            tenant=tenant,
            user_id=user_id,
            prompt=prompt,
            reference_image=reference,
            subject_consent=subject_consent,
            seed=seed,
            reference_scale=reference_scale,
        )
        return await self._publish(topics.REQUESTS, request)

    async def submit_image(
        self,
        image: bytes,
        *,
        user_id: str,
        tenant: str = "default",
        prompt: str | None = None,
        request_id: str | None = None,
    ) -> str:
        submission = ImageSubmission(
            request_id=request_id or new_request_id(),
            tenant=tenant,
            user_id=user_id,
            image=self.blobs.put(image, media_type_of(image)),
            prompt=prompt,
        )
        return await self._publish(topics.SUBMISSIONS, submission)

    async def send_raw(self, topic: str, value: bytes, key: str | None = None) -> None:
        """Send bytes as they are (for tests and demos of malformed input)."""
        await self._producer.send_and_wait(topic, key=key.encode() if key else None, value=value)


@dataclass(frozen=True)
class EndRecord:
    """Where a request ended: ``outcomes`` (published / rejected), ``review`` or ``dead-letter``."""

    topic: str
    value: dict[str, Any]
    timestamp_ms: int = 0  # when the stage that wrote it sent it (the Kafka record's create time)
    partition: int = 0  # the partition the request kept from stage to stage

    @property
    def end(self) -> str:
        if self.topic == topics.OUTCOMES:
            return str(self.value["status"])
        return self.topic


async def wait_for_ends(
    settings: Settings, request_ids: list[str], timeout_s: float, settle_s: float = 0.0
) -> dict[str, list[EndRecord]]:
    """Every end record of the given requests, waiting until each has one or ``timeout_s`` passes.

    ``settle_s`` keeps reading that long after the last request got its end, to catch duplicates.
    """
    wanted = set(request_ids)
    ends: dict[str, list[EndRecord]] = {request_id: [] for request_id in request_ids}
    consumer = AIOKafkaConsumer(**settings.kafka().consumer_options(), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = await partitions_of(settings.kafka(), topics.ENDS)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout_s
        settled_at: float | None = None
        while time.monotonic() < deadline:
            if settled_at is None and all(ends[r] for r in wanted):
                settled_at = time.monotonic() + settle_s
            if settled_at is not None and time.monotonic() >= settled_at:
                break
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    key = record.key.decode(errors="replace") if record.key else None
                    if key in wanted:
                        end = EndRecord(record.topic, json.loads(record.value), record.timestamp, record.partition)
                        ends[key].append(end)
    finally:
        await consumer.stop()
    return ends
