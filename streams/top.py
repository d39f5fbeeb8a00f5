"""``modstream top``: the running stack at a glance, from the /metrics of its workers and review service.

Two scrapes ``interval`` apart give rates (ends per second) and the latency of what happened between them
(p50/p99 per stage from the histogram buckets, interpolated as Prometheus' ``histogram_quantile`` does);
while nothing happened, the percentiles are those since the processes started.
"""

from __future__ import annotations

import math
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


class ScrapeFailed(RuntimeError):
    """A metrics endpoint did not answer; the message names it and says what to check."""


@dataclass(frozen=True)
class Scrape:
    """Every sample of one or more endpoints at one moment, summed where several report the same series."""

    samples: dict[tuple[str, Labels], float]

    def series(self, name: str) -> dict[Labels, float]:
        return {labels: value for (sample, labels), value in self.samples.items() if sample == name}

    def by(self, name: str, label: str) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for labels, value in self.series(name).items():
            totals[dict(labels).get(label, "")] += value
        return dict(totals)


def parse(texts: Iterable[str]) -> Scrape:
    samples: dict[tuple[str, Labels], float] = defaultdict(float)
    for text in texts:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] += sample.value
    return Scrape(dict(samples))


def scrape(urls: Iterable[str], timeout_s: float = 5.0) -> Scrape:
    texts = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                texts.append(response.read().decode())
        except OSError as exc:
            raise ScrapeFailed(f"cannot read metrics from {url} ({exc}): is `modstream up` running?") from exc
    return parse(texts)


def quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The ``q`` quantile from cumulative ``(upper bound, count)`` buckets, as ``histogram_quantile`` does."""
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # beyond the largest finite bucket: its bound is all that is known
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / max(count - lower_count, 1e-12)
        lower_bound, lower_count = bound, count
    return lower_bound


def _buckets(scrape: Scrape, name: str, label: str) -> dict[str, list[tuple[float, float]]]:
    found: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for labels, value in scrape.series(f"{name}_bucket").items():
        named = dict(labels)
        found[named.get(label, "")][float(named["le"])] += value
    return {key: sorted(bounds.items()) for key, bounds in found.items()}


def _latencies(before: Scrape, after: Scrape, name: str, label: str) -> dict[str, dict[str, Any]]:
    """Count and p50/p99 in ms per ``label`` of histogram ``name``: of the interval, or since start when idle."""
    now, then = _buckets(after, name, label), _buckets(before, name, label)
    result = {}
    for key, buckets in sorted(now.items()):
        earlier = dict(then.get(key, []))
        window = [(bound, count - earlier.get(bound, 0.0)) for bound, count in buckets]
        use = window if window and window[-1][1] > 0 else buckets
        p50, p99 = quantile(0.5, use), quantile(0.99, use)
        result[key] = {
            "events": int(buckets[-1][1]) if buckets else 0,
            "p50_ms": None if p50 is None else round(p50 * 1000, 1),
            "p99_ms": None if p99 is None else round(p99 * 1000, 1),
        }
    return result


def summarise(before: Scrape, after: Scrape, seconds: float) -> dict[str, Any]:
    ends_now, ends_then = after.by("modstream_outcomes_total", "end"), before.by("modstream_outcomes_total", "end")
    loop_lag = after.series("modstream_event_loop_lag_seconds")
    return {
        "interval_s": round(seconds, 2),
        "ends": {
            end: {"total": int(total), "per_s": round((total - ends_then.get(end, 0.0)) / seconds, 2)}
            for end, total in sorted(ends_now.items())
        },
        "stages": _latencies(before, after, "modstream_stage_duration_seconds", "stage"),
        "triton": _latencies(before, after, "modstream_triton_request_duration_seconds", "model"),
        "consumer_lag": {topic: int(lag) for topic, lag in sorted(after.by("modstream_consumer_lag", "topic").items())},
        "event_loop_lag_ms": round(max(loop_lag.values(), default=0.0) * 1000, 1),
        "review": {
            "depth": int(after.samples.get(("modstream_review_queue_depth", ()), 0)),
            "oldest_age_s": round(after.samples.get(("modstream_review_oldest_age_seconds", ()), 0.0), 1),
            "decisions": {a: int(n) for a, n in sorted(after.by("modstream_review_decisions_total", "action").items())},
        },
        "dead_letters": {
            t: int(n) for t, n in sorted(after.by("modstream_dead_letters_total", "source_topic").items())
        },
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_summary(summary: dict[str, Any]) -> str:
    ends = "  ".join(f"{end} {e['total']} ({e['per_s']}/s)" for end, e in summary["ends"].items()) or "none yet"
    lines = [f"ends   {ends}", "", f"{'stage':12} {'events':>8} {'p50 ms':>9} {'p99 ms':>9}"]
    for stage, s in summary["stages"].items():
        lines.append(f"{stage:12} {s['events']:>8} {_ms(s['p50_ms']):>9} {_ms(s['p99_ms']):>9}")
    lines += ["", f"{'triton model':18} {'calls':>8} {'p50 ms':>9} {'p99 ms':>9}"]
    for model, s in summary["triton"].items():
        lines.append(f"{model:18} {s['events']:>8} {_ms(s['p50_ms']):>9} {_ms(s['p99_ms']):>9}")
    lag = "  ".join(f"{topic} {n}" for topic, n in summary["consumer_lag"].items()) or "-"
    review = summary["review"]
    decided = "  ".join(f"{a} {n}" for a, n in review["decisions"].items()) or "-"
    dead = "  ".join(f"{t} {n}" for t, n in summary["dead_letters"].items()) or "none"
    lines += [
        "",
        f"lag    {lag}   (event loop {summary['event_loop_lag_ms']} ms)",
        f"review {review['depth']} waiting, oldest {review['oldest_age_s']} s; decided: {decided}",
        f"dead letters  {dead}",
    ]
    return "\n".join(lines)
