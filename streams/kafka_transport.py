"""The Faust app's Kafka transport: Faust's own (aiokafka), with a fetch wait that follows the worker's backlog.

Faust fixes its consumer's ``fetch_max_wait_ms`` at 1500. A broker that answers a waiting fetch only when
that time is up, as the embedded Tansu does, then adds on average half of it to every hop between two
stages (measured: 750 ms at 1500, 14 ms at 20); Apache Kafka answers as soon as data arrives. A short wait
costs a fetch every few milliseconds, which on Tansu takes CPU from the models under load (broker and
client together about a quarter of a core at 10 ms). So the worker's fetches wait briefly while it has
little to do, where a new event is started at once and every millisecond of waiting is latency, and long
once it has a backlog, where a new event would queue behind the others anyway (``FetchWaits``).

Its consumer also never commits past an event still in flight (``Consumer._new_offset``): Faust's own,
with an agent's ``concurrency`` above one, commits a partition's acknowledged offsets when the event just
before them is still being handled (faust-streaming#606), and a worker killed then loses that event.

The app names this transport by its URL scheme (``SCHEME://host:port``), registered with Faust's transports
when this module is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiokafka
from aiokafka.consumer.fetcher import Fetcher
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from streams.config import Settings, get_settings

SCHEME = "modstream-kafka"


@dataclass(frozen=True)
class FetchWaits:
    """How long the worker's next fetch may wait for data, by how many of its events are unfinished."""

    idle_ms: int
    backlog_ms: int
    backlog_events: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchWaits:
        return cls(
            settings.kafka_idle_fetch_max_wait_ms, settings.kafka_fetch_max_wait_ms, settings.kafka_backlog_events
        )

    def for_unfinished(self, unfinished: int) -> int:
        return self.backlog_ms if unfinished >= self.backlog_events else self.idle_ms


def follow_backlog(fetcher: Fetcher, waits: FetchWaits, unfinished: Callable[[], int]) -> None:
    """Sets ``fetcher``'s wait before each fetch it plans, from ``unfinished()`` (read from another thread)."""
    plan = fetcher._get_actions_per_node

    def plan_with_wait(assignment: Any) -> Any:
        fetcher._fetch_max_wait_ms = waits.for_unfinished(unfinished())
        return plan(assignment)

    # aiokafka's fetch routine looks the method up on every round, so the instance attribute takes over
    fetcher._get_actions_per_node = plan_with_wait  # type: ignore[method-assign]


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka keeps the value until start() builds the fetcher with it
        consumer._fetch_max_wait_ms = get_settings().kafka_idle_fetch_max_wait_ms
        return consumer

    async def on_start(self) -> None:
        await super().on_start()
        assert self._consumer is not None  # on_start has just built and started it
        # Faust's consumer counts the events it handed to the agents and that are not acknowledged yet
        waits = FetchWaits.from_settings(get_settings())
        follow_backlog(self._consumer._fetcher, waits, lambda: len(self.consumer.unacked))


def lowest_in_flight(offsets: Iterable[int], committed: int | None) -> int | None:
    """The first of a partition's unacknowledged ``offsets`` at or past the ``committed`` one (the next to read)."""
    return min((offset for offset in offsets if committed is None or offset >= committed), default=None)


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _new_offset(self, tp: TP) -> int | None:
        """Faust's next offset to commit for ``tp``, computed only from the offsets acknowledged before the
        first event of ``tp`` still in flight; the later ones wait in ``_acked`` for the next commit."""
        unacked = (m.offset for m in list(self._unacked_messages) if m.tp == tp and not m.acked)
        first_in_flight = lowest_in_flight(unacked, self._committed_offset[tp])
        if first_in_flight is None:
            return super()._new_offset(tp)
        acked = self._acked[tp]
        held_back = [offset for offset in acked if offset > first_in_flight]
        acked[:] = [offset for offset in acked if offset < first_in_flight]
        try:
            return super()._new_offset(tp)
        finally:
            acked.extend(held_back)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
