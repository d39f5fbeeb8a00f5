"""Publish: watermark, check and sign an image before it becomes a request's published image.

Moderate (allowed and redacted items) and review (approved items) both publish through here. The
invisible watermark carries ``provenance.watermark_payload(request_id)``, so the audit record is
found from the image alone; it is read back right after embedding, and an image whose check fails
is never published (fail closed): moderate sends the item to review, the review stage sends the
decision to the dead-letter topic. The signed C2PA manifest names the generator, the moderation
summary and the watermark (a soft binding).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from streams.app import settings
from streams.events import BlobRef, GeneratorInfo
from streams.imaging import PNG
from streams.inference import WATERMARK_EMBED_MODEL, InferenceRejected, InferenceUnavailable
from streams.provenance import Credentials, load_credentials, sign_image, watermark_payload
from streams.stages.base import blob_store, triton


class PublishFailed(Exception):
    """The image cannot be published safely; ``reason_code`` says why for the review queue."""

    def __init__(self, reason: str, reason_code: str) -> None:
        super().__init__(reason)
        self.reason_code = reason_code


@dataclass(frozen=True)
class Published:
    image: BlobRef  # watermarked, with its signed manifest
    watermark: str  # the payload, 16 hex digits
    model_versions: dict[str, str]


@cache
def credentials() -> Credentials:
    return load_credentials(settings.c2pa_cert, settings.c2pa_key, settings.c2pa_trust_anchors, settings.data_dir)


async def publish(
    image: bytes,
    request_id: str,
    *,
    stage: str,
    reason_code: str | None,
    redactions: list[str],
    policy_version: str | None,
    model_versions: dict[str, str],
    generator: GeneratorInfo | None,
) -> Published:
    payload = watermark_payload(request_id)
    try:
        version, marked = await triton().watermark_embed(image, payload, request_id)
        read = await triton().watermark_decode(marked, request_id)
    except InferenceUnavailable as exc:
        raise PublishFailed(f"watermark unavailable: {exc}", "CHECKS_UNAVAILABLE") from exc
    except InferenceRejected as exc:
        raise PublishFailed(f"watermark refused the image: {exc}", "WATERMARK_FAILED") from exc
    if read != payload:
        found = read.hex() if read else "no watermark"
        raise PublishFailed(f"watermark check failed: embedded {payload.hex()}, read {found}", "WATERMARK_FAILED")
    versions = {**model_versions, WATERMARK_EMBED_MODEL: version}
    moderation = {
        "request_id": request_id,
        "end": "published",
        "decided_by": stage,
        "reason_code": reason_code,
        "redactions": redactions,
        "policy_version": policy_version,
        "model_versions": versions,
        "generator": generator.model_dump() if generator else None,
    }
    signed = sign_image(marked, PNG, credentials(), moderation, payload.hex())
    return Published(blob_store().put(signed, PNG), payload.hex(), versions)
