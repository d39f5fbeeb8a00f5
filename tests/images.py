"""Test images: the shipped samples, and images rendered on the fly."""

from pathlib import Path

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
