"""The redact action on images: faces blurred and PII text filled, for publishing and for previews.

How each kind of finding is redacted comes from the model catalogue.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image

from modstream_models.catalogue import Redaction, image_redaction
from modstream_models.images import encode_png
from modstream_models.redact import redact
from streams.events import Context, Evidence


def redact_image(png_or_jpeg: bytes, evidence: Iterable[Evidence]) -> bytes:
    """A PNG of the image with the boxes of the redactable findings in ``evidence`` redacted (others ignored)."""
    boxes: dict[Redaction, list[tuple[float, float, float, float]]] = {Redaction.BLUR: [], Redaction.FILL: []}
    for e in evidence:
        method = image_redaction(e.finding.kind)
        if e.finding.box is not None and method in boxes:
            boxes[method].append(e.finding.box)
    image = redact(Image.open(io.BytesIO(png_or_jpeg)), blur=boxes[Redaction.BLUR], fill=boxes[Redaction.FILL])
    return encode_png(image)


def preview_evidence(evidence: Iterable[Evidence]) -> list[Evidence]:
    """What a reviewer's preview covers: every redactable box of the output that a rule fired on, whatever
    the rule's action (moderate draws the preview from it, the review stage records it on redact-and-approve)."""
    return [
        e
        for e in evidence
        if e.context is Context.OUTPUT and e.finding.box is not None and image_redaction(e.finding.kind) is not None
    ]


def redaction_labels(evidence: Iterable[Evidence]) -> list[str]:
    """What a redaction covered, for the published record: ["face", "pii:PHONE_NUMBER"], each once."""
    labels = [
        e.finding.label if e.finding.label == e.finding.kind else f"{e.finding.kind}:{e.finding.label}"
        for e in evidence
    ]
    return sorted(set(labels))
