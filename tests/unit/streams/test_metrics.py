"""What the stages, the Triton client and the review service record in the Prometheus registry.

The registry is process-wide, so every test reads the change it caused (``Delta``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from modstream_models.catalogue import FindingKind
from streams import metrics, topics
from streams.events import Action, Context, Decision, End, Evidence, Finding, ReviewAction
from streams.stages.base import RetryPolicy, process
from streams.stages.generate import GENERATE
from streams.stages.memory import delivered
from streams.stages.outcomes import apply
from tests.unit.streams.stages.conftest import run, screened


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Sample values before a block; ``of`` gives how much one changed since."""

    def __init__(self) -> None:
        self.before = {
            (s.name, tuple(sorted(s.labels.items()))): s.value for m in REGISTRY.collect() for s in m.samples
        }

    def of(self, name: str, **labels: str) -> float:
        return value(name, **labels) - self.before.get((name, tuple(sorted(labels.items()))), 0.0)


def evidence(kind: FindingKind, context: Context, action: Action = Action.REVIEW) -> Evidence:
    finding = Finding(kind=kind, label="x", score=0.9, model="m", model_version="1")
    return Evidence(rule="r", context=context, action=action, reason_code="CODE", threshold=0.5, finding=finding)


def decision(end: End, request_id: str = "m1", stage: str = "moderate", **fields: object) -> Decision:
    return Decision(
        request_id=request_id, tenant="default", user="u_1", submitted_at=datetime.now(UTC) - timedelta(seconds=2),
        end=end, stage=stage, reason="because", **fields,
    )  # fmt: skip


def test_an_end_counts_once_with_its_reason_code_latency_and_findings(services) -> None:
    found = [
        evidence(FindingKind.PII, Context.PROMPT),
        evidence(FindingKind.PII, Context.PROMPT),  # one request counts once per kind and context
        evidence(FindingKind.STYLE, Context.OUTPUT),
    ]
    delta = Delta()
    for _ in range(3):  # redeliveries write no second end and count nothing
        run(apply(services, decision(End.REVIEW, evidence=found, reason_code="STYLE_MATCH"), partition=0))

    assert delta.of("modstream_outcomes_total", end="review", reason_code="STYLE_MATCH") == 1
    assert delta.of("modstream_end_to_end_seconds_count", end="review") == 1
    assert delta.of("modstream_end_to_end_seconds_sum", end="review") == pytest.approx(2.0, abs=0.5)
    assert delta.of("modstream_end_to_end_seconds_bucket", end="review", le="1.0") == 0
    assert delta.of("modstream_findings_total", kind="pii", context="prompt") == 1
    assert delta.of("modstream_findings_total", kind="style", context="output") == 1
    assert delta.of("modstream_copyright_alerts_total") == 1


def test_the_outcome_after_review_counts_as_an_end_but_not_its_findings_again(services) -> None:
    found = [evidence(FindingKind.FACE, Context.OUTPUT)]
    delta = Delta()
    run(apply(services, decision(End.REVIEW, "m2", evidence=found), partition=0))
    run(apply(services, decision(End.PUBLISHED, "m2", stage="review", evidence=found), partition=0))

    assert delta.of("modstream_outcomes_total", end="review", reason_code="none") == 1
    assert delta.of("modstream_outcomes_total", end="published", reason_code="none") == 1
    assert delta.of("modstream_findings_total", kind="face", context="output") == 1
    assert delta.of("modstream_copyright_alerts_total") == 0


def test_an_allowed_copyright_finding_is_no_alert(services) -> None:
    delta = Delta()
    allowed = [evidence(FindingKind.PROTECTED_NAME, Context.PROMPT, Action.ALLOW)]
    run(apply(services, decision(End.PUBLISHED, "m3", evidence=allowed), partition=0))

    assert delta.of("modstream_findings_total", kind="protected_name", context="prompt") == 1
    assert delta.of("modstream_copyright_alerts_total") == 0


def test_every_event_a_stage_takes_is_timed_and_dead_letters_count_by_topic_and_cause(services) -> None:
    no_wait = RetryPolicy(retries=0, backoff_s=0)
    delta = Delta()
    run(process(services, GENERATE, delivered(topics.SCREENED, 0, 1, b"g1", screened().to_bytes()), no_wait))
    run(process(services, GENERATE, delivered(topics.SCREENED, 0, 2, b"g2", b"not json"), no_wait))

    assert delta.of("modstream_stage_duration_seconds_count", stage="generate") == 2
    assert delta.of("modstream_dead_letters_total", source_topic="screened") == 1
    assert delta.of("modstream_outcomes_total", end="dead_letter", reason_code="invalid_event") == 1


def test_triton_calls_are_timed_and_failures_counted_by_code() -> None:
    delta = Delta()
    metrics.triton_call("face_detector", 0.02, None)
    metrics.triton_call("face_detector", 0.5, "UNAVAILABLE")

    assert delta.of("modstream_triton_request_duration_seconds_count", model="face_detector") == 2
    assert delta.of("modstream_triton_request_duration_seconds_bucket", model="face_detector", le="0.025") == 1
    assert delta.of("modstream_triton_errors_total", model="face_detector", code="UNAVAILABLE") == 1


def test_consumer_lag_names_only_the_partitions_owned_now() -> None:
    metrics.set_consumer_lag({("requests", 0): 5, ("candidates", 3): 0})
    metrics.set_consumer_lag({("requests", 1): 2})

    assert value("modstream_consumer_lag", topic="requests", partition="1") == 2
    assert REGISTRY.get_sample_value("modstream_consumer_lag", {"topic": "requests", "partition": "0"}) is None


def test_the_event_loop_watch_measures_a_blocked_loop() -> None:
    async def block_the_loop() -> None:
        watch = asyncio.create_task(metrics.watch_event_loop(interval_s=0.05, window_s=1.0))
        await asyncio.sleep(0.01)
        time.sleep(0.3)  # blocking work on the loop, as a bug would do it
        await asyncio.sleep(0.2)  # later, quick wake-ups do not hide the stall within the window
        watch.cancel()

    samples_before = value("modstream_event_loop_delay_seconds_count") or 0
    late_before = samples_before - (value("modstream_event_loop_delay_seconds_bucket", le="0.1") or 0)
    asyncio.run(block_the_loop())
    assert value("modstream_event_loop_lag_seconds") >= 0.2
    # every sample is in the histogram: the stall once, beyond 0.1 s, the quick wake-ups below it
    samples = value("modstream_event_loop_delay_seconds_count") - samples_before
    late = samples - value("modstream_event_loop_delay_seconds_bucket", le="0.1") - late_before
    assert samples >= 4
    assert late == 1


def test_exemplars_carry_the_trace_id_in_the_openmetrics_format(services) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    with TracerProvider().get_tracer("test").start_as_current_span("process candidates") as span:
        metrics.stage_done("moderate", 0.01)
    trace_id = format(span.get_span_context().trace_id, "032x")
    body, content_type = metrics.exposition("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert f'trace_id="{trace_id}"' in body.decode()
    plain, plain_type = metrics.exposition(None)
    assert plain_type.startswith("text/plain") and b"trace_id" not in plain


@pytest.fixture
def disabled() -> Iterator[None]:
    metrics.disable()
    yield
    metrics._enabled = True


def test_disabled_metrics_record_nothing(services, disabled) -> None:
    delta = Delta()
    run(apply(services, decision(End.REJECTED, "m4"), partition=0))
    metrics.triton_call("face_detector", 0.02, "INTERNAL")
    metrics.review_decided(ReviewAction.APPROVE)

    assert delta.of("modstream_outcomes_total", end="rejected", reason_code="none") == 0
    assert delta.of("modstream_triton_errors_total", model="face_detector", code="INTERNAL") == 0
    assert delta.of("modstream_review_decisions_total", action="approve") == 0


def test_no_label_holds_a_request_or_user_id(services) -> None:
    run(apply(services, decision(End.REJECTED, "secret-request-id", reason_code="BLOCKED"), partition=0))
    body, _ = metrics.exposition(None)
    families = list(text_string_to_metric_families(body.decode()))
    labels = {v for family in families for sample in family.samples for v in sample.labels.values()}
    assert not any("secret-request-id" in v or "u_1" in v for v in labels)
