"""The watermark networks and their use on images of any size.

The encoder sees the image at a fixed working size (64 x 64, small enough to train on a CPU) with
the 120 code bits spread over a 16 x 16 map, and returns a residual. The residual is upsampled to
the image's own size and added there (as TrustMark does), so the image keeps its resolution and
detail; the decoder reads the bits back from the image resized to the working size.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from modstream_models.watermark.payload import CODE_BITS, decode_bits, encode_payload

WORKING_SIZE = 64
WEIGHTS = Path(__file__).resolve().parent / "weights.pt"  # shipped; `train --export` writes it
REFINE_MARGIN = 6.0  # bit logits the refined residual reaches: headroom for JPEG and other attacks
REFINE_STEP = 0.05  # largest change of the residual per refinement step, in its [-1, 1] units


def _block(channels_in: int, channels_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1),
        nn.BatchNorm2d(channels_out),
        nn.GELU(),
    )


class Encoder(nn.Module):
    def __init__(self, bits: int = CODE_BITS, channels: int = 32) -> None:
        super().__init__()
        self.message = nn.Linear(bits, 4 * 16 * 16)
        self.image = nn.Sequential(_block(3, channels), _block(channels, channels))
        self.mix = nn.Sequential(
            _block(channels + 4 + 3, channels), _block(channels, channels), _block(channels, channels)
        )
        self.residual = nn.Conv2d(channels, 3, 1)

    def forward(self, images: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        """A residual in [-1, 1] for images in [0, 1] at the working size and bits in {0, 1}."""
        message = self.message(bits * 2 - 1).view(-1, 4, 16, 16)
        message = F.interpolate(message, size=images.shape[-2:], mode="nearest")
        features = self.image(images)
        return torch.tanh(self.residual(self.mix(torch.cat([features, message, images], dim=1))))


class Decoder(nn.Module):
    def __init__(self, bits: int = CODE_BITS, channels: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _block(3, channels), _block(channels, channels, 2), _block(channels, channels, 2),
            _block(channels, 2 * channels, 2), _block(2 * channels, 2 * channels, 2),
        )  # fmt: skip
        self.bits = nn.Linear(2 * channels * (WORKING_SIZE // 16) ** 2, bits)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Bit logits for images in [0, 1] at the working size."""
        return self.bits(self.features(images).flatten(1))


@dataclass(frozen=True)
class Reading:
    payload: bytes | None  # None: no watermark detected
    bit_confidence: float  # mean distance of the bit probabilities from 0.5, scaled to 0..1
    corrected_bits: int

    @property
    def detected(self) -> bool:
        return self.payload is not None


@dataclass
class Watermarker:
    """A trained encoder-decoder pair, applied to images of any size."""

    encoder: Encoder
    decoder: Decoder
    strength: float = 0.03  # residual scale in [0, 1] intensity units, fixed at training time
    version: str = "modstream watermark (untrained)"
    refine_steps: int = 20

    def __post_init__(self) -> None:
        self.encoder.eval()
        self.decoder.eval()

    @torch.no_grad()
    def embed(self, image: Image.Image, bits: np.ndarray) -> Image.Image:
        """The encoder's residual, then refined against the decoder until every bit reads back with a margin.

        The encoder alone misses a few bits on images unlike its training data (the tiny generator's
        noise); a few normalised gradient steps on the residual (at the working size, so it stays as
        smooth) fix those bits for a small loss of PSNR, and stop at once where nothing is missed.
        """
        full = _to_tensor(image)
        target = torch.from_numpy(bits.astype(np.float32))[None]
        residual = self.encoder(to_working_size(full), target)
        sign = target * 2 - 1
        for _ in range(self.refine_steps):
            with torch.enable_grad():
                residual.requires_grad_(True)
                logits = self.decoder(to_working_size(self._marked(full, residual)))
                shortfall = F.relu(REFINE_MARGIN - sign * logits).sum()
                if shortfall.item() == 0:
                    break
                (gradient,) = torch.autograd.grad(shortfall, residual)
            step = REFINE_STEP * gradient / gradient.abs().amax().clamp_min(1e-12)
            residual = (residual.detach() - step).clamp(-1, 1)
        return _to_image(self._marked(full, residual.detach()))

    def _marked(self, full: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return add_residual(full, residual, self.strength)

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> Watermarker:
        data = path.read_bytes()
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        encoder, decoder = Encoder(), Decoder()
        encoder.load_state_dict(state["encoder"])
        decoder.load_state_dict(state["decoder"])
        version = f"modstream watermark {hashlib.sha256(data).hexdigest()[:12]} (step {state['step']})"
        return cls(encoder, decoder, float(state["strength"]), version)

    def embed_payload(self, image: Image.Image, payload: bytes) -> Image.Image:
        return self.embed(image, encode_payload(payload))

    def read_payload(self, image: Image.Image) -> Reading:
        probabilities = self.read(image)
        decoded = decode_bits((probabilities > 0.5).astype(np.uint8))
        confidence = float(np.abs(probabilities - 0.5).mean() * 2)
        return Reading(decoded.payload, round(confidence, 4), decoded.corrected_bits)

    @torch.no_grad()
    def read(self, image: Image.Image) -> np.ndarray:
        """The probability of each code bit being 1."""
        return torch.sigmoid(self.decoder(to_working_size(_to_tensor(image))))[0].numpy()


def add_residual(images: torch.Tensor, residual: torch.Tensor, strength: float) -> torch.Tensor:
    """``images`` at their own size with the working-size ``residual`` upsampled and added (training does the same)."""
    upsampled = F.interpolate(residual, size=images.shape[-2:], mode="bilinear", align_corners=False)
    return (images + strength * upsampled).clamp(0, 1)


def to_working_size(images: torch.Tensor) -> torch.Tensor:
    return F.interpolate(images, size=(WORKING_SIZE, WORKING_SIZE), mode="bilinear", antialias=True)


def _to_tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)[None]


def _to_image(tensor: torch.Tensor) -> Image.Image:
    return Image.fromarray((tensor[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
