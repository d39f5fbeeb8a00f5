"""The pipeline benchmark's reading of the worker's event-loop delay histogram."""

from __future__ import annotations

from benchmarks.pipeline import loop_delay_bound

INF = float("inf")


def test_the_bound_comes_from_the_samples_between_the_scrapes() -> None:
    before = {0.01: 50.0, 0.05: 50.0, 0.1: 50.0, INF: 50.0}  # earlier samples, all quick
    after = {0.01: 148.0, 0.05: 249.0, 0.1: 250.0, INF: 250.0}  # 200 since: 98 <= 10 ms, 101 <= 50, 1 <= 100 ms
    assert loop_delay_bound(before, after, 0.5) == 0.05
    assert loop_delay_bound(before, after, 0.99) == 0.05
    assert loop_delay_bound(before, after, 1.0) == 0.1


def test_no_samples_no_bound() -> None:
    assert loop_delay_bound({INF: 3.0}, {INF: 3.0}, 0.99) is None
