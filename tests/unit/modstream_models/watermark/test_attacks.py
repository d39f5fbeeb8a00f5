import io
import random

import numpy as np
import pytest
import torch
from PIL import Image

from modstream_models.watermark.attacks import (
    blur,
    brightness_contrast,
    crop,
    jpeg,
    random_attack,
    random_crop_shape,
    resize,
)
from modstream_models.watermark.data import random_crops, training_photos


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return random_crops(training_photos(), 2, 128, random.Random(0))


def real_jpeg(images: torch.Tensor, quality: int) -> torch.Tensor:
    out = []
    for image in images:
        buffer = io.BytesIO()
        array = (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        Image.fromarray(array).save(buffer, format="JPEG", quality=quality, subsampling=0)
        out.append(torch.from_numpy(np.asarray(Image.open(buffer), dtype=np.float32) / 255).permute(2, 0, 1))
    return torch.stack(out)


@pytest.mark.parametrize("quality", [30, 50, 90])
def test_the_jpeg_approximation_is_close_to_real_jpeg(images: torch.Tensor, quality: int) -> None:
    approximated, real = jpeg(images, quality), real_jpeg(images, quality)
    assert (approximated - real).abs().mean() < 0.01
    assert (approximated - images).abs().mean() > 0.002  # it does change the image


def test_every_attack_keeps_shape_and_range_and_passes_gradients(images: torch.Tensor) -> None:
    rng = random.Random(3)
    attacks = [lambda x: jpeg(x, 50), lambda x: blur(x, 1.0), lambda x: resize(x, 0.5), lambda x: crop(x, 0.7, rng),
               lambda x: brightness_contrast(x, 0.1, 1.2)] + [random_attack(rng)[1] for _ in range(20)]  # fmt: skip
    for attack in attacks:
        marked = images.clone().requires_grad_(True)
        attacked = attack(marked)
        assert attacked.shape == images.shape
        assert attacked.min() >= -1e-6 and attacked.max() <= 1 + 1e-6  # float rounding of the blur kernel's sum
        attacked.sum().backward()
        assert marked.grad is not None and torch.isfinite(marked.grad).all()


def test_crop_puts_the_kept_part_back_in_place_on_grey(images: torch.Tensor) -> None:
    cropped = crop(images, 0.7, random.Random(1), jitter=0)
    kept = (cropped != 0.5).any(dim=1)  # pixels that are not the grey canvas
    assert 0.6 < kept.float().mean() < 0.75
    assert torch.allclose(cropped[:, :, kept[0]], images[:, :, kept[0]], atol=1e-6)


@pytest.mark.parametrize(("aspect", "rows", "columns"), [(2.0, 64, 128), (0.5, 128, 64), (1.0, 91, 91)])
def test_crop_can_change_the_aspect_ratio(images: torch.Tensor, aspect: float, rows: int, columns: int) -> None:
    """Half the area: the whole width and half the height, the other way round, or the image's own shape."""
    kept = (crop(images, 0.5, random.Random(2), jitter=0, aspect=aspect) != 0.5).any(dim=1)[0]
    assert (int(kept.any(dim=1).sum()), int(kept.any(dim=0).sum())) == (rows, columns)


def test_crop_shapes_keep_45_to_95_percent_and_half_of_them_change_the_aspect_ratio() -> None:
    rng = random.Random(4)
    shapes = [random_crop_shape(rng) for _ in range(400)]
    assert all(0.45 <= area <= 0.95 for area, _ in shapes)
    for area, aspect in shapes:  # each kept side between the area (the other side whole) and the whole side
        assert all(area - 1e-9 <= side <= 1 + 1e-9 for side in ((area * aspect) ** 0.5, (area / aspect) ** 0.5))
    assert 150 < sum(aspect != 1.0 for _, aspect in shapes) < 250
