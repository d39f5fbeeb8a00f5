"""What every stage shares: reading events, sending with trace context, dead-lettering, auditing.

Delivery is at-least-once: a stage awaits the broker's acknowledgement of everything it sends before
it takes the next event, and Faust commits an offset only after the event was fully processed. The
outcomes stage makes the ends idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import cache
from typing import Any, TypeVar

import faust

from streams.app import audit_topic, dead_letter_topic, settings
from streams.blobs import BlobStore, open_blob_store
from streams.events import AuditEvent, BlobRef, DeadLetter, Event, InvalidEvent, Item
from streams.inference import TritonClient
from streams.policy import Policy, PolicyStore
from streams.telemetry import consume_span, headers_with_context, produce_span

log = logging.getLogger("modstream")

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]


class RejectedInput(ValueError):
    """Input that can never be processed: the event goes to the dead-letter topic with this reason."""


@cache
def blob_store() -> BlobStore:
    return open_blob_store(settings.blob_location, settings.s3_endpoint_url)


@cache
def pseudonym_key() -> bytes:
    """The HMAC key for user ids, read once per worker rather than once per event."""
    return settings.hmac_key()


@cache
def _policy_store() -> PolicyStore:
    return PolicyStore(settings.policy_path)


def policy() -> Policy:
    """The policy in force: re-read when its file changes, so the next event uses the new version."""
    return _policy_store().current()


_triton: TritonClient | None = None


def triton() -> TritonClient:
    """The worker's Triton client, created inside the running event loop on first use."""
    global _triton
    if _triton is None:
        _triton = TritonClient(
            settings.triton_grpc, timeout_s=settings.triton_timeout_s, retries=settings.triton_retries
        )
    return _triton


async def send(
    topic: faust.TopicT, event: Event | DeadLetter, key: str | None = None, partition: int | None = None
) -> None:
    """Send and wait for the broker's acknowledgement, inside a producer span."""
    request_id = key or event.request_id
    with produce_span(topic.get_topic_name(), request_id):
        delivery = await topic.send(
            key=request_id.encode() if request_id else None,
            value=event.to_bytes(),
            partition=partition,
            headers=headers_with_context(),
        )
        await delivery


async def audit(
    stage: str,
    action: str,
    reason: str,
    item: Item | Event,
    other_images: Iterable[BlobRef | None] = (),
    actor: str | None = None,
) -> None:
    """One audit event for ``item``: the decision and its evidence, never a raw prompt.

    The event lists the blobs the item refers to and ``other_images`` of the request (the upload as
    the user sent it, before screening re-encoded it), so that erasing a user finds every image.
    """
    images = [getattr(item, field, None) for field in IMAGE_FIELDS] + list(other_images)
    await send(
        audit_topic,
        AuditEvent(
            request_id=item.request_id,
            stage=stage,
            action=action,
            reason=reason,
            images=[image for image in images if isinstance(image, BlobRef)],
            actor=actor,
            **{field: getattr(item, field) for field in AUDITED_FIELDS if getattr(item, field, None) is not None},
        ),
    )


IMAGE_FIELDS = ("image", "preview", "reference_image")


# Item fields that the audit event repeats; ``prompt`` on items is always the PII-redacted one.
AUDITED_FIELDS = (
    "tenant",
    "user",
    "prompt",
    "evidence",
    "reason_code",
    "redactions",
    "policy_version",
    "model_versions",
    "watermark",
)


def _key_of(message: Any) -> str | None:
    return message.key.decode("utf-8", errors="replace") if message.key else None


async def dead_letter(message: Any, reason: str, request_id: str | None) -> None:
    log.warning("dead-letter %s[%s]@%s: %s", message.topic, message.partition, message.offset, reason)
    value: bytes = message.value or b""
    await send(
        dead_letter_topic,
        DeadLetter(
            request_id=request_id,
            source_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            reason=reason,
            payload_excerpt=value[:512].decode("utf-8", errors="replace"),
        ),
        key=request_id or _key_of(message),
    )


async def process_event(event: faust.EventT, model: type[E], handler: Handler[E]) -> None:
    """Parse one event and handle it; whatever goes wrong ends on the dead-letter topic, never in a crash."""
    message = event.message
    try:
        parsed = model.from_bytes(event.value)
    except InvalidEvent as exc:
        await dead_letter(message, str(exc), _key_of(message))
        return
    with consume_span(message.topic, event.headers, parsed.request_id):
        try:
            await handler(parsed)
        except RejectedInput as exc:
            await dead_letter(message, str(exc), parsed.request_id)
        except Exception as exc:  # a bug must not stop the stream: record it where a person looks
            log.exception("stage failed on %s", parsed.request_id)
            await dead_letter(message, f"internal error: {type(exc).__name__}: {exc}", parsed.request_id)


async def run_stage(stream: faust.StreamT, model: type[E], handler: Handler[E]) -> None:
    """Process each event of ``stream`` with ``handler``; no event, however bad, stops the stage."""
    async for event in stream.events():
        await process_event(event, model, handler)


class StageTimer:
    """Adds this stage's processing time to an item's ``timings_ms``."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.started = time.perf_counter()

    def timings(self, before: dict[str, float]) -> dict[str, float]:
        return {**before, self.stage: round((time.perf_counter() - self.started) * 1000, 2)}
