"""Ingress checks for images: size, format, decode, decompression bombs; metadata stripped by re-encoding."""

from __future__ import annotations

import io
import warnings
from functools import cache

import numpy as np
from PIL import Image, UnidentifiedImageError

from modstream_models.images import encode_png

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
    # A fresh PNG carries none of the source's metadata.
    return encode_png(image.convert("RGBA" if image.mode in ("RGBA", "LA", "PA") else "RGB"))


@cache
def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II basis of size ``n`` (rows are frequencies), built once and read-only."""
    k, i = np.arange(n)[:, None], np.arange(n)[None, :]
    basis = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    basis[0] /= np.sqrt(2)
    basis.setflags(write=False)
    return basis


HASH_SIDE, HASH_BITS = 32, 8  # the image at 32x32 grey; its lowest 8x8 frequencies, one bit each


def perceptual_hash(data: bytes) -> str:
    """A 64-bit DCT hash of what the image shows (16 hex digits): it barely changes under re-encoding,
    resizing or a watermark, and differs in about half its bits between unrelated images. ``verify``
    compares the published image's hash with the one it is shown."""
    with Image.open(io.BytesIO(data)) as image:
        grey = np.asarray(image.convert("L").resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS), dtype=float)
    dct = _dct_matrix(HASH_SIDE)
    low = (dct @ grey @ dct.T)[:HASH_BITS, :HASH_BITS].flatten()
    bits = low > np.median(low[1:])  # the DC term only says how bright the image is
    return f"{int(''.join('1' if bit else '0' for bit in bits), 2):016x}"


def hash_distance(first: str, second: str) -> int:
    """How many of the 64 bits two perceptual hashes differ in."""
    return (int(first, 16) ^ int(second, 16)).bit_count()
