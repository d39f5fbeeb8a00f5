"""A reviewer's decision: recorded once in the queue, then sent to ``review-decisions`` for the worker."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from streams import metrics, topics
from streams.authentication import decision_statement
from streams.events import ReviewAction, ReviewDecision, ReviewItem, SystemReason
from streams.policy.redaction import preview_evidence
from streams.reviewing.api.deps import CurrentUser, DecisionSignerDep, QueueDep, SenderDep
from streams.reviewing.api.items import review_row
from streams.reviewing.api.models import Applied, DecisionIn, Message
from streams.store import Refused, User

router = APIRouter(prefix="/api", tags=["review"])


# Re-running the checks helps where they did not run or the watermark failed; other reasons would come back.
RECHECKABLE = {SystemReason.CHECKS_UNAVAILABLE, SystemReason.WATERMARK_FAILED}
MAX_RECHECKS = 3


def check_allowed(action: ReviewAction, item: ReviewItem, user: User) -> None:
    """409 when the action would publish an image the item does not have, or re-run checks that ran; 403 when
    it would publish an image the caller may not see: approve publishes it unredacted, and the preview covers
    something, or there is no preview (the checks did not run)."""
    unseen = item.preview is None or bool(preview_evidence(item.evidence))
    if action is ReviewAction.APPROVE and item.image is not None and unseen and not user.role.sees_unredacted:
        raise HTTPException(
            403,
            f"approving publishes the image unredacted, which role {user.role.value} may not see: "
            "redact and approve, reject, or ask a lead",
        )
    if action is ReviewAction.APPROVE and item.image is None:
        raise HTTPException(409, "this item has no image to publish (its checks did not run): reject it")
    if action is ReviewAction.REDACT_APPROVE and item.preview is None:
        raise HTTPException(409, "this item has no redacted preview to publish: approve or reject it")
    if action is ReviewAction.RECHECK and (item.image is None or item.reason_code not in RECHECKABLE):
        raise HTTPException(
            409, "re-run checks is for an image whose checks did not run or whose watermark failed: decide it"
        )
    if action is ReviewAction.RECHECK and item.rechecks >= MAX_RECHECKS:
        raise HTTPException(409, f"the checks were run again {item.rechecks} times already: decide it")


@router.post(
    "/items/{request_id}/decision",
    responses={403: {"model": Message}, 404: {"model": Message}, 409: {"model": Message}, 503: {"model": Message}},
)
async def decide(
    request_id: str, body: DecisionIn, user: CurrentUser, queue: QueueDep, sender: SenderDep, signer: DecisionSignerDep
) -> Applied:
    """Approve, reject (with a reason code), redact-and-approve, or re-run the checks of an item whose checks did
    not run (the item comes back with the new round's findings, or ends without review). One decision per round."""
    item = (await run_in_threadpool(review_row, queue, request_id)).item
    check_allowed(body.action, item, user)
    try:
        await run_in_threadpool(queue.decide, request_id, user.name, body.action.value, body.reason_code, body.reason)
    except Refused as exc:
        raise HTTPException(409, str(exc)) from None
    decision = ReviewDecision(
        request_id=request_id,
        action=body.action,
        reviewer=user.name,
        reason=body.reason,
        reason_code=body.reason_code,
        item=item,
        signature=signer.sign(decision_statement(request_id, body.action, user.name, item)),
    )
    try:
        await sender.send(topics.REVIEW_DECISIONS, request_id, decision.to_bytes())
    except Exception as exc:  # the broker did not take it: the decision must not count
        await run_in_threadpool(queue.undo_decision, request_id, user.name)
        raise HTTPException(503, f"the decision could not be sent ({exc}); try again") from None
    metrics.review_decided(body.action)
    return Applied(request_id=request_id, action=body.action, reviewer=user.name)
