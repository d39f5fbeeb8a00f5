"""End-to-end pipeline benchmark on the embedded stack: throughput and latency per stage.

    .venv/bin/python -m benchmarks.pipeline --requests 100
    .venv/bin/python -m benchmarks.pipeline --requests 100 --metrics both --repeats 2   # what metrics cost

Starts the embedded stack in a temporary data directory, sends a warm-up, then N prompt requests and
N image submissions, and waits for every end. After each of the two it stops the worker and sends Triton
the same calls directly, with the batch sizes the pipeline's run gave each model (``benchmarks.direct_triton``):
the pipeline's throughput as a share of that is what Kafka, the worker and its stages cost. The figures
go to benchmarks/results/pipeline.json (and a Markdown table to stdout). With ``--metrics both`` it
alternates fresh stacks with Prometheus metrics recorded and not (``MODSTREAM_METRICS_ENABLED``) and
reports the throughput they cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import direct_triton
from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.stack import REPO_ROOT, Stack, running_stack
from streams.top import ScrapeFailed, scrape

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


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user + system) so far of each part of the stack, its child processes included (Triton's
    model stubs): every process of the part's process group, from /proc."""
    groups = {part.process.pid: name for name, part in stack.parts.items()}
    totals = dict.fromkeys(groups.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        group = int(fields[2])  # pgrp; fields[11:13] are utime and stime in clock ticks
        if group in groups:
            totals[groups[group]] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return totals


DELAY_BUCKETS = "modstream_event_loop_delay_seconds_bucket"


def loop_delay_bound(before: dict[float, float], after: dict[float, float], quantile: float) -> float | None:
    """The upper bound (s) of the histogram bucket where ``quantile`` of the samples taken between two
    scrapes of its cumulative buckets (upper bound -> count) falls; None without samples."""
    counts = {bound: after[bound] - before.get(bound, 0.0) for bound in sorted(after)}
    total = counts.get(float("inf"), 0.0)
    if total <= 0:
        return None
    return next(bound for bound, count in counts.items() if count >= quantile * total)


class LoopLagWatch:
    """Watches the worker's own event-loop measurement while it runs: the lag gauge (the worst of its last
    10 s, scraped every second) and the delay histogram (every sample) at the start and the end."""

    def __init__(self, settings: Settings) -> None:
        self.url = f"http://127.0.0.1:{settings.worker_web_port}/metrics"
        self.samples: list[float] = []
        self.buckets: list[dict[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            with contextlib.suppress(ScrapeFailed):
                self.samples += scrape([self.url]).series("modstream_event_loop_lag_seconds").values()

    def _scrape_buckets(self) -> None:
        series = scrape([self.url]).series(DELAY_BUCKETS)
        self.buckets.append({float(dict(labels)["le"]): count for labels, count in series.items()})

    def __enter__(self) -> LoopLagWatch:
        self._scrape_buckets()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._scrape_buckets()

    def figures(self) -> dict[str, float | None]:
        """The worst lag seen, and the bucket bounds of the delay's p99 and p50 (ms)."""
        before, after = self.buckets

        def bound_ms(quantile: float) -> float | None:
            bound = loop_delay_bound(before, after, quantile)
            return None if bound is None else round(bound * 1000, 1)

        worst = round(max(self.samples) * 1000, 1) if self.samples else None
        return {"worst_ms": worst, "p99_at_most_ms": bound_ms(0.99), "p50_at_most_ms": bound_ms(0.5)}


def measure(settings: Settings, kind: str, count: int, stack: Stack) -> dict[str, Any]:
    asyncio.run(wait_for_ends(settings, asyncio.run(submit(settings, kind, 5, 10_000)), timeout_s=120))  # warm-up
    triton_before = asyncio.run(direct_triton.statistics(settings.triton_grpc))
    started, cpu_before = time.time(), cpu_seconds(stack)
    with LoopLagWatch(settings) as lag:
        request_ids = asyncio.run(submit(settings, kind, count, 0))
        ends = asyncio.run(wait_for_ends(settings, request_ids, timeout_s=600))
    cpu = {name: (spent - cpu_before[name]) * 1000 / count for name, spent in cpu_seconds(stack).items()}
    batches = direct_triton.executions(triton_before, asyncio.run(direct_triton.statistics(settings.triton_grpc)))
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
        "cpu_ms_per_request": {name: round(ms, 2) for name, ms in cpu.items()} | {"all": round(sum(cpu.values()), 2)},
        "worker_event_loop_lag": lag.figures(),
        "triton_batches": batches,
        "triton_mean_batch": direct_triton.mean_batch(batches),
    }


def direct_throughput(settings: Settings, run: dict[str, Any]) -> dict[str, Any]:
    """The run's Triton executions again, called directly (with the worker stopped):
    requests per second, and the pipeline's throughput as a share of it."""
    upload = (REPO_ROOT / "samples" / "coffee.jpg").read_bytes() if run["kind"] == "images" else None
    values = asyncio.run(direct_triton.sample_inputs(settings.triton_grpc, upload))
    seconds = asyncio.run(direct_triton.replay(settings.triton_grpc, run["triton_batches"], values))
    direct = run["requests"] / seconds
    return {
        "direct_triton_per_s": round(direct, 2),
        "pipeline_share_of_direct": round(run["throughput_per_s"] / direct, 3),
    }


@contextlib.contextmanager
def temporary_stack(**overrides: Any) -> Iterator[Stack]:
    """The embedded stack with the settings ``overrides``, in a temporary data directory, printing its start-up
    steps."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), **overrides)
        with running_stack(settings, progress=lambda step: print(f"... {step}", flush=True)) as stack:
            yield stack


def run_stack(requests: int, metrics_enabled: bool) -> list[dict[str, Any]]:
    """One fresh embedded stack: ``requests`` prompts, then as many image submissions."""
    with temporary_stack(metrics_enabled=metrics_enabled) as stack:
        effective = stack.effective_settings()
        runs: list[dict[str, Any]] = []
        for kind in ("prompts", "images"):
            print(f"... {requests} {kind}, metrics {'on' if metrics_enabled else 'off'}", flush=True)
            run = measure(effective, kind, requests, stack) | {"metrics": metrics_enabled}
            # Right after, so that the machine is as fast as it was; without the worker, which polls the broker
            # (the review service and the gateway idle at under 1 % of a core)
            print(f"... the {kind} run's Triton calls, directly", flush=True)
            stack.parts.pop("worker").stop()
            runs.append(run | direct_throughput(effective, run))
            stack.restart_worker()
    return runs


def metrics_cost(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per kind, mean throughput with metrics on and off, and the share that metrics cost (negative: none seen)."""
    cost = {}
    for kind in ("prompts", "images"):
        on = [r["throughput_per_s"] for r in runs if r["kind"] == kind and r["metrics"]]
        off = [r["throughput_per_s"] for r in runs if r["kind"] == kind and not r["metrics"]]
        if on and off:
            mean_on, mean_off = sum(on) / len(on), sum(off) / len(off)
            cost[kind] = {"on_per_s": on, "off_per_s": off, "cost": round(1 - mean_on / mean_off, 4)}
            # metrics add work in the worker and the review service only; the stack is CPU-bound, so their extra
            # CPU time per request over the whole stack's is the share of throughput they cost
            cpu = {setting: [r["cpu_ms_per_request"] for r in runs if r["kind"] == kind and r["metrics"] is setting]
                   for setting in (True, False)}  # fmt: skip
            extra = [_mean(cpu[True], part) - _mean(cpu[False], part) for part in ("worker", "review")]
            cost[kind] |= {
                "worker_cpu_ms_on_off": [_mean(cpu[True], "worker"), _mean(cpu[False], "worker")],
                "review_cpu_ms_on_off": [_mean(cpu[True], "review"), _mean(cpu[False], "review")],
                "all_cpu_ms_on_off": [_mean(cpu[True], "all"), _mean(cpu[False], "all")],
                "cpu_cost": round(sum(extra) / _mean(cpu[False], "all"), 4),
            }
    return cost


def recording_cost() -> dict[str, float]:
    """What the worker's metrics cost per request, measured in this process: the recordings one published
    prompt makes (4 stage times, 9 Triton calls, its end with one finding) and a scrape every 15 s at the
    benchmark's request rate. Precise where the on/off throughput comparison is within its noise."""
    from streams import metrics
    from streams.events import Action, Context, End, Evidence, Finding

    finding = Finding(kind="face", label="face", score=0.9, model="face_detector", model_version="1")
    evidence = [Evidence(rule="r", context=Context.OUTPUT, action=Action.REVIEW, reason_code="C", threshold=0.5,
                         finding=finding)]  # fmt: skip
    submitted = datetime.now().astimezone()

    def one_request() -> None:
        for stage in ("screen", "generate", "moderate", "outcomes"):
            metrics.stage_done(stage, 0.01)
        for model in ("prompt_pii", "generator", "face_detector", "pii_detector", "nudity_detector",
                      "protected_match", "style_similarity", "watermark_embed", "watermark_decode"):  # fmt: skip
            metrics.triton_call(model, 0.01, None)
        metrics.end_written(End.REVIEW, "FACE", submitted, evidence, after_review=False)

    count = 5000
    started = time.perf_counter()
    for _ in range(count):
        one_request()
    per_request_us = (time.perf_counter() - started) / count * 1e6
    started = time.perf_counter()
    for _ in range(20):
        metrics.exposition("application/openmetrics-text")
    scrape_ms = (time.perf_counter() - started) / 20 * 1000
    return {"per_request_us": round(per_request_us, 1), "scrape_ms": round(scrape_ms, 2)}


def _mean(samples: list[dict[str, float]], part: str) -> float:
    return round(sum(sample[part] for sample in samples) / len(samples), 2)


def print_table(runs: list[dict[str, Any]]) -> None:
    print(
        "| input | metrics | requests | throughput /s | direct Triton /s | share | end-to-end p50 / p99 ms | "
        + " | ".join(f"{s} p50 / p99 ms" for s in STAGES)
        + " |"
    )
    print("|---" * (7 + len(STAGES)) + "|")
    for run in runs:
        stages = run["stage_processing_ms"]
        cells = [f"{stages[s]['p50']} / {stages[s]['p99']}" if s in stages else "-" for s in STAGES]
        e2e = run["end_to_end_ms"]
        print(
            f"| {run['kind']} | {'on' if run['metrics'] else 'off'} | {run['requests']} | {run['throughput_per_s']} "
            f"| {run['direct_triton_per_s']} | {run['pipeline_share_of_direct']} | {e2e['p50']} / {e2e['p99']} | "
            + " | ".join(cells)
            + " |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="requests per kind (prompts, images)")
    parser.add_argument(
        "--metrics", choices=("on", "off", "both"), default="on",
        help="record Prometheus metrics; both: alternate fresh stacks with them on and off, and report their cost",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=1, help="stacks per metrics setting (alternating with both)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    settings = {"on": [True], "off": [False], "both": [True, False]}[args.metrics] * args.repeats
    runs = [run for enabled in settings for run in run_stack(args.requests, enabled)]
    defaults = Settings()
    cost = metrics_cost(runs)
    if cost:
        recording = recording_cost()
        for figures in cost.values():
            # the worker's time per request at the measured rate, against what recording and scraping take
            per_request_us = 1e6 / (sum(figures["on_per_s"]) / len(figures["on_per_s"]))
            scrape_share = recording["scrape_ms"] * 1000 / 15 / 1e6
            figures["recording"] = recording
            figures["recording_cost"] = round(recording["per_request_us"] / per_request_us + scrape_share, 6)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, no GPU",
        "generator": f"tiny random pipeline, {defaults.generator_steps} steps, {defaults.generator_size} px",
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "runs": runs,
        "metrics_cost": cost,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print_table(runs)
    for kind in ("prompts", "images"):
        shares = [run["pipeline_share_of_direct"] for run in runs if run["kind"] == kind]
        print(f"{kind}: pipeline throughput {sum(shares) / len(shares):.3f} of direct Triton's (runs: {shares})")
    for kind, figures in cost.items():
        on, off = figures["on_per_s"], figures["off_per_s"]
        print(f"metrics cost, {kind}: {figures['cost']:.1%} of throughput (on {on}, off {off}); worker and review "
              f"CPU per request {figures['worker_cpu_ms_on_off']} / {figures['review_cpu_ms_on_off']} ms on/off, "
              f"{figures['cpu_cost']:.2%} of the stack's; recording and scraping measured in process: "
              f"{figures['recording_cost']:.4%}")  # fmt: skip
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
