"""The per-tenant token bucket and the index of ends, on their own."""

from __future__ import annotations

import asyncio

from streams.client import EndRecord
from streams.gateway.ends import EndIndex, end_name
from streams.gateway.limits import RateLimiter


def test_the_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_s=2.0, burst=2, clock=lambda: now[0])
    assert limiter.retry_after("a") is None and limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1
    now[0] = 0.5  # one token back
    assert limiter.retry_after("a") is None and limiter.retry_after("a") == 1
    assert limiter.retry_after("b") is None  # tenants do not share a bucket


def test_a_reader_waits_for_an_end_and_the_index_keeps_the_newest() -> None:
    async def scenario() -> tuple[list[EndRecord], list[EndRecord], list[EndRecord]]:
        index = EndIndex(capacity=2)
        waiting = asyncio.create_task(index.wait("r1", timeout_s=5))
        await asyncio.sleep(0.05)
        index.add("r1", EndRecord("dead-letter", {"reason": "not an image"}))
        found = await waiting
        missing = await index.wait("r9", timeout_s=0.05)
        index.add("r2", EndRecord("outcomes", {"status": "rejected"}))
        index.add("r3", EndRecord("review", {}))
        return found, missing, index.ends_of("r1")

    found, missing, evicted = asyncio.run(scenario())
    assert [end_name(seen) for seen in found] == ["dead_letter"] and missing == [] and evicted == []


def test_an_end_read_again_after_a_reconnection_is_kept_once() -> None:
    index = EndIndex()
    for _ in range(2):
        index.add("r1", EndRecord("outcomes", {"status": "published"}))
    assert [end_name(seen) for seen in index.ends_of("r1")] == ["published"]
