"""Scale-out: two workers share the partitions; under steady load one is killed with SIGKILL.

    .venv/bin/python -m benchmarks.scale_out --rate 1.5 --seconds 40 --kill-after 15

Starts the embedded stack and a second worker in the same consumer group, waits until both hold
partitions, then submits prompts at a steady rate and, ``--kill-after`` seconds in, kills the second worker
with SIGKILL, as a crash would. The broker notices once the worker's session times out
(``MODSTREAM_KAFKA_SESSION_TIMEOUT_S``) and the survivor takes its partitions. Writes
benchmarks/results/scale_out.json: requests that never reached an end or reached more than one (both
must be 0), and the pause: from the last end before the kill to the first end after it on one of the
killed worker's partitions (``pauses``).
``tests/integration/test_scale_out.py`` runs the same scenario and checks the ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.pipeline import temporary_stack
from streams import topics
from streams.client import EndRecord, ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.processes import Part
from streams.stack import REPO_ROOT, Stack, start_worker
from streams.top import scrape

RESULTS = REPO_ROOT / "benchmarks" / "results" / "scale_out.json"


@dataclass
class KillRun:
    """What a run with a killed worker left: every request's ends, and when the kill happened."""

    ends: dict[str, list[EndRecord]]
    killed_at_ms: int
    killed_owned: set[tuple[str, int]]  # the killed worker's partitions (topic, number) just before the kill

    @property
    def lost(self) -> list[str]:
        return [request_id for request_id, records in self.ends.items() if not records]

    @property
    def duplicated(self) -> dict[str, list[str]]:
        return {request_id: [r.end for r in records] for request_id, records in self.ends.items() if len(records) > 1}

    @property
    def moved(self) -> set[int]:
        """The partitions the survivor took over: an end is written to its decision's partition."""
        return {partition for topic, partition in self.killed_owned if topic == topics.DECISIONS}

    def pauses(self) -> dict[str, float | None]:
        return pauses([record for records in self.ends.values() for record in records], self.killed_at_ms, self.moved)


def pauses(ends: list[EndRecord], killed_at_ms: int, moved: set[int]) -> dict[str, float | None]:
    """From the last end before the kill to the first end after it on a ``moved`` partition (``pause_s``),
    and to the first end of the moved partition that resumed last (``slowest_partition_s``, an upper
    bound: a partition may also have had nothing to end for a while). None without ends on both sides."""
    before = [end.timestamp_ms for end in ends if end.timestamp_ms <= killed_at_ms]
    resumed: dict[int, int] = {}
    for end in ends:
        if end.partition in moved and end.timestamp_ms > killed_at_ms:
            resumed[end.partition] = min(resumed.get(end.partition, end.timestamp_ms), end.timestamp_ms)
    if not before or not resumed:
        return {"pause_s": None, "slowest_partition_s": None}
    last = max(before)
    return {
        "pause_s": (min(resumed.values()) - last) / 1000,
        "slowest_partition_s": (max(resumed.values()) - last) / 1000,
    }


def start_second_worker(stack: Stack) -> tuple[Part, str]:
    """Another worker in the stack's consumer group (its own web port: the stack's plus one), ready once the
    group has rebalanced with it; and where it serves its metrics."""
    settings = stack.settings.model_copy(update={"worker_web_port": stack.settings.worker_web_port + 1})
    return start_worker(
        settings, stack.log_dir, name="worker-2"
    ), f"http://127.0.0.1:{settings.worker_web_port}/metrics"


def owned_partitions(metrics_url: str) -> set[tuple[str, int]]:
    """The partitions a worker owns now, as its consumer-lag gauge names them."""
    series = scrape([metrics_url]).series("modstream_consumer_lag")
    return {(dict(labels)["topic"], int(dict(labels)["partition"])) for labels in series}


async def steady_load(
    settings: Settings, rate: float, seconds: float, kill_after: float, kill: Callable[[], None]
) -> tuple[list[str], int]:
    """Prompts at ``rate`` per second for ``seconds``; ``kill()`` runs ``kill_after`` seconds in. The request
    ids and when the kill happened (ms since the epoch, the clock of the end records' timestamps)."""
    request_ids: list[str] = []
    killed_at_ms = 0
    started = time.monotonic()
    async with ModstreamClient(settings) as client:
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            if not killed_at_ms and time.monotonic() - started >= kill_after:
                killed_at_ms = int(time.time() * 1000)
                await asyncio.to_thread(kill)
            request_ids.append(await client.submit_prompt(f"scale-out prompt {n}", user_id=f"user-{n % 5}", seed=n))
    return request_ids, killed_at_ms


def kill_one_of_two(stack: Stack, settings: Settings, rate: float, seconds: float, kill_after: float) -> KillRun:
    """The scenario: a second worker joins, load starts, the second worker is SIGKILLed ``kill_after`` s in."""
    second, metrics_url = start_second_worker(stack)
    owned: set[tuple[str, int]] = set()

    def kill() -> None:
        try:
            owned.update(owned_partitions(metrics_url))
        finally:
            second.kill()

    try:
        request_ids, killed_at_ms = asyncio.run(steady_load(settings, rate, seconds, kill_after, kill))
    finally:
        second.stop()
    ends = asyncio.run(wait_for_ends(settings, request_ids, timeout_s=600, settle_s=5.0))
    return KillRun(ends, killed_at_ms, owned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1.5, help="prompts per second")
    parser.add_argument("--seconds", type=float, default=40, help="how long the load lasts")
    parser.add_argument("--kill-after", type=float, default=15, help="seconds into the load when a worker is killed")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with temporary_stack() as stack:
        print(
            f"... second worker; {args.rate} prompts/s for {args.seconds} s, kill at {args.kill_after} s",
            flush=True,
        )
        run = kill_one_of_two(stack, stack.effective_settings(), args.rate, args.seconds, args.kill_after)
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, no GPU",
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "kill_after_s": args.kill_after,
        "broker_session_timeout_s": stack.settings.kafka_session_timeout_s,
        "requests": len(run.ends),
        "lost": len(run.lost),
        "duplicated": len(run.duplicated),
        **run.pauses(),
        "killed_worker_partitions": sorted(f"{topic}/{partition}" for topic, partition in run.killed_owned),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['requests']} requests, {result['lost']} lost, {result['duplicated']} duplicated; "
          f"pause {result['pause_s']} s (slowest partition {result['slowest_partition_s']} s)")  # fmt: skip
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
