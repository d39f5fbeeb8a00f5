"""Moderate: run the policy's image safety models on Triton for each candidate and decide its end.

Candidates are taken in batches (``stream.take_events``) and each one's model requests are sent at
once, so Triton's dynamic batcher sees batches of up to ``moderation_batch`` images per model. The
policy judges the findings together with the screening's evidence: allow and redact publish (the
published image redacted, and the record says what was), review queues the item with a redacted
preview, block rejects it with the rule's reason code. A required model that stays unavailable after
the retries sends the item to review (fail closed), never to publish; so does an image whose
watermark cannot be embedded and read back (see ``publish``).
"""

from __future__ import annotations

import asyncio

from streams.app import app, candidates_topic, decisions_topic, settings
from streams.events import BlobRef, Candidate, Decision, End, Evidenced
from streams.imaging import PNG
from streams.inference import InferenceRejected, InferenceUnavailable
from streams.policy import Action, Context, Verdict, combine, judge, verdict_of
from streams.policy.redaction import redact_image, redaction_labels
from streams.stages.base import RejectedInput, StageTimer, audit, blob_store, policy, process_event, send, triton
from streams.stages.publish import PublishFailed, publish

STAGE = "moderate"
ENDS = {
    Action.ALLOW: End.PUBLISHED,
    Action.REDACT: End.PUBLISHED,
    Action.REVIEW: End.REVIEW,
    Action.BLOCK: End.REJECTED,
}


async def moderate(candidate: Candidate) -> None:
    timer = StageTimer(STAGE)
    current = policy()
    image = blob_store().get(candidate.image)
    screening = verdict_of(candidate.evidence)
    model_versions = dict(candidate.model_versions)
    published, preview, redactions, watermark = candidate.image, None, [], None
    try:
        scan = await triton().scan(image, candidate.request_id, current.rules.required_models(Context.OUTPUT))
    except InferenceRejected as exc:
        raise RejectedInput(str(exc)) from exc
    except InferenceUnavailable as exc:
        verdict = screening
        end, reason = End.REVIEW, f"moderation unavailable: {exc}"
        reason_code: str | None = "CHECKS_UNAVAILABLE"
    else:
        model_versions.update(scan.model_versions)
        output = judge(current, candidate.tenant, Context.OUTPUT, scan.detections)
        verdict = combine([screening, output])
        end, reason, reason_code = ENDS[verdict.action], verdict.reason, verdict.reason_code
        if end is End.PUBLISHED:
            redactions = redaction_labels(output.redacting())
            try:
                result = await publish(
                    redact_image(image, output.redacting()) if redactions else image,
                    candidate.request_id,
                    stage=STAGE,
                    reason_code=reason_code,
                    redactions=redactions,
                    policy_version=current.version,
                    model_versions=model_versions,
                    generator=candidate.generator,
                )
            except PublishFailed as exc:
                end, reason, reason_code, redactions = End.REVIEW, str(exc), exc.reason_code, []
            else:
                published, watermark, model_versions = result.image, result.watermark, result.model_versions
        if end is End.REVIEW:
            preview = _preview(image, output)
    carried = candidate.model_dump(exclude={"schema_version", "timings_ms"}, include=set(Evidenced.model_fields))
    carried.update(evidence=verdict.evidence, model_versions=model_versions, policy_version=current.version)
    decision = Decision(
        **carried,
        end=end,
        stage=STAGE,
        reason=reason,
        reason_code=reason_code,
        image=published,
        preview=preview,
        redactions=redactions,
        generator=candidate.generator,
        watermark=watermark,
        timings_ms=timer.timings(candidate.timings_ms),
    )
    await audit(STAGE, end.value, reason, decision)
    await send(decisions_topic, decision)


def _preview(image: bytes, output: Verdict) -> BlobRef:
    """Reviewers see every face and PII box that a rule fired on redacted, whatever the rule's action."""
    return blob_store().put(redact_image(image, output.evidence), PNG)


@app.agent(candidates_topic, concurrency=2)
async def moderate_candidates(stream):  # type: ignore[no-untyped-def]
    async for events in stream.take_events(settings.moderation_batch, within=settings.moderation_batch_wait_s):
        await asyncio.gather(*(process_event(event, Candidate, moderate) for event in events))
