"""benchmarks.photos: the extra held-out photos decoded from what their wheels ship, and read from the cache."""

import bz2
import io
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.photos import SOURCES, _decoded, more_held_out_photos


def test_scipys_raccoon_is_raw_rgb_bytes_and_sklearns_photos_are_jpeg() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (768, 1024, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(_decoded("raccoon", bz2.compress(pixels.tobytes()))), pixels)
    jpeg = io.BytesIO()
    Image.new("L", (640, 427), 128).save(jpeg, format="JPEG")
    temple = _decoded("temple", jpeg.getvalue())
    assert temple.mode == "RGB" and temple.size == (640, 427)


def test_photos_already_in_the_cache_are_not_fetched_again(tmp_path: Path) -> None:
    for index, name in enumerate(SOURCES):
        Image.new("RGB", (600 + index, 500), (index, 0, 0)).save(tmp_path / f"{name}.png")
    photos = more_held_out_photos(tmp_path)
    assert [photo.size for photo in photos] == [(600, 500), (601, 500), (602, 500)]
