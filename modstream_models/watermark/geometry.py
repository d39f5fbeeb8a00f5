"""Turns and mirrors that a re-posted copy may have had, and how to undo them before reading.

The decoder reads a fixed layout, so a copy rotated by a few degrees or mirrored reads as noise
(0.59 of the bits after 5 degrees). The reader tries the copy turned back at every whole degree up to
12 either way, mirrored and not, and as if the rotation had enlarged the canvas to keep the corners
(Pillow's ``rotate(expand=True)``) or not; the decoder is confident only near the true turn (within
about half a degree), so the most confident candidates are refined and only those are BCH-decoded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

MAX_ROTATION = 12  # degrees either way; the issue asks for 10
REFINE_STEPS = (0.5, 0.25)  # degrees, around the most confident whole-degree turns


@dataclass(frozen=True)
class Geometry:
    """How a copy was changed from the watermarked image."""

    rotation: float  # degrees counter-clockwise, as Pillow's ``Image.rotate``
    flipped: bool  # mirrored left to right (before the rotation)
    expanded: bool  # the rotation enlarged the canvas to keep the corners
    scale: float = 1.0  # the copy's side over the watermarked image's (the periodic layout's search finds it)

    def around(self, step: float) -> list[Geometry]:
        return [replace(self, rotation=self.rotation + delta) for delta in (-step, 0.0, step)]

    def original_size(self, width: int, height: int) -> tuple[float, float] | None:
        """The watermarked image's size, given the copy's; None where no image of that turn gives this copy."""
        if not self.expanded:
            return float(width), float(height)
        turn = math.radians(self.rotation)
        cos, sin = abs(math.cos(turn)), abs(math.sin(turn))
        # the copy's sides are width = w cos + h sin and height = w sin + h cos
        w, h = (width * cos - height * sin) / (cos**2 - sin**2), (height * cos - width * sin) / (cos**2 - sin**2)
        return (w, h) if w >= 1 and h >= 1 else None


def candidates(width: int, height: int) -> list[Geometry]:
    """Whole-degree turns, mirrored or not, with and without an enlarged canvas, that fit a copy of this size."""
    geometries = [
        Geometry(float(rotation), flipped, expanded)
        for rotation in range(-MAX_ROTATION, MAX_ROTATION + 1)
        for flipped in (False, True)
        for expanded in (False, True)
        if not (expanded and rotation == 0)  # the same as not enlarged
    ]
    return [geometry for geometry in geometries if geometry.original_size(width, height)]


def undo(copy: torch.Tensor, width: int, height: int, geometries: Iterable[Geometry], size: int) -> torch.Tensor:
    """The copy (a 1 x 3 x h x w tensor at any resolution of a ``width`` x ``height`` image) as the watermarked
    image would have looked under each geometry, at ``size`` x ``size``; where the copy has nothing, black."""
    thetas = []
    for geometry in geometries:
        original = geometry.original_size(width, height)
        if original is None:
            raise ValueError(f"{geometry} cannot give a {width}x{height} copy")
        turn = math.radians(-geometry.rotation)
        cos, sin = math.cos(turn), math.sin(turn)
        mirror = -1.0 if geometry.flipped else 1.0
        # normalised coordinates of the original -> its pixels -> mirrored, turned -> the copy's normalised ones
        w, h = original
        thetas.append(
            [
                [cos * mirror * w / width, -sin * h / width, 0.0],
                [sin * mirror * w / height, cos * h / height, 0.0],
            ]
        )
    theta = torch.tensor(thetas, dtype=copy.dtype, device=copy.device)
    grid = F.affine_grid(theta, [len(thetas), 3, size, size], align_corners=False)
    return F.grid_sample(copy.expand(len(thetas), -1, -1, -1), grid, mode="bilinear", align_corners=False)
