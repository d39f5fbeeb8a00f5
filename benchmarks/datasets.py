"""Labelled image sets the benchmarks generate: nothing is downloaded, every label is known by construction.

- PII: an email, a phone number and a card number (Luhn-valid test numbers) rendered in several
  fonts, sizes, colours, rotations and backgrounds, then JPEG re-encoded; the ground truth is each
  line's pixel box.
- Protected images: scikit-image's photographs, split into a bank half and an unrelated half, under
  JPEG, resize, crop, flip, brightness, overlay text and a combination.
- Styles: synthetic "artists" (image filters with a recognisable look) applied to photo crops.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS = (
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSansMono.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
    "liberation/LiberationSans-Regular.ttf",
    "liberation/LiberationSerif-Regular.ttf",
    "freefont/FreeSans.ttf",
    "freefont/FreeSerif.ttf",
)
COLOURS = (  # text, background
    ((20, 20, 20), (250, 250, 245)),
    ((250, 250, 250), (30, 40, 60)),
    ((180, 20, 30), (240, 235, 200)),
    ((10, 60, 140), (210, 230, 250)),
)
TEXT_HEIGHTS = (12, 16, 24, 32)
ROTATIONS = (0.0, -3.0, 3.0)
PHOTOS = (
    *("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field", "retina"),
    *("brick", "grass", "gravel", "horse", "colorwheel", "cell", "coins", "camera", "moon", "page", "text"),
)


def photo(name: str) -> Image.Image:
    from skimage import data

    return Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _card(rng: random.Random) -> str:
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def _phone(rng: random.Random) -> str:
    area, exchange, line = rng.randrange(201, 990), rng.randrange(200, 999), rng.randrange(10000)
    return rng.choice(
        [f"+1 {area}-{exchange}-{line:04d}", f"({area}) {exchange}-{line:04d}", f"{area}.{exchange}.{line:04d}"]
    )


def _email(rng: random.Random) -> str:
    first = rng.choice(["jane", "omar", "li", "maria", "sam", "priya", "tom"])
    last = rng.choice(["doe", "khan", "wei", "garcia", "lee", "patel", "berg"])
    return f"{first}.{last}{rng.randrange(100)}@{rng.choice(['example.com', 'mail.org', 'corp.net'])}"


@dataclass(frozen=True)
class TextSample:
    image: Image.Image
    truth: list[tuple[str, tuple[float, float, float, float]]]  # entity type, line box
    height: int
    font: str


def pii_samples(count: int, seed: int = 0) -> list[TextSample]:
    rng = random.Random(seed)
    backgrounds = [photo(name) for name in ("coffee", "brick", "grass")]
    samples = []
    for index in range(count):
        height, font_name = TEXT_HEIGHTS[index % len(TEXT_HEIGHTS)], rng.choice(FONTS)
        ink, paper = rng.choice(COLOURS)
        font = ImageFont.truetype(str(FONT_DIR / font_name), height)
        lines = [
            ("EMAIL_ADDRESS", f"Contact: {_email(rng)}"),
            ("PHONE_NUMBER", f"Phone: {_phone(rng)}"),
            (None, rng.choice(["Thank you for your order", "Meeting notes, page 2", "Best regards"])),
            ("CREDIT_CARD", f"Card: {_card(rng)}"),
        ]
        width, row = 40 + height * 24, height * 2
        image = Image.new("RGB", (width, 40 + row * len(lines)), paper)
        if index % 3 == 2:  # text on a panel over a photo
            image = backgrounds[index % len(backgrounds)].resize(image.size)
            ImageDraw.Draw(image).rectangle((10, 10, width - 10, image.height - 10), fill=paper)
        draw = ImageDraw.Draw(image)
        truth = []
        for number, (entity, text) in enumerate(lines):
            origin = (20, 20 + number * row)
            box = draw.textbbox(origin, text, font=font)
            draw.text(origin, text, fill=ink, font=font)
            if entity:
                truth.append((entity, tuple(float(v) for v in box)))
        angle = ROTATIONS[index % len(ROTATIONS)]
        if angle:
            image, truth = _rotate(image, truth, angle, paper)
        samples.append(TextSample(jpeg(image, rng.choice([60, 75, 90])), truth, height, font_name))  # type: ignore[arg-type]
    return samples


def _rotate(image: Image.Image, truth: list, angle: float, fill: tuple[int, int, int]) -> tuple[Image.Image, list]:
    rotated = image.rotate(angle, expand=True, fillcolor=fill, resample=Image.Resampling.BICUBIC)
    centre = np.array(image.size) / 2
    new_centre = np.array(rotated.size) / 2
    theta = np.deg2rad(angle)
    rotation = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    moved = []
    for entity, (x0, y0, x1, y1) in truth:
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) - centre
        points = corners @ rotation.T + new_centre
        moved.append((entity, (*points.min(axis=0), *points.max(axis=0))))
    return rotated, moved


def _overlay_text(image: Image.Image) -> Image.Image:
    out = image.copy()
    font = ImageFont.truetype(str(FONT_DIR / FONTS[3]), max(12, image.height // 12))
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
        "jpeg q50": lambda im: jpeg(im, 50),
        "jpeg q30": lambda im: jpeg(im, 30),
        "resize 50%": lambda im: im.resize((im.width // 2, im.height // 2)),
        "jpeg q50 + resize 75%": lambda im: jpeg(im, 50).resize((im.width * 3 // 4, im.height * 3 // 4)),
        "crop 90% area": lambda im: _crop(im, 0.95, rng),
        "crop 80% area": lambda im: _crop(im, 0.9, rng),
        "flip": ImageOps.mirror,
        "brightness +30%": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
        "brightness -30%": lambda im: ImageEnhance.Brightness(im).enhance(0.7),
        "overlay text": _overlay_text,
        "combined": lambda im: jpeg(_overlay_text(ImageEnhance.Brightness(_crop(im, 0.95, rng)).enhance(1.15)), 60),
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
