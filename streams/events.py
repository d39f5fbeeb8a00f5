"""Event schemas of every topic, in one place.

Every event is JSON with a ``schema_version``; readers validate on read and send what fails to the
dead-letter topic. The JSON Schema files under ``schemas/`` are generated from these models
(``modstream schemas --write``) and a test fails when they drift.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from modstream_models.catalogue import FindingKind
from streams import topics

SCHEMA_VERSION: Literal[1] = 1

REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
RequestId = Annotated[str, StringConstraints(pattern=f"^{REQUEST_ID.pattern}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def new_request_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    request_id: RequestId

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> Self:
        if not data:
            raise InvalidEvent("empty message")
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise InvalidEvent.of(exc) from exc


class InvalidEvent(ValueError):
    """An event that cannot be read: the message says why, for the dead-letter topic, and ``fields`` which
    fields failed. Neither holds any of the message's content: pydantic's messages name the expected type, not
    the input, and a field name that no event has (a sender may put anything there) is written ``<unknown>``."""

    def __init__(self, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or []

    @classmethod
    def of(cls, exc: ValidationError) -> InvalidEvent:
        problems, fields = [], []
        for error in exc.errors()[:5]:
            where = ".".join(_field_name(part) for part in error["loc"]) or "message"
            problems.append(f"{where}: {error['msg']}")
            fields.append(where)
        return cls("invalid event: " + "; ".join(problems), fields)


def _field_name(part: str | int) -> str:
    return str(part) if isinstance(part, int) or part in _KNOWN_FIELDS else "<unknown>"


class BlobRef(BaseModel):
    """A content-addressed image in the blob store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: Sha256
    size: int = Field(ge=0)
    media_type: str = "application/octet-stream"


class Source(StrEnum):
    GENERATED = "generated"
    SUBMITTED = "submitted"


class Action(StrEnum):
    """What the policy asks for an item, from the mildest to the strictest."""

    ALLOW = "allow"
    REDACT = "redact"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return list(Action).index(self)


class Context(StrEnum):
    """Where a finding was made."""

    PROMPT = "prompt"
    REFERENCE = "reference"  # the reference (style) image of a request
    OUTPUT = "output"  # a generated or submitted image


class SystemReason(StrEnum):
    """Reason codes of the system's own decisions (the policy's rules bring their own codes)."""

    CHECKS_UNAVAILABLE = "CHECKS_UNAVAILABLE"  # a required check did not answer: a person decides
    WATERMARK_FAILED = "WATERMARK_FAILED"  # the watermark could not be embedded and read back
    REJECTED_BY_REVIEWER = "REJECTED_BY_REVIEWER"


class End(StrEnum):
    PUBLISHED = "published"
    REJECTED = "rejected"
    REVIEW = "review"


class GenerationRequest(Event):
    """``requests``: an upstream app asks for an image."""

    tenant: str = Field("default", max_length=64)
    user_id: str = Field(max_length=256, description="Raw user id; pseudonymised by the screen stage.")
    prompt: str = Field(min_length=1, max_length=4000)
    reference_image: BlobRef | None = None
    subject_consent: bool = Field(
        False, description="The user states that the people shown in the reference image consented to its use."
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    reference_scale: float | None = Field(
        None,
        ge=0,
        le=1,
        description="How strongly the reference image conditions the generated one (IP-Adapter scale); "
        "unset: the policy's default. The policy caps it.",
    )
    submitted_at: datetime = Field(default_factory=utcnow)


class ImageSubmission(Event):
    """``submissions``: an image generated elsewhere, for moderation only."""

    tenant: str = Field("default", max_length=64)
    user_id: str = Field(max_length=256)
    image: BlobRef
    prompt: str | None = Field(None, max_length=4000)
    submitted_at: datetime = Field(default_factory=utcnow)


class Item(Event):
    """Fields that every event after screening carries: who asked, when, and the time each stage took."""

    tenant: str
    user: str = Field(description="Pseudonymised user id (keyed HMAC).")
    submitted_at: datetime
    timings_ms: dict[str, float] = Field(default_factory=dict)


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FindingKind
    label: str = Field(
        description="What was found: 'face', a PII entity type, a NudeNet class, a protected-bank entry id "
        "or a style gallery name."
    )
    score: float = Field(description="Model score; for style a calibrated z-score, for protected 1 - distance/256.")
    box: tuple[float, float, float, float] | None = Field(None, description="x0, y0, x1, y1 in pixels")
    span: tuple[int, int] | None = Field(None, description="start, end character offsets in the prompt")
    model: str
    model_version: str
    detail: dict[str, str | float | int] = Field(default_factory=dict)


class Evidence(BaseModel):
    """A policy rule that fired: the finding, the threshold it reached and the action it asks for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    context: Context
    action: Action
    reason_code: str
    threshold: float
    finding: Finding


class Evidenced(Item):
    """An item with the policy evidence gathered about it so far."""

    prompt: str | None = Field(None, description="The prompt with PII replaced by entity types (never raw).")
    evidence: list[Evidence] = Field(default_factory=list)
    policy_version: str | None = None
    model_versions: dict[str, str] = Field(
        default_factory=dict, description="Every model that judged the item, with its version."
    )
    rechecks: int = Field(0, ge=0, description="How often a reviewer had the image checks run again.")

    def carried(self) -> dict[str, Any]:
        """The fields that every later stage's event carries on unchanged (timings are each stage's own)."""
        return self.model_dump(exclude={"schema_version", "timings_ms"}, include=set(Evidenced.model_fields))


class Screened(Evidenced):
    """``screened`` (internal): a request that passed screening, user pseudonymised, images cleaned.

    ``prompt`` is the PII-redacted prompt; ``generator_prompt`` what the generator gets (raw unless
    the policy redacts prompt PII), kept on this internal topic only.
    """

    generator_prompt: str
    reference_image: BlobRef | None = None
    reference_scale: float | None = Field(None, description="The IP-Adapter scale the policy allowed for it.")
    seed: int | None = None


class GeneratorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    version: str
    weights: str
    random_weights: bool = Field(description="True when the image is noise from untrained test weights.")
    reference_scale: float | None = Field(
        None, description="IP-Adapter scale of the reference image it was conditioned on; unset: the prompt alone."
    )


class Candidate(Evidenced):
    """``candidates``: an image to moderate, generated here or submitted, with the screening's evidence."""

    source: Source
    image: BlobRef
    generator: GeneratorInfo | None = None


class JudgedItem(Evidenced):
    """An item with the evidence gathered about it and the reason for where it goes."""

    stage: str = Field(description="The stage that decided.")
    reason: str
    reason_code: str | None = Field(None, description="Why, for upstream apps to show: the strictest rule's code.")
    image: BlobRef | None = Field(None, description="The image as it is published (redacted when the policy says).")
    preview: BlobRef | None = Field(None, description="A redacted copy for reviewers.")
    redactions: list[str] = Field(default_factory=list, description="What was redacted: 'face', 'pii:PHONE_NUMBER'.")
    generator: GeneratorInfo | None = None
    watermark: str | None = Field(
        None, description="The payload (16 hex digits) of the invisible watermark in the published image."
    )
    image_hash: str | None = Field(
        None, pattern=r"^[0-9a-f]{16}$", description="Perceptual hash of the published image (64-bit DCT hash)."
    )


class Decision(JudgedItem):
    """``decisions`` (internal): a stage's routing of a request to one end; the outcomes stage applies it."""

    end: End
    decided_at: datetime = Field(default_factory=utcnow)


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REDACT_APPROVE = "redact_approve"  # publish the redacted preview instead of the image
    RECHECK = "recheck"  # run the image checks again: for an item whose checks did not run


class ReviewItem(JudgedItem):
    """``review``: an item waiting for a human decision."""

    queued_at: datetime = Field(default_factory=utcnow)

    def published_by(self, action: ReviewAction) -> BlobRef | None:
        """The image ``action`` publishes: the image, the redacted preview (redact-and-approve), none (reject)."""
        return {ReviewAction.APPROVE: self.image, ReviewAction.REDACT_APPROVE: self.preview}.get(action)


class ReviewDecision(Event):
    """``review-decisions``: a reviewer's decision on a review item, with the item it was taken on."""

    action: ReviewAction
    reviewer: str = Field(min_length=1, max_length=128)
    reason: str = Field("", max_length=1000)
    reason_code: str | None = Field(None, max_length=64, description="For a rejection: the code upstream apps show.")
    item: ReviewItem
    decided_at: datetime = Field(default_factory=utcnow)
    signature: str | None = Field(
        None,
        max_length=256,
        description="The review service's Ed25519 signature of the request id, action, reviewer and the digest of "
        "the image it publishes (hex); the worker applies no decision without a valid one.",
    )


class OutcomeStatus(StrEnum):
    PUBLISHED = "published"
    REJECTED = "rejected"


class Outcome(JudgedItem):
    """``outcomes``: the one terminal outcome of a request."""

    status: OutcomeStatus
    decided_at: datetime


class AuditEvent(Event):
    """``audit``: one decision of one stage. Never holds a raw prompt."""

    stage: str
    action: str
    reason: str
    reason_code: str | None = None
    tenant: str | None = None
    user: str | None = None
    prompt: str | None = Field(None, description="The PII-redacted prompt.")
    evidence: list[Evidence] = Field(default_factory=list)
    redactions: list[str] = Field(default_factory=list)
    policy_version: str | None = None
    model_versions: dict[str, str] = Field(default_factory=dict)
    images: list[BlobRef] = Field(
        default_factory=list, description="Blobs of this request the step read or wrote (for erasure)."
    )
    actor: str | None = Field(None, description="The reviewer, for human decisions and views.")
    watermark: str | None = Field(None, description="Watermark payload of the published image (16 hex digits).")
    image_hash: str | None = Field(
        None, pattern=r"^[0-9a-f]{16}$", description="Perceptual hash of the published image (64-bit DCT hash)."
    )
    event_id: str | None = Field(
        None, description="Set on events that may legitimately repeat (views); others dedup on their content."
    )
    at: datetime = Field(default_factory=utcnow)


class DeadLetter(BaseModel):
    """``dead-letter``: an event that could not be processed, with the reason.

    Version 2 keeps no content of the message (version 1 kept its first 512 bytes, raw prompts and user ids
    included): its digest and length find the message on its topic, ``fields`` says what failed in it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[2] = 2
    request_id: RequestId | None = None
    source_topic: str
    partition: int
    offset: int
    reason: str = Field(max_length=1000, description="Why, without the message's content or server paths.")
    fields: list[str] = Field(default_factory=list, description="The fields that failed validation, if any.")
    payload_sha256: Sha256 = Field(description="SHA-256 of the message's value (of nothing for an empty one).")
    payload_bytes: int = Field(ge=0, description="Length of the message's value.")
    at: datetime = Field(default_factory=utcnow)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


# The public topics and their schemas; internal topics (screened, decisions) are not part of the contract.
PUBLIC_SCHEMAS: dict[str, type[BaseModel]] = {
    topics.REQUESTS: GenerationRequest,
    topics.SUBMISSIONS: ImageSubmission,
    topics.CANDIDATES: Candidate,
    topics.REVIEW: ReviewItem,
    topics.REVIEW_DECISIONS: ReviewDecision,
    topics.OUTCOMES: Outcome,
    topics.AUDIT: AuditEvent,
    topics.DEAD_LETTER: DeadLetter,
}


def json_schemas() -> dict[str, str]:
    """The JSON Schema file name and text of every public topic."""
    return {
        f"{topic}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for topic, model in PUBLIC_SCHEMAS.items()
    }


def write_json_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in json_schemas().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


# Every field name of every event, the only names an InvalidEvent repeats from a message.
_MODELS: tuple[type[BaseModel], ...] = (
    *PUBLIC_SCHEMAS.values(),
    Screened,
    Decision,
    Evidence,
    Finding,
    BlobRef,
    GeneratorInfo,
)
_KNOWN_FIELDS = frozenset(name for model in _MODELS for name in model.model_fields)
