"""Screen: the ingress of requests and submissions, and the policy's checks of prompts and reference images.

Checks schema, size and decodability of every image (decompression bombs included), strips image
metadata by re-encoding, and pseudonymises the user id. Then the policy judges the prompt (PII from
the ``prompt_pii`` model, listed protected names and prohibited terms) and the reference image (the
image safety models, with the request's consent flag). A blocked request is rejected here; anything
else goes on with its evidence, and the moderate stage decides with all of it. From here on only the
PII-redacted prompt travels, except on the internal ``screened`` topic where the generator needs it.
"""

from __future__ import annotations

from streams.app import (
    app,
    candidates_topic,
    decisions_topic,
    requests_topic,
    screened_topic,
    settings,
    submissions_topic,
)
from streams.blobs import BlobNotFound
from streams.events import (
    BlobRef,
    Candidate,
    Decision,
    End,
    Evidenced,
    Finding,
    GenerationRequest,
    ImageSubmission,
    Screened,
    Source,
)
from streams.imaging import PNG, RejectedImage, sanitize_image
from streams.inference import InferenceRejected, InferenceUnavailable
from streams.policy import Action, Context, Policy, Verdict, combine, judge, redact_text, term_findings
from streams.policy.redaction import redact_image
from streams.privacy import pseudonymise
from streams.stages.base import (
    RejectedInput,
    StageTimer,
    audit,
    blob_store,
    policy,
    pseudonym_key,
    run_stage,
    send,
    triton,
)

STAGE = "screen"


class ChecksUnavailable(RuntimeError):
    """A check the policy requires did not answer after the retries: the item goes to review."""


def clean_image(ref: BlobRef) -> BlobRef:
    """The sanitized copy of an uploaded image, stored beside it."""
    try:
        data = blob_store().get(ref)
        clean = sanitize_image(data, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels)
    except (BlobNotFound, RejectedImage) as exc:
        raise RejectedInput(str(exc).strip("'\"")) from None
    return blob_store().put(clean, PNG)


async def screen_prompt(
    prompt: str, tenant: str, request_id: str, current: Policy
) -> tuple[Verdict, str, str, dict[str, str]]:
    """The prompt's verdict, the PII-redacted prompt, the prompt for the generator, and model versions."""
    versions: dict[str, str] = {}
    pii: list[Finding] = []
    if "prompt_pii" in current.rules.required_models(Context.PROMPT):
        try:
            version, pii = await triton().prompt_pii(prompt, request_id)
        except InferenceUnavailable as exc:
            raise ChecksUnavailable(f"prompt screening unavailable: {exc}") from exc
        except InferenceRejected as exc:
            raise RejectedInput(str(exc)) from exc
        versions["prompt_pii"] = version
    verdict = judge(current, tenant, Context.PROMPT, [*pii, *term_findings(current, prompt)])
    redacted = redact_text(prompt, pii)  # every PII entity, whatever the rules: raw prompts never travel on
    for_generator = redact_text(prompt, [e.finding for e in verdict.redacting()])
    return verdict, redacted, for_generator, versions


async def screen_reference(
    image: BlobRef, request: GenerationRequest, current: Policy
) -> tuple[Verdict, BlobRef, dict[str, str]]:
    """The reference image's verdict, the image to use (redacted where the policy says), model versions."""
    data = blob_store().get(image)
    try:
        scan = await triton().scan(data, request.request_id, current.rules.required_models(Context.REFERENCE))
    except InferenceUnavailable as exc:
        raise ChecksUnavailable(f"reference screening unavailable: {exc}") from exc
    except InferenceRejected as exc:
        raise RejectedInput(f"reference image: {exc}") from exc
    verdict = judge(current, request.tenant, Context.REFERENCE, scan.detections, consent=request.subject_consent)
    if verdict.redacting():
        image = blob_store().put(redact_image(data, verdict.redacting()), PNG)
    return verdict, image, scan.model_versions


async def _end_here(item: Evidenced, end: End, reason: str, reason_code: str | None, timer: StageTimer) -> None:
    decision = Decision(
        **item.model_dump(exclude={"schema_version", "timings_ms"}, include=set(Evidenced.model_fields)),
        end=end,
        stage=STAGE,
        reason=reason,
        reason_code=reason_code,
        timings_ms=timer.timings(item.timings_ms),
    )
    await send(decisions_topic, decision)


async def screen_request(request: GenerationRequest) -> None:
    timer = StageTimer(STAGE)
    current = policy()
    cleaned = reference = clean_image(request.reference_image) if request.reference_image else None
    user = pseudonymise(request.user_id, pseudonym_key())
    base = Evidenced(
        request_id=request.request_id,
        tenant=request.tenant,
        user=user,
        submitted_at=request.submitted_at,
        policy_version=current.version,
    )
    try:
        prompt_verdict, redacted, for_generator, versions = await screen_prompt(
            request.prompt, request.tenant, request.request_id, current
        )
        base = base.model_copy(update={"prompt": redacted, "model_versions": versions})
        verdicts = [prompt_verdict]
        if reference is not None:
            reference_verdict, reference, reference_versions = await screen_reference(reference, request, current)
            verdicts.append(reference_verdict)
            versions = {**versions, **{f"reference:{m}": v for m, v in reference_versions.items()}}
    except ChecksUnavailable as exc:
        await _fail_closed(base, str(exc), timer, [request.reference_image, cleaned, reference])
        return
    verdict = combine(verdicts)
    item = base.model_copy(update={"evidence": verdict.evidence, "model_versions": versions})
    if verdict.action is Action.BLOCK:
        await audit(STAGE, "blocked", verdict.reason, item, other_images=[request.reference_image, cleaned, reference])
        await _end_here(item, End.REJECTED, verdict.reason, verdict.reason_code, timer)
        return
    screened = Screened(
        **item.model_dump(exclude={"schema_version", "timings_ms"}),
        generator_prompt=for_generator,
        reference_image=reference,
        seed=request.seed,
        timings_ms=timer.timings({}),
    )
    await audit(
        STAGE,
        "passed",
        f"request passed screening ({verdict.action.value})",
        screened,
        [request.reference_image, cleaned],
    )
    await send(screened_topic, screened)


async def _fail_closed(item: Evidenced, reason: str, timer: StageTimer, images: list[BlobRef | None]) -> None:
    """A required check did not answer after the retries: a person decides, nothing goes on unchecked."""
    prompt_unknown = item.model_copy(update={"prompt": None})  # without the PII model, no redacted prompt exists
    await audit(STAGE, "review", reason, prompt_unknown, images)
    await _end_here(prompt_unknown, End.REVIEW, reason, "CHECKS_UNAVAILABLE", timer)


async def screen_submission(submission: ImageSubmission) -> None:
    timer = StageTimer(STAGE)
    current = policy()
    image = clean_image(submission.image)
    base = Evidenced(
        request_id=submission.request_id,
        tenant=submission.tenant,
        user=pseudonymise(submission.user_id, pseudonym_key()),
        submitted_at=submission.submitted_at,
        policy_version=current.version,
    )
    verdict = Verdict()
    if submission.prompt:
        try:
            verdict, redacted, _, versions = await screen_prompt(
                submission.prompt, submission.tenant, submission.request_id, current
            )
        except ChecksUnavailable as exc:
            await _fail_closed(base, str(exc), timer, [submission.image, image])
            return
        base = base.model_copy(update={"prompt": redacted, "model_versions": versions})
    item = base.model_copy(update={"evidence": verdict.evidence})
    if verdict.action is Action.BLOCK:
        await audit(STAGE, "blocked", verdict.reason, item, other_images=[submission.image, image])
        await _end_here(item, End.REJECTED, verdict.reason, verdict.reason_code, timer)
        return
    candidate = Candidate(
        **item.model_dump(exclude={"schema_version", "timings_ms"}),
        source=Source.SUBMITTED,
        image=image,
        timings_ms=timer.timings({}),
    )
    await audit(STAGE, "passed", "submission passed screening", candidate, [submission.image])
    await send(candidates_topic, candidate)


@app.agent(requests_topic)
async def screen_requests(stream):  # type: ignore[no-untyped-def]
    await run_stage(stream, GenerationRequest, screen_request)


@app.agent(submissions_topic)
async def screen_submissions(stream):  # type: ignore[no-untyped-def]
    await run_stage(stream, ImageSubmission, screen_submission)
