"""Straightening tilted text before OCR engines that read only level lines (Tesseract reads lines tilted by
more than about 5 degrees poorly), and mapping the words they find back to the image as given.

The tilt is found by projection profiles: text rows turned level make the row sums of the ink peak and
drop sharply, so the angle whose row sums vary most is the text's tilt.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

MAX_DEGREES = 12.0
SMALLEST_CORRECTED = 1.5  # below this Tesseract reads as well as after turning, so the image is left alone
PROFILE_WIDTH = 480


def ink_mask(image: Image.Image) -> Image.Image:
    """Pixels far from the most common grey level (the background, light or dark) as 255, the rest 0."""
    grey = np.asarray(image.convert("L"), dtype=np.int16)
    background = int(np.bincount(grey.ravel() // 8).argmax()) * 8 + 4
    spread = max(24, int(np.percentile(np.abs(grey - background), 90)) // 2)
    return Image.fromarray(((np.abs(grey - background) > spread) * 255).astype(np.uint8))


def _profile_score(mask: Image.Image, degrees: float) -> float:
    rows = np.asarray(mask.rotate(degrees, resample=Image.Resampling.NEAREST, expand=True), dtype=np.float32)
    sums = rows.sum(axis=1)
    return float(np.square(np.diff(sums)).sum())


def skew_angle(image: Image.Image) -> float:
    """The angle in degrees (anticlockwise) that the image's text lines are tilted by, within
    ``MAX_DEGREES``; searched in 1.5-degree steps, then refined to a quarter degree."""
    mask = ink_mask(image)
    mask.thumbnail((PROFILE_WIDTH, PROFILE_WIDTH))
    coarse = np.arange(-MAX_DEGREES, MAX_DEGREES + 0.01, 1.5)
    best = max(coarse, key=lambda degrees: _profile_score(mask, -degrees))
    fine = np.arange(best - 1.25, best + 1.26, 0.25)
    return float(max(fine, key=lambda degrees: _profile_score(mask, -degrees)))


def _turn(degrees: float) -> np.ndarray:
    """What PIL's ``rotate(degrees)`` does to points around the centre (y points down)."""
    theta = np.deg2rad(degrees)
    return np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])


def levelled(image: Image.Image, degrees: float) -> tuple[Image.Image, np.ndarray, np.ndarray, np.ndarray]:
    """The image turned by ``-degrees`` (so the tilted text is level) on a canvas that holds all of it, filled
    with its most common colour; and the turn and centres that ``boxes_back`` needs."""
    colours = np.asarray(image.convert("RGB")).reshape(-1, 3)
    fill = tuple(int(v) for v in np.median(colours, axis=0))
    turned = image.rotate(-degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    centre, turned_centre = np.array(image.size) / 2, np.array(turned.size) / 2
    return turned, _turn(degrees), centre, turned_centre


def boxes_back(
    words: dict[str, list[Any]], turn: np.ndarray, centre: np.ndarray, turned_centre: np.ndarray
) -> dict[str, list[Any]]:
    """The word table with every box moved from the levelled image back to the image as given (the box
    around the word's turned corners)."""
    for index in range(len(words["text"])):
        left, top, width, height = (float(words[key][index]) for key in ("left", "top", "width", "height"))
        corners = np.array([[left, top], [left + width, top], [left, top + height], [left + width, top + height]])
        points = (corners - turned_centre) @ turn.T + centre  # the levelled image turned back by the tilt
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        words["left"][index], words["top"][index] = int(round(x0)), int(round(y0))
        words["width"][index], words["height"][index] = int(round(x1 - x0)), int(round(y1 - y0))
    return words
