"""Screen: the ingress of requests and submissions, and the policy's checks of prompts and reference images.

Checks schema, size and decodability of every image (decompression bombs included), strips image
metadata by re-encoding, and pseudonymises the user id. Then the policy judges the prompt (PII from
the ``prompt_pii`` model, listed protected names and prohibited terms) and the reference image (the
image safety models, with the request's consent flag). A blocked request is rejected here; anything
else goes on with its evidence, and the moderate stage decides with all of it. From here on only the
PII-redacted prompt travels, except on the internal ``screened`` topic where the generator needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from streams import topics
from streams.blobs import BlobNotFound
from streams.errors import ChecksUnavailable, RejectedInput
from streams.events import (
    Action,
    BlobRef,
    Candidate,
    Context,
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
from streams.policy import Policy, Verdict, combine, judge, redact_text, term_findings
from streams.stages.base import Stage, StageTimer, unchecked_decision
from streams.stages.services import StageServices

STAGE = "screen"


@dataclass
class Screening:
    """What screening knows of a request or submission so far: the item, every image of it in the store
    (for the audit, so that erasure finds them), the verdicts and the prompt for the generator."""

    item: Evidenced
    images: list[BlobRef | None] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    generator_prompt: str = ""


def clean_image(services: StageServices, ref: BlobRef) -> BlobRef:
    """The sanitized copy of an uploaded image, stored beside it.

    An image declared larger than the limit is refused unread; the store refuses one whose stored size
    differs from the declared one before reading it, so no more than the limit is ever read.
    """
    if ref.size > services.limits.max_bytes:
        raise RejectedInput(f"image of {ref.size} bytes is over the limit of {services.limits.max_bytes} bytes")
    try:
        data = services.blobs.get(ref)
        clean = sanitize_image(data, max_bytes=services.limits.max_bytes, max_pixels=services.limits.max_pixels)
    except (BlobNotFound, RejectedImage) as exc:
        raise RejectedInput(str(exc).strip("'\"")) from None
    return services.blobs.put(clean, PNG)


async def cleaned_upload(services: StageServices, screening: Screening, upload: BlobRef) -> BlobRef:
    """``clean_image`` of the user's upload. A refused upload goes to the dead-letter topic, which keeps no
    content: the audit event written first names its blob and its user, so that erasing the user finds it."""
    try:
        return await services.offload(clean_image, services, upload)
    except RejectedInput as exc:
        await services.audit(STAGE, "refused_input", str(exc), screening.item, other_images=[upload])
        raise


def ingress(services: StageServices, event: GenerationRequest | ImageSubmission, current: Policy) -> Screening:
    """The screening of a request or submission: user pseudonymised, under the ``current`` policy."""
    item = Evidenced(
        request_id=event.request_id,
        tenant=event.tenant,
        user=services.pseudonymise(event.user_id),
        submitted_at=event.submitted_at,
        policy_version=current.version,
    )
    upload = event.reference_image if isinstance(event, GenerationRequest) else event.image
    return Screening(item, images=[upload])


def _add_versions(screening: Screening, versions: dict[str, str]) -> None:
    screening.item = screening.item.model_copy(update={"model_versions": {**screening.item.model_versions, **versions}})


async def screen_prompt(services: StageServices, screening: Screening, prompt: str, current: Policy) -> None:
    """Judge ``prompt``; the item gets its PII-redacted form, the generator the form the policy allows."""
    item = screening.item
    pii: list[Finding] = []
    if "prompt_pii" in current.rules.required_models(Context.PROMPT):
        version, pii = await services.inference.prompt_pii(prompt, item.request_id)
        _add_versions(screening, {"prompt_pii": version})
    verdict = judge(current, item.tenant, Context.PROMPT, [*pii, *term_findings(current, prompt)])
    # Every PII entity is redacted from the travelling prompt, whatever the rules: raw prompts never travel on.
    screening.item = screening.item.model_copy(update={"prompt": redact_text(prompt, pii)})
    screening.generator_prompt = redact_text(prompt, [e.finding for e in verdict.redacting()])
    screening.verdicts.append(verdict)


async def screen_reference(
    services: StageServices, screening: Screening, request: GenerationRequest, image: BlobRef, current: Policy
) -> BlobRef:
    """Judge the (cleaned) reference ``image``; the image to generate from, redacted where the policy says."""
    data = await services.offload(services.blobs.get, image)
    try:
        scan = await services.inference.scan(data, request.request_id, current.rules.required_models(Context.REFERENCE))
    except RejectedInput as exc:
        raise RejectedInput(f"reference image: {exc}") from exc
    verdict = judge(current, request.tenant, Context.REFERENCE, scan.detections, consent=request.subject_consent)
    screening.verdicts.append(verdict)
    _add_versions(screening, {f"reference:{model}": version for model, version in scan.model_versions.items()})
    if not verdict.redacting():
        return image
    redacted = await services.offload(services.redacted_copy, data, verdict.redacting())
    screening.images.append(redacted)
    return redacted


@dataclass(frozen=True)
class Onward:
    """Where an item that passed screening goes: the topic, the event it becomes there, the audited reason."""

    topic: str
    event: Callable[..., Screened | Candidate]
    reason: str  # may name the verdict's ``{action}``


async def _forward(
    services: StageServices, screening: Screening, timer: StageTimer, onward: Onward, audited: list[BlobRef | None]
) -> None:
    """The item on to its next stage with the combined evidence, unless the policy blocks it (rejected here)."""
    verdict = combine(screening.verdicts)
    item = screening.item.model_copy(update={"evidence": verdict.evidence})
    if verdict.action is Action.BLOCK:
        await _reject(services, item, verdict, screening.images, timer)
        return
    event = onward.event(**item.carried(), timings_ms=timer.timings({}))
    await services.audit(STAGE, "passed", onward.reason.format(action=verdict.action.value), event, audited)
    await services.send(onward.topic, event)


async def _reject(
    services: StageServices, item: Evidenced, verdict: Verdict, images: list[BlobRef | None], timer: StageTimer
) -> None:
    await services.audit(STAGE, "blocked", verdict.reason, item, other_images=images)
    rejected = Decision(
        **item.carried(),
        end=End.REJECTED,
        stage=STAGE,
        reason=verdict.reason,
        reason_code=verdict.reason_code,
        timings_ms=timer.timings(item.timings_ms),
    )
    await services.send(topics.DECISIONS, rejected)


async def _fail_closed(services: StageServices, screening: Screening, reason: str, timer: StageTimer) -> None:
    """A required check did not answer after the retries: a person decides, nothing goes on unchecked."""
    prompt_unknown = screening.item.model_copy(update={"prompt": None})  # no PII model: no redacted prompt
    await services.audit(STAGE, "review", reason, prompt_unknown, screening.images)
    await services.send(topics.DECISIONS, unchecked_decision(prompt_unknown, STAGE, reason, timer))


async def screen_request(services: StageServices, request: GenerationRequest) -> None:
    timer, current = StageTimer(STAGE), services.policy()
    screening = ingress(services, request, current)
    upload = request.reference_image
    reference = cleaned = await cleaned_upload(services, screening, upload) if upload else None
    screening.images.append(cleaned)
    try:
        await screen_prompt(services, screening, request.prompt, current)
        if cleaned is not None:
            reference = await screen_reference(services, screening, request, cleaned, current)
    except ChecksUnavailable as exc:
        await _fail_closed(services, screening, str(exc), timer)
        return
    onward = partial(
        Screened,
        generator_prompt=screening.generator_prompt,
        reference_image=reference,
        reference_scale=current.rules.generation.scale_for(request.reference_scale) if reference else None,
        seed=request.seed,
    )
    await _forward(
        services,
        screening,
        timer,
        Onward(topics.SCREENED, onward, "request passed screening ({action})"),
        [request.reference_image, cleaned],
    )


async def screen_submission(services: StageServices, submission: ImageSubmission) -> None:
    timer, current = StageTimer(STAGE), services.policy()
    screening = ingress(services, submission, current)
    image = await cleaned_upload(services, screening, submission.image)
    screening.images.append(image)
    if submission.prompt:
        try:
            await screen_prompt(services, screening, submission.prompt, current)
        except ChecksUnavailable as exc:
            await _fail_closed(services, screening, str(exc), timer)
            return
    candidate = partial(Candidate, source=Source.SUBMITTED, image=image)
    onward = Onward(topics.CANDIDATES, candidate, "submission passed screening")
    await _forward(services, screening, timer, onward, [submission.image])


async def unavailable(
    services: StageServices, event: GenerationRequest | ImageSubmission, reason: str, timer: StageTimer
) -> None:
    """Where a request or submission goes when screening keeps failing transiently (blob store, broker)."""
    await _fail_closed(services, ingress(services, event, services.policy()), reason, timer)


SCREEN_REQUESTS = Stage(STAGE, GenerationRequest, screen_request, unavailable)
SCREEN_SUBMISSIONS = Stage(STAGE, ImageSubmission, screen_submission, unavailable)
