from __future__ import annotations

from streams import topics
from streams.events import Decision, End, Outcome, ReviewItem
from streams.stages.outcomes import apply
from tests.unit.streams.stages.conftest import run, sender


def decision(end: End, request_id: str = "r1") -> Decision:
    return Decision(
        request_id=request_id, tenant="default", user="u_1", submitted_at="2026-12-01T00:00:00Z",
        end=end, stage="moderate", reason="because", timings_ms={"moderate": 3.0},
    )  # fmt: skip


def test_a_published_decision_becomes_the_outcome_on_its_own_partition(services) -> None:
    run(apply(services, decision(End.PUBLISHED), partition=3))

    (outcome,) = sender(services).on(topics.OUTCOMES)
    assert isinstance(outcome, Outcome) and outcome.status == "published"
    assert [s.partition for s in sender(services).sent if s.topic == topics.OUTCOMES] == [3]
    assert set(outcome.timings_ms) == {"moderate", "outcomes"}
    # The audit event is written before the end, so a crash between them never loses it.
    assert [s.topic for s in sender(services).sent] == [topics.AUDIT, topics.OUTCOMES]


def test_a_review_decision_queues_a_review_item(services) -> None:
    run(apply(services, decision(End.REVIEW), partition=0))

    (item,) = sender(services).on(topics.REVIEW)
    assert isinstance(item, ReviewItem) and sender(services).on(topics.OUTCOMES) == []


def test_a_redelivered_decision_writes_no_second_end(services) -> None:
    for _ in range(3):
        run(apply(services, decision(End.REJECTED), partition=1))
    run(apply(services, decision(End.REJECTED, "r2"), partition=1))

    assert [o.request_id for o in sender(services).on(topics.OUTCOMES)] == ["r1", "r2"]


def test_an_end_written_before_this_worker_started_is_not_written_again(services) -> None:
    run(services.ends.seen(2))["outcomes"]["r1"] += 1
    run(apply(services, decision(End.PUBLISHED), partition=2))

    assert sender(services).sent == []


def test_an_outcome_after_review_is_applied_although_the_request_had_a_review_item(services) -> None:
    run(apply(services, decision(End.REVIEW), partition=0))
    run(apply(services, decision(End.PUBLISHED), partition=0))

    assert len(sender(services).on(topics.REVIEW)) == len(sender(services).on(topics.OUTCOMES)) == 1


def test_a_new_round_of_checks_may_queue_the_request_for_review_again_once(services) -> None:
    run(apply(services, decision(End.REVIEW), partition=0))
    second_round = decision(End.REVIEW).model_copy(update={"rechecks": 1})
    for _ in range(2):
        run(apply(services, second_round, partition=0))
    run(apply(services, decision(End.REVIEW), partition=0))  # the first round redelivered

    assert [item.rechecks for item in sender(services).on(topics.REVIEW)] == [0, 1]
