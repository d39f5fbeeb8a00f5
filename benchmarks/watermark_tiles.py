"""Version 1 embedded per tile: what it would give on crops that change the aspect ratio, read where they sat.

    .venv/bin/python -m benchmarks.watermark_tiles               # 24 held-out crops, about 20 seconds on 2 cores
    .venv/bin/python -m benchmarks.watermark_tiles --images 8    # quick
    .venv/bin/python -m benchmarks.watermark_tiles --min-psnr 42.3 --out benchmarks/results/watermark-tiles-42db.json

Version 1 has each code bit in one place of its layout, so a crop keeping the whole width and half the height loses
the bits of the other half: read at the exact place the crop sat in the original, it still gets only 0.87-0.89 of
them. Embedded instead in each tile of a 2 x 2 grid (the same networks and weights, each tile marked as an image of
its own), every bit is in four places and any crop keeping half of each side or more holds each one at least once;
reading every tile's visible part where it sat and adding the four readings' logits gives all of them back. Both
are read with the crop's placement known, which is what a synchronisation step would have to find: this measures
whether version 2 needs new networks for these crops or only a way to find the grid. Results:
benchmarks/results/watermark-tiles.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio

from benchmarks.watermark import crops
from modstream_models.images import jpeg_round_trip
from modstream_models.watermark.data import held_out_photos
from modstream_models.watermark.model import CANVAS, MIN_PSNR, VERSIONS, Watermarker
from modstream_models.watermark.payload import decode_bits, encode_payload
from streams.stack import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "watermark-tiles.json"
TILES = 2  # tiles a side
Box = tuple[float, float, float, float]  # left, top, right, bottom in fractions of the watermarked image's sides
CROPS: dict[str, Box] = {
    "none": (0.0, 0.0, 1.0, 1.0),
    "crop_w100%_h50%": (0.0, 0.25, 1.0, 0.75),  # centred, as issue 20's acceptance has them
    "crop_w60%_h90%": (0.2, 0.05, 0.8, 0.95),
    "crop_w70%_h70%": (0.15, 0.15, 0.85, 0.85),  # 49 % of the area keeping the aspect ratio
}


def _resize(image: Image.Image) -> Image.Image:
    return image.resize((round(image.width * 0.75), round(image.height * 0.75)), Image.Resampling.BILINEAR)


AFTER_CROP: dict[str, Callable[[Image.Image], Image.Image]] = {
    "": lambda image: image,
    "+jpeg60": partial(jpeg_round_trip, quality=60),
    "+resize75%": _resize,
}


HELD_OUT_CROPS = "{count} crops (256-512 px) of the held-out photos, as benchmarks.watermark uses"


def held_out_crops(count: int) -> list[Image.Image]:
    """The same ``count`` crops of the held-out photos on every run (HELD_OUT_CROPS)."""
    return [Image.fromarray(crop) for crop in crops(held_out_photos(), count, random.Random(7))]


def summary(rows: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Each measured row's mean and worst value."""
    return {key: {"mean": round(float(np.mean(v)), 3), "min": round(float(np.min(v)), 3)} for key, v in rows.items()}


def pixel_box(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    return round(left * width), round(top * height), round(right * width), round(bottom * height)


def tile_boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    return [
        (width * i // TILES, height * j // TILES, width * (i + 1) // TILES, height * (j + 1) // TILES)
        for j in range(TILES)
        for i in range(TILES)
    ]


def embed_tiled(watermarker: Watermarker, image: Image.Image, bits: np.ndarray) -> Image.Image:
    """Each tile of the grid marked with the whole code word, as an image of its own."""
    marked = image.copy()
    for tile in tile_boxes(*image.size):
        marked.paste(watermarker.embed(image.crop(tile), bits), tile[:2])
    return marked


def _logits_placed(watermarker: Watermarker, part: Image.Image, where: Box) -> np.ndarray:
    """Bit logits of ``part`` laid on a grey canvas where it sat in its watermarked unit (as the crop search does)."""
    left, top, right, bottom = (round(value * CANVAS) for value in where)
    canvas = Image.new("RGB", (CANVAS, CANVAS), (128, 128, 128))
    canvas.paste(part.resize((right - left, bottom - top), Image.Resampling.BILINEAR), (left, top))
    probabilities = np.clip(watermarker.read(canvas), 1e-6, 1 - 1e-6)
    return np.log(probabilities / (1 - probabilities))


def read_whole(watermarker: Watermarker, piece: Image.Image, crop: Box, size: tuple[int, int]) -> np.ndarray:
    return _logits_placed(watermarker, piece, crop)


def read_tiled(watermarker: Watermarker, piece: Image.Image, crop: Box, size: tuple[int, int]) -> np.ndarray:
    """The logits of every tile's visible part, read where it sat in its tile, added."""
    width, height = size
    crop_left, crop_top, crop_right, crop_bottom = pixel_box(crop, width, height)
    scale_x, scale_y = piece.width / (crop_right - crop_left), piece.height / (crop_bottom - crop_top)
    total = np.zeros(0)
    for tile_left, tile_top, tile_right, tile_bottom in tile_boxes(width, height):
        left, top = max(tile_left, crop_left), max(tile_top, crop_top)
        right, bottom = min(tile_right, crop_right), min(tile_bottom, crop_bottom)
        if right - left < TILES * 4 or bottom - top < TILES * 4:
            continue  # a sliver of a tile tells little
        part = piece.crop(
            (
                round((left - crop_left) * scale_x), round((top - crop_top) * scale_y),
                round((right - crop_left) * scale_x), round((bottom - crop_top) * scale_y),
            )
        )  # fmt: skip
        tile_width, tile_height = tile_right - tile_left, tile_bottom - tile_top
        where = (
            (left - tile_left) / tile_width, (top - tile_top) / tile_height,
            (right - tile_left) / tile_width, (bottom - tile_top) / tile_height,
        )  # fmt: skip
        logits = _logits_placed(watermarker, part, where)
        total = logits if total.size == 0 else total + logits
    return total


def measure(watermarker: Watermarker, images: list[Image.Image]) -> dict[str, Any]:
    """Per layout: PSNR, and per attack bit accuracy and payload recovery (all 64 bits after BCH)."""
    layouts = {
        "whole image": (watermarker.embed, read_whole),
        "2 x 2 tiles": (partial(embed_tiled, watermarker), read_tiled),
    }
    found: dict[str, dict[str, list[float]]] = {layout: {} for layout in layouts}
    for index, image in enumerate(images):
        bits = encode_payload(bytes(random.Random(index).randrange(256) for _ in range(8)))
        for layout, (embed, read) in layouts.items():
            marked = embed(image, bits)
            found[layout].setdefault("psnr", []).append(
                float(peak_signal_noise_ratio(np.asarray(image), np.asarray(marked)))
            )
            for crop_name, crop in CROPS.items():
                piece = marked.crop(pixel_box(crop, *marked.size))
                for after_name, after in AFTER_CROP.items():
                    read_bits = (read(watermarker, after(piece), crop, marked.size) > 0).astype(np.uint8)
                    attack = crop_name + after_name
                    found[layout].setdefault(f"{attack} bits", []).append(float((read_bits == bits).mean()))
                    found[layout].setdefault(f"{attack} payload", []).append(decode_bits(read_bits).payload is not None)
        print(f"... {index + 1}/{len(images)}", file=sys.stderr, flush=True)
    return {layout: summary(rows) for layout, rows in found.items()}


SHIFTS = (0, 1, 2, 4, 8, 16, 32)  # pixels of the original the assumed placement is off by, to the right


def placement_errors(watermarker: Watermarker, images: list[Image.Image]) -> dict[str, dict[str, float]]:
    """The tiled layout's reading of the 60 % x 90 % crop with its placement off by each of ``SHIFTS``: how much
    bit accuracy and the decoder's confidence (mean distance of the bit probabilities from 0.5, scaled to 0..1)
    fall, which is what a search for the placement has to go by."""
    crop = CROPS["crop_w60%_h90%"]
    rows: dict[int, list[tuple[float, float]]] = {shift: [] for shift in SHIFTS}
    for index, image in enumerate(images):
        bits = encode_payload(bytes(random.Random(index).randrange(256) for _ in range(8)))
        marked = embed_tiled(watermarker, image, bits)
        piece = marked.crop(pixel_box(crop, *marked.size))
        for shift in SHIFTS:
            offset = shift / marked.width
            logits = read_tiled(watermarker, piece, (crop[0] + offset, crop[1], crop[2] + offset, crop[3]), marked.size)
            rows[shift].append((float(((logits > 0) == bits).mean()), float(np.abs(np.tanh(logits / 2)).mean())))
    return {
        str(shift): {
            "bits": round(float(np.mean([bits for bits, _ in pairs])), 3),
            "confidence": round(float(np.mean([confidence for _, confidence in pairs])), 3),
        }
        for shift, pairs in rows.items()
    }


def markdown(results: dict[str, Any]) -> str:
    layouts = list(results["layouts"])
    rows = ["| attack, read where the crop sat | " + " | ".join(f"{name} bit acc / payload" for name in layouts) + " |"]
    rows.append("|---|" + "---|" * len(layouts))
    psnr = [
        f"{results['layouts'][name]['psnr']['mean']} (worst {results['layouts'][name]['psnr']['min']})"
        for name in layouts
    ]
    rows.append("| PSNR dB | " + " | ".join(psnr) + " |")
    for crop_name in CROPS:
        for after_name in AFTER_CROP:
            attack = crop_name + after_name
            cells = [
                f"{results['layouts'][name][f'{attack} bits']['mean']:.3f} / "
                f"{results['layouts'][name][f'{attack} payload']['mean']:.2f}"
                for name in layouts
            ]
            rows.append(f"| {attack} | " + " | ".join(cells) + " |")
    errors = results["placement_errors"]
    rows += ["", "| 2 x 2 tiles, crop_w60%_h90% read with its placement off by (px) | " + " | ".join(errors) + " |"]
    rows.append("|---|" + "---|" * len(errors))
    rows.append("| bit accuracy | " + " | ".join(f"{row['bits']:.3f}" for row in errors.values()) + " |")
    rows.append("| confidence | " + " | ".join(f"{row['confidence']:.3f}" for row in errors.values()) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=24, help="held-out crops (256-512 px)")
    parser.add_argument(
        "--min-psnr", type=float, metavar="DB",
        help=f"embed with this PSNR floor, as version 2 does ({MIN_PSNR}); default: none, as version 1 ships",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    watermarker = Watermarker.load(VERSIONS[1])
    watermarker.min_psnr = args.min_psnr
    images = held_out_crops(args.images)
    results = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "images": HELD_OUT_CROPS.format(count=args.images),
        "weights": watermarker.version,
        "min_psnr": args.min_psnr,
        "layouts": measure(watermarker, images),
        "placement_errors": placement_errors(watermarker, images),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
