"""The per-tenant token bucket and the index of ends, on their own."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from streams.client import EndRecord
from streams.gateway.ends import EndIndex, accept, end_name
from streams.gateway.limits import RateLimiter
from streams.stages.memory import MEMORY_AUTHENTICATOR


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


@dataclass
class Record:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def test_a_forged_outcome_is_not_shown_to_the_app_and_a_real_one_is() -> None:
    value = b'{"request_id": "r1", "status": "published"}'
    tagged = Record("outcomes", b"r1", value, list(MEMORY_AUTHENTICATOR.headers("outcomes", b"r1", value).items()))
    assert accept(tagged, MEMORY_AUTHENTICATOR) == ("r1", EndRecord("outcomes", json.loads(value)))
    assert accept(Record("outcomes", b"r1", value, []), MEMORY_AUTHENTICATOR) is None
    # dead letters are written for bad input of any origin and need no tag; unreadable records are skipped
    letter = b'{"request_id": "r2", "reason": "empty message"}'
    assert accept(Record("dead-letter", b"r2", letter, []), MEMORY_AUTHENTICATOR) is not None
    assert accept(Record("dead-letter", None, b"{not json", []), MEMORY_AUTHENTICATOR) is None
