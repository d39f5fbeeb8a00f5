"""Outcomes: the one writer of ends. Applies each routing decision exactly once per request id.

Stages send decisions to the internal ``decisions`` topic; this stage turns them into an ``Outcome``
(published or rejected) or a ``ReviewItem``, at most one outcome per request id and one review item per
round of checks (a reviewer may have the checks run again), however often a decision is delivered.
The record of what was already written is the end topics themselves (``StageServices.ends``): for
each decisions partition this stage owns, it reads the same partition of ``outcomes`` and ``review``
before applying anything, and it writes each end to that partition and awaits the acknowledgement
before the decision's offset can commit. A worker killed at any point
therefore neither loses an end nor writes a second one.
"""

from __future__ import annotations

from streams import metrics, topics
from streams.events import Decision, End, Outcome, OutcomeStatus, ReviewItem
from streams.stages import review
from streams.stages.base import StageTimer
from streams.stages.services import StageServices

STAGE = "outcomes"


async def apply(services: StageServices, decision: Decision, partition: int) -> None:
    """Write ``decision``'s end to ``partition`` (the one it was read from) unless it was written before."""
    timer = StageTimer(STAGE)
    topic = topics.REVIEW if decision.end is End.REVIEW else topics.OUTCOMES
    written = (await services.ends.seen(partition))[topic]
    if written[decision.request_id] > (decision.rechecks if decision.end is End.REVIEW else 0):
        return  # a redelivery: this request already has this end
    # Audit first: a crash after it repeats the audit event (the store dedups), never loses it.
    await services.audit(STAGE, decision.end, decision.reason, decision)
    common = decision.model_dump(exclude={"end", "decided_at", "timings_ms", "schema_version"})
    timings = timer.timings(decision.timings_ms)
    if decision.end is End.REVIEW:
        end: ReviewItem | Outcome = ReviewItem(**common, timings_ms=timings)
    else:
        status = OutcomeStatus(decision.end.value)
        end = Outcome(**common, status=status, decided_at=decision.decided_at, timings_ms=timings)
    await services.send(topic, end, partition=partition)
    written[decision.request_id] += 1
    after_review = decision.stage == review.STAGE
    metrics.end_written(decision.end, decision.reason_code, decision.submitted_at, decision.evidence, after_review)
