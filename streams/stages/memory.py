"""In-memory stage services, for unit tests of the stages: no broker, no Triton, no model.

Each part records what the stage did with it (``sent``, ``calls``) and can be told to fail the way the
real one does (a model unavailable or refusing its input, a watermark that does not read back, a
broker that fails transiently), so that every branch of a stage can be driven and asserted on.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from modstream_models.catalogue import GENERATOR, SAFETY_MODELS
from streams import topics
from streams.authentication import DecisionSigner, MessageAuthenticator
from streams.blobs import BlobNotFound, blob_ref_for
from streams.errors import TransientError
from streams.events import BlobRef, DeadLetter, Event, Finding, GeneratorInfo
from streams.inference import GeneratedImage, InferenceRejected, InferenceUnavailable, Scan
from streams.policy import DEFAULT_POLICY, Policy, load_policy
from streams.stages.base import Received
from streams.stages.services import ImageLimits, StageServices

MODEL_VERSION = "memory-1"


def png(size: tuple[int, int] = (64, 64), colour: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def finding(model: str, label: str, score: float = 1.0, **fields: Any) -> Finding:
    """A finding as ``model`` (a catalogue name) reports it."""
    kind = SAFETY_MODELS[model].kind
    return Finding(kind=kind, label=label, score=score, model=model, model_version=MODEL_VERSION, **fields)


class MemoryBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, data: bytes, media_type: str = "application/octet-stream") -> BlobRef:
        ref = blob_ref_for(data, media_type)
        self.blobs[ref.sha256] = data
        return ref

    def get(self, ref: BlobRef) -> bytes:
        if ref.sha256 not in self.blobs:
            raise BlobNotFound(f"blob {ref.sha256} is not in memory")
        return self.blobs[ref.sha256]

    def delete(self, ref: BlobRef) -> None:
        self.blobs.pop(ref.sha256, None)


@dataclass
class ScriptedInference:
    """Models that answer with the findings set per model; ``unavailable`` and ``rejecting`` models fail."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)
    unavailable: set[str] = field(default_factory=set)
    rejecting: set[str] = field(default_factory=set)
    watermark_reads_back: bool = True
    calls: list[str] = field(default_factory=list)
    references: dict[str, tuple[bytes | None, float]] = field(default_factory=dict)  # per request id
    _marks: dict[bytes, bytes] = field(default_factory=dict)

    def _call(self, model: str) -> None:
        self.calls.append(model)
        if model in self.unavailable:
            raise InferenceUnavailable(f"{model} failed after 4 attempts: unavailable")
        if model in self.rejecting:
            raise InferenceRejected(f"{model}: cannot decode the input")

    async def generate(
        self, prompt: str, seed: int, request_id: str, reference: bytes | None, reference_scale: float
    ) -> GeneratedImage:
        self._call(GENERATOR.name)
        self.references[request_id] = (reference, reference_scale)
        scale = reference_scale if reference else None
        info = GeneratorInfo(
            model=GENERATOR.name, version="1", weights="memory", random_weights=True, reference_scale=scale
        )
        return GeneratedImage(png((32, 32), (seed % 256, 80, 120)), info)

    async def scan(self, image: bytes, request_id: str | None, models: Sequence[str]) -> Scan:
        for model in models:
            self._call(model)
        found = [f for model in models for f in self.findings.get(model, [])]
        return Scan({model: MODEL_VERSION for model in models}, found)

    async def prompt_pii(self, prompt: str, request_id: str | None) -> tuple[str, list[Finding]]:
        self._call("prompt_pii")
        return MODEL_VERSION, self.findings.get("prompt_pii", [])

    async def watermark_embed(self, image: bytes, payload: bytes, request_id: str | None) -> tuple[str, bytes]:
        self._call("watermark_embed")
        marked = image + b"\0watermark:" + payload
        self._marks[marked] = payload
        return MODEL_VERSION, marked

    async def watermark_decode(self, image: bytes, request_id: str | None) -> bytes | None:
        self._call("watermark_decode")
        return self._marks.get(image) if self.watermark_reads_back else None


class StaticPolicy:
    def __init__(self, path: Path = DEFAULT_POLICY) -> None:
        self.policy = load_policy(path)

    def current(self) -> Policy:
        return self.policy


@dataclass(frozen=True)
class Sent:
    topic: str
    key: str | None
    event: Event | DeadLetter
    partition: int | None


@dataclass
class RecordingSender:
    """Keeps what was sent; the first ``failures`` sends fail transiently, as a broker outage would."""

    sent: list[Sent] = field(default_factory=list)
    failures: int = 0

    async def send(self, topic: str, key: str | None, event: Event | DeadLetter, partition: int | None) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise TransientError(f"{topic}: broker unavailable")
        self.sent.append(Sent(topic, key, event, partition))

    def on(self, topic: str) -> list[Any]:
        """The events sent to ``topic``, in order."""
        return [sent.event for sent in self.sent if sent.topic == topic]


@dataclass
class MemoryEnds:
    ends: dict[int, dict[str, Counter[str]]] = field(default_factory=dict)

    async def seen(self, partition: int) -> dict[str, Counter[str]]:
        return self.ends.setdefault(partition, {topics.OUTCOMES: Counter(), topics.REVIEW: Counter()})

    def forget(self) -> None:
        self.ends.clear()


WATERMARK_KEY = b"w" * 32  # what the memory services key watermark payloads with
MEMORY_AUTHENTICATOR = MessageAuthenticator({"memory": b"m" * 32}, "memory")
REVIEW_SIGNER = DecisionSigner(Ed25519PrivateKey.generate())  # what the review service signs with, in tests


def delivered(topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None) -> Received:
    """A message as the broker delivers it from modstream's own parts: tagged where ``topic`` is authenticated."""
    headers = MEMORY_AUTHENTICATOR.headers(topic, key, value or b"")
    return Received(topic, partition, offset, key, value, list(headers.items()))


def sign_in_memory(image: bytes, moderation: dict[str, Any], watermark: str) -> bytes:
    return image + b"\0signed"


def memory_services(**parts: Any) -> StageServices:
    """Stage services held in memory; ``parts`` replaces any of them (``inference=ScriptedInference(...)``)."""
    defaults: dict[str, Any] = {
        "inference": ScriptedInference(),
        "blobs": MemoryBlobStore(),
        "policies": StaticPolicy(),
        "pseudonym_key": b"k" * 32,
        "watermark_key": WATERMARK_KEY,
        "sender": RecordingSender(),
        "ends": MemoryEnds(),
        "sign": sign_in_memory,
        "limits": ImageLimits(max_bytes=5_000_000, max_pixels=10_000_000),
        "authenticator": MEMORY_AUTHENTICATOR,
        "review_signatures": REVIEW_SIGNER.verifier(),
    }
    return StageServices(**(defaults | parts))
