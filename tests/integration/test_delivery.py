"""At-least-once delivery with idempotent ends: a worker killed mid-stream loses nothing and repeats nothing."""

from __future__ import annotations

import time

import pytest

from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.stack import Stack
from tests.integration.conftest import run

pytestmark = pytest.mark.integration

REQUESTS = 200


async def count_ends(settings: Settings, request_ids: list[str]) -> int:
    ends = await wait_for_ends(settings, request_ids, timeout_s=1.0)
    return sum(1 for records in ends.values() if records)


def test_sigkill_mid_stream_loses_nothing_and_repeats_nothing(stack: Stack, settings: Settings) -> None:
    async def submit() -> list[str]:
        async with ModstreamClient(settings) as client:
            return [
                await client.submit_prompt(f"request {n} of the kill test", user_id=f"user-{n % 7}", seed=n)
                for n in range(REQUESTS)
            ]

    request_ids = run(submit())

    # Kill the worker once part of the stream has ended and the rest is still in flight.
    deadline = time.monotonic() + 180
    ended = 0
    while ended < 20 and time.monotonic() < deadline:
        ended = run(count_ends(settings, request_ids))
    assert 20 <= ended < REQUESTS, f"{ended} requests ended before the kill; the test needs some in flight"
    stack.parts["worker"].kill()
    killed_at = run(count_ends(settings, request_ids))
    print(f"worker killed with {killed_at}/{REQUESTS} requests ended")

    stack.restart_worker()
    ends = run(wait_for_ends(settings, request_ids, timeout_s=300, settle_s=5.0))

    missing = [r for r, records in ends.items() if not records]
    repeated = {r: [e.end for e in records] for r, records in ends.items() if len(records) > 1}
    assert not missing, f"{len(missing)} requests never reached an end"
    assert not repeated, f"{len(repeated)} requests reached more than one end: {list(repeated.items())[:5]}"
    assert all(records[0].end in {"published", "review"} for records in ends.values())
