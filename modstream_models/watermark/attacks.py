"""Differentiable image attacks for training (the noise layer), on batches in [0, 1], NCHW.

JPEG is approximated: colour conversion to YCbCr, 8x8 DCT, division by the standard quantisation
tables at the given quality, rounding with its cubic approximation (Shin and Song, 2017) so that
gradients flow, and the way back. Chroma subsampling is left out.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import torch
import torch.nn.functional as F

from modstream_models.watermark.perceptual import gaussian_blur

Attack = Callable[[torch.Tensor], torch.Tensor]

_LUMA = torch.tensor(
    [[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55], [14, 13, 16, 24, 40, 57, 69, 56],
     [14, 17, 22, 29, 51, 87, 80, 62], [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
     [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], dtype=torch.float32,
)  # fmt: skip
_CHROMA = torch.full((8, 8), 99.0)
_CHROMA[:4, :4] = torch.tensor(
    [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]], dtype=torch.float32
)


def _dct_matrix() -> torch.Tensor:
    matrix = torch.zeros(8, 8)
    for k in range(8):
        for n in range(8):
            scale = math.sqrt(1 / 8) if k == 0 else math.sqrt(2 / 8)
            matrix[k, n] = scale * math.cos(math.pi * (2 * n + 1) * k / 16)
    return matrix


_DCT = _dct_matrix()


def _quality_scale(quality: int) -> float:
    return (5000 / quality if quality < 50 else 200 - 2 * quality) / 100


def jpeg(images: torch.Tensor, quality: int) -> torch.Tensor:
    """A differentiable approximation of JPEG compression at ``quality`` (1-100)."""
    n, _, h, w = images.shape
    pad_h, pad_w = (-h) % 8, (-w) % 8
    x = F.pad(images, (0, pad_w, 0, pad_h), mode="replicate") * 255
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    ycbcr = torch.stack(
        [0.299 * r + 0.587 * g + 0.114 * b - 128,
         -0.168736 * r - 0.331264 * g + 0.5 * b,
         0.5 * r - 0.418688 * g - 0.081312 * b], dim=1,
    )  # fmt: skip
    H, W = ycbcr.shape[-2:]
    blocks = ycbcr.reshape(n, 3, H // 8, 8, W // 8, 8).permute(0, 1, 2, 4, 3, 5)
    dct = _DCT.to(images)
    coefficients = dct @ blocks @ dct.T
    scale = max(_quality_scale(quality), 1e-3)
    tables = torch.stack([_LUMA, _CHROMA, _CHROMA]).to(images).mul(scale).clamp(min=1).view(1, 3, 1, 1, 8, 8)
    quantised = coefficients / tables
    rounded = torch.round(quantised) + (quantised - torch.round(quantised)) ** 3
    restored = dct.T @ (rounded * tables) @ dct
    y, cb, cr = restored.permute(0, 1, 2, 4, 3, 5).reshape(n, 3, H, W).unbind(1)
    y = y + 128
    rgb = torch.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], dim=1) / 255
    return rgb[..., :h, :w].clamp(0, 1)


def gaussian_noise(images: torch.Tensor, sigma: float) -> torch.Tensor:
    return (images + sigma * torch.randn_like(images)).clamp(0, 1)


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    return gaussian_blur(images, sigma, radius=max(1, math.ceil(2 * sigma)))


def resize(images: torch.Tensor, scale: float) -> torch.Tensor:
    """Down to ``scale`` of the side and back up, as a resized copy that is viewed at full size."""
    h, w = images.shape[-2:]
    small = F.interpolate(images, size=(max(8, round(h * scale)), max(8, round(w * scale))), mode="bilinear",
                          antialias=True, align_corners=False)  # fmt: skip
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)


def crop(
    images: torch.Tensor, area: float, rng: random.Random, jitter: float = 0.02, aspect: float = 1.0
) -> torch.Tensor:
    """A random crop keeping ``area`` of the image, put back on a grey canvas where it was.

    ``aspect`` is the kept width's fraction over the kept height's (1: the image's own aspect ratio),
    as a re-posted copy cut to a banner or a portrait has. That is what the reader sees after its
    crop search has found where a cropped image sat in the original (Watermarker.read_payload); the
    crop is placed slightly off, scaled and shifted by up to ``jitter`` of the side, as the search's
    finite grid places it.
    """
    h, w = images.shape[-2:]
    width, height = min(1.0, math.sqrt(area * aspect)), min(1.0, math.sqrt(area / aspect))
    ch, cw = max(8, round(h * height)), max(8, round(w * width))
    top, left = rng.randint(0, h - ch), rng.randint(0, w - cw)
    scale = 1 + rng.uniform(-jitter, jitter)
    sh, sw = min(h, round(ch * scale)), min(w, round(cw * scale))
    region = F.interpolate(images[..., top : top + ch, left : left + cw], size=(sh, sw), mode="bilinear",
                           align_corners=False)  # fmt: skip
    shift = round(jitter * h)
    top = min(max(0, top + rng.randint(-shift, shift)), h - sh)
    left = min(max(0, left + rng.randint(-shift, shift)), w - sw)
    return F.pad(region, (left, w - sw - left, top, h - sh - top), value=0.5)


def random_crop_shape(rng: random.Random) -> tuple[float, float]:
    """An area (45-95 %) and an aspect change for the crop attack: half of them keep the aspect ratio,
    the others keep anything from the whole width to the whole height."""
    area = rng.uniform(0.45, 0.95)
    if rng.random() < 0.5:
        return area, 1.0
    width = rng.uniform(area, 1.0)  # the height is then area / width, also between area and 1
    return area, width / (area / width)


def brightness_contrast(images: torch.Tensor, brightness: float, contrast: float) -> torch.Tensor:
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return ((images - mean) * contrast + mean + brightness).clamp(0, 1)


def random_attack(rng: random.Random) -> tuple[str, Attack]:
    """One attack of the training mix, with random strength; sometimes none, sometimes two in a row."""
    quality = rng.choice([30, 40, 50, 60, 70, 90])
    sigma = rng.uniform(0.005, 0.04)
    blur_sigma = rng.uniform(0.5, 1.5)
    scale = rng.uniform(0.4, 0.9)
    area, aspect = random_crop_shape(rng)
    b, c = rng.uniform(-0.15, 0.15), rng.uniform(0.7, 1.3)
    attacks: list[tuple[str, Attack]] = [
        ("identity", lambda x: x),
        (f"jpeg{quality}", lambda x: jpeg(x, quality)),
        ("noise", lambda x: gaussian_noise(x, sigma)),
        ("blur", lambda x: blur(x, blur_sigma)),
        ("resize", lambda x: resize(x, scale)),
        ("crop", lambda x: crop(x, area, rng, aspect=aspect)),
        ("brightness_contrast", lambda x: brightness_contrast(x, b, c)),
    ]
    name, attack = rng.choice(attacks)
    if rng.random() < 0.25:
        other_name, other = rng.choice(attacks[1:])
        return f"{name}+{other_name}", lambda x: other(attack(x))
    return name, attack
