"""Review: apply reviewers' decisions from ``review-decisions`` as the request's end.

The review service sends each decision once it has recorded it as the item's only one; this stage
turns it into a ``Decision`` for the outcomes stage, which writes at most one outcome per request
id, so a redelivered decision changes nothing. Approve publishes the image, redact-and-approve
publishes the redacted preview (each watermarked and signed, see ``publish``), reject ends the
request with the reviewer's reason code. An approved image whose watermark check fails is not
published: the decision goes to the dead-letter topic with the reason.
"""

from __future__ import annotations

from streams.app import app, decisions_topic, review_decisions_topic
from streams.events import Decision, End, Evidenced, ReviewAction, ReviewDecision, ReviewItem
from streams.policy.redaction import redaction_labels
from streams.stages.base import RejectedInput, StageTimer, audit, blob_store, run_stage, send
from streams.stages.publish import PublishFailed, publish

STAGE = "review"


async def apply_review(decision: ReviewDecision) -> None:
    timer = StageTimer(STAGE)
    item = decision.item
    if item.request_id != decision.request_id:
        raise RejectedInput(f"decision for {decision.request_id} carries the item of {item.request_id}")
    image = item.preview if decision.action is ReviewAction.REDACT_APPROVE else item.image
    if decision.action is not ReviewAction.REJECT and image is None:
        raise RejectedInput(f"{decision.action.value}: the item has no image to publish; reject it instead")
    approved = decision.action is not ReviewAction.REJECT
    reason = f"{decision.action.value} by reviewer {decision.reviewer}" + (
        f": {decision.reason}" if decision.reason else ""
    )
    redactions = _preview_redactions(item) if decision.action is ReviewAction.REDACT_APPROVE else item.redactions
    carried = item.model_dump(exclude={"schema_version", "timings_ms"}, include=set(Evidenced.model_fields))
    published = None
    if approved and image is not None:
        try:
            published = await publish(
                blob_store().get(image),
                item.request_id,
                stage=STAGE,
                reason_code=None,
                redactions=redactions,
                policy_version=item.policy_version,
                model_versions=item.model_versions,
                generator=item.generator,
            )
        except PublishFailed as exc:
            raise RejectedInput(f"{decision.action.value}: not published: {exc}") from exc
        carried["model_versions"] = published.model_versions
    applied = Decision(
        **carried,
        end=End.PUBLISHED if approved else End.REJECTED,
        stage=STAGE,
        reason=reason,
        reason_code=None if approved else (decision.reason_code or "REJECTED_BY_REVIEWER"),
        image=published.image if published else None,
        redactions=redactions,
        generator=item.generator,
        watermark=published.watermark if published else None,
        timings_ms=timer.timings(item.timings_ms),
    )
    await audit(STAGE, decision.action.value, reason, applied, actor=decision.reviewer)
    await send(decisions_topic, applied)


def _preview_redactions(item: ReviewItem) -> list[str]:
    """What the preview covers: every face and PII box of the output that a rule fired on (see moderate)."""
    return redaction_labels(
        e for e in item.evidence if e.context == "output" and e.finding.box and e.finding.kind in ("face", "pii")
    )


@app.agent(review_decisions_topic)
async def apply_review_decisions(stream):  # type: ignore[no-untyped-def]
    await run_stage(stream, ReviewDecision, apply_review)
