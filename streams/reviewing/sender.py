"""How the review service puts events on Kafka: reviewers' decisions and the audit events of their views."""

from __future__ import annotations

from typing import Protocol

from aiokafka import AIOKafkaProducer

from streams.authentication import MessageAuthenticator
from streams.kafka_connection import KafkaConnection
from streams.telemetry import headers_with_context, produce_span


class Sender(Protocol):
    """Sends one event and returns once the broker has it (or raises)."""

    async def send(self, topic: str, key: str, value: bytes) -> None: ...


class KafkaSender:
    """A Kafka producer (acks=all) that carries the current trace context in its headers."""

    def __init__(self, kafka: KafkaConnection, authenticator: MessageAuthenticator) -> None:
        self.kafka = kafka
        self.authenticator = authenticator
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """The producer needs the running event loop, so it starts with the app."""
        self._producer = AIOKafkaProducer(**self.kafka.client_options(), acks="all")
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def send(self, topic: str, key: str, value: bytes) -> None:
        if self._producer is None:
            raise RuntimeError("the review service's Kafka producer has not started")
        tag = self.authenticator.headers(topic, key.encode(), value)
        with produce_span(topic, key):
            await self._producer.send_and_wait(
                topic, value=value, key=key.encode(), headers=list(headers_with_context(tag).items())
            )
