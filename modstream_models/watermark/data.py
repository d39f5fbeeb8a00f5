"""Natural images to train and evaluate the watermark on, all of them shipped inside installed wheels.

Training uses scikit-image's sample photographs and textures plus three synthetic pictures of kinds
the pipeline also sees: a white page of text (where the residual cannot go above white), colour
noise, and the saturated colour blotches of the tiny development generator. Evaluation holds out
images never seen in training: matplotlib's portrait of Grace Hopper and scikit-image's motorcycle
stereo pair (the repository's own samples are not used: they are the same photos as
scikit-image's). Random crops at random scales, flips, channel orders and colour changes stretch
the few photographs into many training images.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

TRAIN_IMAGES = (
    "astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "retina",
    "camera", "coins", "gravel", "brick", "grass",  # grey photographs and textures, as RGB
)  # fmt: skip


def as_tensor(array: np.ndarray) -> torch.Tensor:
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    return torch.from_numpy(np.ascontiguousarray(array[..., :3], dtype=np.float32) / 255).permute(2, 0, 1)


def training_photos() -> list[torch.Tensor]:
    import skimage.data

    return [as_tensor(getattr(skimage.data, name)()) for name in TRAIN_IMAGES] + synthetic_pictures()


def synthetic_pictures(seed: int = 0) -> list[torch.Tensor]:
    """A page of black text on white, uniform colour noise, and colour blotches (512 x 512 each)."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    page = Image.new("RGB", (512, 512), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=18)
    for line in range(20):
        words = " ".join("".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(2, 9))) for _ in range(6))
        draw.text((16, 12 + line * 25), words, fill="black", font=font)
    noise = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    # saturated colour blotches with fine grain, like the tiny random generator's images
    coarse = Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).resize(
        (512, 512), Image.Resampling.BICUBIC
    )
    blotches = (np.asarray(coarse, dtype=np.float32) - 128) * 1.6 + 128 + rng.normal(0, 12, (512, 512, 3))
    return [as_tensor(np.asarray(page)), as_tensor(noise), as_tensor(blotches.clip(0, 255).astype(np.uint8))]


def grace_hopper() -> Image.Image:
    """Matplotlib's sample portrait of Grace Hopper (512 x 600), one of the held-out photos."""
    import matplotlib

    return Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").convert("RGB")


def held_out_photos() -> list[torch.Tensor]:
    import skimage.data

    left, right = skimage.data.stereo_motorcycle()[:2]
    return [as_tensor(np.asarray(grace_hopper())), as_tensor(left), as_tensor(right)]


def random_blotches(size: int, rng: random.Random) -> torch.Tensor:
    """Colour blotches of random size and contrast with grain: a fresh one each time, like generator noise."""
    generator = torch.Generator().manual_seed(rng.getrandbits(32))
    grid = rng.randint(4, 24)
    coarse = torch.rand((1, 3, grid, grid), generator=generator)
    smooth = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)[0]
    grain = torch.randn((3, size, size), generator=generator) * rng.uniform(0, 0.08)
    return ((smooth - 0.5) * rng.uniform(0.5, 2.0) + 0.5 + grain).clamp(0, 1)


def generated_images(directory: Path, count: int = 96, size: int = 128) -> list[torch.Tensor]:
    """Images of the tiny random development generator (what the pipeline's tests publish), cached as PNG."""
    files = sorted(directory.glob("*.png"))
    if len(files) < count:
        from modstream_models.generator import GenerationItem, Generator, tiny_random_pipeline

        generator = Generator(tiny_random_pipeline(directory / "tiny-random-sd"), steps=2, size=size)
        for seed in range(count):
            (image,) = generator.generate([GenerationItem(f"watermark training image {seed}", 10_000 + seed)])
            image.save(directory / f"{seed:04d}.png")
        files = sorted(directory.glob("*.png"))
    return [as_tensor(np.asarray(Image.open(file).convert("RGB"))) for file in files[:count]]


def random_crops(
    photos: list[torch.Tensor],
    count: int,
    size: int,
    rng: random.Random,
    blotch_share: float = 0.0,
    generated: list[torch.Tensor] | None = None,
    generated_share: float = 0.0,
) -> torch.Tensor:
    """``count`` crops of ``size`` x ``size``: random photo, scale, position, flip, brightness and saturation;
    ``blotch_share`` of them are random colour blotches instead, ``generated_share`` crops of ``generated``."""
    crops = []
    for _ in range(count):
        draw = rng.random()
        if draw < blotch_share:
            crops.append(random_blotches(size, rng))
            continue
        photo = rng.choice(generated if generated and draw < blotch_share + generated_share else photos)
        h, w = photo.shape[-2:]
        side = rng.randint(min(size, h, w), min(h, w))
        top, left = rng.randint(0, h - side), rng.randint(0, w - side)
        crop = F.interpolate(photo[None, :, top : top + side, left : left + side], size=(size, size),
                             mode="bilinear", antialias=True, align_corners=False)[0]  # fmt: skip
        if rng.random() < 0.5:
            crop = crop.flip(-1)
        crop = crop[rng.sample(range(3), 3)]  # channel order: colours the photos do not have
        grey = crop.mean(0, keepdim=True)
        crop = (grey + (crop - grey) * rng.uniform(0.6, 1.3)) * rng.uniform(0.8, 1.2)
        crops.append(crop.clamp(0, 1))
    return torch.stack(crops)
