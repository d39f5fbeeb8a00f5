"""The redact action on images: faces blurred and PII text filled, for publishing and for previews."""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image

from modstream_models.redact import redact
from streams.events import Evidence


def redact_image(png_or_jpeg: bytes, evidence: Iterable[Evidence]) -> bytes:
    """A PNG of the image with the boxes of the face and PII findings in ``evidence`` redacted (others ignored)."""
    findings = [e.finding for e in evidence if e.finding.box is not None]
    image = redact(
        Image.open(io.BytesIO(png_or_jpeg)),
        blur=[f.box for f in findings if f.kind == "face" and f.box],
        fill=[f.box for f in findings if f.kind == "pii" and f.box],
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def redaction_labels(evidence: Iterable[Evidence]) -> list[str]:
    """What a redaction covered, for the published record: ["face", "pii:PHONE_NUMBER"], each once."""
    labels = ["face" if e.finding.kind == "face" else f"{e.finding.kind}:{e.finding.label}" for e in evidence]
    return sorted(set(labels))
