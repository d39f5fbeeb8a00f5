"""``modstream top``'s arithmetic on exposition text as the worker and the review service write it."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from streams.top import format_summary, parse, quantile, summarise


class Process:
    """A worker's or the review service's families, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.outcomes = Counter("modstream_outcomes", "", ["end", "reason_code"], registry=self.registry)
        self.stages = Histogram(
            "modstream_stage_duration_seconds", "", ["stage"], buckets=(0.01, 0.1, 1.0), registry=self.registry
        )
        self.lag = Gauge("modstream_consumer_lag", "", ["topic", "partition"], registry=self.registry)
        self.depth = Gauge("modstream_review_queue_depth", "", registry=self.registry)

    def text(self) -> str:
        return generate_latest(self.registry).decode()


def test_quantile_interpolates_within_buckets_as_prometheus_does() -> None:
    buckets = [(0.1, 50.0), (1.0, 100.0), (float("inf"), 100.0)]
    assert quantile(0.5, buckets) == pytest.approx(0.1)
    assert quantile(0.75, buckets) == pytest.approx(0.55)
    assert quantile(0.99, [(1.0, 0.0), (float("inf"), 10.0)]) == 1.0  # beyond the largest bound
    assert quantile(0.5, [(1.0, 0.0), (float("inf"), 0.0)]) is None


def test_summary_rates_and_latencies_are_those_of_the_interval_summed_over_workers() -> None:
    first, second, review = Process(), Process(), Process()
    for process in (first, second):
        process.outcomes.labels("published", "none").inc(10)
        process.stages.labels("moderate").observe(0.5)  # slow, before the interval
    before = parse([first.text(), second.text(), review.text()])
    first.outcomes.labels("published", "none").inc(3)
    second.outcomes.labels("review", "FACE").inc(1)
    for process in (first, second):
        for _ in range(10):
            process.stages.labels("moderate").observe(0.005)  # fast, in the interval
    first.lag.labels("candidates", "0").set(4)
    second.lag.labels("candidates", "1").set(2)
    review.depth.set(7)
    after = parse([first.text(), second.text(), review.text()])

    summary = summarise(before, after, seconds=2.0)
    assert summary["ends"] == {"published": {"total": 23, "per_s": 1.5}, "review": {"total": 1, "per_s": 0.5}}
    assert summary["stages"]["moderate"]["events"] == 22
    assert summary["stages"]["moderate"]["p99_ms"] <= 10.0  # only the interval's events
    assert summary["consumer_lag"] == {"candidates": 6}
    assert summary["review"]["depth"] == 7
    text = format_summary(summary)
    assert "published 23 (1.5/s)" in text and "moderate" in text and "7 waiting" in text


def test_an_idle_interval_shows_the_latencies_since_start() -> None:
    process = Process()
    process.stages.labels("screen").observe(0.05)
    scrape = parse([process.text()])

    summary = summarise(scrape, scrape, seconds=1.0)
    assert summary["stages"]["screen"]["events"] == 1
    assert 10.0 <= summary["stages"]["screen"]["p50_ms"] <= 100.0
    assert summary["ends"] == {}
