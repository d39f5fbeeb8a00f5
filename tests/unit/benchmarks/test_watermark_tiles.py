"""The tiled layout of benchmarks.watermark_tiles on version 1's real weights and a shipped photo."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmarks.watermark_tiles import CROPS, embed_tiled, pixel_box, read_tiled, tile_boxes
from modstream_models.watermark.model import VERSIONS, Watermarker
from modstream_models.watermark.payload import decode_bits, encode_payload
from streams.stack import REPO_ROOT


def test_tiles_cover_the_image_once() -> None:
    covered = np.zeros((301, 257), int)
    for left, top, right, bottom in tile_boxes(257, 301):
        covered[top:bottom, left:right] += 1
    assert (covered == 1).all()


@pytest.mark.parametrize("crop", ["crop_w100%_h50%", "crop_w60%_h90%"])
def test_a_crop_of_the_tiled_image_read_where_it_sat_gives_the_payload_back(crop: str) -> None:
    watermarker = Watermarker.load(VERSIONS[1])
    image = Image.open(REPO_ROOT / "samples" / "coffee.jpg").convert("RGB").resize((384, 320))
    payload = bytes(range(8))
    marked = embed_tiled(watermarker, image, encode_payload(payload))
    piece = marked.crop(pixel_box(CROPS[crop], *marked.size))
    read = (read_tiled(watermarker, piece, CROPS[crop], marked.size) > 0).astype(np.uint8)
    assert decode_bits(read).payload == payload
