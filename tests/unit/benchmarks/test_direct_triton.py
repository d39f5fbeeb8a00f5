"""The direct-Triton replay takes, per model, the executions of each batch size the pipeline's run added."""

from __future__ import annotations

from typing import Any

from benchmarks.direct_triton import executions, mean_batch


def snapshot(**models: dict[int, int]) -> dict[str, Any]:
    """Triton's statistics as its JSON gives them (64-bit counts as strings)."""
    return {
        "model_stats": [
            {
                "name": name,
                "version": "1",
                "batch_stats": [
                    {"batch_size": str(size), "compute_infer": {"count": str(count), "ns": str(count * 1000)}}
                    for size, count in sizes.items()
                ],
            }
            for name, sizes in models.items()
        ]
    }


def test_only_what_ran_between_the_snapshots_counts() -> None:
    before = snapshot(face_detector={1: 5, 2: 1}, generator={1: 5})
    after = snapshot(face_detector={1: 7, 2: 1, 8: 3}, generator={1: 5}, watermark_embed={4: 2})
    assert executions(before, after) == {"face_detector": {1: 2, 8: 3}, "watermark_embed": {4: 2}}


def test_a_model_that_has_not_run_yet_has_no_batch_stats() -> None:
    before = {"model_stats": [{"name": "generator", "version": "1"}]}
    assert executions(before, snapshot(generator={1: 4})) == {"generator": {1: 4}}


def test_mean_batch_weighs_every_execution() -> None:
    assert mean_batch({"face_detector": {1: 2, 8: 3}, "generator": {1: 4}}) == {"face_detector": 5.2, "generator": 1.0}
