"""The periodic layout: one residual repeated exactly over every TILE x TILE pixels of the image.

A tile is a size in pixels, not a fraction of the image, so a crop of any aspect ratio keeps it. A copy is
*folded*: each pixel is averaged onto its place modulo TILE, so that every visible tile adds onto one tile on a torus
(the photo's content averages out, the watermark, the same in every tile, does not). Where the crop began is then
only a cyclic shift of that tile, which the reader searches, one working pixel apart, letting BCH tell the right
shift from the wrong ones.

The residual is made once, by the encoder from the folded original, so it is exactly periodic: the reader's fold adds
the same pattern from every tile, never different patterns that carry the same bits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

TILE = 128  # pixels: twice the working size, the scale version 1 was trained at
_WRAP = 2  # working pixels of the residual repeated on each side before upsampling, so tiles join without a seam


def fold(images: torch.Tensor, size: int = TILE, top: int = 0, left: int = 0) -> torch.Tensor:
    """``images`` (n x c x h x w) averaged by their place modulo ``size`` in an original they were cut from at
    (``top``, ``left``): n x c x size x size. Places no pixel fell on are grey, as elsewhere the reader lays a crop."""
    n, channels, height, width = images.shape
    padded_height, padded_width = -(-height // size) * size, -(-width // size) * size
    padding = (0, padded_width - width, 0, padded_height - height)
    tiles_shape = (padded_height // size, size, padded_width // size, size)
    total = F.pad(images, padding).view(n, channels, *tiles_shape).sum(dim=(2, 4))
    count = F.pad(torch.ones_like(images[:1, :1]), padding).view(1, 1, *tiles_shape).sum(dim=(2, 4))
    folded = torch.where(count > 0, total / count.clamp_min(1), torch.full_like(total, 0.5))
    return torch.roll(folded, shifts=(top % size, left % size), dims=(2, 3))


def shrink(tile: torch.Tensor, size: int) -> torch.Tensor:
    """A folded tile at ``size`` x ``size``, its borders filtered with the other side's pixels (it lies on a torus)."""
    margin = tile.shape[-1] // size * 2
    wrapped = F.pad(tile, (margin, margin, margin, margin), mode="circular")
    outer = size + 2 * margin * size // tile.shape[-1]
    small = F.interpolate(wrapped, size=(outer, outer), mode="bilinear", antialias=True, align_corners=False)
    inner = margin * size // tile.shape[-1]
    return small[..., inner : inner + size, inner : inner + size]


def working_tile(
    images: torch.Tensor, working_size: int, size: int = TILE, top: int = 0, left: int = 0
) -> torch.Tensor:
    """What the networks see of ``images`` in this layout: folded onto one tile (as cut from an original at ``top``,
    ``left``), at the working size."""
    return shrink(fold(images, size, top, left), working_size)


def repeat(residual: torch.Tensor, height: int, width: int, size: int = TILE) -> torch.Tensor:
    """A working-size residual upsampled to one ``size`` tile and repeated over ``height`` x ``width`` pixels."""
    working = residual.shape[-1]
    wrapped = F.pad(residual, (_WRAP, _WRAP, _WRAP, _WRAP), mode="circular")
    upsampled = F.interpolate(wrapped, scale_factor=size / working, mode="bilinear", align_corners=False)
    margin = _WRAP * size // working
    tile = upsampled[..., margin : margin + size, margin : margin + size]
    return tile.repeat(1, 1, -(-height // size), -(-width // size))[..., :height, :width]
