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

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

TILE = 128  # pixels: twice the working size, the scale version 1 was trained at
_WRAP = 2  # working pixels of the residual repeated on each side before upsampling, so tiles join without a seam


def fold(
    images: torch.Tensor, size: int = TILE, top: int = 0, left: int = 0, covered: torch.Tensor | None = None
) -> torch.Tensor:
    """``images`` (n x c x h x w) averaged by their place modulo ``size`` in an original they were cut from at
    (``top``, ``left``): n x c x size x size. Only pixels where ``covered`` (n or 1 x 1 x h x w, 0 or 1; by default
    every pixel) count. Places no pixel fell on are grey, as elsewhere the reader lays a crop."""
    height, width = images.shape[-2:]
    covered = torch.ones_like(images[:1, :1]) if covered is None else covered

    def add_tiles(pixels: torch.Tensor) -> torch.Tensor:
        # block by block: padding the copy to whole tiles first copied all of it (twice as slow)
        tiles = pixels.new_zeros(*pixels.shape[:2], size, size)
        for top_of_block in range(0, height, size):
            for left_of_block in range(0, width, size):
                block = pixels[..., top_of_block : top_of_block + size, left_of_block : left_of_block + size]
                tiles[..., : block.shape[-2], : block.shape[-1]] += block
        return tiles

    total, count = add_tiles(images * covered), add_tiles(covered)
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


def undo(copy: torch.Tensor, turns: Sequence[float], scale: float, size: int = TILE) -> torch.Tensor:
    """A copy (1 x c x h x w) of a periodic image that was turned by one of ``turns`` degrees counter-clockwise about
    its centre (as Pillow's ``Image.rotate``) and resized by ``scale``, turned back by each of ``turns`` and resized
    back, then folded onto one tile of ``size``: len(turns) x c x size x size. The original is taken to be as large as
    the copy at its scale (Pillow turns within the same canvas by default), so the corners that the turn filled in the
    copy are never read; the original's corners that the turn cut off are left out of the fold."""
    height, width = copy.shape[-2:]
    out_height, out_width = round(height / scale), round(width / scale)
    angles = torch.tensor([math.radians(turn) for turn in turns], dtype=copy.dtype)
    cos, sin = (torch.cos(angles) * scale).view(-1, 1, 1), (torch.sin(angles) * scale).view(-1, 1, 1)
    columns = torch.arange(out_width, dtype=copy.dtype) - (out_width - 1) / 2
    rows = (torch.arange(out_height, dtype=copy.dtype) - (out_height - 1) / 2).view(-1, 1)
    # where each pixel of the original lands in the copy (y points down, so a counter-clockwise turn is -angle), as
    # offsets from the centre normalised as grid_sample takes them: a term per column plus a term per row, broadcast
    # (a meshgrid of the whole image took twice as long)
    grid = torch.empty(len(turns), out_height, out_width, 2, dtype=copy.dtype)
    grid[..., 0] = (cos * columns + sin * rows) * (2 / width)
    grid[..., 1] = (cos * rows - sin * columns) * (2 / height)
    with_coverage = torch.cat([copy, torch.ones_like(copy[:, :1])], 1).expand(len(turns), -1, -1, -1)
    sampled = F.grid_sample(with_coverage, grid, align_corners=False)
    covered = (sampled[:, -1:] > 0.999).to(copy.dtype)
    return fold(sampled[:, :-1], size, covered=covered)
