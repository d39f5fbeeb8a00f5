"""The reliability-weighted detection rule (payload.decode_probabilities) on unwatermarked images.

    .venv/bin/python -m benchmarks.watermark_reliability                # 2,000 images, about 15 minutes on 2 cores
    .venv/bin/python -m benchmarks.watermark_reliability --images 100   # quick

The rule's bound (payload.py) holds for bits whose signs are coin flips, whatever their reliabilities: the bits that
disagree with a given codeword then weigh at most W with probability words_within(W) / 2^120. This measures, on the
unwatermarked images that measure every version's false positives (benchmarks.watermark.unwatermarked_images: photo
crops of 64-512 px, the tiny generator's images and crops of them, each also as JPEG 60 and at half its size), the
readings the rule decodes, of every version ``verify`` tries: each version's reading of the image as it is, the
whole layout's turn search's readings and, on the first 300 images, its crop search's (version 4), and the periodic
layout's most confident shifts of the fold, as it is and mirrored (version 3; its turn and scale search, seconds an
image, is left out). For each reading:

- detections by the rule, and by ``decode_bits`` alone (at most 5 corrections, the rule before);
- against fixed codewords (no search): for each of 64 random codewords, whether its disagreeing bits weigh at most
  the reading's threshold for a chance of ``alpha`` per codeword (1e-2, 1e-3, 1e-4): coin flips give at most
  ``alpha`` of them, whatever the reliabilities; more would mean the signs follow the reliabilities, or are not coin
  flips at all. Beside it the same test of the bits alone (the Hamming distance within the most that keeps coin
  flips' chance at most ``alpha``, the rule before), whose count for coin flips is exact;
- near codewords (the rule's own search, payload.nearest_by_reliability): readings whose nearest codeword by weight
  is one coin flips come as near with a chance of at most 1e-4, 1e-5, 1e-6 (the rule detects at 2.8e-9); coin
  flips give at most that many (the search finds fewer: it looks only within BCH's 8 of its candidates).

Results: benchmarks/results/watermark-reliability.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime
from math import comb
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from benchmarks.watermark import unwatermarked_images
from modstream_models.watermark import periodic
from modstream_models.watermark.model import Reader, Watermarker, most_confident_readings, to_tensor
from modstream_models.watermark.payload import (
    CODE_BITS,
    PAYLOAD_BITS,
    bits_and_reliabilities,
    decode_bits,
    decode_probabilities,
    encode_payload,
    nearest_by_reliability,
    subsets_by_weight,
)
from streams.stack import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "watermark-reliability.json"
PER_CODEWORD = (1e-2, 1e-3, 1e-4)
NEAR = (1e-4, 1e-5, 1e-6)
CODEWORDS = 64


def decoded_readings(watermarker: Watermarker, image: Image.Image, crops: bool) -> list[np.ndarray]:
    """The bit probabilities of every reading of ``image`` that ``watermarker``'s reader decodes by the rule (the
    module docstring says which); ``crops``: the whole layout's crop search's too."""
    if watermarker.layout != "periodic":
        return [reading.probabilities for reading in watermarker.readings(image, crops)]
    tile = periodic.working_tile(to_tensor(image), watermarker.working, watermarker.tile)
    found = [watermarker.read(image)]
    for every_shift in watermarker.read_every_shift(torch.cat([tile, tile.flip(-1)])):
        found.extend(every_shift[most_confident_readings(every_shift)])
    return found


# For each chance: the most bits a word may differ in from a codeword for coin flips to come that close at most that
# often, and how often they then do
HAMMING_WITHIN = [
    max(d for d in range(CODE_BITS + 1) if sum(comb(CODE_BITS, k) for k in range(d + 1)) <= chance * 2**CODE_BITS)
    for chance in PER_CODEWORD
]
HAMMING_CHANCE = [sum(comb(CODE_BITS, k) for k in range(d + 1)) / 2**CODE_BITS for d in HAMMING_WITHIN]


def within_per_codeword(probabilities: np.ndarray, codewords: np.ndarray) -> list[int]:
    """For each chance in PER_CODEWORD, how many of ``codewords`` the reading's disagreeing bits put within it."""
    bits, reliabilities = bits_and_reliabilities(probabilities)
    cumulative = np.cumsum(subsets_by_weight(reliabilities, int(reliabilities.sum())))
    weights = (codewords != bits) @ reliabilities
    thresholds = [
        int(np.searchsorted(cumulative, chance * 2.0**CODE_BITS, side="right")) - 1 for chance in PER_CODEWORD
    ]
    return [int((weights <= threshold).sum()) for threshold in thresholds]


def hamming_within_per_codeword(probabilities: np.ndarray, codewords: np.ndarray) -> list[int]:
    """The same by the bits alone: how many of ``codewords`` are within HAMMING_WITHIN of the bits read."""
    distances = (codewords != (probabilities > 0.5)).sum(axis=1)
    return [int((distances <= within).sum()) for within in HAMMING_WITHIN]


def measure(count: int, crop_searched: int) -> dict[str, Any]:
    reader = Reader.load()
    rng = np.random.default_rng(17)
    codewords = np.stack([encode_payload(rng.integers(0, 256, PAYLOAD_BITS // 8, dtype=np.uint8).tobytes())
                          for _ in range(CODEWORDS)])  # fmt: skip
    readings = detections = hard_detections = 0
    per_codeword = np.zeros(len(PER_CODEWORD), dtype=np.int64)
    bits_alone = np.zeros(len(PER_CODEWORD), dtype=np.int64)
    near = np.zeros(len(NEAR), dtype=np.int64)
    started = time.perf_counter()
    images = unwatermarked_images(count, random.Random(13))
    for index, image in enumerate(images):
        for watermarker in reader.watermarkers:
            for probabilities in decoded_readings(watermarker, image, index < crop_searched):
                readings += 1
                detections += decode_probabilities(probabilities).payload is not None
                hard_detections += decode_bits((probabilities > 0.5).astype(np.uint8)).payload is not None
                per_codeword += within_per_codeword(probabilities, codewords)
                bits_alone += hamming_within_per_codeword(probabilities, codewords)
                nearest = nearest_by_reliability(probabilities)
                if nearest is not None:
                    near += [nearest.chance <= chance for chance in NEAR]
        if (index + 1) % 100 == 0:
            print(
                f"... {index + 1}/{len(images)} images, {readings} readings, {detections} detections, "
                f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True,
            )  # fmt: skip
    return {
        "images": len(images),
        "crop_searched_images": min(crop_searched, len(images)),
        "versions": [watermarker.version for watermarker in reader.watermarkers],
        "readings": readings,
        "detections": detections,
        "detections_within_5_corrections": hard_detections,
        "per_codeword": {
            f"{chance:g}": {
                "within": int(found),
                "coin_flips_at_most": readings * CODEWORDS * chance,
                "bits_alone_within": int(alone),
                "bits_alone_coin_flips": round(readings * CODEWORDS * exact, 1),
            }
            for chance, found, alone, exact in zip(PER_CODEWORD, per_codeword, bits_alone, HAMMING_CHANCE, strict=True)
        },
        "near_codewords": {
            f"{chance:g}": {"readings": int(found), "coin_flips_at_most": round(readings * chance, 3)}
            for chance, found in zip(NEAR, near, strict=True)
        },
        "seconds_per_image": round((time.perf_counter() - started) / len(images), 3),
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"{results['images']} unwatermarked images, {results['readings']} readings decoded by the rule: "
        f"{results['detections']} detections ({results['detections_within_5_corrections']} within 5 corrections)",
        "",
        "| per codeword, chance at most | " + " | ".join(results["per_codeword"]) + " |",
        "|---|" + "---|" * len(results["per_codeword"]),
        "| readings x codewords within it | "
        + " | ".join(str(found["within"]) for found in results["per_codeword"].values()) + " |",
        "| coin flips, at most | "
        + " | ".join(f"{found['coin_flips_at_most']:.1f}" for found in results["per_codeword"].values()) + " |",
        "| the bits alone: readings x codewords within it | "
        + " | ".join(str(found["bits_alone_within"]) for found in results["per_codeword"].values()) + " |",
        "| the bits alone: coin flips | "
        + " | ".join(str(found["bits_alone_coin_flips"]) for found in results["per_codeword"].values()) + " |",
        "",
        "| nearest codeword's chance at most | " + " | ".join(results["near_codewords"]) + " |",
        "|---|" + "---|" * len(results["near_codewords"]),
        "| readings | " + " | ".join(str(found["readings"]) for found in results["near_codewords"].values()) + " |",
        "| coin flips, at most | "
        + " | ".join(str(found["coin_flips_at_most"]) for found in results["near_codewords"].values()) + " |",
    ]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2000, help="unwatermarked images")
    parser.add_argument(
        "--crop-searched", type=int, default=300, help="how many of them also go through the crop search (slow)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = {"when": datetime.now().isoformat(timespec="seconds"), **measure(args.images, args.crop_searched)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
