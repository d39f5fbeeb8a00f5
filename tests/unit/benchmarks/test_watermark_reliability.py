"""benchmarks.watermark_reliability: its per-codeword test is calibrated on coin flips, and a short run's results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.watermark_reliability import (
    CODEWORDS,
    HAMMING_CHANCE,
    PER_CODEWORD,
    hamming_within_per_codeword,
    main,
    within_per_codeword,
)
from modstream_models.watermark.payload import CODE_BITS, encode_payload


def test_coin_flip_signs_land_within_a_chance_per_codeword_about_that_often() -> None:
    rng = np.random.default_rng(8)
    codewords = np.stack([encode_payload(rng.integers(0, 256, 8, dtype=np.uint8).tobytes()) for _ in range(64)])
    found, alone = np.zeros(len(PER_CODEWORD)), np.zeros(len(PER_CODEWORD))
    readings = 300
    for _ in range(readings):  # reliabilities of every kind, signs coin flips
        logits = rng.standard_normal(CODE_BITS) * rng.uniform(0.5, 8)
        found += within_per_codeword(1 / (1 + np.exp(-logits)), codewords)
        alone += hamming_within_per_codeword(1 / (1 + np.exp(-logits)), codewords)
    expected = readings * len(codewords) * np.array(PER_CODEWORD)  # 192, 19.2, 1.92
    assert 0.6 * expected[0] <= found[0] <= 1.3 * expected[0]
    assert found[1] <= 2 * expected[1] and found[2] <= 8
    exact = readings * len(codewords) * HAMMING_CHANCE[0]  # 128
    assert 0.6 * exact <= alone[0] <= 1.4 * exact


def test_a_codeword_read_surely_is_within_every_chance_of_itself() -> None:
    code = encode_payload(bytes(8))
    probabilities = np.where(code == 1, 0.95, 0.05)
    assert within_per_codeword(probabilities, code[None]) == [1] * len(PER_CODEWORD)


def test_a_short_run_writes_its_counts(tmp_path: Path) -> None:
    out = tmp_path / "reliability.json"
    assert main(["--images", "3", "--crop-searched", "1", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["images"] == 3 and results["crop_searched_images"] == 1
    assert results["readings"] >= 3 * 2 and results["detections"] == 0
    assert results["per_codeword"]["0.01"]["coin_flips_at_most"] == results["readings"] * CODEWORDS * 0.01
