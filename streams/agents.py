"""The Faust agents: each wires a topic of the app to its stage's handler, with the worker's services.

The flow, as the agents read it: requests and submissions -> screen -> screened -> generate ->
candidates -> moderate -> decisions -> outcomes -> outcomes | review; review-decisions -> review ->
decisions. Importing this module registers the agents on the app.
"""

from __future__ import annotations

import asyncio
from functools import cache, partial
from typing import Any

import faust

from streams import metrics, topics
from streams.app import TOPICS, app, settings
from streams.events import Decision
from streams.stages import outcomes
from streams.stages.base import Received, RetryPolicy, Stage, process
from streams.stages.generate import GENERATE
from streams.stages.moderate import MODERATE
from streams.stages.review import APPLY_REVIEW
from streams.stages.screen import SCREEN_REQUESTS, SCREEN_SUBMISSIONS
from streams.stages.services import StageServices
from streams.worker import build_services

# How often a stage runs an event again after a transient failure (broker, blob store).
RETRY = RetryPolicy(settings.stage_retries, settings.stage_backoff_s)
metrics.initialise_worker_labels(
    [SCREEN_REQUESTS.name, GENERATE.name, MODERATE.name, outcomes.STAGE, APPLY_REVIEW.name]
)


@cache
def services() -> StageServices:
    """The worker's services, built on first use inside the running event loop."""
    return build_services(settings, TOPICS)


def received(event: faust.EventT) -> Received:
    message = event.message
    return Received(message.topic, message.partition, message.offset, message.key, event.value, event.headers)


async def run(stream: faust.StreamT, stage: Stage[Any]) -> None:
    """Every event of ``stream`` through ``stage``; no event, however bad, stops it."""
    async for event in stream.events():
        await process(services(), stage, received(event), RETRY)


@app.agent(TOPICS[topics.REQUESTS])
async def screen_requests(stream: faust.StreamT) -> None:
    await run(stream, SCREEN_REQUESTS)


@app.agent(TOPICS[topics.SUBMISSIONS])
async def screen_submissions(stream: faust.StreamT) -> None:
    await run(stream, SCREEN_SUBMISSIONS)


@app.agent(TOPICS[topics.SCREENED], concurrency=4)
async def generate_images(stream: faust.StreamT) -> None:
    await run(stream, GENERATE)


@app.agent(TOPICS[topics.CANDIDATES], concurrency=2)
async def moderate_candidates(stream: faust.StreamT) -> None:
    # Several candidates at once, so that Triton's dynamic batcher sees batches of images per model.
    assert isinstance(stream, faust.Stream)  # StreamT does not declare take_events
    async for events in stream.take_events(settings.moderation_batch, within=settings.moderation_batch_wait_s):
        await asyncio.gather(*(process(services(), MODERATE, received(e), RETRY) for e in events))


@app.agent(TOPICS[topics.DECISIONS])
async def apply_decisions(stream: faust.StreamT) -> None:
    async for event in stream.events():
        # An end is written to the partition its decision was read from (see ``stages.outcomes``).
        stage = Stage[Decision](outcomes.STAGE, Decision, partial(outcomes.apply, partition=event.message.partition))
        await process(services(), stage, received(event), RETRY)


@app.agent(TOPICS[topics.REVIEW_DECISIONS])
async def apply_review_decisions(stream: faust.StreamT) -> None:
    await run(stream, APPLY_REVIEW)


@app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode types receivers as taking a positional signal
async def _forget_ends(sender: Any, revoked: Any, **kwargs: Any) -> None:
    services().ends.forget()
