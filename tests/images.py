"""Test images: the shipped samples, and images rendered on the fly."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def sample(name: str) -> Image.Image:
    return Image.open(SAMPLES / name).convert("RGB")


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def render_text(lines: list[str], height: int = 20, size: tuple[int, int] = (640, 240)) -> Image.Image:
    """Dark text lines on a light background, ``height`` px font size, one line per band."""
    from PIL import ImageDraw, ImageFont

    image = Image.new("RGB", size, (248, 247, 240))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, height)
    for index, line in enumerate(lines):
        draw.text((20, 20 + index * (height * 3)), line, fill=(25, 25, 30), font=font)
    return image


PII_LINES = ["Email: jane.doe@example.com", "Phone: +1 212-555-0143", "Card: 4111 1111 1111 1111"]


def periodic_pattern(size: int, repeats: tuple[int, int]) -> tuple[np.ndarray, Image.Image]:
    """A smooth pattern that repeats every ``size`` pixels, so that resampling keeps it (size x size, in [0, 1]), and
    an RGB image of it repeated ``repeats`` (rows, columns) times."""
    y, x = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    waves = np.sin(2 * np.pi * x / size) + np.cos(4 * np.pi * y / size) + np.sin(2 * np.pi * (x + y) / size)
    tile = (0.5 + 0.15 * waves).astype(np.float32)
    return tile, Image.fromarray((np.tile(tile, repeats) * 255).round().astype(np.uint8)).convert("RGB")


def best_cyclic_match(folded: torch.Tensor, tile: torch.Tensor) -> float:
    """The largest correlation of ``folded`` with ``tile`` (same shape) over every cyclic shift of its last two axes."""
    height, width = tile.shape[-2:]
    return max(
        float(
            torch.corrcoef(torch.stack([torch.roll(folded, (down, right), (-2, -1)).flatten(), tile.flatten()]))[0, 1]
        )
        for down in range(height)
        for right in range(width)
    )
