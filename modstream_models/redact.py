"""Redaction of image regions: faces blurred, PII text filled, each box grown by a margin."""

from __future__ import annotations

from collections.abc import Iterable

from PIL import Image, ImageDraw, ImageFilter

from modstream_models.detections import Box


def _grown(box: Box, margin: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    grow_x, grow_y = (x1 - x0) * margin + 2, (y1 - y0) * margin + 2
    return (
        max(0, int(x0 - grow_x)),
        max(0, int(y0 - grow_y)),
        min(size[0], int(x1 + grow_x + 1)),
        min(size[1], int(y1 + grow_y + 1)),
    )


def redact(
    image: Image.Image,
    blur: Iterable[Box] = (),
    fill: Iterable[Box] = (),
    margin: float = 0.1,
    fill_colour: tuple[int, int, int] = (0, 0, 0),
) -> Image.Image:
    """A copy of ``image`` with the ``blur`` boxes blurred beyond recognition and the ``fill`` boxes filled."""
    result = image.convert("RGB")
    for box in blur:
        region = _grown(box, margin, result.size)
        if region[2] <= region[0] or region[3] <= region[1]:
            continue
        patch = result.crop(region)
        radius = max(4, max(patch.size) // 6)
        result.paste(patch.filter(ImageFilter.GaussianBlur(radius)), region[:2])
    draw = ImageDraw.Draw(result)
    for box in fill:
        region = _grown(box, margin, result.size)
        if region[2] > region[0] and region[3] > region[1]:
            draw.rectangle((region[0], region[1], region[2] - 1, region[3] - 1), fill=fill_colour)
    return result
