"""End-to-end pipeline benchmark on the embedded stack: throughput and latency per stage.

    .venv/bin/python -m benchmarks.pipeline --requests 100

Starts the embedded stack in a temporary data directory, sends a warm-up, then N prompt requests and
N image submissions, waits for every end and writes the figures to benchmarks/results/pipeline.json
(and a Markdown table to stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.stack import REPO_ROOT, running_stack

RESULTS = REPO_ROOT / "benchmarks" / "results" / "pipeline.json"
STAGES = ("screen", "generate", "moderate", "outcomes")


async def submit(settings: Settings, kind: str, count: int, offset: int) -> list[str]:
    image = (REPO_ROOT / "samples" / "coffee.jpg").read_bytes()
    async with ModstreamClient(settings) as client:
        if kind == "prompts":
            return [
                await client.submit_prompt(f"benchmark prompt {n}", user_id="bench", seed=n + offset)
                for n in range(count)
            ]
        return [await client.submit_image(image, user_id="bench") for _ in range(count)]


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 1), "p99": round(float(np.percentile(values, 99)), 1)}


def measure(settings: Settings, kind: str, count: int) -> dict[str, Any]:
    asyncio.run(wait_for_ends(settings, asyncio.run(submit(settings, kind, 5, 10_000)), timeout_s=120))  # warm-up
    started = time.time()
    request_ids = asyncio.run(submit(settings, kind, count, 0))
    ends = asyncio.run(wait_for_ends(settings, request_ids, timeout_s=600))
    records = [records[0] for records in ends.values() if records]
    assert len(records) == count, f"only {len(records)} of {count} requests ended"
    values = [record.value for record in records]
    # An outcome says when it was decided; a review item when it was queued.
    ended_at = [datetime.fromisoformat(v.get("decided_at") or v["queued_at"]) for v in values]
    finished = max(at.timestamp() for at in ended_at)
    total_ms = [
        (at - datetime.fromisoformat(v["submitted_at"])).total_seconds() * 1000
        for at, v in zip(ended_at, values, strict=True)
    ]
    per_stage = {
        stage: percentiles([v["timings_ms"][stage] for v in values if stage in v["timings_ms"]])
        for stage in STAGES
        if any(stage in v["timings_ms"] for v in values)
    }
    return {
        "kind": kind,
        "requests": count,
        "ends": {end: sum(1 for r in records if r.end == end) for end in sorted({r.end for r in records})},
        "throughput_per_s": round(count / (finished - started), 2),
        "end_to_end_ms": percentiles(total_ms),
        "stage_processing_ms": per_stage,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="requests per kind (prompts, images)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir))
        with running_stack(settings, progress=lambda step: print(f"... {step}", flush=True)) as stack:
            effective = stack.effective_settings()
            runs: list[dict[str, Any]] = []
            for kind in ("prompts", "images"):
                print(f"... {args.requests} {kind}", flush=True)
                runs.append(measure(effective, kind, args.requests))
    result = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, no GPU",
        "generator": f"tiny random pipeline, {settings.generator_steps} steps, {settings.generator_size} px",
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        "| input | requests | throughput /s | end-to-end p50 / p99 ms | "
        + " | ".join(f"{s} p50 / p99 ms" for s in STAGES)
        + " |"
    )
    print("|---" * (4 + len(STAGES)) + "|")
    for run in runs:
        stages = run["stage_processing_ms"]
        cells = [f"{stages[s]['p50']} / {stages[s]['p99']}" if s in stages else "-" for s in STAGES]
        e2e = run["end_to_end_ms"]
        print(
            f"| {run['kind']} | {run['requests']} | {run['throughput_per_s']} | {e2e['p50']} / {e2e['p99']} | "
            + " | ".join(cells)
            + " |"
        )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
