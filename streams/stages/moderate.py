"""Moderate: run the policy's image safety models on Triton for each candidate and decide its end.

The policy judges the findings together with the screening's evidence: allow and redact publish (the
published image redacted, and the record says what was), review queues the item with a redacted
preview, block rejects it with the rule's reason code. A required model that stays unavailable after
the retries sends the item to review (fail closed), never to publish; so does an image whose
watermark cannot be embedded and read back (see ``publish``). The agent takes candidates in batches,
so that Triton's dynamic batcher sees several images per model at once.
"""

from __future__ import annotations

from typing import Any

from streams import topics
from streams.events import Action, Candidate, Context, Decision, End
from streams.imaging import PNG
from streams.policy import Verdict, combine, judge, verdict_of
from streams.policy.redaction import preview_evidence, redact_image, redaction_labels
from streams.stages.base import Stage, StageTimer, send_to_review_unchecked
from streams.stages.publish import PublishFailed, Record, publish
from streams.stages.services import StageServices

STAGE = "moderate"
ENDS = {
    Action.ALLOW: End.PUBLISHED,
    Action.REDACT: End.PUBLISHED,
    Action.REVIEW: End.REVIEW,
    Action.BLOCK: End.REJECTED,
}


async def moderate(services: StageServices, candidate: Candidate) -> None:
    timer, current = StageTimer(STAGE), services.policy()
    image = await services.offload(services.blobs.get, candidate.image)
    scan = await services.inference.scan(image, candidate.request_id, current.rules.required_models(Context.OUTPUT))
    output = judge(current, candidate.tenant, Context.OUTPUT, scan.detections)
    verdict = combine([verdict_of(candidate.evidence), output])
    carried = candidate.carried() | {
        "evidence": verdict.evidence,
        "model_versions": {**candidate.model_versions, **scan.model_versions},
        "policy_version": current.version,
    }
    decision = Decision(
        **carried,
        end=ENDS[verdict.action],
        stage=STAGE,
        reason=verdict.reason,
        reason_code=verdict.reason_code,
        image=candidate.image,
        generator=candidate.generator,
    )
    if decision.end is End.PUBLISHED:
        decision = await _publish(services, image, output, decision)
    if decision.end is End.REVIEW:
        # Reviewers see every redactable box that a rule fired on redacted, whatever the rule's action.
        preview = await services.offload(services.redacted_copy, image, preview_evidence(verdict.evidence))
        decision = decision.model_copy(update={"preview": preview})
    decision = decision.model_copy(update={"timings_ms": timer.timings(candidate.timings_ms)})
    await services.audit(STAGE, decision.end, decision.reason, decision)
    await services.send(topics.DECISIONS, decision)


async def _publish(services: StageServices, image: bytes, output: Verdict, decision: Decision) -> Decision:
    """The decision once the image (redacted where the policy says) is watermarked and signed; a failed
    watermark check sends the item to review instead, with the image the policy allowed (redacted)."""
    redactions = redaction_labels(output.redacting())
    record = Record(
        STAGE, decision.reason_code, redactions, decision.policy_version, decision.model_versions, decision.generator
    )
    allowed = await services.offload(redact_image, image, output.redacting()) if redactions else image
    try:
        published = await publish(services, allowed, decision.request_id, record)
    except PublishFailed as exc:
        to_review: dict[str, Any] = {"end": End.REVIEW, "reason": str(exc), "reason_code": exc.reason_code}
        if redactions:  # the policy allowed only the redacted image: that is what approving may publish
            to_review |= {"image": await services.offload(services.blobs.put, allowed, PNG), "redactions": redactions}
        return decision.model_copy(update=to_review)
    update = {
        "image": published.image,
        "watermark": published.watermark,
        "image_hash": published.image_hash,
        "redactions": redactions,
    }
    return decision.model_copy(update=update | {"model_versions": published.model_versions})


MODERATE = Stage(STAGE, Candidate, moderate, send_to_review_unchecked)
