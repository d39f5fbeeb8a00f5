from __future__ import annotations

import pytest

from streams import topics
from streams.authentication import Unauthenticated, decision_statement
from streams.errors import RejectedInput
from streams.events import End, Evidence, ReviewAction, ReviewDecision, ReviewItem, SystemReason
from streams.provenance import watermark_payload
from streams.stages.memory import REVIEW_SIGNER, WATERMARK_KEY, png
from streams.stages.review import apply_review
from tests.unit.streams.stages.conftest import inference, run, sender

FACE = Evidence(
    rule="output-face", context="output", action="review", reason_code="FACE_IN_IMAGE", threshold=0.9,
    finding={"kind": "face", "label": "face", "score": 0.99, "box": (1.0, 1.0, 9.0, 9.0), "model": "face_detector",
             "model_version": "1"},
)  # fmt: skip


def review_decision(services, action: str, request_id: str = "r1", **item_fields) -> ReviewDecision:
    images = {
        "image": services.blobs.put(png(colour=(1, 2, 3)), "image/png"),
        "preview": services.blobs.put(png(colour=(4, 5, 6)), "image/png"),
    }
    fields = {"reason": "face", "reason_code": "FACE_IN_IMAGE", "evidence": [FACE]} | images | item_fields
    item = ReviewItem(
        request_id="r1", tenant="default", user="u_1", submitted_at="2026-12-01T00:00:00Z", stage="moderate", **fields
    )  # fmt: skip
    signature = REVIEW_SIGNER.sign(decision_statement(request_id, ReviewAction(action), "rita", item))
    return ReviewDecision(request_id=request_id, action=action, reviewer="rita", item=item, signature=signature)


def test_an_approved_item_is_published_watermarked(services) -> None:
    decision = review_decision(services, "approve")
    run(apply_review(services, decision))

    (applied,) = sender(services).on(topics.DECISIONS)
    assert applied.end is End.PUBLISHED and applied.reason_code is None
    assert applied.watermark == watermark_payload("r1", WATERMARK_KEY).hex() and applied.redactions == []
    assert services.blobs.get(applied.image).startswith(services.blobs.get(decision.item.image))
    (audit,) = sender(services).on(topics.AUDIT)
    assert audit.actor == "rita" and audit.action == "approve"


def test_redact_and_approve_publishes_the_preview_and_records_what_it_covers(services) -> None:
    decision = review_decision(services, "redact_approve")
    run(apply_review(services, decision))

    (applied,) = sender(services).on(topics.DECISIONS)
    assert applied.redactions == ["face"]
    assert services.blobs.get(applied.image).startswith(services.blobs.get(decision.item.preview))


def test_a_rejection_ends_the_request_with_the_reviewers_code(services) -> None:
    run(apply_review(services, review_decision(services, "reject")))
    run(apply_review(services, review_decision(services, "reject").model_copy(update={"reason_code": "SPAM"})))

    codes = [d.reason_code for d in sender(services).on(topics.DECISIONS)]
    assert codes == [SystemReason.REJECTED_BY_REVIEWER, "SPAM"]
    assert inference(services).calls == []  # nothing to watermark


def test_a_decision_carrying_another_requests_item_is_refused(services) -> None:
    with pytest.raises(RejectedInput, match="carries the item of r1"):
        run(apply_review(services, review_decision(services, "approve", request_id="r2")))


def test_approving_an_item_without_an_image_is_refused(services) -> None:
    decision = review_decision(services, "approve", image=None)
    with pytest.raises(RejectedInput, match="no image to publish"):
        run(apply_review(services, decision))


def test_an_approved_image_whose_watermark_fails_is_not_published(services) -> None:
    inference(services).watermark_reads_back = False
    with pytest.raises(RejectedInput, match="not published: watermark check failed"):
        run(apply_review(services, review_decision(services, "approve")))
    assert sender(services).on(topics.DECISIONS) == []


def test_a_decision_without_the_review_services_signature_publishes_nothing(services) -> None:
    unsigned = review_decision(services, "approve").model_copy(update={"signature": None})
    with pytest.raises(Unauthenticated, match="not signed by the review service"):
        run(apply_review(services, unsigned))
    assert sender(services).on(topics.DECISIONS) == []


@pytest.mark.parametrize(
    "change",
    [
        {"action": ReviewAction.REDACT_APPROVE},  # the signature of a rejection
        {"reviewer": "mallory"},
    ],
)
def test_a_signature_of_another_decision_does_not_verify(services, change) -> None:
    forged = review_decision(services, "reject").model_copy(update=change)
    with pytest.raises(Unauthenticated, match="does not verify"):
        run(apply_review(services, forged))


def test_a_signed_approval_does_not_publish_another_image(services) -> None:
    decision = review_decision(services, "approve")
    other = services.blobs.put(png(colour=(9, 9, 9)), "image/png")
    swapped = decision.model_copy(update={"item": decision.item.model_copy(update={"image": other})})
    with pytest.raises(Unauthenticated, match="does not verify"):
        run(apply_review(services, swapped))


def test_re_run_checks_sends_the_image_back_to_moderation_with_the_screening_evidence(services) -> None:
    artist = Evidence(**(FACE.model_dump() | {"rule": "prompt-artist", "context": "prompt", "reason_code": "ARTIST"}))
    decision = review_decision(
        services, "recheck", reason_code=SystemReason.CHECKS_UNAVAILABLE, evidence=[artist, FACE], rechecks=1
    )
    run(apply_review(services, decision))

    assert sender(services).on(topics.DECISIONS) == []  # no end: moderation decides afresh
    (candidate,) = sender(services).on(topics.CANDIDATES)
    assert candidate.image == decision.item.image and candidate.source == "submitted"
    assert candidate.evidence == [artist] and candidate.rechecks == 2
    (audit,) = sender(services).on(topics.AUDIT)
    assert audit.action == "recheck" and audit.actor == "rita"
