"""The worker's real stage services: Triton, the blob store, the policy file, Kafka and the C2PA signer.

Built once per worker process from the settings, inside its running event loop (the Triton client's
gRPC channel belongs to the loop that created it).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any

import faust
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from streams import topics
from streams.authentication import DecisionVerifier, MessageAuthenticator
from streams.blobs import open_blob_store
from streams.config import Settings
from streams.errors import TransientError
from streams.events import DeadLetter, Event
from streams.imaging import PNG
from streams.inference import TritonClient
from streams.kafka import read_to_end
from streams.kafka_connection import KafkaConnection
from streams.policy import PolicyStore
from streams.provenance import Credentials, load_credentials, sign_image
from streams.stages.services import ImageLimits, StageServices
from streams.telemetry import headers_with_context, produce_span


class BrokerUnavailable(TransientError):
    """The broker did not acknowledge a message."""


class KafkaSender:
    """Sends through the Faust app's topics, inside a producer span, and waits for the acknowledgement."""

    def __init__(self, app_topics: dict[str, faust.TopicT], authenticator: MessageAuthenticator) -> None:
        self.topics = app_topics
        self.authenticator = authenticator

    async def send(self, topic: str, key: str | None, event: Event | DeadLetter, partition: int | None) -> None:
        raw_key, value = key.encode() if key else None, event.to_bytes()
        tag = self.authenticator.headers(topic, raw_key, value)
        with produce_span(topic, key):
            try:
                delivery = await self.topics[topic].send(
                    key=raw_key, value=value, partition=partition, headers=headers_with_context(tag)
                )
                await delivery
            except KafkaError as exc:
                raise BrokerUnavailable(f"{topic}: {exc!r}") from exc


class EndLedger:
    """Request ids that already have an outcome or a review item, per partition owned by this worker, read
    from the end topics themselves."""

    def __init__(self, kafka: KafkaConnection, authenticator: MessageAuthenticator) -> None:
        self.kafka = kafka
        self.authenticator = authenticator
        self._seen: dict[int, dict[str, Counter[str]]] = {}

    async def seen(self, partition: int) -> dict[str, Counter[str]]:
        if partition not in self._seen:
            found: dict[str, Counter[str]] = {topics.OUTCOMES: Counter(), topics.REVIEW: Counter()}
            partitions = [TopicPartition(topic, partition) for topic in found]
            async for record in read_to_end(self.kafka, partitions):
                if record.key and self.authenticator.authentic(record):  # a forged end must not hide the real one
                    found[record.topic][record.key.decode()] += 1
            self._seen[partition] = found
        return self._seen[partition]

    def forget(self) -> None:
        """Another worker may write ends of the revoked partitions now; re-read them if they come back."""
        self._seen.clear()


class C2paSigner:
    """Signs with the configured certificate, or a development CA created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def credentials(self) -> Credentials:
        s = self.settings
        return load_credentials(s.c2pa_cert, s.c2pa_key, s.c2pa_trust_anchors, s.data_dir)

    def __call__(self, image: bytes, moderation: dict[str, Any], watermark: str) -> bytes:
        return sign_image(image, PNG, self.credentials, moderation, watermark)


def build_services(settings: Settings, app_topics: dict[str, faust.TopicT]) -> StageServices:
    authenticator = settings.message_authenticator()
    return StageServices(
        inference=TritonClient(
            settings.triton_grpc, timeout_s=settings.triton_timeout_s, retries=settings.triton_retries
        ),
        blobs=open_blob_store(settings.blob_location, settings.s3_endpoint_url),
        policies=PolicyStore(settings.policy_path),
        pseudonym_key=settings.hmac_key(),
        watermark_key=settings.watermark_secret(),
        sender=KafkaSender(app_topics, authenticator),
        ends=EndLedger(settings.kafka(), authenticator),
        sign=C2paSigner(settings),
        limits=ImageLimits(settings.max_image_bytes, settings.max_image_pixels),
        authenticator=authenticator,
        review_signatures=DecisionVerifier.load(
            settings.review_verify_key, settings.review_signing_key_file, settings.review_signing_key is None
        ),
        executor=ThreadPoolExecutor(settings.worker_threads, thread_name_prefix="modstream-blocking"),
    )
