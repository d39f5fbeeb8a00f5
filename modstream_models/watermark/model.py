"""The watermark networks and their use on images of any size.

The encoder sees the image at a fixed working size (64 x 64, small enough to train on a CPU) with
the 120 code bits spread over a 16 x 16 map, and returns a residual. The residual is upsampled to
the image's own size and added there (as TrustMark does), so the image keeps its resolution and
detail; the decoder reads the bits back from the image resized to the working size.

A turned, mirrored or cropped copy no longer lines up with the layout the decoder reads, so where
the image as it is gives no payload, the reader first undoes turns of up to 12 degrees and mirroring
(geometry.py), then searches where a crop may have sat in the original: it lays the image on a grey
canvas at a grid of sizes and positions (training's crop attack shows the decoder the same). Each
search refines its most confident candidates and tries the payload there.

In the periodic layout (periodic.py; version 2) the encoder's residual is made from the image folded onto one tile
and repeated over every tile, and the reader folds the copy and tries every cyclic shift of the tile, as it is and
mirrored, instead of the turn and crop searches; a copy that was turned or resized is turned and resized back first,
where the decoder ranks the turns alone and the scales alone of a grid, and a small head on its features the
combinations (sync.py). That layout needs images of one and a half tiles a side or more (Watermarker.suits), so
smaller ones are marked by version 1 (Embedder).
"""

from __future__ import annotations

import hashlib
import heapq
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from modstream_models import device as devices
from modstream_models.watermark import geometry, periodic, sync
from modstream_models.watermark.geometry import Geometry
from modstream_models.watermark.payload import (
    CODE_BITS,
    DETECTION_MAX_ERRORS,
    decode_bits,
    decode_probabilities,
    encode_payload,
)
from modstream_models.watermark.perceptual import luminance, structural_similarity, texture_mask

WORKING_SIZE = 64
MESSAGE_SIDE = 16  # the encoder spreads the bits over a map of this many cells a side
# Smaller images cannot carry the watermark robustly (any resize takes most of it), so they are refused;
# the refinement below could sometimes still make a 12 px image read back, which proves nothing.
MIN_SIDE = WORKING_SIZE
# Every version of the networks that ever watermarked an image ships, newest first: embedding uses the newest that
# suits the image (Embedder), reading tries each in turn, so images marked by an older version stay verifiable. Each
# BCH-decoded reading is one more chance of a false detection (payload.py): version 1's searches bound it at 1.9e-8
# per image, version 2's (every shift of the fold, the turn and scale search) at 1.0e-7, 1.2e-7 for both, under 1e-6
# with room for bits that are not quite coin flips; a version with networks of its own adds its readings. Version 2
# is version 1's networks in the periodic layout with 256 px tiles, a PSNR floor and the turn and scale search's head
# (sync.py writes the file); version 3 is version 2 marking under the texture mask (texture_mask), so it reads as
# version 2 does and the reader reads the two once (Reader.load). Version 4 is version 1's networks and layout under
# version 2's floors, for the images too small for version 3's tiles (below), so it reads as version 1 does and marks
# every image version 1 marked. No retrained networks ship (README, "Watermark and provenance").
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
VERSIONS = {4: WEIGHTS_DIR / "v4.pt", 3: WEIGHTS_DIR / "v3.pt", 2: WEIGHTS_DIR / "v2.pt", 1: WEIGHTS_DIR / "v1.pt"}
CURRENT_VERSION = next(iter(VERSIONS))
WEIGHTS = VERSIONS[CURRENT_VERSION]
# From version 2 on, every watermarked image keeps at least this PSNR: the residual is scaled down where it would
# change more (42 dB asked; the margin covers rounding to 8 bits). Version 1 was trained without it.
MIN_PSNR = 42.3
# And at least this SSIM, as scikit-image measures it on the stored 8-bit image (0.98 asked; 0.0005 for arithmetic).
# At the PSNR floor, SSIM falls short only on images smooth almost everywhere (a retina photo's orange disc on black:
# 0.967), where the change is scaled down further; a smooth image holds less watermark either way.
MIN_SSIM = 0.9805
SSIM_ROUNDS = 6
REFINE_MARGIN = 6.0  # bit logits the refined residual reaches: headroom for JPEG and other attacks
REFINE_STEP = 0.05  # largest change of the residual per refinement step, in its [-1, 1] units
# The crop search works on canvases of twice the working size, so positions are exact to half a working pixel (a
# quarter in version 1's last refinement, on a canvas twice as fine: _read_placed)
CANVAS = 2 * WORKING_SIZE
# Candidates each search (turns and mirrors, then crops) refines and tries for a payload. Only these are
# BCH-decoded, so the false-positive rate grows from one reading's (about 2.8e-9, payload.py) to
# 1 + 2 * SEARCH_TRIES of them: 1.9e-8, under the 1e-6 target.
SEARCH_TRIES = 3
DECODER_BATCH = 64
# The periodic layout's reader BCH-decodes every cyclic shift of the folded copy, mirrored and not (2 x 4,096): the
# SEARCH_TRIES shifts of each the decoder is most confident about as any reading, every other one only with at most
# SHIFT_MAX_ERRORS corrections (V(120, 3) / 2^56 = 4.0e-12 each). The turn and scale search (sync.py) reads the shifts
# of one candidate, the one the decoder is most confident about, alike. With the reading as it is, 13 readings at
# 2.8e-9 and 16,372 at 4.0e-12: 1.0e-7 per version (benchmarks.watermark_periodic computes it: bound_per_image).
SHIFT_MAX_ERRORS = 3
# The periodic layout is used on images at least this many tiles a side (384 px for version 2). Measured on four
# held-out photos brought to 384 and to 427 px on the shorter side, under the 25 attacks of benchmarks.watermark,
# version 2 found 12 and 15 of the 16 payloads after crops that change the aspect ratio where version 1 found none,
# and lost only a turn with a resize and JPEG (1 and 2 of 4 against version 1's 4); smaller images lose more of
# a half-height crop's tile (256-512 px crops: 0.955-0.970 of the bits without JPEG).
PERIODIC_TILES_PER_SIDE = 1.5


def least_periodic_side(tile: int) -> int:
    """The shorter side from which the periodic layout with ``tile`` px tiles marks images (PERIODIC_TILES_PER_SIDE)."""
    return round(PERIODIC_TILES_PER_SIDE * tile)


# What a search costs, so that the Reader runs every version's cheaper searches before any dearer one. On unwatermarked
# 385-505 px crops of held-out photos, 2 cores: the image as it is, milliseconds; version 1's turn search 0.04-0.06 s,
# its crop search 0.15-0.2 s, the periodic layout's every shift 0.14-0.16 s; the turn and scale search 2.7-3.2 s.
AS_IS, QUICK, SLOW = 0, 1, 2

Candidate = TypeVar("Candidate")
Step = TypeVar("Step", int, float)


def _block(channels_in: int, channels_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1),
        nn.BatchNorm2d(channels_out),
        nn.GELU(),
    )


class Encoder(nn.Module):
    """``residual_channels`` 1: one residual added to red, green and blue alike, so it changes luminance only
    and can cast no colour (version 2); 3: a residual per channel (version 1, faint casts on saturated areas).

    ``message_tiles`` 2: the bits' map is repeated 2 x 2 over the image, so that a crop keeping half of each side
    or more still holds every bit somewhere; 1: one map over the whole image (version 1)."""

    def __init__(
        self, bits: int = CODE_BITS, channels: int = 32, residual_channels: int = 1, message_tiles: int = 1
    ) -> None:
        super().__init__()
        self.tiles = message_tiles
        self.message = nn.Linear(bits, 4 * (MESSAGE_SIDE // message_tiles) ** 2)
        self.image = nn.Sequential(_block(3, channels), _block(channels, channels))
        self.mix = nn.Sequential(
            _block(channels + 4 + 3, channels), _block(channels, channels), _block(channels, channels)
        )
        self.residual = nn.Conv2d(channels, residual_channels, 1)

    def forward(self, images: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        """A residual in [-1, 1] for images in [0, 1] at the working size and bits in {0, 1}; with one channel,
        add_residual adds it to each of the image's three."""
        side = MESSAGE_SIDE // self.tiles
        message = self.message(bits * 2 - 1).view(-1, 4, side, side).repeat(1, 1, self.tiles, self.tiles)
        message = F.interpolate(message, size=images.shape[-2:], mode="nearest")
        features = self.image(images)
        return torch.tanh(self.residual(self.mix(torch.cat([features, message, images], dim=1))))


class Decoder(nn.Module):
    def __init__(self, bits: int = CODE_BITS, channels: int = 32, working_size: int = WORKING_SIZE) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _block(3, channels), _block(channels, channels, 2), _block(channels, channels, 2),
            _block(channels, 2 * channels, 2), _block(2 * channels, 2 * channels, 2),
        )  # fmt: skip
        self.working_size = working_size  # the images it reads, pixels a side
        self.map_side = working_size // 16  # four stride-2 blocks
        self.bits = nn.Linear(2 * channels * self.map_side**2, bits)

    def wrap_around(self, wrap: bool) -> None:
        """Pad with the image's other side instead of zeros: for a tile that lies on a torus (periodic.py)."""
        for module in self.features.modules():
            if isinstance(module, nn.Conv2d):
                module.padding_mode = "circular" if wrap else "zeros"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Bit logits for images in [0, 1] at the working size."""
        return self.bits(self.features(images).flatten(1))

    def every_shift(self, tiles: torch.Tensor, step: int = 1) -> torch.Tensor:
        """Bit logits of working-size tiles on a torus (n x 3 x side x side) rolled by every shift ``step`` working
        pixels apart (1, 2, 4, ...): n x (side / step)**2 x bits, row i * side / step + j being the roll by
        (step * i, step * j).

        Decoding each roll repeats most of the work: a roll only moves where the strided convolutions sample. So the
        convolutions run once at every position (each stride of 2 becomes a dilation of the convolutions after it,
        as in "filter rarefaction"), wrapping around as the tile does, and the features of the roll by (down, right)
        are the dense features at (stride * i - down, stride * j - right), stride being the blocks' product (16).
        Rolls ``step`` apart need the dense features only at every ``step``-th position: the first strided blocks
        keep their strides up to ``step`` (a quarter of the work and less for the turn and scale search's ranking)."""
        dense, dilation, skipped = tiles, 1, step
        for block in cast(list[nn.Sequential], list(self.features)):
            convolution = cast(nn.Conv2d, block[0])
            padded = F.pad(dense, (dilation, dilation, dilation, dilation), mode="circular")  # 3 x 3, as _block's
            stride = convolution.stride[0]
            if skipped > 1 and stride > 1:  # no roll needs the positions this stride leaves out
                dense = block[1:](F.conv2d(padded, convolution.weight, convolution.bias, stride=stride))
                skipped //= stride
            else:
                dense = block[1:](F.conv2d(padded, convolution.weight, convolution.bias, dilation=dilation))
                dilation *= stride
        # the linear layer over the map's side x side cells, `dilation` apart, at every start (-down, -right)
        weight = self.bits.weight.view(len(self.bits.weight), -1, self.map_side, self.map_side)
        reach = dilation * (self.map_side - 1)
        padded = F.pad(dense, (0, reach, 0, reach), mode="circular")
        logits = F.conv2d(padded, weight, self.bits.bias, dilation=dilation)
        side = dense.shape[-1]
        back = -torch.arange(side) % side
        return logits[:, :, back][:, :, :, back].flatten(2).transpose(1, 2)


@dataclass(frozen=True)
class Placement:
    """Where a cropped image sat in the watermarked original, in fractions of the original's sides."""

    width: float
    height: float
    left: float
    top: float

    @property
    def area(self) -> float:
        return self.width * self.height


# (width, height, left, top) of a crop laid on the canvas, in canvas pixels; halves in a last refinement (_read_placed)
CanvasBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class CropSearch:
    """The placements a version's crop search tries: crop sizes on the canvas, the positions ``step`` canvas pixels
    apart, then around the most confident ones at each of the ``refine`` steps in turn."""

    sizes: tuple[tuple[int, int], ...]
    step: int
    refine: tuple[float, ...]
    any_aspect: bool  # False: widths and heights change together, as crops keeping the original's aspect ratio

    def coarse(self) -> list[CanvasBox]:
        """Every size at every position ``step`` apart and at the far edges."""
        return [
            (width, height, left, top)
            for width, height in self.sizes
            for top in _positions(CANVAS - height, self.step)
            for left in _positions(CANVAS - width, self.step)
        ]

    def around(self, box: CanvasBox, step: float) -> list[CanvasBox]:
        """``box`` and its neighbours ``step`` canvas pixels away in size and position that fit on the canvas."""
        width, height, left, top = box
        moves = (-step, 0, step)
        sizes = (
            [(width + dw, height + dh) for dw in moves for dh in moves]
            if self.any_aspect
            else [(width + d, height + d) for d in moves]
        )
        return [
            (w, h, left + dl, top + dt)
            for w, h in sizes
            for dt in moves
            for dl in moves
            if min(w, h) > 0 and 0 <= left + dl <= CANVAS - w and 0 <= top + dt <= CANVAS - h
        ]


def _positions(room: int, step: int) -> list[int]:
    return sorted({*range(0, room + 1, step), room})


# Version 1 learnt crops that keep the aspect ratio, put back within a working pixel of where they sat: its search
# tries those (59 % to 97 % of the area) 2 working pixels apart, and its confidence is too narrow for a coarser grid.
# The last refinement, a quarter of a working pixel, was chosen on benchmarks.watermark's 24 crops, where it brought
# back a crop to 70 % that needed 6 corrections (3 after it) and lost a JPEG 30 copy that needed 5 before; on six
# photos not tuned on (issue_attacks) it lost nothing and took the most a crop to 70 % needed from 5 to 4.
SAME_ASPECT_CROPS = CropSearch(
    tuple((side, side) for side in range(98, CANVAS, 4)), step=4, refine=(2, 1, 0.5), any_aspect=False
)
# Version 2 learnt crops of any aspect ratio keeping 45 % of the area or more (the whole width and half the height,
# 60 % of the width and 90 % of the height, ...): widths and heights from half the side are tried separately.
ANY_ASPECT_CROPS = CropSearch(
    tuple(
        (width, height)
        for width in range(CANVAS // 2, CANVAS + 1, 8)
        for height in range(CANVAS // 2, CANVAS + 1, 8)
        if 0.45 * CANVAS**2 <= width * height < CANVAS**2
    ),
    step=8,
    refine=(4, 2, 1),
    any_aspect=True,
)


@dataclass(frozen=True)
class Reading:
    payload: bytes | None  # None: no watermark detected
    bit_confidence: float  # mean distance of the bit probabilities from 0.5, scaled to 0..1
    corrected_bits: int
    probabilities: np.ndarray = field(repr=False, compare=False)  # of each of the 120 code bits being 1
    placement: Placement | None = None  # where the payload was found as a crop; None: as it is, or not found
    geometry: Geometry | None = None  # the turn or mirror undone to find the payload; None: none, or not found
    version: int | None = None  # the watermark version whose decoder found the payload; None: not found

    @property
    def detected(self) -> bool:
        return self.payload is not None

    @property
    def bits(self) -> np.ndarray:
        """The 120 code bits as read (0/1)."""
        return (self.probabilities > 0.5).astype(np.uint8)

    def to_json(self) -> dict[str, Any]:
        crop = self.placement
        return {
            "detected": self.detected,
            "payload": self.payload.hex() if self.payload else None,
            "bit_confidence": self.bit_confidence,
            "corrected_bits": self.corrected_bits,
            # where a crop was found in the original: fractions of the original's sides
            "crop": None if crop is None else {"area": round(crop.area, 3), **asdict(crop)},
            # the turn (degrees counter-clockwise) and mirror undone to find the payload
            "rotation": None if self.geometry is None else self.geometry.rotation,
            "flipped": self.geometry is not None and self.geometry.flipped,
            "scale": None if self.geometry is None else self.geometry.scale,  # the copy's side over the original's
            "version": self.version,
        }

    @classmethod
    def of(
        cls, probabilities: np.ndarray, placement: Placement | None = None, geometry: Geometry | None = None,
        max_errors: int = DETECTION_MAX_ERRORS,
    ) -> Reading:  # fmt: skip
        # a reading decoded as a detection weighs its bits by their reliabilities; the periodic layout's other shifts,
        # thousands per image, need their bits this close to a codeword
        if max_errors == DETECTION_MAX_ERRORS:
            decoded = decode_probabilities(probabilities)
        else:
            decoded = decode_bits((probabilities > 0.5).astype(np.uint8), max_errors)
        confidence = round(float(_confidence(probabilities[None])[0]) * 2, 4)
        found = decoded.payload is not None
        return cls(
            decoded.payload, confidence, decoded.corrected_bits, probabilities,
            placement if found else None, geometry if found else None,
        )  # fmt: skip


@dataclass
class Watermarker:
    """A trained encoder-decoder pair, applied to images of any size."""

    encoder: Encoder
    decoder: Decoder
    strength: float = 0.03  # residual scale in [0, 1] intensity units, fixed at training time
    version: str = "modstream watermark (untrained)"
    version_number: int = CURRENT_VERSION
    min_psnr: float | None = MIN_PSNR  # None: no floor (version 1, whose decoder needs its full residual)
    chroma_mask: bool = False  # the residual's colour part held back on saturated pixels (add_residual)
    texture_mask: bool = False  # the residual held back on smooth areas and spent on texture (texture_mask)
    layout: str = "whole"  # "whole": one residual over the image (version 1); "periodic": repeated (periodic.py)
    tile: int = periodic.TILE  # the periodic layout's period, in pixels
    # Where the floors cost a bit (one read wrong from the stored image), the image is marked without them as version 1
    # marks: version 4's networks cannot hold the mark at 42 dB on the tiny generator's noise images (34-35 dB needed)
    floors_give_way: bool = False
    below: int | None = None  # marks only images whose shorter side is under this (version 4: where version 3 cannot)
    same_aspect_crops: bool = False  # the crop search keeps the aspect ratio (SAME_ASPECT_CROPS): version 1's decoder
    presence: sync.Presence | None = None  # the periodic layout's turn and scale search (sync.py); None: no search
    refine_steps: int = 20
    device: str = "cpu"

    def __post_init__(self) -> None:
        self.encoder.eval().to(self.device)
        self.decoder.eval().to(self.device)
        self.use_layout(self.layout)

    def suits(self, image: Image.Image) -> bool:
        """Whether this version marks ``image``: large enough for its layout to hold the watermark through the attacks
        it was measured on (the periodic layout: PERIODIC_TILES_PER_SIDE tiles a side), and under ``below``."""
        return self.suits_side(min(image.size))

    def suits_side(self, side: float) -> bool:
        least, below = self.sides
        return least <= side < below

    @property
    def sides(self) -> tuple[float, float]:
        """The shorter sides of the images this version suits: from the least its layout holds the watermark on
        (PERIODIC_TILES_PER_SIDE tiles in the periodic layout, MIN_SIDE otherwise), under ``below``."""
        least = least_periodic_side(self.tile) if self.layout == "periodic" else MIN_SIDE
        return least, self.below or math.inf

    def suited_by(self, newer: list[Watermarker]) -> bool:
        """Whether every image this version suits is suited by one of ``newer`` (which would mark it instead)."""
        # which versions suit a side changes only where one's range starts or ends: those sides tell
        ends = {self.sides[0], *(end for watermarker in newer for end in watermarker.sides)}
        return all(any(watermarker.suits_side(side) for watermarker in newer) for side in ends if self.suits_side(side))

    def read_by(self, newer: list[Watermarker]) -> bool:
        """Whether one of ``newer`` reads every image exactly as this version does (reads_like)."""
        return any(self.reads_like(watermarker) for watermarker in newer)

    def reads_like(self, other: Watermarker) -> bool:
        """Whether ``other`` reads every image exactly as this one does: the same decoder, layout and searches."""
        ours = (self.layout, self.tile, self.presence is None, self.same_aspect_crops)
        if ours != (other.layout, other.tile, other.presence is None, other.same_aspect_crops):
            return False
        modules: list[tuple[nn.Module, nn.Module]] = [(self.decoder, other.decoder)]
        if self.presence is not None and other.presence is not None:
            modules.append((self.presence, other.presence))
        return all(
            torch.equal(value, theirs.state_dict()[name].to(value))
            for ours, theirs in modules
            for name, value in ours.state_dict().items()
        )

    @property
    def working(self) -> int:
        """The periodic layout's tile as the networks see it, in pixels: the decoder's working size."""
        return self.decoder.working_size

    def use_layout(self, layout: str) -> None:
        """Embed and read in ``layout`` ("whole" or "periodic"), as the weights were trained for or to try another."""
        self.layout = layout
        self.decoder.wrap_around(layout == "periodic")

    @torch.no_grad()
    def embed(self, image: Image.Image, bits: np.ndarray) -> Image.Image:
        """The encoder's residual, then refined against the decoder until every bit reads back with a margin, within
        the PSNR and SSIM floors (min_psnr); where that reads a bit wrong and the floors give way, without them.

        The encoder alone misses a few bits on images unlike its training data (the tiny generator's
        noise); a few normalised gradient steps on the residual (at the working size, so it stays as
        smooth) fix those bits for a small loss of PSNR, and stop at once where nothing is missed.
        """
        if min(image.size) < MIN_SIDE:
            size = f"{image.width}x{image.height}"
            raise ValueError(f"{size} is too small to hold a watermark: {MIN_SIDE} px a side at least")
        full = self._tensor(image)
        marked = partial(self._marked, full, amplitude=texture_mask(full) if self.texture_mask else None)
        target = torch.from_numpy(bits.astype(np.float32))[None].to(self.device)
        encoded = self.encoder(self._working_view(full), target)
        stored = self._embed_within(full, target, encoded, marked, self.min_psnr)
        if self.floors_give_way and self.min_psnr is not None and not self._reads_back(stored, target):
            stored = self._embed_within(full, target, encoded, marked, None)
        return to_image(stored.cpu())

    def _embed_within(
        self,
        full: torch.Tensor,
        target: torch.Tensor,
        encoded: torch.Tensor,
        marked: Callable[[torch.Tensor], torch.Tensor],
        min_psnr: float | None,
    ) -> torch.Tensor:
        """The marked image as it will be stored (8-bit): the ``encoded`` residual refined, at ``min_psnr`` and
        MIN_SSIM or above (None: no floors)."""
        residual = self._within_budget(full, encoded, marked, min_psnr)
        sign = target * 2 - 1
        for _ in range(self.refine_steps):
            with torch.enable_grad():
                residual.requires_grad_(True)
                logits = self.decoder(self._working_view(marked(residual)))
                shortfall = F.relu(REFINE_MARGIN - sign * logits).sum()
                if shortfall.item() == 0:
                    break
                (gradient,) = torch.autograd.grad(shortfall, residual)
            step = REFINE_STEP * gradient / gradient.abs().amax().clamp_min(1e-12)
            residual = self._within_budget(full, (residual.detach() - step).clamp(-1, 1), marked, min_psnr)
        if min_psnr is not None:
            # SSIM once, at the end: kept at every step, it took 24 s instead of 7 to mark a smooth 1,411 px photo,
            # for bit confidences after JPEG 60 and crops higher by under 0.01
            residual = self._within_ssim(full, residual.detach(), marked)
        return _as_8_bit(marked(residual.detach()))

    def _reads_back(self, stored: torch.Tensor, target: torch.Tensor) -> bool:
        """Whether every bit of ``target`` reads back from ``stored`` as it is."""
        return bool(((self.decoder(self._working_view(stored)) > 0) == (target > 0.5)).all())

    @property
    def crop_search(self) -> CropSearch:
        """The placements this version's decoder learnt to read crops in (see SAME_ASPECT_CROPS)."""
        return SAME_ASPECT_CROPS if self.same_aspect_crops else ANY_ASPECT_CROPS

    def _within_budget(
        self,
        full: torch.Tensor,
        residual: torch.Tensor,
        marked: Callable[[torch.Tensor], torch.Tensor],
        min_psnr: float | None,
    ) -> torch.Tensor:
        """``residual`` scaled down as far as the image's PSNR needs to stay at ``min_psnr`` or above.

        Clipping at black and white takes part of the change back, so the scale is found again on the
        result until it holds (at most a few rounds; the change only shrinks).
        """
        if min_psnr is None:
            return residual
        budget = 10 ** (-min_psnr / 10)
        for _ in range(4):
            mse = (marked(residual) - full).pow(2).mean().item()
            if mse <= budget:
                break
            residual = residual * (budget / mse) ** 0.5 * 0.999
        return residual

    def _within_ssim(
        self, full: torch.Tensor, residual: torch.Tensor, marked: Callable[[torch.Tensor], torch.Tensor]
    ) -> torch.Tensor:
        """``residual`` scaled down as far as the image's SSIM, as 8-bit pixels, needs to stay at MIN_SSIM or above
        (from version 2 on, as the PSNR floor). One minus SSIM grows about as the square of the change (the rounding
        to 8 bits adds a little of its own), so the square root of the shortfall's ratio scales it, a few rounds."""
        for _ in range(SSIM_ROUNDS):
            similarity = structural_similarity(_as_8_bit(marked(residual)), full).item()
            if similarity >= MIN_SSIM:
                break
            residual = residual * ((1 - MIN_SSIM) / (1 - similarity)) ** 0.5 * 0.99
        return residual

    def _marked(
        self, full: torch.Tensor, residual: torch.Tensor, amplitude: torch.Tensor | None = None
    ) -> torch.Tensor:
        if self.layout == "periodic":
            height, width = full.shape[-2:]
            residual = periodic.repeat(residual, height, width, self.tile)
        return add_residual(full, residual, self.strength, self.chroma_mask, amplitude)

    def _working_view(self, image: torch.Tensor) -> torch.Tensor:
        """What the encoder sees and the decoder reads of an image: the image at the working size, or in the
        periodic layout the image folded onto one tile at the working size."""
        if self.layout == "periodic":
            return periodic.working_tile(image, self.working, self.tile)
        return to_working_size(image)

    def _undone_view(self, copy: torch.Tensor, turn: float, scale: float) -> torch.Tensor:
        """The periodic layout's working view of a copy turned and resized back (periodic.undo)."""
        return periodic.shrink(periodic.undo(copy, [turn], scale, self.tile), self.working)

    def _tensor(self, image: Image.Image) -> torch.Tensor:
        return to_tensor(image).to(self.device)

    @classmethod
    def load(cls, path: Path = WEIGHTS, placement: devices.Placement = devices.CPU) -> Watermarker:
        data = path.read_bytes()
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        number = int(state.get("version", 1))  # version 1 predates these keys
        version = f"modstream watermark {number} ({hashlib.sha256(data).hexdigest()[:12]}, step {state['step']})"
        return cls.of(state, version, number, placement)

    @classmethod
    def of(
        cls, state: dict[str, Any], version: str, number: int, placement: devices.Placement = devices.CPU
    ) -> Watermarker:
        """The watermarker of saved weights (a version's file, or a training run's checkpoint) as version ``number``."""
        encoder, decoder = networks(state)
        floor, chroma_mask = state.get("min_psnr"), bool(state.get("chroma_mask", False))
        presence = sync.Presence.of(state["presence"]) if "presence" in state else None
        return cls(
            encoder, decoder, float(state["strength"]), version, number, floor, chroma_mask,
            texture_mask=bool(state.get("texture_mask", False)),
            layout=state.get("layout", "whole"), tile=int(state.get("tile", periodic.TILE)),
            floors_give_way=bool(state.get("floors_give_way", False)), below=state.get("below"),
            same_aspect_crops=bool(state.get("same_aspect_crops", number == 1)), presence=presence,
            device=placement.device,
        )  # fmt: skip

    def embed_payload(self, image: Image.Image, payload: bytes) -> Image.Image:
        return self.embed(image, encode_payload(payload))

    def read_payload(self, image: Image.Image, thorough: bool = False) -> Reading:
        """The payload of ``image`` as it is or, failing that, as a turned, mirrored or cropped copy of a
        watermarked original; where none is found, the most confident reading."""
        return _found_by(self, _first_detected(self.readings(image, thorough=thorough)))

    def readings(self, image: Image.Image, crops: bool = True, thorough: bool = False) -> Iterator[Reading]:
        """Every reading the reader BCH-decodes, in turn, each search run only when asked for its first (searches)."""
        return chain.from_iterable(search.readings for search in self.searches(image, crops, thorough))

    def searches(self, image: Image.Image, crops: bool = True, thorough: bool = False) -> list[Search]:
        """The ways this version reads ``image``, none run yet: the image as it is, then turned back and unmirrored,
        then (``crops``) placed as a crop of an original; in the periodic layout, the image as it is, then every shift
        of its fold, mirrored and not, then (with a presence head) every shift of the copy turned and resized back as
        the turn and scale search (sync.py) found best, ``thorough``: among every turn and scale of its grid."""
        copy = self._tensor(image)
        found = [Search(AS_IS, self._read_as_is(copy))]
        if self.layout == "periodic":
            found.append(Search(QUICK, self._search_fold(copy)))
            if self.presence is not None:
                found.append(Search(SLOW, self._search_turns_and_scales(copy, self.presence, thorough)))
            return found
        found.append(Search(QUICK, self._search_geometry(copy)))
        if crops:
            found.append(Search(QUICK, self._search_crops(copy)))
        return found

    def _read_as_is(self, copy: torch.Tensor) -> Iterator[Reading]:
        yield Reading.of(self._read_copy(copy))

    def _search_fold(self, copy: torch.Tensor) -> Iterator[Reading]:
        yield from self._search_shifts(self._working_view(copy))

    def _search_geometry(self, copy: torch.Tensor) -> Iterator[Reading]:
        """Readings of the copy turned back and unmirrored as the most confident geometries say."""
        height, width = copy.shape[-2:]
        small = F.interpolate(copy, size=(CANVAS, CANVAS), mode="bilinear", antialias=True)

        def read_undone(geometries: list[Geometry]) -> np.ndarray:
            return self.read_working_size(geometry.undo(small, width, height, geometries, WORKING_SIZE))

        def around(candidate: Geometry, step: float) -> list[Geometry]:
            return [turned for turned in candidate.around(step) if turned.original_size(width, height)]

        coarse = geometry.candidates(width, height)
        for best, probabilities in _most_confident(coarse, read_undone, around, geometry.REFINE_STEPS):
            yield Reading.of(probabilities, geometry=best)

    def read_undone(self, image: Image.Image, turn: float, scale: float) -> Reading:
        """The payload of a copy of an image marked in the periodic layout that was turned by ``turn`` degrees and
        resized by ``scale``, both known; every shift, mirrored and not, is searched as ``read_payload`` does: what the
        turn and scale search (sync.py) reads where its candidate is right; benchmarks.watermark_periodic measures with
        this how much the search's ranking loses."""
        undone = self._undone_view(self._tensor(image), turn, scale)
        return _found_by(self, _first_detected(self._search_shifts(undone)))

    def _search_shifts(self, tile: torch.Tensor) -> Iterator[Reading]:
        """Readings of every cyclic shift of the folded copy one working pixel apart, as it is and mirrored: wherever a
        crop began, and however it was mirrored, one of them lines up with the tile as it was marked. ``tile``: the
        copy's working view (1 x 3 x 64 x 64)."""
        every_shift_of = self.read_every_shift(torch.cat([tile, tile.flip(-1)]))
        for flipped, every_shift in zip((False, True), every_shift_of, strict=True):
            yield from _shift_readings(every_shift, Geometry(0.0, flipped, False) if flipped else None)

    def _search_turns_and_scales(
        self, copy: torch.Tensor, presence: sync.Presence, thorough: bool = False
    ) -> Iterator[Reading]:
        """Readings of the copy turned and resized back as the decoder is most confident about among the presence
        head's best-ranked candidates, the sweeps of turns alone and scales alone (sync.sweeps) and every scale at the
        turn of the copy's edges (sync.turn_of_edges), or one of its neighbours half a grid step away, then closer
        (sync.closer), if the decoder is more confident there; its shifts read as ``_search_shifts`` reads them.
        ``thorough``: the decoder also ranks every candidate of the grid and the sweeps (sync.every_candidate) on the
        middle of the copy, and the neighbours of its THOROUGH_REFINED best are read on the whole copy too; still only
        the one candidate the decoder is most confident about is BCH-decoded."""

        def confidences(
            candidates: list[tuple[float, float]], quick: bool = False, step: int = 1, region: float | None = None
        ) -> Iterator[tuple[float, tuple[float, float], list[np.ndarray]]]:
            turns_by_scale: dict[float, list[float]] = {}
            for turn, scale in candidates:
                turns_by_scale.setdefault(scale, []).append(turn)
            for scale, turns in turns_by_scale.items():  # a scale's turns undone in one batch
                if quick:  # ranking only: undone at twice the working resolution (sync.candidate_tiles)
                    tiles = sync.candidate_tiles(sync.middle(copy, scale, self.tile, region), scale, turns, self.tile,
                                                 self.working)  # fmt: skip
                else:
                    tiles = periodic.shrink(periodic.undo(copy, turns, scale, self.tile), self.working)
                every_shift_of = self.read_every_shift(torch.cat([tiles, tiles.flip(-1)]), step)
                for index, turn in enumerate(turns):
                    every_shift = [every_shift_of[index], every_shift_of[len(turns) + index]]
                    yield max(float(_confidence(shifts).max()) for shifts in every_shift), (turn, scale), every_shift

        def most_confident(
            found: Iterable[tuple[float, tuple[float, float], list[np.ndarray]]], count: int = 1
        ) -> list[tuple[float, float]]:
            return [candidate for _, candidate, _ in heapq.nlargest(count, found, key=lambda one: one[0])]

        ranked = presence.rank(self.decoder.features, copy, self.tile, self.working)
        swept = [*sync.sweeps(), *sync.turned_sweep(sync.turn_of_edges(copy))]
        best = most_confident(confidences(list(dict.fromkeys([*ranked, *swept])), quick=True))
        if thorough:  # the default's best kept: the grid's scales are 3 % apart, the sweep's exact where it finds one
            ranking = confidences(sync.every_candidate(), True, sync.THOROUGH_STEP, sync.THOROUGH_REGION)
            best = list(dict.fromkeys([*best, *most_confident(ranking, sync.THOROUGH_REFINED)]))
        neighbours = list(dict.fromkeys(found for candidate in best for found in [candidate, *sync.around(*candidate)]))
        found = max(confidences(neighbours), key=lambda one: one[0])
        closer = confidences(sync.closer(*found[1]))
        _, (turn, scale), best_shifts = max([found, *closer], key=lambda one: one[0])
        for flipped, shifts in zip((False, True), best_shifts, strict=True):
            yield from _shift_readings(shifts, Geometry(turn, flipped, False, scale))

    @torch.no_grad()
    def read_every_shift(self, tiles: torch.Tensor, step: int = 1) -> np.ndarray:
        """Bit probabilities of working-size tiles (n x 3 x 64 x 64, on a torus) rolled by every shift (``step`` apart):
        n x 4,096 rows, row down * 64 + right being the roll by (down, right) (Decoder.every_shift)."""
        return torch.sigmoid(self.decoder.every_shift(tiles, step)).cpu().numpy()

    def _search_crops(self, crop: torch.Tensor) -> Iterator[Reading]:
        """Readings of the copy placed where the most confident crop placements say."""
        search = self.crop_search
        read = partial(self._read_placed, crop)
        for best, probabilities in _most_confident(search.coarse(), read, search.around, search.refine):
            yield Reading.of(probabilities, Placement(*(value / CANVAS for value in best)))

    def read(self, image: Image.Image) -> np.ndarray:
        """The probability of each code bit being 1, for the image as it is."""
        return self._read_copy(self._tensor(image))

    @torch.no_grad()
    def _read_copy(self, copy: torch.Tensor) -> np.ndarray:
        return torch.sigmoid(self.decoder(self._working_view(copy)))[0].cpu().numpy()

    def _read_placed(self, crop: torch.Tensor, boxes: list[CanvasBox]) -> np.ndarray:
        """Bit probabilities of ``crop`` laid on a grey canvas in each box; where a box is on half canvas pixels, every
        box on a canvas twice as fine."""
        scale = 1 if all(float(value).is_integer() for box in boxes for value in box) else 2
        side = CANVAS * scale
        placed = [tuple(round(value * scale) for value in box) for box in boxes]
        resized = {
            (width, height): F.interpolate(crop, size=(height, width), mode="bilinear", antialias=True)
            for width, height in {(width, height) for width, height, _, _ in placed}
        }
        canvases = [
            F.pad(resized[width, height], (left, side - width - left, top, side - height - top), value=0.5)
            for width, height, left, top in placed
        ]
        return self.read_working_size(to_working_size(torch.cat(canvases)))

    @torch.no_grad()
    def read_working_size(self, images: torch.Tensor) -> np.ndarray:
        """Bit probabilities of images at the working size, in batches."""
        batches = [self.decoder(images[i : i + DECODER_BATCH]) for i in range(0, len(images), DECODER_BATCH)]
        return torch.sigmoid(torch.cat(batches)).cpu().numpy()


def refuse_shipped(weights: Path) -> None:
    """Stop (SystemExit) where ``weights`` is a shipped version's file: images it marked must stay verifiable. A version
    named in VERSIONS whose file is not written yet has marked nothing."""
    if weights.exists() and weights.resolve() in {path.resolve() for path in VERSIONS.values()}:
        raise SystemExit(
            f"{weights} holds shipped watermark version {weights.stem}: images it marked must stay verifiable; "
            "export as a new version (--version) and add it first in model.VERSIONS"
        )


def version_1_periodic(tile: int = periodic.TILE) -> Watermarker:
    """Version 1's networks in the periodic layout with ``tile`` px tiles and version 2's PSNR floor, without the turn
    and scale search: what the search's head is trained for (sync.py), and with 256 px tiles version 2's networks."""
    watermarker = Watermarker.load(VERSIONS[1])
    watermarker.use_layout("periodic")
    watermarker.min_psnr, watermarker.tile = MIN_PSNR, tile
    return watermarker


@dataclass
class Search:
    """One way a version reads an image (Watermarker.searches): its readings, made only as they are asked for."""

    cost: int  # AS_IS, QUICK or SLOW
    readings: Iterator[Reading]


@dataclass
class Reader:
    """The decoders of the watermark versions it was given (by default every one that shipped), newest first."""

    watermarkers: list[Watermarker]
    thorough: bool = False  # the turn and scale search ranks its whole grid (sync.every_candidate): seconds more

    @classmethod
    def load(cls, placement: devices.Placement = devices.CPU, thorough: bool = False) -> Reader:
        """Every shipped version but those that read exactly as a newer one (version 2, read as version 3): reading
        them again would double the time spent on unwatermarked images and tell nothing new. A payload they marked is
        named as found by the newest of them."""
        return cls(_shipped(placement, but=Watermarker.read_by), thorough)

    def read_payload(self, image: Image.Image) -> Reading:
        """The payload as the first version that finds one reads it; where none does, the most confident reading.
        Every version's cheaper searches run before any version's dearer one (Search.cost): the publish check of a
        fresh image marked by an older version costs one reading more, and a crop of one the older version's crop search
        (0.4 s), not the newer version's turn and scale search (seconds). An unwatermarked image gets every reading
        either way, so the order leaves the false-positive rate as it is."""
        searches = [
            (watermarker, search)
            for watermarker in self.watermarkers
            for search in watermarker.searches(image, thorough=self.thorough)
        ]
        cheapest_first = sorted(searches, key=lambda found: found[1].cost)  # stable: newest version first at each cost
        return _first_detected(
            _found_by(watermarker, reading) for watermarker, search in cheapest_first for reading in search.readings
        )

    def model_version(self, reading: Reading) -> str:
        """The version string of the networks that found ``reading``'s payload; the newest's where none did."""
        found = [watermarker for watermarker in self.watermarkers if watermarker.version_number == reading.version]
        return (found or self.watermarkers)[0].version


@dataclass
class Embedder:
    """The watermark versions it was given (by default every shipped one that could mark an image), newest first: an
    image is marked by the newest that suits it (Watermarker.suits), so images too small for version 3's tiles get
    version 4."""

    watermarkers: list[Watermarker]

    @classmethod
    def load(cls, placement: devices.Placement = devices.CPU) -> Embedder:
        """Every shipped version but those whose every image a newer one suits (version 2, which version 3 replaces,
        and version 1, which versions 3 and 4 replace): they would never mark anything."""
        return cls(_shipped(placement, but=Watermarker.suited_by))

    def version_for(self, image: Image.Image) -> Watermarker:
        """The newest version that suits ``image``; the oldest where none does (which refuses images too small)."""
        suited = (watermarker for watermarker in self.watermarkers if watermarker.suits(image))
        return next(suited, self.watermarkers[-1])

    def embed_payload(self, image: Image.Image, payload: bytes) -> tuple[Image.Image, Watermarker]:
        """``image`` marked with ``payload``, and the version that marked it."""
        watermarker = self.version_for(image)
        return watermarker.embed_payload(image, payload), watermarker


def _shipped(placement: devices.Placement, but: Callable[[Watermarker, list[Watermarker]], bool]) -> list[Watermarker]:
    """Every shipped version, newest first, but those that ``but`` finds replaced by the newer ones."""
    watermarkers: list[Watermarker] = []
    for path in VERSIONS.values():
        loaded = Watermarker.load(path, placement)
        if not but(loaded, watermarkers):
            watermarkers.append(loaded)
    return watermarkers


def _found_by(watermarker: Watermarker, reading: Reading) -> Reading:
    return replace(reading, version=watermarker.version_number) if reading.detected else reading


def _first_detected(readings: Iterable[Reading]) -> Reading:
    """The first reading with a payload, the later ones not made; where none has one, the most confident."""
    tried = []
    for reading in readings:
        if reading.detected:
            return reading
        tried.append(reading)
    return max(tried, key=lambda reading: reading.bit_confidence)


def _shift_readings(every_shift: np.ndarray, geometry: Geometry | None = None) -> Iterator[Reading]:
    """Readings of every shift of a fold (read_every_shift's rows) of a copy undone as ``geometry`` says. The decoder
    is most confident at or next to the shift that lines up (within its 3 most confident on the held-out photos after
    JPEG 60), so those are decoded first as any reading is (DETECTION_MAX_ERRORS corrections); the rest need to be
    closer to a codeword (SHIFT_MAX_ERRORS)."""
    most_confident = most_confident_readings(every_shift)
    for row in most_confident:
        yield Reading.of(every_shift[row], geometry=geometry)
    for probabilities in np.delete(every_shift, most_confident, axis=0):
        yield Reading.of(probabilities, geometry=geometry, max_errors=SHIFT_MAX_ERRORS)


def _confidence(probabilities: np.ndarray) -> np.ndarray:
    return np.abs(probabilities - 0.5).mean(axis=1)


def most_confident_readings(probabilities: np.ndarray) -> np.ndarray:
    """The SEARCH_TRIES rows of bit probabilities the decoder is most confident about, most confident first: those a
    search decodes as any reading."""
    return np.argsort(-_confidence(probabilities))[:SEARCH_TRIES]


def _most_confident(
    coarse: Sequence[Candidate],
    read: Callable[[list[Candidate]], np.ndarray],
    around: Callable[[Candidate, Step], list[Candidate]],
    steps: Iterable[Step],
) -> Iterator[tuple[Candidate, np.ndarray]]:
    """The SEARCH_TRIES candidates the decoder is most confident about, each refined among its neighbours
    at each step in turn, with their bit probabilities."""
    for index in most_confident_readings(read(list(coarse))):
        best, best_probabilities = coarse[index], np.empty(0)
        for step in steps:
            neighbours = around(best, step)
            probabilities = read(neighbours)
            pick = int(np.argmax(_confidence(probabilities)))
            best, best_probabilities = neighbours[pick], probabilities[pick]
        yield best, best_probabilities


def networks(state: dict[str, Any]) -> tuple[Encoder, Decoder]:
    """The encoder and decoder of saved weights (exported or a checkpoint), of whichever version they are."""
    message_cells = state["encoder"]["message.weight"].shape[0] // 4
    encoder = Encoder(
        residual_channels=state["encoder"]["residual.weight"].shape[0],
        message_tiles=MESSAGE_SIDE // round(message_cells**0.5),
    )
    decoder = Decoder(working_size=int(state.get("working", WORKING_SIZE)))
    encoder.load_state_dict(state["encoder"])
    decoder.load_state_dict(state["decoder"])
    return encoder, decoder


def add_residual(
    images: torch.Tensor,
    residual: torch.Tensor,
    strength: float,
    chroma_mask: bool = False,
    amplitude: torch.Tensor | None = None,
) -> torch.Tensor:
    """``images`` at their own size with the working-size ``residual`` upsampled and added (training does the same),
    times ``amplitude`` (texture_mask) where given.

    With ``chroma_mask``, the colour part of a three-channel residual (what it changes besides luminance) is scaled
    by one minus the pixel's saturation: full on greys, none on pure colours, where a change of hue shows as a cast
    (faint red blotches on a saturated green). Its luminance part is added everywhere."""
    upsampled = F.interpolate(residual, size=images.shape[-2:], mode="bilinear", align_corners=False)
    if chroma_mask:
        light = luminance(upsampled)
        brightest = images.amax(dim=1, keepdim=True)
        saturation = (brightest - images.amin(dim=1, keepdim=True)) / brightest.clamp_min(1e-3)
        upsampled = light + (1 - saturation) * (upsampled - light)
    if amplitude is not None:
        upsampled = upsampled * amplitude
    return (images + strength * upsampled).clamp(0, 1)


def to_working_size(images: torch.Tensor) -> torch.Tensor:
    return F.interpolate(images, size=(WORKING_SIZE, WORKING_SIZE), mode="bilinear", antialias=True)


def to_tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)[None]


def _as_8_bit(images: torch.Tensor) -> torch.Tensor:
    """``images`` as to_image will store them."""
    return (images * 255).round() / 255


def to_image(tensor: torch.Tensor) -> Image.Image:
    return Image.fromarray((tensor[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
