"""Prometheus metrics of the long-running processes (worker, review service): every family, declared once.

The names and labels are a contract: the alert rules (``deploy/prometheus/``), the dashboard
(``deploy/grafana/``) and ``modstream top`` rely on them. Every label value comes from a bounded
set (ends, stages, finding kinds, contexts, Triton models, gRPC codes, topics, the policy's reason
codes); no user id, request id or prompt text ever becomes a label. Histograms carry the trace id
as an exemplar, which the OpenMetrics exposition shows (Prometheus asks for it when it stores
exemplars).

Recording goes through the functions below, which do nothing once ``disable()`` was called (the
pipeline benchmark measures what metrics cost by running with them off).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime

from opentelemetry import trace
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from modstream_models.catalogue import COPYRIGHT_KINDS
from streams.events import Action, End, Evidence, ReviewAction

# Seconds: stage work is milliseconds to seconds on a CPU; end to end includes queueing and review waits.
STAGE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
END_TO_END_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86400.0)
TRITON_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

DEAD_LETTER_END = "dead_letter"
NO_REASON_CODE = "none"


class DeadLetterCause:
    """Why an event went to the dead-letter topic, as a bounded label (the record itself says more)."""

    INVALID_EVENT = "invalid_event"  # it did not parse or validate
    REJECTED_INPUT = "rejected_input"  # a check refused it (not an image, too large, ...)
    UNAVAILABLE = "unavailable"  # a stage with no review fallback could not reach what it needs
    INTERNAL_ERROR = "internal_error"  # a bug
    UNAUTHENTICATED = "unauthenticated"  # no valid tag or signature: not written by modstream's own parts


OUTCOMES = Counter(
    "modstream_outcomes",
    "Ends written, by end (published, rejected, review, dead_letter) and reason code (a dead letter's cause).",
    ["end", "reason_code"],
)
STAGE_DURATION = Histogram(
    "modstream_stage_duration_seconds",
    "Time a stage spent on one event, every event it took (dead-lettered ones included).",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
END_TO_END = Histogram(
    "modstream_end_to_end_seconds",
    "From the request's submission to its first end being written (the automated path; not a review's wait).",
    ["end"],
    buckets=END_TO_END_BUCKETS,
)
FINDINGS = Counter(
    "modstream_findings",
    "Requests whose policy evidence holds a finding of this kind in this context; counted once per request, "
    "kind and context, when the request first reaches an end.",
    ["kind", "context"],
)
COPYRIGHT_ALERTS = Counter(
    "modstream_copyright_alerts",
    "Requests with a protected-name, protected-image or style rule that asked for more than allow.",
)
DEAD_LETTERS = Counter(
    "modstream_dead_letters",
    "Events sent to the dead-letter topic, by the topic they were read from.",
    ["source_topic"],
)
TRITON_DURATION = Histogram(
    "modstream_triton_request_duration_seconds",
    "One ModelInfer call to Triton (each retry is a call), by model.",
    ["model"],
    buckets=TRITON_BUCKETS,
)
TRITON_ERRORS = Counter(
    "modstream_triton_errors", "Failed ModelInfer calls, by model and gRPC status code.", ["model", "code"]
)
CONSUMER_LAG = Gauge(
    "modstream_consumer_lag",
    "Messages in a partition this worker owns that are not yet processed and committed.",
    ["topic", "partition"],
)
EVENT_LOOP_LAG = Gauge(
    "modstream_event_loop_lag_seconds",
    "How late the event loop last woke a task that slept (blocking work shows here).",
)
EVENT_LOOP_DELAY = Histogram(
    "modstream_event_loop_delay_seconds",
    "Every sample of how late the event loop woke a task that slept (its percentiles; the lag gauge is the worst).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0),
)
# Registered by the review service only (``register_review_metrics``): other processes would report 0.
REVIEW_QUEUE_DEPTH = Gauge("modstream_review_queue_depth", "Review items that wait for a decision.", registry=None)
REVIEW_OLDEST_AGE = Gauge(
    "modstream_review_oldest_age_seconds",
    "Age of the oldest review item that waits for a decision (0: none).",
    registry=None,
)
REVIEW_DECISIONS = Counter(
    "modstream_review_decisions", "Decisions of reviewers sent on to the worker, by action.", ["action"]
)

_enabled = True
_review_registered = False


def enabled() -> bool:
    return _enabled


def disable() -> None:
    """Record nothing from now on (the families stay exported, at zero)."""
    global _enabled
    _enabled = False


def initialise_worker_labels(stages: Iterable[str]) -> None:
    """Export the worker's bounded label sets at zero before their first event, so that rates see them."""
    for stage in stages:
        STAGE_DURATION.labels(stage)
    for end in End:
        END_TO_END.labels(end.value)


def register_review_metrics() -> None:
    """The review queue's gauges, and the decisions' actions at zero: in the review service's process."""
    global _review_registered
    if not _review_registered:
        REGISTRY.register(REVIEW_QUEUE_DEPTH)
        REGISTRY.register(REVIEW_OLDEST_AGE)
        _review_registered = True
    for action in ReviewAction:
        REVIEW_DECISIONS.labels(action.value)


def _exemplar() -> dict[str, str] | None:
    """The current trace's id, for exemplars; None outside a trace."""
    context = trace.get_current_span().get_span_context()
    return {"trace_id": format(context.trace_id, "032x")} if context.is_valid else None


def stage_done(stage: str, seconds: float) -> None:
    if _enabled:
        STAGE_DURATION.labels(stage).observe(seconds, exemplar=_exemplar())


def end_written(
    end: End, reason_code: str | None, submitted_at: datetime, evidence: Iterable[Evidence], after_review: bool
) -> None:
    """An end (published, rejected, review) was written. The end-to-end time and the findings count for a
    request's first end only: the outcome after a review waited for a person, and its evidence counted already."""
    if not _enabled:
        return
    OUTCOMES.labels(end.value, reason_code or NO_REASON_CODE).inc()
    if after_review:
        return
    seconds = (datetime.now(UTC) - submitted_at).total_seconds()
    END_TO_END.labels(end.value).observe(max(seconds, 0.0), exemplar=_exemplar())
    evidence = list(evidence)
    for kind, context in sorted({(e.finding.kind.value, e.context.value) for e in evidence}):
        FINDINGS.labels(kind, context).inc()
    if any(e.finding.kind in COPYRIGHT_KINDS and e.action is not Action.ALLOW for e in evidence):
        COPYRIGHT_ALERTS.inc()


def dead_lettered(source_topic: str, cause: str) -> None:
    if _enabled:
        DEAD_LETTERS.labels(source_topic).inc()
        OUTCOMES.labels(DEAD_LETTER_END, cause).inc()


def triton_call(model: str, seconds: float, error_code: str | None) -> None:
    if _enabled:
        TRITON_DURATION.labels(model).observe(seconds, exemplar=_exemplar())
        if error_code is not None:
            TRITON_ERRORS.labels(model, error_code).inc()


def review_decided(action: ReviewAction) -> None:
    if _enabled:
        REVIEW_DECISIONS.labels(action.value).inc()


def set_consumer_lag(lags: dict[tuple[str, int], int]) -> None:
    """The lag of every partition this worker owns now; partitions it no longer owns disappear."""
    if not _enabled:
        return
    CONSUMER_LAG.clear()
    for (topic, partition), lag in lags.items():
        CONSUMER_LAG.labels(topic, str(partition)).set(lag)


def set_review_queue(depth: int, oldest_age_s: float | None) -> None:
    if _enabled:
        REVIEW_QUEUE_DEPTH.set(depth)
        REVIEW_OLDEST_AGE.set(oldest_age_s or 0.0)


async def watch_event_loop(interval_s: float = 0.05, window_s: float = 10.0) -> None:
    """Sleeps ``interval_s`` over and over; how much later than asked it wakes is the loop's lag. The gauge
    holds the worst lag of the last ``window_s``, so that a scrape every few seconds misses no stall. Twenty
    samples a second make the histogram's p99 a percentile of a run of a few seconds, not its one worst stall."""
    loop = asyncio.get_running_loop()
    recent: deque[float] = deque(maxlen=max(int(window_s / interval_s), 1))
    while True:
        started = loop.time()
        await asyncio.sleep(interval_s)
        recent.append(max(loop.time() - started - interval_s, 0.0))
        if _enabled:
            EVENT_LOOP_LAG.set(max(recent))
            EVENT_LOOP_DELAY.observe(recent[-1])


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The registry in the format the scraper asks for (OpenMetrics, with exemplars, or Prometheus text)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(REGISTRY), content_type
