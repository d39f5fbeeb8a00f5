"""The Faust app's transport: the worker's consumer waits briefly for data while it has little to do, and as
long as configured once it has a backlog (Faust fixes 1500 ms)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest

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
