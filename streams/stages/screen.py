"""Screen: the ingress of requests and submissions.

Checks schema, size and decodability of every image (decompression bombs included), strips image
metadata by re-encoding, and pseudonymises the user id. Prompt screening by policy builds on this.
"""

from __future__ import annotations

from streams.app import app, candidates_topic, requests_topic, screened_topic, settings, submissions_topic
from streams.blobs import BlobNotFound
from streams.events import BlobRef, Candidate, GenerationRequest, ImageSubmission, Screened, Source
from streams.imaging import PNG, RejectedImage, sanitize_image
from streams.privacy import pseudonymise
from streams.stages.base import RejectedInput, StageTimer, audit, blob_store, pseudonym_key, run_stage, send

STAGE = "screen"


def clean_image(ref: BlobRef) -> BlobRef:
    """The sanitized copy of an uploaded image, stored beside it."""
    try:
        data = blob_store().get(ref)
        clean = sanitize_image(data, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels)
    except (BlobNotFound, RejectedImage) as exc:
        raise RejectedInput(str(exc).strip("'\"")) from None
    return blob_store().put(clean, PNG)


async def screen_request(request: GenerationRequest) -> None:
    timer = StageTimer(STAGE)
    reference = clean_image(request.reference_image) if request.reference_image else None
    screened = Screened(
        request_id=request.request_id,
        tenant=request.tenant,
        user=pseudonymise(request.user_id, pseudonym_key()),
        prompt=request.prompt,
        reference_image=reference,
        seed=request.seed,
        submitted_at=request.submitted_at,
        timings_ms=timer.timings({}),
    )
    await audit(STAGE, "passed", "request passed screening", screened)
    await send(screened_topic, screened)


async def screen_submission(submission: ImageSubmission) -> None:
    timer = StageTimer(STAGE)
    image = clean_image(submission.image)
    candidate = Candidate(
        request_id=submission.request_id,
        tenant=submission.tenant,
        user=pseudonymise(submission.user_id, pseudonym_key()),
        source=Source.SUBMITTED,
        image=image,
        submitted_at=submission.submitted_at,
        timings_ms=timer.timings({}),
    )
    await audit(STAGE, "passed", "submission passed screening", candidate)
    await send(candidates_topic, candidate)


@app.agent(requests_topic)
async def screen_requests(stream):  # type: ignore[no-untyped-def]
    await run_stage(stream, GenerationRequest, screen_request)


@app.agent(submissions_topic)
async def screen_submissions(stream):  # type: ignore[no-untyped-def]
    await run_stage(stream, ImageSubmission, screen_submission)
