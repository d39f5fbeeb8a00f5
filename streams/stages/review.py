"""Review: apply reviewers' decisions from ``review-decisions`` as the request's end.

The review service sends each decision once it has recorded it as the item's only one; this stage
turns it into a ``Decision`` for the outcomes stage, which writes at most one outcome per request
id, so a redelivered decision changes nothing. Approve publishes the image, redact-and-approve
publishes the redacted preview (each watermarked and signed, see ``publish``), reject ends the
request with the reviewer's reason code. An approved image whose watermark check fails is not
published: the decision goes to the dead-letter topic with the reason. Re-run checks sends the item's
image back to ``candidates`` with the screening's evidence: the moderate stage decides it afresh.
"""

from __future__ import annotations

from streams import topics
from streams.authentication import decision_statement
from streams.errors import RejectedInput
from streams.events import Candidate, Context, Decision, End, ReviewAction, ReviewDecision, Source, SystemReason
from streams.policy.redaction import preview_evidence, redaction_labels
from streams.stages.base import Stage, StageTimer
from streams.stages.publish import Published, PublishFailed, Record, publish
from streams.stages.services import StageServices

STAGE = "review"


def _reason(decision: ReviewDecision) -> str:
    reason = f"{decision.action.value} by reviewer {decision.reviewer}"
    return f"{reason}: {decision.reason}" if decision.reason else reason


async def apply_review(services: StageServices, decision: ReviewDecision) -> None:
    timer, item = StageTimer(STAGE), decision.item
    if item.request_id != decision.request_id:
        raise RejectedInput(f"decision for {decision.request_id} carries the item of {item.request_id}")
    approved = decision.action is not ReviewAction.REJECT
    image = item.published_by(decision.action)
    statement = decision_statement(decision.request_id, decision.action, decision.reviewer, item)
    services.review_signatures.verify(statement, decision.signature)  # only the review service decides
    if decision.action is ReviewAction.RECHECK:
        await _recheck(services, decision, timer)
        return
    if approved and image is None:
        raise RejectedInput(f"{decision.action.value}: the item has no image to publish; reject it instead")
    if decision.action is ReviewAction.REDACT_APPROVE:
        redactions = redaction_labels(preview_evidence(item.evidence))  # what the preview covers
    else:
        redactions = item.redactions
    carried = item.carried()
    published: Published | None = None
    if approved and image is not None:
        record = Record(STAGE, None, redactions, item.policy_version, item.model_versions, item.generator)
        try:
            published = await publish(
                services, await services.offload(services.blobs.get, image), item.request_id, record
            )
        except PublishFailed as exc:
            raise RejectedInput(f"{decision.action.value}: not published: {exc}") from exc
        carried["model_versions"] = published.model_versions
    applied = Decision(
        **carried,
        end=End.PUBLISHED if approved else End.REJECTED,
        stage=STAGE,
        reason=_reason(decision),
        reason_code=None if approved else (decision.reason_code or SystemReason.REJECTED_BY_REVIEWER),
        image=published.image if published else None,
        redactions=redactions,
        generator=item.generator,
        watermark=published.watermark if published else None,
        image_hash=published.image_hash if published else None,
        timings_ms=timer.timings(item.timings_ms),
    )
    await services.audit(STAGE, decision.action.value, applied.reason, applied, actor=decision.reviewer)
    await services.send(topics.DECISIONS, applied)


async def _recheck(services: StageServices, decision: ReviewDecision, timer: StageTimer) -> None:
    """The item's image to moderation again, as a candidate with the screening's evidence only."""
    item = decision.item
    if item.image is None:
        raise RejectedInput("recheck: the item has no image to check; reject it instead")
    screening = [e for e in item.evidence if e.context is not Context.OUTPUT]
    candidate = Candidate(
        **(item.carried() | {"evidence": screening, "rechecks": item.rechecks + 1}),
        source=Source.GENERATED if item.generator else Source.SUBMITTED,
        image=item.image,
        generator=item.generator,
        timings_ms=timer.timings(item.timings_ms),
    )
    await services.audit(STAGE, decision.action.value, _reason(decision), candidate, actor=decision.reviewer)
    await services.send(topics.CANDIDATES, candidate)


APPLY_REVIEW = Stage(STAGE, ReviewDecision, apply_review)
