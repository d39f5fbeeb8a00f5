"""What every stage shares: reading an event, classifying what goes wrong, dead-lettering, timing.

Delivery is at-least-once: a stage awaits the broker's acknowledgement of everything it sends before
it takes the next event, and Faust commits an offset only after the event was fully processed. The
outcomes stage makes the ends idempotent. Failures are handled here, once for every stage (see
``streams.errors``): permanent ones dead-letter the event with the reason, transient ones run the
handler again with backoff and then fail closed, unavailable checks fail closed at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from streams import metrics, topics
from streams.authentication import Unauthenticated
from streams.errors import ChecksUnavailable, PermanentError, TransientError
from streams.events import (
    REQUEST_ID,
    Candidate,
    DeadLetter,
    Decision,
    End,
    Event,
    Evidenced,
    InvalidEvent,
    SystemReason,
)
from streams.metrics import DeadLetterCause
from streams.stages.services import StageServices
from streams.telemetry import consume_span

log = logging.getLogger("modstream")

E = TypeVar("E", bound=Event)
Handler = Callable[[StageServices, E], Awaitable[None]]


class StageTimer:
    """Adds this stage's processing time to an item's ``timings_ms``."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.started = time.perf_counter()

    def timings(self, before: dict[str, float]) -> dict[str, float]:
        return {**before, self.stage: round((time.perf_counter() - self.started) * 1000, 2)}


FailClosed = Callable[[StageServices, E, str, StageTimer], Awaitable[None]]


@dataclass(frozen=True)
class Stage(Generic[E]):
    """A stage: the events it reads, its handler, and where an event goes when its checks stay unavailable
    (``fail_closed``; None: the dead-letter topic)."""

    name: str
    event: type[E]
    handle: Handler[E]
    fail_closed: FailClosed[E] | None = None


@dataclass(frozen=True)
class Received:
    """A consumed message, as far as the stages care."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any = None

    @property
    def request_id(self) -> str | None:
        return self.key.decode("utf-8", errors="replace") if self.key else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often a handler that failed transiently runs again, and the first wait (doubling after each try)."""

    retries: int = 3
    backoff_s: float = 0.5

    def retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential(multiplier=self.backoff_s),
            reraise=True,
        )


# What a reason may not repeat, whatever raised it: addresses, phone numbers and paths on the server.
_SCRUBBED = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # an email address
    r"|\+?\d[\d ().-]{6,}\d"  # a phone or card number, an SSN
    r"|(?<![\w.])/(?:[\w.-]+/)+[\w.-]*"  # an absolute path
)


def scrub(reason: str) -> str:
    """``reason`` without anything that may be personal data or a server path, and at most 500 characters."""
    return _SCRUBBED.sub("<redacted>", reason)[:500]


async def dead_letter(
    services: StageServices,
    message: Received,
    reason: str,
    request_id: str | None,
    cause: str,
    fields: list[str] | None = None,
) -> None:
    """The dead-letter record of ``message``: where it is and why, never its content (``DeadLetter``)."""
    reason = scrub(reason)
    log.warning("dead-letter %s[%s]@%s: %s", message.topic, message.partition, message.offset, reason)
    value = message.value or b""
    request_id = request_id or message.request_id
    letter = DeadLetter(
        request_id=request_id if request_id and REQUEST_ID.fullmatch(request_id) else None,
        source_topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        reason=reason,
        fields=fields or [],
        payload_sha256=hashlib.sha256(value).hexdigest(),
        payload_bytes=len(value),
    )
    await services.send(topics.DEAD_LETTER, letter, key=letter.request_id)
    metrics.dead_lettered(message.topic, cause)


async def process(services: StageServices, stage: Stage[E], message: Received, retry: RetryPolicy) -> None:
    """Parse one message and handle it; whatever goes wrong ends on review or the dead-letter topic, never in
    a crash of the stream. Every message counts in the stage's duration histogram."""
    started = time.perf_counter()
    try:
        services.authenticator.verify(message.topic, message.key, message.value, message.headers)
        parsed = stage.event.from_bytes(message.value)
    except Unauthenticated as exc:
        await dead_letter(services, message, str(exc), None, DeadLetterCause.UNAUTHENTICATED)
        metrics.stage_done(stage.name, time.perf_counter() - started)
        return
    except InvalidEvent as exc:
        await dead_letter(services, message, str(exc), None, DeadLetterCause.INVALID_EVENT, exc.fields)
        metrics.stage_done(stage.name, time.perf_counter() - started)
        return
    with consume_span(message.topic, message.headers, parsed.request_id):
        try:
            await _handle(services, stage, message, parsed, retry)
        finally:  # inside the span: the observation's exemplar is the request's trace
            metrics.stage_done(stage.name, time.perf_counter() - started)


async def _handle(services: StageServices, stage: Stage[E], message: Received, parsed: E, retry: RetryPolicy) -> None:
    timer = StageTimer(stage.name)
    try:
        async for attempt in retry.retrying():
            with attempt:
                await stage.handle(services, parsed)
    except PermanentError as exc:
        cause = DeadLetterCause.UNAUTHENTICATED if isinstance(exc, Unauthenticated) else DeadLetterCause.REJECTED_INPUT
        await dead_letter(services, message, str(exc), parsed.request_id, cause)
    except (ChecksUnavailable, TransientError) as exc:
        log.warning("%s: %s unavailable: %s", stage.name, parsed.request_id, exc)
        if stage.fail_closed is None:
            await dead_letter(services, message, f"unavailable: {exc}", parsed.request_id, DeadLetterCause.UNAVAILABLE)
        else:
            await stage.fail_closed(services, parsed, str(exc), timer)
    except Exception as exc:  # a bug must not stop the stream: record it where a person looks
        log.exception("stage %s failed on %s", stage.name, parsed.request_id)
        reason = f"internal error: {type(exc).__name__} (the worker's log has the details)"
        await dead_letter(services, message, reason, parsed.request_id, DeadLetterCause.INTERNAL_ERROR)


def unchecked_decision(item: Evidenced, stage: str, reason: str, timer: StageTimer) -> Decision:
    """The decision for an item whose required checks did not answer: a person decides (fail closed)."""
    return Decision(
        **item.carried(),
        end=End.REVIEW,
        stage=stage,
        reason=reason,
        reason_code=SystemReason.CHECKS_UNAVAILABLE,
        timings_ms=timer.timings(item.timings_ms),
    )


async def send_to_review_unchecked(services: StageServices, item: Evidenced, reason: str, timer: StageTimer) -> None:
    """``fail_closed`` of the stages after screening: the item goes to review as it is, a candidate with its
    image (which a lead may look at, and which a reviewer may have checked again)."""
    decision = unchecked_decision(item, timer.stage, reason, timer)
    if isinstance(item, Candidate):
        decision = decision.model_copy(update={"image": item.image, "generator": item.generator})
    await services.audit(timer.stage, End.REVIEW, reason, decision)
    await services.send(topics.DECISIONS, decision)
