"""Test images: the shipped samples, and images rendered on the fly."""

from pathlib import Path

from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def sample(name: str) -> Image.Image:
    return Image.open(SAMPLES / name).convert("RGB")
