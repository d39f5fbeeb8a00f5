"""Moderate: run the safety models on Triton for every candidate image and decide its end.

Today: face detection (MTCNN). An image with a face goes to review; one without is published.
A model that is unavailable sends the item to review (fail closed), never to publish.
"""

from __future__ import annotations

from streams.app import app, candidates_topic, decisions_topic, settings
from streams.events import Candidate, Decision, End, Finding
from streams.inference import InferenceRejected, InferenceUnavailable
from streams.stages.base import RejectedInput, StageTimer, audit, blob_store, run_stage, send, triton

STAGE = "moderate"


def route(findings: list[Finding]) -> tuple[End, str]:
    faces = [f for f in findings if f.kind == "face" and f.score >= settings.face_min_score]
    if faces:
        return End.REVIEW, f"{len(faces)} face(s) detected"
    return End.PUBLISHED, "no findings"


async def moderate(candidate: Candidate) -> None:
    timer = StageTimer(STAGE)
    image = blob_store().get(candidate.image)
    try:
        findings = await triton().detect_faces(image, candidate.request_id)
        end, reason = route(findings)
    except InferenceRejected as exc:
        raise RejectedInput(str(exc)) from exc
    except InferenceUnavailable as exc:
        findings, end, reason = [], End.REVIEW, f"moderation unavailable: {exc}"
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
        submitted_at=candidate.submitted_at,
        timings_ms=timer.timings(candidate.timings_ms),
    )
    await audit(STAGE, end.value, reason, decision)
    await send(decisions_topic, decision)


@app.agent(candidates_topic, concurrency=4)
async def moderate_candidates(stream):  # type: ignore[no-untyped-def]
    await run_stage(stream, Candidate, moderate)
