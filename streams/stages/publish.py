"""Publish: watermark, check and sign an image before it becomes a request's published image.

Moderate (allowed and redacted items) and review (approved items) both publish through here. The
invisible watermark carries ``provenance.watermark_payload(request_id, key)``, so the audit record is
found from the image alone; the record keeps the image's perceptual hash too, so that ``verify`` tells
a payload copied onto another image from the image published. The watermark is read back right after
embedding, and an image whose check fails is never published (fail closed): moderate sends the item to
review, the review stage sends the decision to the dead-letter topic. The signed C2PA manifest names
the generator, the moderation summary and the watermark (a soft binding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modstream_models.catalogue import WATERMARK_EMBED
from streams.errors import ChecksUnavailable, RejectedInput
from streams.events import BlobRef, GeneratorInfo, SystemReason
from streams.imaging import PNG, perceptual_hash
from streams.provenance import watermark_payload
from streams.stages.services import StageServices


class PublishFailed(Exception):
    """The image cannot be published safely; ``reason_code`` says why for the review queue."""

    def __init__(self, reason: str, reason_code: SystemReason) -> None:
        super().__init__(reason)
        self.reason_code = reason_code


@dataclass(frozen=True)
class Published:
    image: BlobRef  # watermarked, with its signed manifest
    watermark: str  # the payload, 16 hex digits
    image_hash: str  # streams.imaging.perceptual_hash of the published image
    model_versions: dict[str, str]


@dataclass(frozen=True)
class Record:
    """What the signed manifest says about the moderation of the image."""

    stage: str
    reason_code: str | None
    redactions: list[str]
    policy_version: str | None
    model_versions: dict[str, str]
    generator: GeneratorInfo | None


async def publish(services: StageServices, image: bytes, request_id: str, record: Record) -> Published:
    payload = watermark_payload(request_id, services.watermark_key)
    try:
        version, marked = await services.inference.watermark_embed(image, payload, request_id)
        read = await services.inference.watermark_decode(marked, request_id)
    except ChecksUnavailable as exc:
        raise PublishFailed(f"watermark unavailable: {exc}", SystemReason.CHECKS_UNAVAILABLE) from exc
    except RejectedInput as exc:
        raise PublishFailed(f"watermark refused the image: {exc}", SystemReason.WATERMARK_FAILED) from exc
    if read != payload:
        found = read.hex() if read else "no watermark"
        reason = f"watermark check failed: embedded {payload.hex()}, read {found}"
        raise PublishFailed(reason, SystemReason.WATERMARK_FAILED)
    versions = {**record.model_versions, WATERMARK_EMBED.name: version}
    moderation = {
        "request_id": request_id,
        "end": "published",
        "decided_by": record.stage,
        "reason_code": record.reason_code,
        "redactions": record.redactions,
        "policy_version": record.policy_version,
        "model_versions": versions,
        "generator": record.generator.model_dump() if record.generator else None,
    }
    stored, image_hash = await services.offload(_sign_and_store, services, marked, moderation, payload.hex())
    return Published(stored, payload.hex(), image_hash, versions)


def _sign_and_store(
    services: StageServices, marked: bytes, moderation: dict[str, Any], watermark: str
) -> tuple[BlobRef, str]:
    """The signed image in the blob store, and the perceptual hash the audit record keeps."""
    return services.blobs.put(services.sign(marked, moderation, watermark), PNG), perceptual_hash(marked)
