"""Outcomes: the one writer of ends. Applies each routing decision exactly once per request id.

Stages send decisions to the internal ``decisions`` topic; this stage turns them into an ``Outcome``
(published or rejected) or a ``ReviewItem``, at most one of each per request id however often a
decision is delivered. The record of what was already written is the end topics themselves: for
each decisions partition this stage owns, it reads the same partition of ``outcomes`` and ``review``
before applying anything, and it writes each end to that partition and awaits the acknowledgement
before the decision's offset can commit. A worker killed at any point therefore neither loses an
end nor writes a second one.
"""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition
from faust import current_event

from streams import topics
from streams.app import app, decisions_topic, outcomes_topic, review_topic, settings
from streams.events import Decision, End, Outcome, OutcomeStatus, ReviewItem
from streams.kafka import read_to_end
from streams.stages.base import StageTimer, audit, run_stage, send

STAGE = "outcomes"


class EndLedger:
    """Request ids that already have an outcome or a review item, per partition owned by this worker."""

    def __init__(self) -> None:
        self._seen: dict[int, dict[str, set[str]]] = {}

    async def seen(self, partition: int) -> dict[str, set[str]]:
        if partition not in self._seen:
            found: dict[str, set[str]] = {topics.OUTCOMES: set(), topics.REVIEW: set()}
            tps = [TopicPartition(topic, partition) for topic in found]
            async for record in read_to_end(settings.kafka_bootstrap, tps):
                if record.key:
                    found[record.topic].add(record.key.decode())
            self._seen[partition] = found
        return self._seen[partition]

    def forget(self) -> None:
        self._seen.clear()


ledger = EndLedger()


@app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode types receivers as taking a positional signal
async def _forget_ledger(sender: Any, revoked: Any, **kwargs: Any) -> None:
    # Another worker may write ends of these partitions now; re-read them if they come back.
    ledger.forget()


async def apply(decision: Decision) -> None:
    timer = StageTimer(STAGE)
    event = current_event()
    assert event is not None  # apply runs inside the agent, which sets the current event
    partition = event.message.partition
    seen = await ledger.seen(partition)
    ends = seen[topics.REVIEW] if decision.end is End.REVIEW else seen[topics.OUTCOMES]
    if decision.request_id in ends:
        return  # a redelivery: this request already has this end
    # Audit first: a crash after it repeats the audit event (the store dedups), never loses it.
    await audit(STAGE, decision.end.value, decision.reason, decision)
    common = decision.model_dump(exclude={"end", "decided_at", "timings_ms", "schema_version"})
    timings = timer.timings(decision.timings_ms)
    if decision.end is End.REVIEW:
        await send(review_topic, ReviewItem(**common, timings_ms=timings), partition=partition)
    else:
        outcome = Outcome(
            **common, status=OutcomeStatus(decision.end.value), decided_at=decision.decided_at, timings_ms=timings
        )
        await send(outcomes_topic, outcome, partition=partition)
    ends.add(decision.request_id)


@app.agent(decisions_topic)
async def apply_decisions(stream):  # type: ignore[no-untyped-def]
    await run_stage(stream, Decision, apply)
