"""The periodic layout of benchmarks.watermark_periodic: folding, and the blind search on version 1's real weights."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from benchmarks.watermark_periodic import embed_periodic, fold, search
from modstream_models.watermark.model import MIN_PSNR, Watermarker
from modstream_models.watermark.payload import encode_payload
from streams.stack import REPO_ROOT


def test_a_crop_of_a_periodic_image_folds_onto_its_tile_rolled_by_where_the_crop_began() -> None:
    tile = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    periodic = Image.fromarray(np.tile(tile, (3, 3, 1)))
    top, left = 13, 29
    folded = fold(periodic.crop((left, top, left + 70, top + 50)), 40)
    expected = torch.from_numpy(tile.astype(np.float32) / 255).permute(2, 0, 1)
    assert torch.allclose(torch.roll(folded, (top % 40, left % 40), dims=(1, 2)), expected, atol=1e-6)


def test_places_no_pixel_fell_on_are_grey() -> None:
    folded = fold(Image.new("RGB", (30, 10), (255, 0, 0)), 20)  # 10 rows of a 20-row period, every column
    assert torch.all(folded[:, :10] == torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1))
    assert torch.all(folded[:, 10:] == 0.5)


def test_a_crop_that_changes_the_aspect_ratio_is_found_blind_and_an_unmarked_copy_is_not() -> None:
    watermarker = Watermarker.load()
    watermarker.min_psnr = MIN_PSNR
    image = Image.open(REPO_ROOT / "samples" / "coffee.jpg").convert("RGB").resize((320, 256))
    payload = bytes(range(8))
    marked = embed_periodic(watermarker, image, encode_payload(payload), 128)
    box = (37, 70, 300, 200)  # most of the width, half of the height, at no multiple of anything
    assert set(search(watermarker, fold(marked.crop(box), 128))) == {payload}
    assert search(watermarker, fold(image.crop(box), 128)) == []
