"""What a person would see of a change to an image: where it hides (the texture mask) and how much of the image's
structure it alters (SSIM), on batches in [0, 1], NCHW.

The texture mask (version 3): the residual's amplitude at a pixel goes as the square root of the luminance's local
standard deviation (over a Gaussian of TEXTURE_SIGMA px) plus TEXTURE_FLOOR, at the same PSNR. A change hides in
texture and shows on smooth areas (contrast masking), where SSIM also counts it most: on six held-out photos at
42.2 dB, SSIM rose from 0.966-0.994 to 0.981-0.997 with every payload probed still read (one probe, these values).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601, as JPEG's YCbCr
TEXTURE_SIGMA = 3.0
TEXTURE_FLOOR = 0.01
# SSIM as scikit-image's structural_similarity computes it by default (Wang et al. 2004 with a 7 x 7 uniform window,
# sample covariances, the constants' K1 and K2), averaged over the channels
SSIM_WINDOW = 7
SSIM_K1, SSIM_K2 = 0.01, 0.03


def luminance(images: torch.Tensor) -> torch.Tensor:
    """n x 1 x h x w: the luminance of RGB ``images`` (n x 3 x h x w)."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(dim=1, keepdim=True)


def gaussian_blur(images: torch.Tensor, sigma: float, radius: int) -> torch.Tensor:
    """Each channel blurred by a Gaussian of ``sigma`` px cut at ``radius`` px, its borders mirrored; one axis at a
    time."""
    positions = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    taps = torch.exp(-positions.square() / (2 * sigma**2))
    kernel = taps / taps.sum()
    channels = images.shape[1]
    rows = F.conv2d(
        F.pad(images, (radius, radius, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1),
        groups=channels,
    )  # fmt: skip
    return F.conv2d(
        F.pad(rows, (0, 0, radius, radius), mode="reflect"), kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1),
        groups=channels,
    )  # fmt: skip


def texture_mask(images: torch.Tensor) -> torch.Tensor:
    """How much of the residual each pixel of ``images`` (n x 3 x h x w) takes: n x 1 x h x w, growing as the square
    root of the local standard deviation of luminance (TEXTURE_SIGMA, TEXTURE_FLOOR), root mean square 1 per image
    so the PSNR floor scales it as it would the plain residual."""
    light = luminance(images)
    radius = int(3 * TEXTURE_SIGMA)
    variance = (
        gaussian_blur(light.square(), TEXTURE_SIGMA, radius) - gaussian_blur(light, TEXTURE_SIGMA, radius).square()
    )
    amplitude = (variance.clamp_min(0).sqrt() + TEXTURE_FLOOR).sqrt()
    return amplitude / amplitude.square().mean(dim=(2, 3), keepdim=True).sqrt()


def structural_similarity(images: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
    """The mean SSIM of each image in ``images`` with its counterpart in ``others`` (n x c x h x w, at least 7 px a
    side): n values, as scikit-image's ``structural_similarity(..., channel_axis=2)`` gives for 8-bit images of the
    same pixels (its data range 255 is this one's 1; like it, windows reaching past the border are left out)."""
    window = SSIM_WINDOW
    covariance_norm = window**2 / (window**2 - 1)

    def mean(values: torch.Tensor) -> torch.Tensor:  # over each window, one axis at a time
        return F.avg_pool2d(F.avg_pool2d(values, (1, window), stride=1), (window, 1), stride=1)

    mean_x, mean_y = mean(images), mean(others)
    # (co)variances of the values less one half: the same, and no precision lost on near-flat windows in float32
    centred_x, centred_y = images - 0.5, others - 0.5
    offset_x, offset_y = mean_x - 0.5, mean_y - 0.5
    variance_x = covariance_norm * (mean(centred_x.square()) - offset_x.square())
    variance_y = covariance_norm * (mean(centred_y.square()) - offset_y.square())
    covariance = covariance_norm * (mean(centred_x * centred_y) - offset_x * offset_y)
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    similarity = ((2 * mean_x * mean_y + c1) * (2 * covariance + c2)) / (
        (mean_x.square() + mean_y.square() + c1) * (variance_x + variance_y + c2)
    )
    return similarity.mean(dim=(1, 2, 3))
