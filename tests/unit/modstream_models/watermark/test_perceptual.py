import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity as skimage_ssim

from modstream_models.watermark.perceptual import gaussian_blur, structural_similarity


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(array / 255).permute(2, 0, 1)[None].float()


@pytest.mark.parametrize("noise", [1, 4, 30])
def test_ssim_is_scikit_images_on_8_bit_images(noise: int) -> None:
    """Textured, flat and saturated areas side by side, changed by noise of a few levels to a strong one."""
    rng = np.random.default_rng(noise)
    original = np.zeros((90, 130, 3), dtype=np.uint8)
    original[:, :40] = rng.integers(0, 256, (90, 40, 3))
    original[:, 40:90] = 200
    original[:, 90:] = (255, 0, 20)
    changed = np.clip(original + rng.normal(0, noise, original.shape), 0, 255).round().astype(np.uint8)
    expected = skimage_ssim(original, changed, channel_axis=2)
    ours = structural_similarity(_tensor(changed), _tensor(original))
    assert ours.shape == (1,)
    assert ours.item() == pytest.approx(expected, abs=5e-5)
    assert structural_similarity(_tensor(original), _tensor(original)).item() == pytest.approx(1.0, abs=1e-6)


def test_the_gaussian_blur_keeps_flat_images_and_spreads_a_point_as_a_gaussian_cut_at_its_radius() -> None:
    flat = torch.full((1, 2, 20, 20), 0.3)
    assert torch.allclose(gaussian_blur(flat, 1.5, 4), flat)
    point = torch.zeros(1, 1, 21, 21)
    point[..., 10, 10] = 1
    spread = gaussian_blur(point, 1.5, 4)[0, 0]
    taps = torch.exp(-torch.arange(-4, 5).float().square() / (2 * 1.5**2))
    expected = torch.zeros(21, 21)
    expected[6:15, 6:15] = torch.outer(taps, taps) / taps.sum() ** 2
    assert torch.allclose(spread, expected, atol=1e-7)
