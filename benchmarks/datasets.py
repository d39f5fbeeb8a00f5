"""Labelled image sets the benchmarks generate: nothing is downloaded, every label is known by construction.

- PII: two sets of their own, ``benchmarks.pii_development`` and ``benchmarks.pii_evaluation``.
- Protected images: scikit-image's photographs, split into a bank half and an unrelated half, under
  JPEG, resize, crop, flip, brightness, overlay text and a combination.
- Styles: synthetic "artists" (image filters with a recognisable look) applied to photo crops.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from modstream_models.images import jpeg_round_trip

FONT_DIR = Path("/usr/share/fonts/truetype")
OVERLAY_FONT = "dejavu/DejaVuSans-Bold.ttf"
PHOTOS = (
    *("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field", "retina"),
    *("brick", "grass", "gravel", "horse", "colorwheel", "cell", "coins", "camera", "moon", "page", "text"),
)


def photo(name: str) -> Image.Image:
    from skimage import data

    return Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")


def _overlay_text(image: Image.Image) -> Image.Image:
    out = image.copy()
    font = ImageFont.truetype(str(FONT_DIR / OVERLAY_FONT), max(12, image.height // 12))
    ImageDraw.Draw(out).text(
        (image.width // 10, image.height * 3 // 4), "SAMPLE  COPY", fill=(255, 255, 255), font=font
    )
    return out


def _crop(image: Image.Image, side: float, rng: random.Random) -> Image.Image:
    width, height = int(image.width * side), int(image.height * side)
    left, top = rng.randrange(image.width - width + 1), rng.randrange(image.height - height + 1)
    return image.crop((left, top, left + width, top + height))


def protected_transforms(seed: int = 0) -> dict[str, Callable[[Image.Image], Image.Image]]:
    rng = random.Random(seed)
    return {
        "jpeg q50": lambda im: jpeg_round_trip(im, 50),
        "jpeg q30": lambda im: jpeg_round_trip(im, 30),
        "resize 50%": lambda im: im.resize((im.width // 2, im.height // 2)),
        "jpeg q50 + resize 75%": lambda im: jpeg_round_trip(im, 50).resize((im.width * 3 // 4, im.height * 3 // 4)),
        "crop 90% area": lambda im: _crop(im, 0.95, rng),
        "crop 80% area": lambda im: _crop(im, 0.9, rng),
        "flip": ImageOps.mirror,
        "brightness +30%": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
        "brightness -30%": lambda im: ImageEnhance.Brightness(im).enhance(0.7),
        "overlay text": _overlay_text,
        "combined": lambda im: jpeg_round_trip(
            _overlay_text(ImageEnhance.Brightness(_crop(im, 0.95, rng)).enhance(1.15)), 60
        ),
    }


STYLES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "poster": lambda im: ImageOps.posterize(im.filter(ImageFilter.EDGE_ENHANCE_MORE), 2),
    "sketch": lambda im: ImageOps.invert(im.convert("L").filter(ImageFilter.FIND_EDGES)).convert("RGB"),
    "oil": lambda im: ImageEnhance.Color(im.filter(ImageFilter.ModeFilter(7))).enhance(1.8),
    "emboss": lambda im: im.filter(ImageFilter.EMBOSS),
    "sepia-soft": lambda im: ImageOps.colorize(
        im.convert("L").filter(ImageFilter.GaussianBlur(2)), "#3b2412", "#f2dcb0"
    ),
}
