"""The PII development set: the images the detector and its normalisation rules are tuned on.

Form-like cards of "Label: value" rows in DejaVu, Liberation and FreeFont faces, on plain paper or on a
panel over scikit-image's coffee, brick and grass photos, under the same kinds of conditions the
evaluation set (``benchmarks.pii_evaluation``) checks: small grey text, dark mode, low contrast,
rotation up to 10 degrees, perspective, JPEG. Every fifth image is a negative of look-alike rows.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.datasets import jpeg, photo
from benchmarks.text_images import (
    TextImage,
    Truth,
    card_number,
    draw_line,
    font,
    homography,
    iban,
    ipv4,
    rotated,
    ssn,
    warped,
)

FONTS = (
    "truetype/dejavu/DejaVuSans.ttf",
    "truetype/dejavu/DejaVuSerif.ttf",
    "truetype/dejavu/DejaVuSansMono.ttf",
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "truetype/liberation/LiberationSans-Regular.ttf",
    "truetype/liberation/LiberationSerif-Regular.ttf",
    "truetype/freefont/FreeSans.ttf",
    "truetype/freefont/FreeSerif.ttf",
)
LOOKS = {  # style: text heights, ink, paper
    "document": ((16, 24, 32), (20, 20, 20), (250, 250, 245)),
    "ui-small": ((12,), (128, 128, 128), (255, 255, 255)),
    "dark-mode": ((14, 16), (220, 220, 220), (32, 32, 36)),
    "low-contrast": ((18, 24), (110, 110, 110), (170, 170, 170)),
    "photo-panel": ((16, 24), (10, 60, 140), (210, 230, 250)),
}
ANGLES = (0.0, 0.0, -3.0, 3.0, -6.0, 8.0, -10.0)
NAMES = ("Jane Doe", "Omar Khan", "Li Wei", "Maria Garcia", "Sam Lee", "Priya Patel", "Tom Berg")
DOMAINS = ("example.com", "mail.org", "corp.net")
PLACES = ("Paris", "Boston", "Madrid", "Seattle", "Berlin", "Dublin", "Austin")
ROWS = {  # entity type: label, value
    "EMAIL_ADDRESS": lambda rng: (
        "Contact",
        f"{rng.choice(NAMES).split()[0].lower()}.{rng.randrange(100)}@{rng.choice(DOMAINS)}",
    ),
    "PHONE_NUMBER": lambda rng: (
        "Phone",
        rng.choice(["+1 {}-{}-{:04d}", "({}) {}-{:04d}", "{}.{}.{:04d}"]).format(
            rng.randrange(201, 990), rng.randrange(200, 999), rng.randrange(10000)
        ),
    ),
    "CREDIT_CARD": lambda rng: ("Card", card_number(rng, "4", 16, (4, 4, 4, 4), " ")),
    "IBAN_CODE": lambda rng: ("IBAN", iban(rng, rng.choice(["DE", "GB", "FR"]), grouped=True)),
    "US_SSN": lambda rng: ("SSN", ssn(rng, "-")),
    "IP_ADDRESS": lambda rng: ("IP", ipv4(rng)),
    "PERSON": lambda rng: ("Name", rng.choice(NAMES)),
    "LOCATION": lambda rng: ("City", rng.choice(PLACES)),
}
ENTITIES = tuple(ROWS)
LOOK_ALIKES = (
    lambda rng: f"Invoice: INV-{rng.randrange(10**5, 10**6)}",
    lambda rng: f"Ticket: {rng.randrange(10**7, 10**8)}",
    lambda rng: f"Price: EUR {rng.randrange(10, 999)}.{rng.randrange(100):02d}",
    lambda rng: f"Build: {rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(200)}",
    lambda rng: f"Apartment: {rng.randrange(1, 30)}-{rng.randrange(100, 999)}",
    lambda rng: f"ISBN: 0-{rng.randrange(100, 999)}-{rng.randrange(10000, 99999)}-X",
    lambda rng: f"Train: ICE {rng.randrange(100, 999)} at {rng.randrange(24)}:{rng.randrange(60):02d}",
)


def _card(rng: random.Random, rows: list[tuple[str, str | None]], style: str, index: int) -> TextImage:
    heights, ink, paper = LOOKS[style]
    height = heights[index % len(heights)]
    face = font(rng.choice(FONTS), height)
    row = height * 2
    image = Image.new("RGB", (40 + height * 26, 40 + row * len(rows)), paper)
    if style == "photo-panel":
        image = photo(rng.choice(["coffee", "brick", "grass"])).resize(image.size)
        ImageDraw.Draw(image).rectangle((10, 10, image.width - 10, image.height - 10), fill=paper)
    draw = ImageDraw.Draw(image)
    truth: list[Truth] = []
    for number, (text, label) in enumerate(rows):
        caption, _, value = text.partition(": ")
        segments = [(f"{caption}: ", None), (value, label)] if value else [(text, None)]
        truth += draw_line(draw, (20, 20 + number * row), segments, face, ink)
    angle = ANGLES[index % len(ANGLES)]
    if index % 11 == 10:  # seen from the side
        w, h = image.size
        corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
        squeeze = np.array([[0, 0], [0, h * 0.12], [0, -h * 0.12], [0, 0]])
        image, truth = warped(image, truth, homography(corners, corners + squeeze), image.size, paper)
        angle_name = "warp"
    else:
        image, truth = rotated(image, truth, angle, paper) if angle else (image, truth)
        angle_name = f"{abs(angle):g}"
    background = "photo" if style == "photo-panel" else "plain"
    conditions = {"size": f"{height}px", "angle": angle_name, "background": background, "style": style}
    return TextImage(jpeg(image, rng.choice([60, 75, 90])), truth, conditions)


def development_set(count: int, seed: int = 0) -> list[TextImage]:
    """``count`` images, every fifth a negative; three entity types per positive image, taking turns."""
    rng = random.Random(seed)
    images: list[TextImage] = []
    styles = list(LOOKS)
    for index in range(count):
        if index % 5 == 4:
            rows: list[tuple[str, str | None]] = [(rng.choice(LOOK_ALIKES)(rng), None) for _ in range(4)]
        else:
            labels = [ENTITIES[(index + k * 3) % len(ENTITIES)] for k in range(3)]
            rows = [(": ".join(ROWS[label](rng)), label) for label in labels]
            rows.insert(rng.randrange(4), (rng.choice(["Thank you for your order", "Meeting notes, page 2"]), None))
        images.append(_card(rng, rows, rng.choice(styles), index))
    return images
