"""benchmarks.watermark's tables: a run of the methods alone (``--photos more --sections methods``) has no false
positives to print and still gets its tables."""

from benchmarks.watermark import ATTACKS, markdown


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
