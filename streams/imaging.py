"""Ingress checks for images: size, format, decode, decompression bombs; metadata stripped by re-encoding."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
PNG = "image/png"


class RejectedImage(ValueError):
    """An image refused at ingress; the message is the reason given on the dead-letter topic."""


def sanitize_image(data: bytes, *, max_bytes: int, max_pixels: int) -> bytes:
    """Check an uploaded image and return it as a PNG without any metadata (EXIF, GPS, XMP, ICC text).

    Raises ``RejectedImage`` with a readable reason for oversized, truncated, non-image and
    decompression-bomb inputs.
    """
    if not data:
        raise RejectedImage("image is empty")
    if len(data) > max_bytes:
        raise RejectedImage(f"image is {len(data)} bytes; the limit is {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise RejectedImage("not an image: the bytes are in no known image format") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RejectedImage("decompression bomb: declared pixel count is too large") from None
    if image.format not in ACCEPTED_FORMATS:
        raise RejectedImage(f"image format {image.format} is not accepted; send PNG, JPEG or WebP")
    width, height = image.size
    if width * height > max_pixels:
        raise RejectedImage(
            f"decompression bomb: {width}x{height} = {width * height} pixels; the limit is {max_pixels}"
        )
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise RejectedImage(f"image cannot be decoded (truncated or corrupt): {exc}") from None
    clean = image.convert("RGBA" if image.mode in ("RGBA", "LA", "PA") else "RGB")
    out = io.BytesIO()
    clean.save(out, format="PNG")  # a fresh PNG carries none of the source's metadata
    return out.getvalue()
