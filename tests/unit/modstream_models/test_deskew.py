"""Tilted text is found, levelled for the OCR engine, and its word boxes land back on the image as given."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from modstream_models.deskew import boxes_back, ink_mask, levelled, skew_angle
from tests.images import render_text


@pytest.mark.parametrize("tilt", [-10.0, -6.0, 0.0, 4.0, 8.0])
def test_the_tilt_of_rendered_lines_is_found_to_half_a_degree(tilt: float) -> None:
    image = render_text(["Phone: +1 212-555-0143", "Card: 4111 1111 1111 1111", "Best regards"], height=18)
    turned = image.rotate(tilt, expand=True, fillcolor=(248, 247, 240), resample=Image.Resampling.BICUBIC)
    assert abs(skew_angle(turned) - tilt) <= 0.5


def test_light_text_on_a_dark_background_is_ink_too() -> None:
    image = Image.new("RGB", (100, 40), (30, 30, 30))
    image.paste((220, 220, 220), (10, 10, 60, 20))
    mask = np.asarray(ink_mask(image))
    assert mask[15, 30] == 255 and mask[30, 80] == 0


def test_a_box_found_on_the_levelled_image_maps_back_onto_the_tilted_one() -> None:
    tilted = Image.new("RGB", (300, 200), "white")
    tilted.paste((0, 0, 0), (140, 90, 160, 110))  # a mark at the centre stays at the centre
    tilted.paste((0, 0, 0), (250, 20, 260, 30))
    turned, turn, centre, turned_centre = levelled(tilted, 7.0)
    ink = np.argwhere(np.asarray(turned.convert("L")) < 128)  # (row, column) of the marks after levelling
    corner = ink[ink[:, 1].argmax()]  # the right-hand mark
    words = {"text": ["x"], "left": [int(corner[1]) - 3], "top": [int(corner[0]) - 3], "width": [6], "height": [6]}
    back = boxes_back(words, turn, centre, turned_centre)
    assert 245 <= back["left"][0] + back["width"][0] / 2 <= 265
    assert 15 <= back["top"][0] + back["height"][0] / 2 <= 35
