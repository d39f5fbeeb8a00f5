"""Latency on an idle embedded stack: submit-to-end, and where the time goes, from the request traces.

    .venv/bin/python -m benchmarks.latency --requests 20

Starts the embedded stack in a temporary data directory and sends one request at a time (the stack idle
in between): prompts, then image submissions. Per request: submit-to-end (from the client's submit to the
end's Kafka timestamp, when the outcomes stage sent it), the stages' own work (the sum of ``timings_ms``),
the time outside any stage's work (their difference), and each hop's wait from the traces: for every
``process TOPIC`` span, its start minus the end of the ``send TOPIC`` span whose context it continues.
Then it measures the CPU the idle stack uses (20 s without requests). Writes
benchmarks/results/latency.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.pipeline import cpu_seconds, percentiles, temporary_stack
from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.stack import REPO_ROOT, Stack
from streams.telemetry import read_spans, setup_tracing, spans_of_request

RESULTS = REPO_ROOT / "benchmarks" / "results" / "latency.json"
IMAGE = REPO_ROOT / "samples" / "coffee.jpg"


async def one_request(settings: Settings, kind: str, n: int) -> dict[str, Any]:
    """Submit one request, wait for its end; the request id and the times the end tells."""
    async with ModstreamClient(settings) as client:
        submitted = time.time()
        if kind == "prompts":
            request_id = await client.submit_prompt(f"latency prompt {n}", user_id="bench", seed=n)
        else:
            request_id = await client.submit_image(IMAGE.read_bytes(), user_id="bench")
    (end, *_) = (await wait_for_ends(settings, [request_id], timeout_s=120))[request_id]
    total_ms = end.timestamp_ms - submitted * 1000
    stage_ms = sum(end.value.get("timings_ms", {}).values())
    return {"request_id": request_id, "end": end.end, "total_ms": total_ms, "outside_ms": total_ms - stage_ms}


def hop_waits(spans: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per topic, each consumer's start minus the end of the producer span it continues (ms)."""
    producers = {span["span_id"]: span for span in spans if span["kind"] == "PRODUCER"}
    waits: dict[str, list[float]] = defaultdict(list)
    for span in spans:
        sent = producers.get(span["parent_id"]) if span["kind"] == "CONSUMER" else None
        if sent is not None:
            waits[span["attributes"]["messaging.destination.name"]].append((span["start_ns"] - sent["end_ns"]) / 1e6)
    return waits


def measure(settings: Settings, kind: str, count: int) -> dict[str, Any]:
    for n in range(3):  # warm-up: first calls load models and open connections
        asyncio.run(one_request(settings, kind, 10_000 + n))
    requests = []
    for n in range(count):
        requests.append(asyncio.run(one_request(settings, kind, n)))
        print(f"... {kind} {n + 1}/{count}: {requests[-1]['total_ms']:.0f} ms", flush=True)
    return {"kind": kind, "requests": requests}


def idle_cpu(stack: Stack, seconds: float = 20.0) -> dict[str, float]:
    """Share of one core each part of the stack uses while nothing is submitted (the polling the short
    fetch wait of an idle worker costs shows here, in the broker and the worker)."""
    before = cpu_seconds(stack)
    time.sleep(seconds)
    return {part: round((spent - before[part]) / seconds, 3) for part, spent in cpu_seconds(stack).items()}


def summarise(run: dict[str, Any], spans: list[dict[str, Any]]) -> dict[str, Any]:
    requests = run["requests"]
    waits: dict[str, list[float]] = defaultdict(list)
    for request in requests:
        for topic, found in hop_waits(spans_of_request(spans, request["request_id"])).items():
            waits[topic] += found
    return {
        "kind": run["kind"],
        "requests": len(requests),
        "ends": {end: sum(1 for r in requests if r["end"] == end) for end in sorted({r["end"] for r in requests})},
        "submit_to_end_ms": percentiles([r["total_ms"] for r in requests]),
        "outside_stage_work_ms": percentiles([r["outside_ms"] for r in requests]),
        "hop_wait_ms": {topic: percentiles(found) for topic, found in sorted(waits.items())},
    }


def print_table(summaries: list[dict[str, Any]]) -> None:
    print("| input | requests | submit-to-end p50 / p99 ms | outside stage work p50 / p99 ms | hop wait p50 / p99 ms |")
    print("|---|---|---|---|---|")
    for s in summaries:
        hops = ", ".join(f"{topic} {w['p50']} / {w['p99']}" for topic, w in s["hop_wait_ms"].items())
        total, outside = s["submit_to_end_ms"], s["outside_stage_work_ms"]
        print(f"| {s['kind']} | {s['requests']} | {total['p50']} / {total['p99']} | {outside['p50']} / "
              f"{outside['p99']} | {hops} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20, help="requests per kind (prompts, images), one at a time")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with temporary_stack() as stack:
        effective = stack.effective_settings()
        tracing = setup_tracing("benchmark-client", effective.span_file)
        runs = [measure(effective, kind, args.requests) for kind in ("prompts", "images")]
        print("... CPU of the idle stack", flush=True)
        idle = idle_cpu(stack)
        tracing.force_flush()
        time.sleep(6)  # the stack's processes export their spans in batches, every 5 s
        spans = read_spans(effective.span_file)
    summaries = [summarise(run, spans) for run in runs]
    result = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "kafka_fetch_max_wait_ms": effective.kafka_fetch_max_wait_ms,
        "kafka_idle_fetch_max_wait_ms": effective.kafka_idle_fetch_max_wait_ms,
        "kafka_backlog_events": effective.kafka_backlog_events,
        "moderation_batch_wait_s": effective.moderation_batch_wait_s,
        "runs": summaries,
        "idle_cpu_share_of_a_core": idle,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print_table(summaries)
    print(f"idle stack, share of one core: {idle}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
