"""Moderate: run every safety model on Triton for each candidate image and decide its end.

Candidates are taken in batches (``stream.take_events``) and each one's five model requests are sent
at once, so Triton's dynamic batcher sees batches of up to ``moderation_batch`` images per model.
Until the policy issue lands, any finding over its threshold (``streams.thresholds``) sends the item
to review. A model that stays unavailable after the retries sends it to review too (fail closed),
never to publish.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from streams.app import app, candidates_topic, decisions_topic, settings
from streams.events import Candidate, Decision, End, Finding
from streams.inference import InferenceRejected, InferenceUnavailable
from streams.stages.base import RejectedInput, StageTimer, audit, blob_store, process_event, send, triton
from streams.thresholds import flagged

STAGE = "moderate"


def route(findings: list[Finding]) -> tuple[End, str]:
    if not findings:
        return End.PUBLISHED, "no findings"
    kinds = Counter(finding.kind for finding in findings)
    return End.REVIEW, "findings: " + ", ".join(f"{kind} x{count}" for kind, count in sorted(kinds.items()))


async def moderate(candidate: Candidate) -> None:
    timer = StageTimer(STAGE)
    image = blob_store().get(candidate.image)
    model_versions: dict[str, str] = {}
    try:
        scan = await triton().scan(image, candidate.request_id)
    except InferenceRejected as exc:
        raise RejectedInput(str(exc)) from exc
    except InferenceUnavailable as exc:
        findings, end, reason = [], End.REVIEW, f"moderation unavailable: {exc}"
    else:
        findings, model_versions = flagged(scan.detections, settings), scan.model_versions
        end, reason = route(findings)
    decision = Decision(
        request_id=candidate.request_id,
        end=end,
        stage=STAGE,
        reason=reason,
        tenant=candidate.tenant,
        user=candidate.user,
        image=candidate.image,
        generator=candidate.generator,
        findings=findings,
        model_versions=model_versions,
        submitted_at=candidate.submitted_at,
        timings_ms=timer.timings(candidate.timings_ms),
    )
    await audit(STAGE, end.value, reason, decision)
    await send(decisions_topic, decision)


@app.agent(candidates_topic, concurrency=2)
async def moderate_candidates(stream):  # type: ignore[no-untyped-def]
    async for events in stream.take_events(settings.moderation_batch, within=settings.moderation_batch_wait_s):
        await asyncio.gather(*(process_event(event, Candidate, moderate) for event in events))
