"""benchmarks.watermark's tables (a run of the methods alone, ``--photos more --sections methods``, has no false
positives to print and still gets its tables) and its sets of crops."""

import random

import torch
from PIL import Image

from benchmarks.watermark import ATTACKS, PHOTO_SETS, crops, markdown
from modstream_models.watermark.model import Embedder


def _method(bit_accuracy: float) -> dict:
    return {
        "bits": 120, "psnr": 42.0, "psnr_min": 41.0, "ssim": 0.99, "ssim_min": 0.98,
        "embed_ms": 1.0, "decode_ms": 2.0, "decode_crop_ms": 3.0,
        "attacks": {name: {"bit_accuracy": bit_accuracy, "detected": 1.0} for name in ATTACKS},
    }  # fmt: skip


def test_results_without_false_positives_print_the_methods_tables_only() -> None:
    table = markdown({"methods": {"modstream": _method(0.999), "dwtDct": _method(0.5)}})
    assert "| modstream | 120 | 42.0 / 41.0 | 0.990 / 0.980 |" in table
    assert "| jpeg30 | 0.999 / 1.00 | 0.500 / 1.00 |" in table
    assert "unwatermarked" not in table


def test_the_small_set_crops_only_images_the_stack_marks_with_version_4() -> None:
    found = crops([torch.rand(3, 700, 900)], 20, random.Random(0), max_height=PHOTO_SETS["small"].max_height)
    assert all(256 <= crop.shape[0] < 384 and 256 <= crop.shape[1] <= 512 for crop in found)
    embedder = Embedder.load()
    assert {embedder.version_for(Image.fromarray(crop)).version_number for crop in found} == {4}
