"""The ends of requests, as the end topics hold them, indexed by request id for the gateway's reads.

One consumer (no group: every gateway process reads everything) follows ``outcomes``, ``review`` and
``dead-letter`` from the beginning, so that a restarted gateway still answers for requests sent before. The
index keeps the ends of the most recent ``capacity`` requests; readers may wait for an end to arrive.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from streams import topics
from streams.authentication import MessageAuthenticator
from streams.client import EndRecord
from streams.kafka_connection import KafkaConnection
from streams.metrics import DEAD_LETTER_END

log = logging.getLogger("modstream.gateway")
RECONNECT_S = 2.0


def end_name(record: EndRecord) -> str:
    """published, rejected, review or dead_letter: an end as the gateway's API and the metrics name it."""
    return DEAD_LETTER_END if record.topic == topics.DEAD_LETTER else record.end


def accept(record: Any, authenticator: MessageAuthenticator) -> tuple[str, EndRecord] | None:
    """The request id and end of a record of an end topic; None (logged) for one unreadable or forged."""
    if not authenticator.authentic(record):  # outcomes and review items come from modstream's parts only
        return None
    try:
        event = json.loads(record.value or b"")
        return (record.key or b"").decode() or event["request_id"], EndRecord(record.topic, event)
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        log.warning("skipped a %s record: %s", record.topic, exc)
        return None


class EndIndex:
    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._ends: OrderedDict[str, list[EndRecord]] = OrderedDict()
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}

    def ends_of(self, request_id: str) -> list[EndRecord]:
        return list(self._ends.get(request_id, []))

    def add(self, request_id: str, seen: EndRecord) -> None:
        """Record an end once (a re-read of the topics after a reconnection adds nothing) and wake its readers."""
        ends = self._ends.setdefault(request_id, [])
        if seen not in ends:
            ends.append(seen)
        self._ends.move_to_end(request_id)
        while len(self._ends) > self.capacity:
            self._ends.popitem(last=False)
        for waiter in self._waiting.pop(request_id, []):
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, request_id: str, timeout_s: float) -> list[EndRecord]:
        """The request's ends, waiting up to ``timeout_s`` for a first one."""
        if request_id not in self._ends and timeout_s > 0:
            arrived = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(request_id, []).append(arrived)
            try:
                await asyncio.wait_for(arrived, timeout_s)
            except TimeoutError:
                waiters = self._waiting.get(request_id, [])
                if arrived in waiters:
                    waiters.remove(arrived)
                if not waiters:
                    self._waiting.pop(request_id, None)
        return self.ends_of(request_id)

    async def follow(self, kafka: KafkaConnection, authenticator: MessageAuthenticator) -> None:
        """Read the end topics into the index until cancelled, reconnecting after a broker failure; an unreadable
        or forged record is logged and skipped."""
        while True:
            try:
                await self._read(kafka, authenticator)
            except KafkaError as exc:
                log.warning("reading the end topics failed (%r); reconnecting in %s s", exc, RECONNECT_S)
                await asyncio.sleep(RECONNECT_S)

    async def _read(self, kafka: KafkaConnection, authenticator: MessageAuthenticator) -> None:
        consumer = AIOKafkaConsumer(
            *topics.ENDS, **kafka.consumer_options(), group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            async for record in consumer:
                accepted = accept(record, authenticator)
                if accepted is not None:
                    self.add(*accepted)
        finally:
            await consumer.stop()
