"""The Faust app's transport: the worker's consumer waits briefly for data while it has little to do, and as
long as configured once it has a backlog (Faust fixes 1500 ms)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from streams import kafka_transport
from streams.config import Settings, get_settings
from streams.kafka_transport import FetchWaits, follow_backlog

WAITS = FetchWaits(idle_ms=10, backlog_ms=500, backlog_events=8)


@pytest.mark.parametrize(("unfinished", "wait_ms"), [(0, 10), (7, 10), (8, 500), (300, 500)])
def test_the_wait_is_short_until_the_backlog_is_reached(unfinished: int, wait_ms: int) -> None:
    assert WAITS.for_unfinished(unfinished) == wait_ms


def test_waits_come_from_the_settings() -> None:
    settings = Settings(kafka_fetch_max_wait_ms=700, kafka_idle_fetch_max_wait_ms=5, kafka_backlog_events=3)
    assert FetchWaits.from_settings(settings) == FetchWaits(idle_ms=5, backlog_ms=700, backlog_events=3)


class PlanningFetcher:
    """Records the wait each planned fetch was given, as aiokafka's ``Fetcher`` reads it when it plans."""

    def __init__(self) -> None:
        self._fetch_max_wait_ms = 1500
        self.planned: list[int] = []

    def _get_actions_per_node(self, assignment: Any) -> str:
        self.planned.append(self._fetch_max_wait_ms)
        return f"plan for {assignment}"


def test_every_planned_fetch_gets_the_wait_of_the_backlog_at_that_moment() -> None:
    fetcher = PlanningFetcher()
    backlog = [0, 12, 3]
    follow_backlog(fetcher, WAITS, lambda: backlog.pop(0))  # type: ignore[arg-type]
    plans = [fetcher._get_actions_per_node(n) for n in range(3)]
    assert plans == ["plan for 0", "plan for 1", "plan for 2"]
    assert fetcher.planned == [10, 500, 10]


@pytest.mark.parametrize("wait_ms", ["10", "40"])
def test_the_worker_consumer_starts_with_the_idle_wait(wait_ms: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODSTREAM_KAFKA_IDLE_FETCH_MAX_WAIT_MS", wait_ms)
    get_settings.cache_clear()

    async def fetch_wait() -> int:
        app = faust.App("transport-check", broker=f"{kafka_transport.SCHEME}://127.0.0.1:1")
        assert isinstance(app.transport, kafka_transport.Transport)
        consumer = app.consumer._thread._create_worker_consumer(app.transport)  # built, never started
        try:
            return int(consumer._fetch_max_wait_ms)
        finally:
            await consumer.stop()

    try:
        assert asyncio.run(fetch_wait()) == int(wait_ms)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("offsets", "committed", "first"),
    [([], 31, None), ([31, 33], 31, 31), ([29, 33], 31, 33), ([4, 2], None, 2), ([30], 31, None)],
)
def test_the_first_event_in_flight_is_the_lowest_unacknowledged_offset_not_yet_committed(
    offsets: list[int], committed: int | None, first: int | None
) -> None:
    assert kafka_transport.lowest_in_flight(offsets, committed) == first


TOPIC_PARTITION = TP("screened", 0)


def consumer_with(consumer_class: type[Any], committed: int | None, acked: list[int], in_flight: list[int]) -> Any:
    """A Faust consumer (built, never started) at ``committed``, with ``acked`` offsets acknowledged and the
    events at ``in_flight`` handed to an agent and still being handled."""
    app = faust.App("commit-check", broker=f"{kafka_transport.SCHEME}://127.0.0.1:1")
    consumer = consumer_class(
        app.transport,
        callback=app.topics.on_message,
        on_partitions_revoked=app._on_partitions_revoked,
        on_partitions_assigned=app._on_partitions_assigned,
    )
    app.topics._acking_topics.add(TOPIC_PARTITION.topic)  # as the conductor does for an agent's topic
    consumer._committed_offset[TOPIC_PARTITION] = committed
    messages = [Message(TOPIC_PARTITION.topic, 0, offset, 0.0, 0, None, None, b"", b"") for offset in acked + in_flight]
    for message in messages:
        consumer.track_message(message)
    for message in messages[: len(acked)]:
        consumer.ack(message)
    consumer.held = messages  # the messages are weakly referenced by the consumer
    return consumer


@pytest.mark.parametrize(("committed", "acked", "in_flight"), [(31, [32, 33, 34], [31]), (None, [1, 2, 3], [0])])
def test_fausts_own_consumer_commits_past_an_event_in_flight(
    committed: int | None, acked: list[int], in_flight: list[int]
) -> None:
    """faust-streaming#606, which the transport's consumer works around; when this fails, Faust fixed it."""
    consumer = consumer_with(faust_aiokafka.Consumer, committed, acked, in_flight)
    assert consumer._new_offset(TOPIC_PARTITION) == acked[-1] + 1


@pytest.mark.parametrize(("committed", "acked", "in_flight"), [(31, [32, 33, 34], [31]), (None, [1, 2, 3], [0])])
def test_the_worker_never_commits_past_an_event_in_flight(
    committed: int | None, acked: list[int], in_flight: list[int]
) -> None:
    consumer = consumer_with(kafka_transport.Consumer, committed, acked, in_flight)
    assert consumer._new_offset(TOPIC_PARTITION) is None
    head = next(m for m in consumer.held if m.offset == in_flight[0])
    consumer.ack(head)  # the event in flight is done: everything acknowledged commits at once
    assert consumer._new_offset(TOPIC_PARTITION) == acked[-1] + 1


def test_offsets_before_the_first_event_in_flight_still_commit() -> None:
    consumer = consumer_with(kafka_transport.Consumer, 10, [10, 11, 13, 14], [12])
    assert consumer._new_offset(TOPIC_PARTITION) == 12
    assert sorted(consumer._acked[TOPIC_PARTITION]) == [13, 14]
