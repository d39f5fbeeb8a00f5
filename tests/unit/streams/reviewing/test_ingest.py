from datetime import UTC, datetime
from pathlib import Path

from streams import topics
from streams.events import AuditEvent, ReviewItem
from streams.policy import DEFAULT_POLICY, PolicyStore
from streams.reviewing.ingest import store_records
from streams.store import AuditStore, ReviewQueue, open_database


def test_events_land_in_the_store_with_the_policy_priority_and_garbage_is_skipped(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    audit, queue, policy = AuditStore(engine), ReviewQueue(engine), PolicyStore(DEFAULT_POLICY)
    item = ReviewItem(request_id="r1", tenant="t", user="u", submitted_at=datetime.now(UTC), stage="screen",
                      reason="face", reason_code="FACE_WITHOUT_CONSENT")  # fmt: skip
    event = AuditEvent(request_id="r1", stage="outcomes", action="review", reason="face")
    second = event.model_copy(update={"stage": "review", "action": "approve", "reason": "fine"})
    records = [(topics.REVIEW, item.to_bytes()), (topics.AUDIT, event.to_bytes()), (topics.AUDIT, b"{not json"),
               (topics.REVIEW, b'{"schema_version": 9}'), (topics.AUDIT, second.to_bytes())]  # fmt: skip
    store_records(records, audit, queue, policy)
    store_records(records, audit, queue, policy)  # a redelivered batch adds nothing
    assert queue.get("r1").priority == policy.current().rules.review_priority["FACE_WITHOUT_CONSENT"]
    assert [h.action for h in audit.history("r1")] == ["review", "approve"]
