from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from streams.events import ReviewItem
from streams.store import Refused, ReviewQueue

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def item(request_id: str, minutes: int = 0, reason_code: str = "FACE_IN_IMAGE", tenant: str = "t") -> ReviewItem:
    return ReviewItem(request_id=request_id, tenant=tenant, user="u", submitted_at=T0, stage="moderate",
                      reason="why", reason_code=reason_code, queued_at=T0 + timedelta(minutes=minutes))  # fmt: skip


def test_queue_is_sorted_by_priority_then_age_with_counts_and_filters(engine: Engine) -> None:
    queue = ReviewQueue(engine)
    assert queue.add(item("new", 5)) and queue.add(item("old", 1)) and queue.add(item("urgent", 9, "NUDITY"), 20)
    assert queue.add(item("other", 0, tenant="newsroom"))
    assert not queue.add(item("old", 1))  # redelivered
    pending = queue.pending()
    assert [i.request_id for i in pending.items] == ["urgent", "other", "old", "new"]
    assert pending.count == 4 and pending.by_reason == {"FACE_IN_IMAGE": 3, "NUDITY": 1}
    assert pending.oldest_age_s >= (datetime.now(UTC) - T0).total_seconds() - 5
    assert [i.request_id for i in queue.pending(tenant="newsroom").items] == ["other"]
    assert queue.pending(reason_code="NUDITY").count == 1


def test_a_claimed_item_is_locked_for_others_until_the_claim_expires(engine: Engine) -> None:
    queue = ReviewQueue(engine, claim_s=60)
    queue.add(item("a"))
    queue.claim_for("a", "ann")
    queue.claim_for("a", "ann")  # renewing one's own claim
    with pytest.raises(Refused, match="claimed by ann"):
        queue.claim_for("a", "bob")
    with pytest.raises(Refused, match="claimed by ann"):
        queue.decide("a", "bob", "approve", None, "")
    expired = ReviewQueue(engine, claim_s=-1)
    expired.claim_for("a", "ann")
    queue.claim_for("a", "bob")


def test_an_item_takes_exactly_one_decision(engine: Engine) -> None:
    queue = ReviewQueue(engine)
    queue.add(item("a"))
    queue.decide("a", "ann", "reject", "NUDITY", "explicit")
    with pytest.raises(Refused, match="already decided: reject by ann"):
        queue.decide("a", "bob", "approve", None, "")
    assert queue.get("a").decision_reason_code == "NUDITY" and queue.pending().count == 0
    queue.undo_decision("a", "ann")
    queue.decide("a", "bob", "approve", None, "")
    with pytest.raises(Refused, match="no review item"):
        queue.decide("missing", "bob", "approve", None, "")


def test_an_item_sent_to_be_checked_again_comes_back_undecided_with_the_next_round(engine: Engine) -> None:
    queue = ReviewQueue(engine)
    first = item("a", reason_code="CHECKS_UNAVAILABLE")
    assert queue.add(first)
    queue.claim_for("a", "ann")
    queue.decide("a", "ann", "recheck", None, "")
    assert not queue.add(first)  # the first round redelivered: still decided
    assert queue.get("a").decision == "recheck"
    second = item("a", minutes=5, reason_code="FACE_IN_IMAGE").model_copy(update={"rechecks": 1})
    assert queue.add(second)
    again = queue.get("a")
    assert again.decision is None and again.claimant(T0 + timedelta(minutes=6)) is None
    assert again.reason_code == "FACE_IN_IMAGE" and again.item.rechecks == 1 and queue.pending().count == 1
    assert not queue.add(second) and not queue.add(first)  # redeliveries of either round change nothing
    queue.decide("a", "bob", "reject", "NUDITY", "")
    assert not queue.add(second) and queue.get("a").decision == "reject"  # only a recheck reopens an item
