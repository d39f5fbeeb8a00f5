import random
from pathlib import Path

import torch

from modstream_models.watermark.data import (
    generated_images,
    held_out_photos,
    random_blotches,
    random_crops,
    synthetic_pictures,
    training_photos,
)


def test_held_out_photos_are_not_training_photos() -> None:
    training = {tuple(photo.shape) for photo in training_photos()}
    assert len(training_photos()) == 12 + len(synthetic_pictures())
    assert all(tuple(photo.shape) not in training for photo in held_out_photos())


def test_crops_mix_photos_blotches_and_generated_images(tmp_path: Path) -> None:
    generated = generated_images(tmp_path, count=2, size=64)
    assert [tuple(image.shape) for image in generated] == [(3, 64, 64)] * 2
    first_files = sorted(tmp_path.glob("*.png"))
    assert len(generated_images(tmp_path, count=2, size=64)) == 2  # cached: made once
    assert [f.stat().st_mtime for f in sorted(tmp_path.glob("*.png"))] == [f.stat().st_mtime for f in first_files]

    crops = random_crops(training_photos(), 16, 64, random.Random(0), blotch_share=0.25, generated=generated,
                         generated_share=0.25)  # fmt: skip
    assert crops.shape == (16, 3, 64, 64) and crops.min() >= 0 and crops.max() <= 1
    blotches = random_blotches(64, random.Random(1))
    assert blotches.shape == (3, 64, 64) and blotches.std() > 0.1
    assert not torch.equal(blotches, random_blotches(64, random.Random(2)))
