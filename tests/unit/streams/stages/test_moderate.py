from __future__ import annotations

import io

import numpy as np
from PIL import Image

from streams import topics
from streams.events import End, Evidence, ReviewAction, ReviewItem, SystemReason
from streams.provenance import watermark_payload
from streams.stages.base import RetryPolicy, process
from streams.stages.memory import WATERMARK_KEY, delivered, finding
from streams.stages.moderate import MODERATE, moderate
from tests.unit.streams.stages.conftest import candidate, inference, run, sender

EVERY_OUTPUT_MODEL = ["face_detector", "pii_detector", "nudity_detector", "protected_match", "style_similarity"]


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def decision_of(services):
    (decision,) = sender(services).on(topics.DECISIONS)
    (audit,) = sender(services).on(topics.AUDIT)
    assert audit.action == decision.end
    return decision


def test_a_clean_image_is_published_watermarked_and_signed(services) -> None:
    item = candidate(services)
    run(moderate(services, item))

    decision = decision_of(services)
    assert decision.end is End.PUBLISHED and decision.watermark == watermark_payload("c1", WATERMARK_KEY).hex()
    published = services.blobs.get(decision.image)
    assert published.endswith(b"\0signed") and published != services.blobs.get(item.image)
    assert set(decision.model_versions) == {*EVERY_OUTPUT_MODEL, "watermark_embed"}
    assert inference(services).calls == [*EVERY_OUTPUT_MODEL, "watermark_embed", "watermark_decode"]


def test_pii_in_the_image_is_redacted_before_publishing(services) -> None:
    inference(services).findings["pii_detector"] = [
        finding("pii_detector", "EMAIL_ADDRESS", 0.9, box=(4.0, 4.0, 40.0, 20.0))
    ]
    item = candidate(services)
    run(moderate(services, item))

    decision = decision_of(services)
    assert decision.end is End.PUBLISHED and decision.redactions == ["pii:EMAIL_ADDRESS"]
    assert decision.reason_code == "PII_IN_IMAGE"


def test_a_face_sends_the_item_to_review_with_a_redacted_preview(services) -> None:
    inference(services).findings["face_detector"] = [finding("face_detector", "face", 0.99, box=(8.0, 8.0, 40.0, 40.0))]
    item = candidate(services)
    run(moderate(services, item))

    decision = decision_of(services)
    assert decision.end is End.REVIEW and decision.reason_code == "FACE_IN_IMAGE"
    assert decision.preview is not None and decision.preview != item.image
    assert decision.watermark is None and "watermark_embed" not in inference(services).calls


def test_explicit_nudity_is_rejected(services) -> None:
    inference(services).findings["nudity_detector"] = [finding("nudity_detector", "ANUS_EXPOSED", 0.95)]
    run(moderate(services, candidate(services)))

    decision = decision_of(services)
    assert decision.end is End.REJECTED and decision.reason_code == "EXPLICIT_NUDITY" and decision.preview is None


def test_the_screening_evidence_counts_with_the_output_findings(services) -> None:
    artist = Evidence(
        rule="prompt-artist", context="prompt", action="review", reason_code="PROTECTED_ARTIST", threshold=0.0,
        finding={"kind": "protected_name", "label": "artists", "score": 1.0, "model": "protected-names",
                 "model_version": "policy 1"},
    )  # fmt: skip
    run(moderate(services, candidate(services, evidence=[artist])))

    decision = decision_of(services)
    assert decision.end is End.REVIEW and decision.reason_code == "PROTECTED_ARTIST"


def test_a_watermark_that_does_not_read_back_sends_the_item_to_review(services) -> None:
    inference(services).watermark_reads_back = False
    run(moderate(services, candidate(services)))

    decision = decision_of(services)
    assert decision.end is End.REVIEW and decision.reason_code == SystemReason.WATERMARK_FAILED
    assert decision.watermark is None and decision.preview is not None


def test_a_redacted_image_whose_watermark_fails_goes_to_review_redacted(services) -> None:
    """Approving the review item publishes its image: it must be the redacted one the policy allowed."""
    inference(services).findings["pii_detector"] = [
        finding("pii_detector", "EMAIL_ADDRESS", 0.9, box=(4.0, 4.0, 40.0, 20.0))
    ]
    inference(services).watermark_reads_back = False
    item = candidate(services)
    run(moderate(services, item))

    decision = decision_of(services)
    assert decision.end is End.REVIEW and decision.reason_code == SystemReason.WATERMARK_FAILED
    assert decision.redactions == ["pii:EMAIL_ADDRESS"] and decision.image != item.image
    original, approvable = (
        np.asarray(Image.open(io.BytesIO(services.blobs.get(ref)))) for ref in (item.image, decision.image)
    )
    assert (original[4:20, 4:40] != approvable[4:20, 4:40]).any() and (original[30:, 45:] == approvable[30:, 45:]).all()
    assert (
        ReviewItem(**decision.model_dump(exclude={"end", "decided_at"})).published_by(ReviewAction.APPROVE)
        == decision.image
    )


def test_an_unavailable_watermark_model_sends_the_item_to_review(services) -> None:
    inference(services).unavailable.add("watermark_embed")
    run(moderate(services, candidate(services)))

    assert decision_of(services).reason_code == SystemReason.CHECKS_UNAVAILABLE


def test_an_unavailable_safety_model_sends_the_item_to_review_never_to_publish(services) -> None:
    inference(services).unavailable.add("style_similarity")
    item = candidate(services)
    run(process(services, MODERATE, delivered(topics.CANDIDATES, 0, 1, b"c1", item.to_bytes()), RetryPolicy(0, 0)))

    decision = decision_of(services)
    assert decision.end is End.REVIEW and decision.reason_code == SystemReason.CHECKS_UNAVAILABLE
    assert decision.stage == "moderate" and "moderate" in decision.timings_ms
    assert decision.image == item.image and decision.preview is None  # a lead may look; it may be checked again


def test_an_image_a_model_refuses_is_dead_lettered(services) -> None:
    inference(services).rejecting.add("pii_detector")
    item = candidate(services)
    run(process(services, MODERATE, delivered(topics.CANDIDATES, 0, 1, b"c1", item.to_bytes()), RetryPolicy(0, 0)))

    (letter,) = sender(services).on(topics.DEAD_LETTER)
    assert letter.reason.startswith("pii_detector: ") and sender(services).on(topics.DECISIONS) == []
