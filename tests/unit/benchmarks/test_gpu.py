import pytest
import torch

from benchmarks.gpu import main, markdown, moderation_share


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_without_a_gpu_it_says_so_and_exits_0(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main(["--output", str(tmp_path / "gpu.json")]) == 0
    assert "no GPU visible" in capsys.readouterr().out
    assert not (tmp_path / "gpu.json").exists()


def _run(ms: float) -> dict[str, float]:
    return {"images_per_s": round(1000 / ms, 2), "p50_ms": ms, "p99_ms": ms * 1.2}


def test_moderation_counts_the_slowest_safety_model_and_the_watermark_against_one_generation() -> None:
    results = {
        "device": "cuda:0",
        "generator": {"steps": 1, "batch_1": _run(50.0)},
        "models": {
            "face_detector": {"device": "cuda:0", "batch_1": _run(8.0)},
            "pii_detector": {"device": "cpu", "batch_1": _run(400.0)},
            "watermark_embed": {"device": "cuda:0", "batch_1": _run(4.0)},
            "watermark_decode": {"device": "cuda:0", "batch_1": _run(1.0)},
        },
    }
    share = moderation_share(results)
    assert share["moderation_ms_concurrent"] == 405.0 and share["share_concurrent"] == 8.1
    assert share["moderation_ms_sequential"] == 413.0
    results["moderation_share"] = share
    table = markdown(results)
    assert "| pii_detector | cpu | 2.5 (400.0/480.0) |" in table and "810.0% of one generation" in table
