"""Forged messages on the topics only modstream writes: a client without the keys publishes nothing."""

from __future__ import annotations

import io
import time

import pytest
from aiokafka import AIOKafkaProducer
from PIL import Image

from streams import topics
from streams.blobs import open_blob_store
from streams.client import wait_for_ends
from streams.config import Settings
from streams.events import AuditEvent, Candidate, Decision, End, ReviewAction, ReviewDecision, ReviewItem, Source
from streams.store import AuditStore, open_database
from tests.integration.conftest import audit_events, run, submit_prompts

pytestmark = pytest.mark.integration

ITEM = {"tenant": "default", "user": "u_forger", "submitted_at": "2026-12-01T00:00:00Z", "policy_version": "x"}


def _image(settings: Settings):  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format="PNG")
    return open_blob_store(settings.blob_location).put(out.getvalue(), "image/png")


def forged_messages(settings: Settings) -> dict[str, tuple[str, bytes]]:
    """request id: (topic, value) of what an attacker with write access to the broker sends."""
    image = _image(settings)
    item = ReviewItem(request_id="forged-approval", **ITEM, stage="moderate", reason="x", image=image)
    return {
        "forged-approval": (
            topics.REVIEW_DECISIONS,
            ReviewDecision(request_id="forged-approval", action=ReviewAction.APPROVE, reviewer="rita", item=item,
                           signature="00" * 64).to_bytes(),
        ),
        "forged-decision": (
            topics.DECISIONS,
            Decision(request_id="forged-decision", **ITEM, stage="moderate", reason="ok", end=End.PUBLISHED,
                     image=image).to_bytes(),
        ),
        "forged-candidate": (
            topics.CANDIDATES,
            Candidate(request_id="forged-candidate", **ITEM, source=Source.SUBMITTED, image=image).to_bytes(),
        ),
    }  # fmt: skip


def test_forged_approvals_decisions_and_candidates_end_as_unauthenticated_dead_letters(settings: Settings) -> None:
    messages = forged_messages(settings)

    async def forge() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for request_id, (topic, value) in messages.items():
                await producer.send_and_wait(topic, value=value, key=request_id.encode())
        finally:
            await producer.stop()

    run(forge())
    ends = run(wait_for_ends(settings, list(messages), timeout_s=60, settle_s=3))
    for request_id in messages:
        assert [end.end for end in ends[request_id]] == [topics.DEAD_LETTER], (request_id, ends[request_id])
        letter = ends[request_id][0].value
        assert letter["reason"].startswith("unauthenticated: "), letter
        assert letter["source_topic"] == messages[request_id][0]
    # the forged candidate was never moderated, so nothing of it reached the audit either
    assert audit_events(settings, "forged-candidate") == []


def test_a_forged_audit_event_is_not_stored_and_a_real_request_still_gets_its_record(settings: Settings) -> None:
    forged = AuditEvent(request_id="forged-audit", stage="moderate", action="published", reason="all fine")

    async def forge() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topics.AUDIT, value=forged.to_bytes(), key=b"forged-audit")
        finally:
            await producer.stop()

    run(forge())
    (real,) = run(submit_prompts(settings, ["a quiet harbour, after the forgery"]))
    run(wait_for_ends(settings, [real], timeout_s=120))
    store = AuditStore(open_database(settings.database))
    deadline = time.monotonic() + 30
    while not store.history(real) and time.monotonic() < deadline:  # the review service feeds the store
        time.sleep(0.5)
    assert store.history(real) and store.history("forged-audit") == []
