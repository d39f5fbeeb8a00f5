from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from streams.events import AuditEvent, BlobRef, Evidence, ReviewItem
from streams.store import AuditStore, ReviewQueue

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def event(stage: str, action: str, minutes: int, **fields: object) -> AuditEvent:
    return AuditEvent(
        request_id="r1", stage=stage, action=action, reason=f"{stage} {action}", at=T0 + timedelta(minutes=minutes),
        **fields,  # type: ignore[arg-type]
    )  # fmt: skip


def test_history_is_in_order_and_redeliveries_add_nothing(engine: Engine) -> None:
    store = AuditStore(engine)
    steps = [event("screen", "passed", 0, prompt="a cat"), event("generate", "generated", 1),
             event("moderate", "review", 2), event("outcomes", "review", 3)]  # fmt: skip
    for step in reversed(steps):
        assert store.record(step)
    assert not store.record(steps[0])
    # a stage that re-ran after a crash writes the same step again, later: still one record
    assert not store.record(steps[1].model_copy(update={"at": T0 + timedelta(minutes=5)}))
    history = store.history("r1")
    assert [(h.stage, h.action) for h in history] == [(s.stage, s.action) for s in steps]
    assert history[0].at.isoformat() == T0.isoformat() and store.prompt_of("r1") == "a cat"


def test_views_with_event_ids_are_each_recorded(engine: Engine) -> None:
    store = AuditStore(engine)
    view = event("review", "viewed_unredacted", 0, actor="lee", event_id="v1")
    assert store.record(view) and store.record(view.model_copy(update={"event_id": "v2"}))
    assert not store.record(view)
    assert [h.actor for h in store.history("r1")] == ["lee", "lee"]


def test_erasing_a_user_removes_prompts_images_and_review_items(engine: Engine) -> None:
    store, queue = AuditStore(engine), ReviewQueue(engine)
    image = BlobRef(sha256="a" * 64, size=3, media_type="image/png")
    preview = BlobRef(sha256="b" * 64, size=3, media_type="image/png")
    store.record(event("screen", "passed", 0, user="u_gone", prompt="my secret", images=[image]))
    store.record(event("screen", "passed", 0, user="u_kept", prompt="kept").model_copy(update={"request_id": "r2"}))
    queue.add(ReviewItem(request_id="r1", tenant="t", user="u_gone", submitted_at=T0, stage="moderate",
                         reason="face", image=image, preview=preview))  # fmt: skip
    erased = store.erase_user("u_gone")
    assert erased.requests == ["r1"] and {i.sha256 for i in erased.images} == {"a" * 64, "b" * 64}
    assert store.prompt_of("r1") is None and store.history("r1")[0].images == []
    assert queue.get("r1") is None and store.prompt_of("r2") == "kept"


def test_steps_since_reads_the_window_in_one_query_for_the_rates(engine: Engine) -> None:
    from streams.stats import rates

    store = AuditStore(engine)
    store.record(event("outcomes", "rejected", -120))  # before the window
    store.record(event("screen", "passed", 0))
    store.record(event("outcomes", "published", 1, redactions=["face"]))
    since = T0 - timedelta(minutes=5)

    steps = store.steps_since(since)
    assert [(s["stage"], s["action"]) for s in steps] == [("screen", "passed"), ("outcomes", "published")]
    assert datetime.fromisoformat(steps[0]["at"]) == T0
    result = rates(steps, since)
    assert result["requests"] == result["ended"] == 1 and result["redaction_rate"] == 1.0


def test_erasing_a_user_keeps_an_image_another_users_record_names_and_drops_notes_and_evidence(engine: Engine) -> None:
    store = AuditStore(engine)
    shared = BlobRef(sha256="c" * 64, size=3, media_type="image/png")
    own = BlobRef(sha256="d" * 64, size=3, media_type="image/png")
    face = Evidence(
        rule="output-face", context="output", action="review", reason_code="FACE_IN_IMAGE", threshold=0.9,
        finding={"kind": "face", "label": "face", "score": 0.99, "box": (1.0, 1.0, 9.0, 9.0), "model": "face_detector",
                 "model_version": "1"},
    )  # fmt: skip
    store.record(event("moderate", "review", 0, user="u_gone", images=[shared, own], evidence=[face]))
    decided = event("review", "approve", 1, user="u_gone", actor="rita")
    store.record(decided.model_copy(update={"reason": "approve by rita: the red scarf"}))
    store.record(event("screen", "passed", 0, user="u_kept", images=[shared]).model_copy(update={"request_id": "r2"}))
    erased = store.erase_user("u_gone")
    assert [i.sha256 for i in erased.images] == ["d" * 64] and [i.sha256 for i in erased.shared] == ["c" * 64]
    steps = store.history("r1")
    assert all(step.evidence == [] for step in steps)
    assert "scarf" not in " ".join(step.reason for step in steps) and steps[-1].actor == "rita"
    assert store.history("r2")[0].images == [shared]


def test_a_batch_is_recorded_at_once_and_counts_only_new_events(engine: Engine) -> None:
    store = AuditStore(engine)
    first, second = event("screen", "passed", 0), event("generate", "generated", 1)
    assert store.record(first)
    assert store.record_all([first, second, second]) == 1
    assert store.record_all([]) == 0
    assert [h.stage for h in store.history("r1")] == ["screen", "generate"]
