"""Building blocks of the labelled text images the PII benchmark renders: lines whose entity values keep
their pixel boxes through rotation, perspective warps and JPEG, and entity values that pass the
analyzer's own checks (Luhn for cards, the IBAN checksum, valid SSN areas).

Two generators use them and share nothing else: ``benchmarks.pii_development`` (the set the detector is
tuned on) and ``benchmarks.pii_evaluation`` (other fonts, phrase templates, backgrounds and seed; only
reported).
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Box = tuple[float, float, float, float]  # left, top, right, bottom
Colour = tuple[int, int, int]
FONT_ROOT = Path("/usr/share/fonts")


@dataclass(frozen=True)
class Truth:
    """One entity value in an image: its type and the box around its pixels."""

    label: str
    box: Box


@dataclass(frozen=True)
class TextImage:
    """A rendered image, the entities in it (none for a negative) and the conditions it was rendered under
    (``size``, ``angle``, ``background``, ``style``), by which the benchmark breaks recall down."""

    image: Image.Image
    truth: list[Truth]
    conditions: dict[str, str] = field(default_factory=dict)

    @property
    def negative(self) -> bool:
        return not self.truth


def font(path: str, height: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_ROOT / path), height)


Segment = tuple[str, str | None]  # text, and the entity type when the text is an entity value


def draw_line(
    draw: ImageDraw.ImageDraw, origin: tuple[float, float], segments: Sequence[Segment], face: ImageFont.FreeTypeFont,
    ink: Colour, outline: Colour | None = None,
) -> list[Truth]:  # fmt: skip
    """Draws the segments one after another from ``origin``; returns the box of every entity segment."""
    truth, x = [], origin[0]
    stroke = {"stroke_width": max(1, face.size // 12), "stroke_fill": outline} if outline else {}
    for text, label in segments:
        if label:
            truth.append(Truth(label, tuple(float(v) for v in draw.textbbox((x, origin[1]), text, font=face))))  # type: ignore[arg-type]
        draw.text((x, origin[1]), text, fill=ink, font=face, **stroke)  # type: ignore[arg-type]
        x += draw.textlength(text, font=face)
    return truth


def line_width(segments: Sequence[Segment], face: ImageFont.FreeTypeFont) -> float:
    return sum(face.getlength(text) for text, _ in segments)


def _corners(box: Box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    homogeneous = np.c_[points, np.ones(len(points))] @ matrix.T
    return homogeneous[:, :2] / homogeneous[:, 2:]


def homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 3x3 projective map that takes the four ``source`` points to the four ``target`` points."""
    rows, values = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        values += [u, v]
    return np.append(np.linalg.solve(np.array(rows), np.array(values)), 1.0).reshape(3, 3)


def warped(image: Image.Image, truth: list[Truth], matrix: np.ndarray, size: tuple[int, int], fill: Colour) -> tuple[
    Image.Image, list[Truth]
]:  # fmt: skip
    """The image under the projective map ``matrix`` (input to output pixels) on a canvas of ``size``, and
    every entity box replaced by the box around its mapped corners."""
    inverse = np.linalg.inv(matrix)
    coefficients = tuple((inverse / inverse[2, 2]).flatten()[:8])
    out = image.transform(size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC, fillcolor=fill)
    moved = []
    for item in truth:
        points = _apply(matrix, _corners(item.box))
        moved.append(Truth(item.label, (*points.min(axis=0), *points.max(axis=0))))  # type: ignore[arg-type]
    return out, moved


def pasted_in(scene: Image.Image, plate: Image.Image, truth: list[Truth], matrix: np.ndarray) -> tuple[
    Image.Image, list[Truth]
]:  # fmt: skip
    """The plate put into ``scene`` (changed in place) under the projective map ``matrix``, as a sign in a photo,
    and its entity boxes where they landed."""
    sign, moved = warped(plate, truth, matrix, scene.size, (0, 0, 0))
    mask = warped(Image.new("L", plate.size, 255), [], matrix, scene.size, (0,))[0]  # type: ignore[arg-type]
    scene.paste(sign, (0, 0), mask)
    return scene, moved


def rotated(image: Image.Image, truth: list[Truth], degrees: float, fill: Colour) -> tuple[Image.Image, list[Truth]]:
    """The image turned ``degrees`` anticlockwise on a canvas that holds all of it."""
    theta = np.deg2rad(-degrees)  # image y points down: anticlockwise on screen is clockwise in these axes
    turn = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    corners = _corners((0, 0, image.width, image.height)) @ turn.T
    low, high = corners.min(axis=0), corners.max(axis=0)
    matrix = np.eye(3)
    matrix[:2, :2], matrix[:2, 2] = turn, -low
    size = tuple(int(np.ceil(v)) for v in high - low)
    return warped(image, truth, matrix, size, fill)  # type: ignore[arg-type]


def luhn_completed(digits: Sequence[int]) -> list[int]:
    """The digits with the check digit that makes them pass the Luhn test."""
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return [*digits, (10 - total % 10) % 10]


def card_number(rng: random.Random, prefix: str, length: int, groups: Sequence[int], separator: str) -> str:
    """A Luhn-valid card number starting with ``prefix``, written in ``groups`` of digits."""
    body = [int(d) for d in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    text = "".join(map(str, luhn_completed(body)))
    parts, start = [], 0
    for size in groups:
        parts.append(text[start : start + size])
        start += size
    return separator.join(parts)


IBAN_LAYOUTS = {  # country: the letter ("a") and digit ("n") runs of its account number, as ISO 13616 lists them
    "DE": (("n", 18),),
    "GB": (("a", 4), ("n", 14)),
    "NL": (("a", 4), ("n", 10)),
    "FR": (("n", 23),),
    "ES": (("n", 20),),
    "IT": (("a", 1), ("n", 22)),
}


def iban(rng: random.Random, country: str, grouped: bool) -> str:
    """An IBAN of ``country`` with a valid checksum, in groups of four when ``grouped``."""
    bban = "".join(
        rng.choice(string.ascii_uppercase if kind == "a" else string.digits)
        for kind, count in IBAN_LAYOUTS[country]
        for _ in range(count)
    )
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    text = f"{country}{98 - number % 97:02d}{bban}"
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4)) if grouped else text


def ssn(rng: random.Random, separator: str) -> str:
    """A US social security number the analyzer accepts: area not 000, 666 or 9xx, group and serial not 0."""
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}{separator}{rng.randrange(1, 100):02d}{separator}{rng.randrange(1, 10000):04d}"


def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randrange(1, 255)) for _ in range(4))


def ipv6(rng: random.Random) -> str:
    return ":".join(f"{rng.randrange(0x10000):x}" for _ in range(8))
