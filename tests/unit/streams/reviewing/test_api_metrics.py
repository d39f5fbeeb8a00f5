"""The review service's /metrics: the queue as the store holds it, and the decisions sent."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.unit.streams.reviewing.conftest import Review


def scrape(review: Review) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = review.client().get("/metrics")  # no credentials: counts only, no content
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def test_metrics_show_the_queue_depth_its_oldest_item_and_each_decision(review: Review) -> None:
    before = scrape(review)
    assert before[("modstream_review_queue_depth", ())] == 0
    assert before[("modstream_review_oldest_age_seconds", ())] == 0
    for request_id in ("q1", "q2", "q3"):
        review.queue(request_id)
    answer = review.client("rita").post("/api/items/q1/decision", json={"action": "approve"})
    assert answer.status_code == 200, answer.text

    after = scrape(review)
    assert after[("modstream_review_queue_depth", ())] == 2
    assert after[("modstream_review_oldest_age_seconds", ())] >= 0
    approvals = ("modstream_review_decisions_total", (("action", "approve"),))
    assert after[approvals] - before.get(approvals, 0) == 1
