from __future__ import annotations

from dataclasses import replace

import pytest

from streams import topics
from streams.errors import RejectedInput
from streams.events import Decision, End, Screened, SystemReason
from streams.stages.base import RetryPolicy, process
from streams.stages.memory import delivered, finding, png
from streams.stages.screen import SCREEN_REQUESTS, screen_request, screen_submission
from tests.unit.streams.stages.conftest import inference, request, run, sender, submission

EMAIL = "jane.doe@example.com"


def test_a_plain_request_is_screened_with_the_user_pseudonymised(services) -> None:
    run(screen_request(services, request()))

    (screened,) = sender(services).on(topics.SCREENED)
    assert isinstance(screened, Screened) and screened.generator_prompt == "a lighthouse at dusk"
    assert screened.user.startswith("u_") and "alice" not in screened.user
    assert screened.model_versions == {"prompt_pii": "memory-1"} and screened.evidence == []
    (audit,) = sender(services).on(topics.AUDIT)
    assert audit.action == "passed" and audit.prompt == "a lighthouse at dusk"


def test_prompt_pii_is_redacted_from_what_travels_and_for_the_generator(services) -> None:
    prompt = f"portrait for {EMAIL} please"
    start = prompt.index(EMAIL)
    inference(services).findings["prompt_pii"] = [
        finding("prompt_pii", "EMAIL_ADDRESS", 1.0, span=(start, start + len(EMAIL)))
    ]
    run(screen_request(services, request(prompt)))

    (screened,) = sender(services).on(topics.SCREENED)
    assert screened.prompt == screened.generator_prompt == "portrait for <EMAIL_ADDRESS> please"
    assert [e.reason_code for e in screened.evidence] == ["PII_IN_PROMPT"]
    assert all(EMAIL not in str(event) for event in sender(services).on(topics.AUDIT))


def test_a_prohibited_prompt_is_rejected_here(services) -> None:
    run(screen_request(services, request("how to build a pipe bomb")))

    assert sender(services).on(topics.SCREENED) == []
    (decision,) = sender(services).on(topics.DECISIONS)
    assert decision.end is End.REJECTED and decision.reason_code == "PROHIBITED_CONTENT"
    assert [a.action for a in sender(services).on(topics.AUDIT)] == ["blocked"]


def test_a_protected_name_goes_on_with_its_evidence_for_moderate_to_decide(services) -> None:
    run(screen_request(services, request("in the style of Greg Rutkowski")))

    (screened,) = sender(services).on(topics.SCREENED)
    assert [e.reason_code for e in screened.evidence] == ["PROTECTED_ARTIST"]


def test_an_unavailable_prompt_check_sends_the_request_to_review(services) -> None:
    inference(services).unavailable.add("prompt_pii")
    run(screen_request(services, request(f"mail {EMAIL}")))

    (decision,) = sender(services).on(topics.DECISIONS)
    assert decision.end is End.REVIEW and decision.reason_code == SystemReason.CHECKS_UNAVAILABLE
    assert decision.prompt is None  # without the PII model no redacted prompt exists
    assert sender(services).on(topics.SCREENED) == []


def test_the_reference_image_is_cleaned_judged_and_redacted(services) -> None:
    upload = services.blobs.put(png((64, 64)), "image/png")
    inference(services).findings = {
        "pii_detector": [finding("pii_detector", "EMAIL_ADDRESS", 0.9, box=(4.0, 4.0, 40.0, 20.0))],
        "face_detector": [finding("face_detector", "face", 0.99, box=(30.0, 30.0, 60.0, 60.0))],
    }
    run(screen_request(services, request(reference_image=upload)))

    (screened,) = sender(services).on(topics.SCREENED)
    assert screened.reference_image != upload  # the redacted copy
    assert {e.reason_code for e in screened.evidence} == {"PII_IN_IMAGE", "FACE_WITHOUT_CONSENT"}
    assert "reference:face_detector" in screened.model_versions
    (audit,) = sender(services).on(topics.AUDIT)
    assert upload in audit.images and screened.reference_image in audit.images


@pytest.mark.parametrize(("requested", "allowed"), [(None, 0.6), (0.3, 0.3), (1.0, 1.0)])
def test_the_reference_scale_is_the_requests_or_the_policys_default(services, requested, allowed) -> None:
    upload = services.blobs.put(png((64, 64)), "image/png")
    run(screen_request(services, request(reference_image=upload, reference_scale=requested)))

    (screened,) = sender(services).on(topics.SCREENED)
    assert screened.reference_scale == allowed


def test_a_request_without_a_reference_has_no_reference_scale(services) -> None:
    run(screen_request(services, request(reference_scale=0.9)))

    (screened,) = sender(services).on(topics.SCREENED)
    assert screened.reference_image is None and screened.reference_scale is None


def test_consent_lifts_the_face_rule_on_reference_images(services) -> None:
    upload = services.blobs.put(png(), "image/png")
    inference(services).findings = {"face_detector": [finding("face_detector", "face", 0.99, box=(1.0, 1.0, 9.0, 9.0))]}
    run(screen_request(services, request(reference_image=upload, subject_consent=True)))

    (screened,) = sender(services).on(topics.SCREENED)
    assert screened.evidence == [] and screened.reference_image is not None


def test_an_unavailable_reference_check_sends_the_request_to_review_with_its_images_audited(services) -> None:
    upload = services.blobs.put(png(), "image/png")
    inference(services).unavailable.add("nudity_detector")
    run(screen_request(services, request(reference_image=upload)))

    (decision,) = sender(services).on(topics.DECISIONS)
    assert decision.end is End.REVIEW and decision.reason_code == SystemReason.CHECKS_UNAVAILABLE
    (audit,) = sender(services).on(topics.AUDIT)
    assert upload in audit.images and len(audit.images) == 2  # the upload and its cleaned copy


@pytest.mark.parametrize("data", [b"not an image", b""])
def test_an_undecodable_upload_is_invalid_input(services, data: bytes) -> None:
    with pytest.raises(RejectedInput):
        run(screen_submission(services, submission(services, image=data)))


def test_a_refused_upload_is_audited_with_its_blob_and_user_before_it_is_dead_lettered(services) -> None:
    """The dead letter keeps no content, so only the audit record lets erasure find the uploaded blob."""
    refused = submission(services, image=b"not an image")
    with pytest.raises(RejectedInput):
        run(screen_submission(services, refused))
    (audit,) = sender(services).on(topics.AUDIT)
    assert audit.action == "refused_input" and audit.images == [refused.image]
    assert audit.user == services.pseudonymise(refused.user_id) and audit.tenant == refused.tenant
    upload = services.blobs.put(b"GIF89a not really", "image/gif")
    with pytest.raises(RejectedInput):
        run(screen_request(services, request(reference_image=upload)))
    assert sender(services).on(topics.AUDIT)[-1].images == [upload]


class CountingBlobs:
    """The memory store, counting the blobs read from it."""

    def __init__(self, blobs) -> None:  # type: ignore[no-untyped-def]
        self.blobs, self.reads = blobs, 0

    def get(self, ref):  # type: ignore[no-untyped-def]
        self.reads += 1
        return self.blobs.get(ref)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.blobs, name)


def test_an_upload_declared_over_the_size_limit_is_refused_unread(services) -> None:
    big = services.blobs.put(b"\x89PNG" + b"0" * (services.limits.max_bytes + 1), "image/png")
    counting = CountingBlobs(services.blobs)
    services = replace(services, blobs=counting)
    with pytest.raises(RejectedInput, match="over the limit of 5000000 bytes"):
        run(screen_submission(services, submission(services, image=None).model_copy(update={"image": big})))
    assert counting.reads == 0


def test_an_image_the_model_refuses_is_dead_lettered_with_the_reason(services) -> None:
    upload = services.blobs.put(png(), "image/png")
    inference(services).rejecting.add("face_detector")
    event = request(reference_image=upload)
    message = delivered(topics.REQUESTS, 2, 7, b"r1", event.to_bytes())
    run(process(services, SCREEN_REQUESTS, message, RetryPolicy(0, 0)))

    (letter,) = sender(services).on(topics.DEAD_LETTER)
    assert letter.reason.startswith("reference image: face_detector") and (letter.partition, letter.offset) == (2, 7)


def test_a_submission_goes_to_moderation_as_a_cleaned_image(services) -> None:
    event = submission(services, prompt="my holiday photo")
    run(screen_submission(services, event))

    (candidate,) = sender(services).on(topics.CANDIDATES)
    assert candidate.source == "submitted" and candidate.prompt == "my holiday photo"
    assert services.blobs.get(candidate.image).startswith(b"\x89PNG")
    (audit,) = sender(services).on(topics.AUDIT)
    assert event.image in audit.images and candidate.image in audit.images


def test_a_submission_whose_prompt_cannot_be_checked_goes_to_review(services) -> None:
    inference(services).unavailable.add("prompt_pii")
    run(screen_submission(services, submission(services, prompt="caption")))

    (decision,) = sender(services).on(topics.DECISIONS)
    assert isinstance(decision, Decision) and decision.end is End.REVIEW
    assert sender(services).on(topics.CANDIDATES) == []
