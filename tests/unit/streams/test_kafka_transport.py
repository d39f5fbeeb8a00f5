"""The Faust app's transport gives the worker's consumer the configured fetch wait (Faust fixes 1500 ms)."""

from __future__ import annotations

import asyncio

import faust
import pytest

from streams import kafka_transport
from streams.config import get_settings


@pytest.mark.parametrize("wait_ms", ["10", "500"])
def test_the_worker_consumer_waits_for_data_as_long_as_configured(
    wait_ms: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODSTREAM_KAFKA_FETCH_MAX_WAIT_MS", wait_ms)
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
