"""What a stage handler may use, passed to it rather than looked up: the one seam between stage logic
and the outside world (Triton, blob store, policy file, pseudonym key, broker, C2PA signer).

``StageServices`` is the same object in the worker and in tests; what differs are its parts. The worker
builds it from the settings with the real parts (``streams.agents``); unit tests build it with the
in-memory parts of ``streams.stages.memory``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from streams import topics
from streams.authentication import DecisionVerifier, MessageAuthenticator
from streams.blobs import BlobStore
from streams.events import AuditEvent, BlobRef, DeadLetter, Event, Evidence, Finding, Item
from streams.imaging import PNG
from streams.inference import GeneratedImage, Scan
from streams.policy import Policy
from streams.policy.redaction import redact_image
from streams.privacy import pseudonymise


class Inference(Protocol):
    """The models on Triton, as the stages call them (``streams.inference.TritonClient``)."""

    async def generate(
        self, prompt: str, seed: int, request_id: str, reference: bytes | None, reference_scale: float
    ) -> GeneratedImage: ...

    async def scan(self, image: bytes, request_id: str | None, models: Sequence[str]) -> Scan: ...

    async def prompt_pii(self, prompt: str, request_id: str | None) -> tuple[str, list[Finding]]: ...

    async def watermark_embed(self, image: bytes, payload: bytes, request_id: str | None) -> tuple[str, bytes]: ...

    async def watermark_decode(self, image: bytes, request_id: str | None) -> bytes | None: ...


class PolicySource(Protocol):
    def current(self) -> Policy: ...


class Sender(Protocol):
    """Sends one event to a topic and returns once the broker acknowledged it."""

    async def send(self, topic: str, key: str | None, event: Event | DeadLetter, partition: int | None) -> None: ...


class EndRecord(Protocol):
    """How many ends each request id already has, per topic, in one partition of the end topics (a request
    has at most one outcome, and one review item per round of checks)."""

    async def seen(self, partition: int) -> dict[str, Counter[str]]: ...

    def forget(self) -> None:
        """After a rebalance: partitions may come back with ends that another worker wrote meanwhile."""


class Signer(Protocol):
    """Signs a published image's C2PA manifest (``streams.provenance.sign_image``)."""

    def __call__(self, image: bytes, moderation: dict[str, Any], watermark: str) -> bytes: ...


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int


T = TypeVar("T")
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
    "image_hash",
)


@dataclass(frozen=True)
class StageServices:
    inference: Inference
    blobs: BlobStore
    policies: PolicySource
    pseudonym_key: bytes
    watermark_key: bytes  # keys the watermark payload of each request (``provenance.watermark_payload``)
    sender: Sender
    ends: EndRecord
    sign: Signer
    limits: ImageLimits
    authenticator: MessageAuthenticator  # tags of the messages on topics.AUTHENTICATED
    review_signatures: DecisionVerifier  # the review service's signatures of reviewers' decisions
    executor: Executor | None = None  # where ``offload`` runs blocking work; None: the loop's default pool

    async def offload(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in the worker's thread pool: image decoding and encoding, redaction, signing and blob
        store calls block, and the event loop must go on serving every other message meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, partial(work, *args))

    def redacted_copy(self, image: bytes, evidence: Sequence[Evidence]) -> BlobRef:
        """``image`` with the boxes of ``evidence`` covered, put in the blob store (blocking: ``offload`` it)."""
        return self.blobs.put(redact_image(image, evidence), PNG)

    def policy(self) -> Policy:
        """The policy in force now (the file is re-read when it changes)."""
        return self.policies.current()

    def pseudonymise(self, user_id: str) -> str:
        return pseudonymise(user_id, self.pseudonym_key)

    async def send(
        self, topic: str, event: Event | DeadLetter, key: str | None = None, partition: int | None = None
    ) -> None:
        """Send keyed by the request id (or ``key``) and wait for the broker's acknowledgement."""
        await self.sender.send(topic, key or event.request_id, event, partition)

    async def audit(
        self,
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
        carried = {field: getattr(item, field) for field in AUDITED_FIELDS if getattr(item, field, None) is not None}
        event = AuditEvent(
            request_id=item.request_id,
            stage=stage,
            action=action,
            reason=reason,
            images=[image for image in images if isinstance(image, BlobRef)],
            actor=actor,
            **carried,
        )
        await self.send(topics.AUDIT, event)
